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
        let isRun = file.hasAttribute(TrainingAttribute.marksTrainingRun, on: "training")
        var record = try readTrainingAttributes(includingSettings: isRun)
        record.state.parameters = parameters
        guard isRun else {
            return Checkpoint(architecture: architecture, configuration: nil, state: record.state)
        }
        do {
            try record.configuration.validate()
        } catch let error as ConfigurationError {
            throw fail("training settings are invalid: \(error.message)")
        }
        var state = record.state
        state.optimizerState = try readOptimizerState(record.configuration.optimizer, architecture: architecture)
        state.epochOrder = try file.dataset("training/epoch_order").read(as: Int32.self)
        guard state.epochsDone >= 0, state.stepInEpoch >= 0, state.globalStep >= 0,
              (state.stepInEpoch == 0) == state.epochOrder.isEmpty else {
            throw fail("training position is inconsistent (epochs_done \(state.epochsDone), step_in_epoch \(state.stepInEpoch), \(state.epochOrder.count) rows in epoch_order)")
        }
        state.history = try readHistory()
        if file.contains("training/best") {
            state.bestParameters = try readLayers(under: "training/best", architecture: architecture)
        }
        return Checkpoint(architecture: architecture, configuration: record.configuration, state: state,
                          dataset: record.dataset, log: record.log, checkpointEvery: record.checkpointEvery, keep: record.keep)
    }

    /// Restores the attributes of /training row by row from `TrainingAttribute.all`;
    /// a checkpoint of a model alone has only the rows `storedWithModel`.
    func readTrainingAttributes(includingSettings: Bool) throws -> TrainingRecord {
        let t = "training"
        var record = TrainingRecord()
        for attribute in TrainingAttribute.all where includingSettings || attribute.storedWithModel {
            // Required when the record so far would store it: the gamma of a step
            // schedule, not of a cosine one; a dataset path only when present.
            let present = file.hasAttribute(attribute.name, on: t)
            guard present || attribute.value(record) == nil else {
                throw fail("missing attribute training/\(attribute.name)")
            }
            guard present else { continue }
            let value: TrainingAttribute.Value
            switch attribute.kind {
            case .int: value = .int(try file.intAttribute(attribute.name, of: t))
            case .double: value = .double(try file.doubleAttribute(attribute.name, of: t))
            case .string: value = .string(try file.stringAttribute(attribute.name, of: t))
            }
            do {
                try attribute.restore(&record, value)
            } catch {
                throw fail("training/\(attribute.name): \(error.message)")
            }
        }
        return record
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
