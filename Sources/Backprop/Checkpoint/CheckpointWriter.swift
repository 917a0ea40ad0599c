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
            try writeOptimizer(to: file)
            try writeTraining(to: file)
            try writeHistory(to: file)
            try file.flush()
        }
    }

    /// Writes a flat buffer laid out by `ParameterLayout` as `group/layer{l}/W` and `b`.
    private func writeLayers(_ values: ArraySlice<Float>, under group: String, to file: HDF5File) throws {
        let base = values.startIndex
        for (index, layer) in ParameterLayout(architecture).layers.enumerated() {
            let prefix = "\(group)/layer\(index + 1)"
            try file.write(Array(values[(base + layer.weights.lowerBound)..<(base + layer.weights.upperBound)]),
                           shape: [layer.outputs, layer.inputs], to: "\(prefix)/W")
            try file.write(Array(values[(base + layer.biases.lowerBound)..<(base + layer.biases.upperBound)]),
                           shape: [layer.outputs], to: "\(prefix)/b")
        }
    }

    private func writeModel(to file: HDF5File) throws {
        try file.createGroup("model")
        try file.setAttribute("layer_sizes", architecture.layerSizes, on: "model")
        try file.setAttribute("activations", architecture.activations.map(\.name), on: "model")
        try file.setAttribute("leaky_slopes", architecture.activations.map(\.leakySlope), on: "model")
        try file.setAttribute("loss", architecture.loss.rawValue, on: "model")
        try writeLayers(state.parameters[...], under: "model", to: file)
    }

    private func writeOptimizer(to file: HDF5File) throws {
        guard let configuration else { return }
        let optimizer = configuration.optimizer
        try file.createGroup("optimizer")
        try file.setAttribute("name", optimizer.name, on: "optimizer")
        try file.setAttribute("state_names", optimizer.stateNames, on: "optimizer")
        let count = state.parameters.count
        guard state.optimizerState.count == optimizer.stateCount * count else { return }
        for (index, name) in optimizer.stateNames.enumerated() {
            try writeLayers(state.optimizerState[(index * count)..<((index + 1) * count)], under: "optimizer/\(name)", to: file)
        }
    }

    private func writeTraining(to file: HDF5File) throws {
        try file.createGroup("training")
        let t = "training"
        try file.setAttribute("global_step", state.globalStep, on: t)
        guard let c = configuration else { return }
        try file.setAttribute("optimizer", c.optimizerKind.rawValue, on: t)
        try file.setAttribute("learning_rate", c.learningRate, on: t)
        try file.setAttribute("momentum", c.momentum, on: t)
        try file.setAttribute("nesterov", c.nesterov ? 1 : 0, on: t)
        try file.setAttribute("beta1", c.beta1, on: t)
        try file.setAttribute("beta2", c.beta2, on: t)
        try file.setAttribute("epsilon", c.epsilon, on: t)
        try file.setAttribute("weight_decay", c.weightDecay, on: t)
        try file.setAttribute("rho", c.rho, on: t)
        try file.setAttribute("schedule", c.schedule.name, on: t)
        switch c.schedule {
        case .constant: break
        case .step(let every, let gamma):
            try file.setAttribute("decay_epochs", every, on: t)
            try file.setAttribute("gamma", gamma, on: t)
        case .exponential(let gamma):
            try file.setAttribute("gamma", gamma, on: t)
        case .cosine(let minimum):
            try file.setAttribute("min_learning_rate", minimum, on: t)
        }
        try file.setAttribute("warmup_steps", c.warmupSteps, on: t)
        try file.setAttribute("schedule_steps", c.scheduleSteps ?? -1, on: t)
        try file.setAttribute("l2", c.l2, on: t)
        try file.setAttribute("clip_grad_norm", c.clipGradientNorm ?? 0, on: t)
        try file.setAttribute("validation_split", c.validationSplit, on: t)
        try file.setAttribute("early_stopping", c.earlyStoppingPatience ?? 0, on: t)
        try file.setAttribute("batch_size", c.batchSize, on: t)
        try file.setAttribute("micro_batch", c.microBatch ?? TrainingConfiguration.defaultMicroBatch(batchSize: c.batchSize), on: t)
        try file.setAttribute("epochs", c.epochs, on: t)
        try file.setAttribute("max_steps", c.maxSteps ?? -1, on: t)
        // The seed is stored as text: it is a UInt64 and HDF5 attributes here are Int64.
        try file.setAttribute("seed", String(c.seed), on: t)
        try file.setAttribute("shuffle", c.shuffle ? 1 : 0, on: t)
        try file.setAttribute("initialization", c.initialization.rawValue, on: t)
        try file.setAttribute("workers", c.workers, on: t)
        if let dataset { try file.setAttribute("dataset", dataset, on: t) }
        if let log { try file.setAttribute("log", log, on: t) }
        try file.setAttribute("checkpoint_every", checkpointEvery ?? 0, on: t)
        try file.setAttribute("keep", keep, on: t)
        // The position within the run.
        try file.setAttribute("epochs_done", state.epochsDone, on: t)
        try file.setAttribute("step_in_epoch", state.stepInEpoch, on: t)
        try file.setAttribute("epoch_loss_sum", state.epochLossSum, on: t)
        try file.setAttribute("epoch_correct", state.epochCorrect, on: t)
        try file.setAttribute("epoch_examples", state.epochExamples, on: t)
        try file.setAttribute("epoch_seconds", state.epochSeconds, on: t)
        try file.write(state.epochOrder, shape: [state.epochOrder.count], to: "training/epoch_order")
        // Early stopping's memory: the best validation loss, the epochs since, and its parameters.
        try file.setAttribute("best_validation_loss", state.bestValidationLoss ?? .nan, on: t)
        try file.setAttribute("epochs_since_best", state.epochsSinceBest, on: t)
        try file.setAttribute("stopped_early", state.stoppedEarly ? 1 : 0, on: t)
        if !state.bestParameters.isEmpty {
            try writeLayers(state.bestParameters[...], under: "training/best", to: file)
        }
    }

    private func writeHistory(to file: HDF5File) throws {
        try file.createGroup("history")
        let history = state.history
        for (name, value) in EpochRecord.columns {
            try file.write(history.map(value), shape: [history.count], to: "history/\(name)")
        }
    }
}

extension EpochRecord {
    /// The history columns of a checkpoint: name and value of each record.
    /// A missing test or validation figure is stored as NaN.
    static let columns: [(String, @Sendable (EpochRecord) -> Double)] = [
        ("epoch", { Double($0.epoch) }), ("step", { Double($0.step) }),
        ("train_loss", { $0.trainLoss }), ("train_accuracy", { $0.trainAccuracy }),
        ("test_loss", { $0.testLoss ?? .nan }), ("test_accuracy", { $0.testAccuracy ?? .nan }),
        ("validation_loss", { $0.validationLoss ?? .nan }), ("validation_accuracy", { $0.validationAccuracy ?? .nan }),
        ("samples_per_second", { $0.samplesPerSecond }), ("seconds", { $0.seconds }),
        ("learning_rate", { $0.learningRate }),
    ]
}

extension Activation {
    /// The slope of leaky ReLU, 0 for every other activation.
    var leakySlope: Double {
        if case .leakyReLU(let slope) = self { return slope }
        return 0
    }
}
