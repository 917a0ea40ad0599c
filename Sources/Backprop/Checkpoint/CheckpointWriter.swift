// Writes a checkpoint atomically: a failed or interrupted write never damages
// the checkpoint already at the path.

import HDF5

extension Checkpoint {
    /// Writes the checkpoint to `path`, replacing any file there only once the
    /// new one is complete and on disk.
    public func write(to path: String) throws {
        try AtomicReplace.write(to: path) { temporary in
            let file = try HDF5File(path: temporary, mode: .truncate)
            defer { file.close() }
            try file.setAttribute("format", Checkpoint.formatName)
            try file.setAttribute("format_version", Checkpoint.formatVersion)
            try writeModel(to: file)
            try writeTraining(to: file)
            try writeHistory(to: file)
            try file.flush()
        }
    }

    private func writeModel(to file: HDF5File) throws {
        let architecture = model.architecture
        try file.createGroup("model")
        try file.setAttribute("layer_sizes", architecture.layerSizes, on: "model")
        try file.setAttribute("activations", architecture.activations.map(\.name), on: "model")
        try file.setAttribute("leaky_slopes", architecture.activations.map(\.leakySlope), on: "model")
        try file.setAttribute("loss", architecture.loss.rawValue, on: "model")
        let layout = ParameterLayout(architecture)
        for (index, layer) in layout.layers.enumerated() {
            let group = "model/layer\(index + 1)"
            try file.write(Array(model.parameters[layer.weights]), shape: [layer.outputs, layer.inputs], to: "\(group)/W")
            try file.write(Array(model.parameters[layer.biases]), shape: [layer.outputs], to: "\(group)/b")
        }
    }

    private func writeTraining(to file: HDF5File) throws {
        try file.createGroup("training")
        try file.setAttribute("global_step", globalStep, on: "training")
        guard let c = configuration else { return }
        try file.setAttribute("optimizer", c.optimizer.name, on: "training")
        try file.setAttribute("learning_rate", c.learningRate, on: "training")
        try file.setAttribute("momentum", c.momentum, on: "training")
        try file.setAttribute("nesterov", c.nesterov ? 1 : 0, on: "training")
        try file.setAttribute("l2", c.l2, on: "training")
        try file.setAttribute("batch_size", c.batchSize, on: "training")
        try file.setAttribute("micro_batch", c.microBatch, on: "training")
        try file.setAttribute("epochs", c.epochs, on: "training")
        // The seed is stored as text: it is a UInt64 and HDF5 attributes here are Int64.
        try file.setAttribute("seed", String(c.seed), on: "training")
        try file.setAttribute("shuffle", c.shuffle ? 1 : 0, on: "training")
        try file.setAttribute("initialization", c.initialization.rawValue, on: "training")
    }

    private func writeHistory(to file: HDF5File) throws {
        try file.createGroup("history")
        let columns: [(String, (EpochRecord) -> Double)] = [
            ("epoch", { Double($0.epoch) }), ("step", { Double($0.step) }),
            ("train_loss", \.trainLoss), ("train_accuracy", \.trainAccuracy),
            ("test_loss", { $0.testLoss ?? .nan }), ("test_accuracy", { $0.testAccuracy ?? .nan }),
            ("samples_per_second", \.samplesPerSecond), ("seconds", \.seconds),
            ("learning_rate", \.learningRate),
        ]
        for (name, value) in columns {
            try file.write(history.map(value), shape: [history.count], to: "history/\(name)")
        }
    }
}

extension Activation {
    /// The slope of leaky ReLU, 0 for every other activation.
    var leakySlope: Double {
        if case .leakyReLU(let slope) = self { return slope }
        return 0
    }
}
