// Reads a checkpoint back, checking every piece against what the layout
// promises, so a damaged or foreign file is a one-line error and never a crash.

import HDF5

extension Checkpoint {
    /// Reads the checkpoint at `path`.
    public static func read(from path: String) throws -> Checkpoint {
        let file: HDF5File
        do {
            file = try HDF5File(path: path, mode: .readOnly)
        } catch let error as HDF5Error {
            throw CheckpointError(file: path, "cannot be read as a checkpoint: \(error.message)")
        }
        defer { file.close() }
        do {
            return try CheckpointReader(file: file).read()
        } catch let error as HDF5Error {
            let object = error.object.map { "\($0): " } ?? ""
            throw CheckpointError(file: path, "damaged or incomplete checkpoint: \(object)\(error.message)")
        }
    }
}

/// Reads the pieces of one open checkpoint file.
private struct CheckpointReader {
    let file: HDF5File
    var path: String { file.path }

    func fail(_ message: String) -> CheckpointError { CheckpointError(file: path, message) }

    func read() throws -> Checkpoint {
        guard file.hasAttribute("format"), try file.stringAttribute("format") == Checkpoint.formatName else {
            throw fail("not a Backprop checkpoint (no format = \"\(Checkpoint.formatName)\" attribute)")
        }
        let version = try file.intAttribute("format_version")
        guard version <= Checkpoint.formatVersion else {
            throw fail("written in checkpoint format \(version), newer than this backprop reads (\(Checkpoint.formatVersion)); upgrade backprop")
        }
        let architecture = try readArchitecture()
        let parameters = try readLayers(under: "model", architecture: architecture)
        guard file.contains("training") else { throw fail("missing group training") }
        let configuration = try readConfiguration()
        var state = TrainingState(parameters: parameters, optimizerState: [])
        state.globalStep = try file.intAttribute("global_step", of: "training")
        var dataset: String?, log: String?, checkpointEvery: Int?, keep = 0
        if let configuration {
            state.optimizerState = try readOptimizerState(configuration.optimizer, architecture: architecture)
            let t = "training"
            state.epochsDone = try file.intAttribute("epochs_done", of: t)
            state.stepInEpoch = try file.intAttribute("step_in_epoch", of: t)
            state.epochLossSum = try file.doubleAttribute("epoch_loss_sum", of: t)
            state.epochCorrect = try file.intAttribute("epoch_correct", of: t)
            state.epochExamples = try file.intAttribute("epoch_examples", of: t)
            state.epochSeconds = try file.doubleAttribute("epoch_seconds", of: t)
            state.epochOrder = try file.dataset("training/epoch_order").read(as: Int32.self)
            guard state.epochsDone >= 0, state.stepInEpoch >= 0, state.globalStep >= 0,
                  (state.stepInEpoch == 0) == state.epochOrder.isEmpty else {
                throw fail("training position is inconsistent (epochs_done \(state.epochsDone), step_in_epoch \(state.stepInEpoch), \(state.epochOrder.count) rows in epoch_order)")
            }
            state.history = try readHistory()
            let best = try file.doubleAttribute("best_validation_loss", of: t)
            state.bestValidationLoss = best.isNaN ? nil : best
            state.epochsSinceBest = try file.intAttribute("epochs_since_best", of: t)
            state.stoppedEarly = try file.intAttribute("stopped_early", of: t) != 0
            if file.contains("training/best") {
                state.bestParameters = try readLayers(under: "training/best", architecture: architecture)
            }
            dataset = file.hasAttribute("dataset", on: t) ? try file.stringAttribute("dataset", of: t) : nil
            log = file.hasAttribute("log", on: t) ? try file.stringAttribute("log", of: t) : nil
            let every = try file.intAttribute("checkpoint_every", of: t)
            checkpointEvery = every > 0 ? every : nil
            keep = max(0, try file.intAttribute("keep", of: t))
        }
        return Checkpoint(architecture: architecture, configuration: configuration, state: state, dataset: dataset, log: log,
                          checkpointEvery: checkpointEvery, keep: keep)
    }

    func readArchitecture() throws -> Architecture {
        guard file.contains("model") else { throw fail("missing group model") }
        let sizes = try file.intsAttribute("layer_sizes", of: "model")
        let names = try file.stringsAttribute("activations", of: "model")
        let slopes = try file.doublesAttribute("leaky_slopes", of: "model")
        let lossName = try file.stringAttribute("loss", of: "model")
        guard names.count == slopes.count else {
            throw fail("model has \(names.count) activations but \(slopes.count) leaky slopes")
        }
        let activations = try zip(names, slopes).map { name, slope in
            guard let activation = Activation(name: name, leakySlope: slope) else {
                throw fail("unknown activation '\(name)' in model/activations")
            }
            return activation
        }
        guard let loss = Loss(name: lossName) else { throw fail("unknown loss '\(lossName)' in model/loss") }
        do {
            return try Architecture(layerSizes: sizes, activations: activations, loss: loss)
        } catch let error as ConfigurationError {
            throw fail("model attributes do not describe a network: \(error.message)")
        }
    }

    /// Reads `group/layer{l}/W` and `b` into one flat buffer, checking every shape and value.
    func readLayers(under group: String, architecture: Architecture) throws -> [Float] {
        let layout = ParameterLayout(architecture)
        var values = [Float](repeating: 0, count: layout.count)
        for (index, layer) in layout.layers.enumerated() {
            for (name, range, shape) in [("W", layer.weights, [layer.outputs, layer.inputs]), ("b", layer.biases, [layer.outputs])] {
                let object = "\(group)/layer\(index + 1)/\(name)"
                guard file.contains(object) else { throw fail("missing dataset \(object)") }
                let dataset = try file.dataset(object)
                guard dataset.shape == shape else {
                    throw fail("\(object) has shape \(dataset.shape); expected \(shape) for layers \(architecture.layerSizes)")
                }
                let read = try dataset.read(as: Float.self)
                if let bad = read.firstIndex(where: { !$0.isFinite }) {
                    throw fail("\(object) element \(bad) is \(read[bad]); expected finite values")
                }
                values.replaceSubrange(range, with: read)
            }
        }
        return values
    }

    func readOptimizerState(_ optimizer: any Optimizer, architecture: Architecture) throws -> [Float] {
        guard file.contains("optimizer") else { throw fail("missing group optimizer") }
        let names = try file.stringsAttribute("state_names", of: "optimizer")
        guard names == optimizer.stateNames else {
            throw fail("optimizer state \(names) does not match \(optimizer.name)'s \(optimizer.stateNames)")
        }
        return try names.flatMap { try readLayers(under: "optimizer/\($0)", architecture: architecture) }
    }

    func readConfiguration() throws -> TrainingConfiguration? {
        let t = "training"
        guard file.hasAttribute("learning_rate", on: t) else { return nil }
        var c = TrainingConfiguration()
        let optimizer = try file.stringAttribute("optimizer", of: t)
        guard let kind = OptimizerKind(rawValue: optimizer) else { throw fail("unknown optimizer '\(optimizer)'") }
        c.optimizerKind = kind
        c.learningRate = try file.doubleAttribute("learning_rate", of: t)
        c.momentum = try file.doubleAttribute("momentum", of: t)
        c.nesterov = try file.intAttribute("nesterov", of: t) != 0
        c.beta1 = try file.doubleAttribute("beta1", of: t)
        c.beta2 = try file.doubleAttribute("beta2", of: t)
        c.epsilon = try file.doubleAttribute("epsilon", of: t)
        c.weightDecay = try file.doubleAttribute("weight_decay", of: t)
        c.rho = try file.doubleAttribute("rho", of: t)
        switch try file.stringAttribute("schedule", of: t) {
        case "constant": c.schedule = .constant
        case "step":
            c.schedule = .step(everyEpochs: try file.intAttribute("decay_epochs", of: t), gamma: try file.doubleAttribute("gamma", of: t))
        case "exponential": c.schedule = .exponential(gamma: try file.doubleAttribute("gamma", of: t))
        case "cosine": c.schedule = .cosine(minimum: try file.doubleAttribute("min_learning_rate", of: t))
        case let other: throw fail("unknown learning-rate schedule '\(other)'")
        }
        c.warmupSteps = try file.intAttribute("warmup_steps", of: t)
        let span = try file.intAttribute("schedule_steps", of: t)
        c.scheduleSteps = span < 0 ? nil : span
        c.l2 = try file.doubleAttribute("l2", of: t)
        let clip = try file.doubleAttribute("clip_grad_norm", of: t)
        c.clipGradientNorm = clip > 0 ? clip : nil
        c.validationSplit = try file.doubleAttribute("validation_split", of: t)
        let patience = try file.intAttribute("early_stopping", of: t)
        c.earlyStoppingPatience = patience > 0 ? patience : nil
        c.batchSize = try file.intAttribute("batch_size", of: t)
        c.microBatch = try file.intAttribute("micro_batch", of: t)
        c.epochs = try file.intAttribute("epochs", of: t)
        let maxSteps = try file.intAttribute("max_steps", of: t)
        c.maxSteps = maxSteps < 0 ? nil : maxSteps
        guard let seed = UInt64(try file.stringAttribute("seed", of: t)) else {
            throw fail("training/seed is not an unsigned integer")
        }
        c.seed = seed
        c.shuffle = try file.intAttribute("shuffle", of: t) != 0
        let initialization = try file.stringAttribute("initialization", of: t)
        guard let known = Initialization(rawValue: initialization) else { throw fail("unknown initialization '\(initialization)'") }
        c.initialization = known
        c.workers = try file.intAttribute("workers", of: t)
        do {
            try c.validate()
        } catch let error as ConfigurationError {
            throw fail("training settings are invalid: \(error.message)")
        }
        return c
    }

    func readHistory() throws -> [EpochRecord] {
        var columns: [String: [Double]] = [:]
        for (name, _) in EpochRecord.columns {
            guard file.contains("history/\(name)") else { throw fail("missing dataset history/\(name)") }
            columns[name] = try file.dataset("history/\(name)").read(as: Double.self)
        }
        let n = columns["epoch"]!.count
        guard columns.values.allSatisfy({ $0.count == n }) else { throw fail("history columns differ in length") }
        func value(_ name: String, _ i: Int) -> Double { columns[name]![i] }
        func optional(_ name: String, _ i: Int) -> Double? { value(name, i).isNaN ? nil : value(name, i) }
        return (0..<n).map { i in
            var record = EpochRecord(
                epoch: Int(value("epoch", i)), step: Int(value("step", i)),
                trainLoss: value("train_loss", i), trainAccuracy: value("train_accuracy", i),
                testLoss: optional("test_loss", i), testAccuracy: optional("test_accuracy", i),
                samplesPerSecond: value("samples_per_second", i), seconds: value("seconds", i),
                learningRate: value("learning_rate", i))
            record.validationLoss = optional("validation_loss", i)
            record.validationAccuracy = optional("validation_accuracy", i)
            return record
        }
    }
}
