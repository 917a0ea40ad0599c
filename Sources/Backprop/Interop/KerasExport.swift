// A model as a Keras 3 `.keras` file: a stored zip of config.json (a Sequential
// model), model.weights.h5 and metadata.json, which `keras.saving.load_model`
// reads. The input scaling becomes a Rescaling layer (the uint8 factor) and a
// Normalization layer with the stored μ and σ² (no weights); each Backprop
// layer a Dense, whose kernel is in × out (Wᵀ) in /layers/dense, dense_1, …
// (Keras names the groups after the class and a counter, not the layer's name).
// Leaky ReLU is a linear Dense plus a LeakyReLU layer with the model's slope:
// Keras's "leaky_relu" activation string would mean slope 0.2.

import Foundation
import HDF5

extension Model {
    /// The model as the bytes of a .keras file; `name` names the weights file in HDF5 errors.
    public func keras(name: String = "model.keras") throws -> [UInt8] {
        var zip = ZipWriter()
        try zip.add("metadata.json", Array(#"{"keras_version": "3.0.0", "date_saved": "backprop"}"#.utf8))
        try zip.add("config.json", Array(kerasConfig().utf8))
        try zip.add("model.weights.h5", try kerasWeights(name: name))
        return zip.finished()
    }

    func kerasConfig() -> String {
        func json(_ value: Any) -> String {
            let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        var layers: [[String: Any]] = [
            ["class_name": "InputLayer", "config": ["batch_shape": [NSNull(), architecture.inputWidth], "dtype": "float32", "name": "input"]],
        ]
        if inputScaling.factor != 1 {
            layers.append(["class_name": "Rescaling", "config": ["name": "input_factor", "scale": Double(inputScaling.factor), "offset": 0.0]])
        }
        if inputScaling.isStandardized {
            layers.append(["class_name": "Normalization", "config": [
                "name": "input_standardization", "axis": -1,
                "mean": inputScaling.mean.map(Double.init),
                "variance": inputScaling.deviation.map { Double($0) * Double($0) },
            ]])
        }
        for (index, activation) in architecture.activations.enumerated() {
            let l = index + 1
            let keras: String = switch activation {
            case .identity, .leakyReLU: "linear"
            case .sigmoid: "sigmoid"
            case .tanh: "tanh"
            case .relu: "relu"
            case .softmax: "softmax"
            }
            layers.append(["class_name": "Dense", "config": [
                "name": "layer\(l)", "units": architecture.layerSizes[l], "activation": keras, "use_bias": true,
            ]])
            if case .leakyReLU(let slope) = activation {
                layers.append(["class_name": "LeakyReLU", "config": ["name": "layer\(l)_leaky_relu", "negative_slope": slope]])
            }
        }
        return json([
            "module": "keras", "class_name": "Sequential",
            "config": ["name": "backprop_mlp", "layers": layers],
            "build_config": ["input_shape": [NSNull(), architecture.inputWidth]],
        ])
    }

    /// model.weights.h5: /layers/dense{_k}/vars/0 = W[l]ᵀ (n[l-1] × n[l]), vars/1 = b[l].
    func kerasWeights(name: String) throws -> [UInt8] {
        let file = try HDF5File(inMemoryNamed: name + "/model.weights.h5")
        defer { file.close() }
        try file.createGroup("layers")
        for l in 1..<architecture.layerSizes.count {
            let (inputs, outputs) = (architecture.layerSizes[l - 1], architecture.layerSizes[l])
            let group = l == 1 ? "layers/dense" : "layers/dense_\(l - 1)"
            try file.createGroup(group)
            try file.createGroup("\(group)/vars")
            let w = weights(layer: l)
            var kernel = [Float](repeating: 0, count: inputs * outputs)
            for o in 0..<outputs { for i in 0..<inputs { kernel[i * outputs + o] = w[w.startIndex + o * inputs + i] } }
            try file.write(kernel, shape: [inputs, outputs], to: "\(group)/vars/0")
            try file.write(Array(biases(layer: l)), shape: [outputs], to: "\(group)/vars/1")
        }
        return try file.image()
    }
}
