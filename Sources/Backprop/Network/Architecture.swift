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
        if case .leakyReLU(let slope) = activations.first(where: { if case .leakyReLU = $0 { true } else { false } }),
           !(slope.isFinite && slope >= 0 && slope < 1) {
            throw ConfigurationError("leaky-relu slope must be in [0, 1), got \(slope)")
        }
        self.layerSizes = layerSizes
        self.activations = activations
        self.loss = loss
    }

    /// L, the number of weight layers.
    public var layerCount: Int { layerSizes.count - 1 }
    public var inputWidth: Int { layerSizes[0] }
    public var outputWidth: Int { layerSizes[layerSizes.count - 1] }
    public var outputActivation: Activation { activations[activations.count - 1] }

    /// Multiply-adds in one example's forward pass: Σ n[l]·n[l-1].
    public var weightCount: Int {
        (1..<layerSizes.count).reduce(0) { $0 + layerSizes[$1] * layerSizes[$1 - 1] }
    }

    public var description: String {
        let widths = layerSizes.map(String.init).joined(separator: "-")
        let acts = activations.map(\.description).joined(separator: ",")
        return "\(widths) [\(acts)] loss=\(loss)"
    }
}
