// Where each layer's W and b live in the one flat parameter buffer. Gradients,
// optimizer state and checkpoints all use the same layout, so a reduction or an
// update is one loop over a range of indices.
//
// Public, unlike the rest of the engine: `Model.parameters` and
// `TrainingState.parameters` are flat arrays in this layout, so a user reading
// them (or a checkpoint) needs it to find W[l] and b[l].

/// The offsets of W[l] (n[l] × n[l-1], row-major) and b[l] (n[l]) for every layer.
public struct ParameterLayout: Hashable, Sendable {
    public struct Layer: Hashable, Sendable {
        public let inputs: Int
        public let outputs: Int
        /// W[l]: `outputs` rows of `inputs` values.
        public let weights: Range<Int>
        public let biases: Range<Int>
    }

    /// Layers 1 … L of the equations, layer l at index l − 1.
    public let layers: [Layer]
    /// The total number of parameters.
    public let count: Int

    public init(_ architecture: Architecture) {
        var offset = 0
        var layers: [Layer] = []
        for l in 1..<architecture.layerSizes.count {
            let inputs = architecture.layerSizes[l - 1], outputs = architecture.layerSizes[l]
            let weights = offset..<(offset + outputs * inputs)
            let biases = weights.upperBound..<(weights.upperBound + outputs)
            layers.append(Layer(inputs: inputs, outputs: outputs, weights: weights, biases: biases))
            offset = biases.upperBound
        }
        self.layers = layers
        self.count = offset
    }

    /// The ranges that hold weights (regularised), in order; biases are the rest.
    var weightRanges: [Range<Int>] { layers.map(\.weights) }
}
