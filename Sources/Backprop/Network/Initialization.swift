// Seeded initial weights. Biases start at zero.
//
//   He (Kaiming) uniform, for ReLU-family layers:    W ~ U(−√(6/n_in), √(6/n_in))
//   Glorot (Xavier) uniform, for the others:          W ~ U(−√(6/(n_in+n_out)), √(6/(n_in+n_out)))

/// How initial weights are drawn.
public enum Initialization: String, Sendable, CaseIterable {
    /// He for ReLU and leaky ReLU layers, Glorot for the rest.
    case auto
    case he
    case glorot

    /// Fresh parameters for `architecture`, drawn from `seed`, laid out by `ParameterLayout`.
    public func parameters(for architecture: Architecture, seed: UInt64) -> [Float] {
        parameters(for: architecture, seed: seed, as: Float.self)
    }

    /// The same draws in any BLAS scalar type (Double for the gradient checks).
    func parameters<S: BLASScalar>(
        for architecture: Architecture, seed: UInt64, as: S.Type = S.self
    ) -> [S] {
        let layout = ParameterLayout(architecture)
        var parameters = [S](repeating: 0, count: layout.count)
        var generator = RandomGenerator(seed: seed, stream: RandomStream.initialization)
        for (index, layer) in layout.layers.enumerated() {
            let limit = self.limit(for: architecture.activations[index], inputs: layer.inputs, outputs: layer.outputs)
            for i in layer.weights { parameters[i] = S(generator.nextUniform(limit: limit)) }
        }
        return parameters
    }

    func limit(for activation: Activation, inputs: Int, outputs: Int) -> Double {
        let useHe: Bool
        switch self {
        case .he: useHe = true
        case .glorot: useHe = false
        case .auto:
            switch activation {
            case .relu, .leakyReLU: useHe = true
            default: useHe = false
            }
        }
        return useHe ? (6.0 / Double(inputs)).squareRoot() : (6.0 / Double(inputs + outputs)).squareRoot()
    }
}

/// The named streams of the seeded generator, one per purpose.
enum RandomStream {
    static let initialization: UInt64 = 1
    static let validationSplit: UInt64 = 2
    /// Epoch e shuffles with stream `shuffleBase + e`.
    static let shuffleBase: UInt64 = 1 << 32
    /// A streamed epoch e orders its blocks with stream `streamBlocksBase + e`
    /// and draws its rows with `streamRowsBase + e`.
    static let streamBlocksBase: UInt64 = 2 << 32
    static let streamRowsBase: UInt64 = 3 << 32
    /// `rechunk --shuffle-rows`: the bucket of each row, then the order within bucket b.
    static let rechunkBuckets: UInt64 = 3
    static let rechunkRowsBase: UInt64 = 4 << 32
}
