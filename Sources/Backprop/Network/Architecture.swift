// The shape of a network: layer widths n[0] … n[L], an activation per layer,
// and the loss. Everything that fixes how parameters are laid out and used.

/// A fully connected network's architecture.
public struct Architecture: Hashable, Sendable, CustomStringConvertible {
    /// n[0] (the input width) through n[L] (the output width).
    public let layerSizes: [Int]
    /// g[1] … g[L]: one activation per layer of weights.
    public let activations: [Activation]
    public let loss: Loss

    /// An architecture with every hidden layer using `hiddenActivation` and the
    /// output layer using `outputActivation`, or the loss's matching activation.
    public init(
        layerSizes: [Int], hiddenActivation: Activation, outputActivation: Activation? = nil, loss: Loss
    ) throws {
        let layers = max(layerSizes.count - 1, 0)
        let output = outputActivation ?? loss.defaultOutputActivation
        try self.init(
            layerSizes: layerSizes,
            activations: Array(repeating: hiddenActivation, count: max(layers - 1, 0)) + (layers > 0 ? [output] : []),
            loss: loss)
    }

    public init(layerSizes: [Int], activations: [Activation], loss: Loss) throws {
        guard layerSizes.count >= 2 else {
            throw ConfigurationError("layers: need at least an input and an output width, e.g. 784,10; got \(layerSizes.map(String.init).joined(separator: ","))")
        }
        guard layerSizes.allSatisfy({ $0 > 0 }) else {
            throw ConfigurationError("layers: every width must be positive; got \(layerSizes.map(String.init).joined(separator: ","))")
        }
        guard activations.count == layerSizes.count - 1 else {
            throw ConfigurationError("expected \(layerSizes.count - 1) activations for \(layerSizes.count) layer sizes, got \(activations.count)")
        }
        for (index, activation) in activations.dropLast().enumerated() where activation == .softmax {
            throw ConfigurationError("softmax is for the output layer only; layer \(index + 1) is hidden")
        }
        guard let output = activations.last, loss.accepts(outputActivation: output) else {
            throw ConfigurationError("loss \(loss) needs outputs in (0, 1): use a sigmoid or softmax output activation, not \(activations.last!.name)")
        }
        for (index, activation) in activations.enumerated() {
            if case .leakyReLU(let slope) = activation, !(slope.isFinite && slope >= 0 && slope < 1) {
                throw ConfigurationError("leaky-relu slope must be in [0, 1), got \(slope) for layer \(index + 1)")
            }
        }
        // Checked before anything is allocated: a count that overflows, or parameters
        // that alone cannot fit in memory, would otherwise trap in the allocator.
        // A ConfigurationError like the other checks, so every caller reports it as one.
        do {
            let count = Self.parameterCount(layerSizes).map { "\($0) float32 parameters" } ?? "a parameter count past 2^63"
            try MemoryBudget.check(Self.parameterBytes(layerSizes),
                                   for: "layers \(layerSizes.map(String.init).joined(separator: ",")) (\(count))")
        } catch let error as MemoryError {
            throw ConfigurationError(error.description)
        }
        self.layerSizes = layerSizes
        self.activations = activations
        self.loss = loss
    }

    public var inputWidth: Int { layerSizes[0] }
    public var outputWidth: Int { layerSizes[layerSizes.count - 1] }
    public var outputActivation: Activation { activations[activations.count - 1] }

    /// Multiply-adds in one example's forward pass: Σ n[l]·n[l-1].
    public var weightCount: Int {
        (1..<layerSizes.count).reduce(0) { $0 + layerSizes[$1] * layerSizes[$1 - 1] }
    }

    /// Σ n[l]·n[l-1] + n[l]: weights and biases, or nil if the count overflows `Int`.
    static func parameterCount(_ layerSizes: [Int]) -> Int? {
        MemoryBudget.sum(layerSizes.indices.dropFirst().map { l in
            MemoryBudget.sum([MemoryBudget.product([layerSizes[l], layerSizes[l - 1]]), layerSizes[l]])
        })
    }

    /// Bytes of the parameters as float32: the least any use of the network needs
    /// (training needs several times more: gradients, optimizer state, activations).
    static func parameterBytes(_ layerSizes: [Int]) -> Int? {
        parameterCount(layerSizes).flatMap { MemoryBudget.product([$0, MemoryLayout<Float>.size]) }
    }

    public var description: String {
        let widths = layerSizes.map(String.init).joined(separator: "-")
        let acts = activations.map(\.description).joined(separator: ",")
        return "\(widths) [\(acts)] loss=\(loss)"
    }
}
