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
            return try read(file)
        } catch let error as HDF5Error {
            let object = error.object.map { "\($0): " } ?? ""
            throw CheckpointError(file: path, "damaged or incomplete checkpoint: \(object)\(error.message)")
        }
    }

    private static func read(_ file: HDF5File) throws -> Checkpoint {
        let path = file.path
        guard file.hasAttribute("format"), try file.stringAttribute("format") == formatName else {
            throw CheckpointError(file: path, "not a Backprop checkpoint (no format = \"\(formatName)\" attribute)")
        }
        let version = try file.intAttribute("format_version")
        guard version <= formatVersion else {
            throw CheckpointError(file: path, "written in checkpoint format \(version), newer than this backprop reads (\(formatVersion)); upgrade backprop")
        }
        let model = try readModel(file)
        var checkpoint = Checkpoint(model: model)
        checkpoint.globalStep = try file.intAttribute("global_step", of: "training")
        checkpoint.configuration = try readConfiguration(file)
        checkpoint.history = try readHistory(file)
        return checkpoint
    }

    private static func readModel(_ file: HDF5File) throws -> Model {
        let path = file.path
        guard file.contains("model") else { throw CheckpointError(file: path, "no model group") }
        let sizes = try file.intsAttribute("layer_sizes", of: "model")
        let names = try file.stringsAttribute("activations", of: "model")
        let slopes = try file.doublesAttribute("leaky_slopes", of: "model")
        let lossName = try file.stringAttribute("loss", of: "model")
        guard names.count == slopes.count else {
            throw CheckpointError(file: path, "model has \(names.count) activations but \(slopes.count) leaky slopes")
        }
        let activations = try zip(names, slopes).map { name, slope in
            guard let activation = Activation(name: name, leakySlope: slope) else {
                throw CheckpointError(file: path, "unknown activation '\(name)' in model/activations")
            }
            return activation
        }
        guard let loss = Loss(name: lossName) else {
            throw CheckpointError(file: path, "unknown loss '\(lossName)' in model/loss")
        }
        let architecture: Architecture
        do {
            architecture = try Architecture(layerSizes: sizes, activations: activations, loss: loss)
        } catch let error as ConfigurationError {
            throw CheckpointError(file: path, "model attributes do not describe a network: \(error.message)")
        }
        let layout = ParameterLayout(architecture)
        var parameters = [Float](repeating: 0, count: layout.count)
        for (index, layer) in layout.layers.enumerated() {
            for (name, range, shape) in [("W", layer.weights, [layer.outputs, layer.inputs]), ("b", layer.biases, [layer.outputs])] {
                let object = "model/layer\(index + 1)/\(name)"
                guard file.contains(object) else { throw CheckpointError(file: path, "missing dataset \(object)") }
                let dataset = try file.dataset(object)
                guard dataset.shape == shape else {
                    throw CheckpointError(file: path, "\(object) has shape \(dataset.shape); expected \(shape) for layers \(sizes)")
                }
                let values = try dataset.read(as: Float.self)
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw CheckpointError(file: path, "\(object) element \(bad) is \(values[bad]); expected finite parameters")
                }
                parameters.replaceSubrange(range, with: values)
            }
        }
        return Model(architecture: architecture, parameters: parameters)
    }

    private static func readConfiguration(_ file: HDF5File) throws -> TrainingConfiguration? {
        guard file.hasAttribute("learning_rate", on: "training") else { return nil }
        var c = TrainingConfiguration()
        c.learningRate = try file.doubleAttribute("learning_rate", of: "training")
        c.momentum = try file.doubleAttribute("momentum", of: "training")
        c.nesterov = try file.intAttribute("nesterov", of: "training") != 0
        c.l2 = try file.doubleAttribute("l2", of: "training")
        c.batchSize = try file.intAttribute("batch_size", of: "training")
        c.microBatch = try file.intAttribute("micro_batch", of: "training")
        c.epochs = try file.intAttribute("epochs", of: "training")
        guard let seed = UInt64(try file.stringAttribute("seed", of: "training")) else {
            throw CheckpointError(file: file.path, "training/seed is not an unsigned integer")
        }
        c.seed = seed
        c.shuffle = try file.intAttribute("shuffle", of: "training") != 0
        c.initialization = Initialization(rawValue: try file.stringAttribute("initialization", of: "training")) ?? .auto
        return c
    }

    private static func readHistory(_ file: HDF5File) throws -> [EpochRecord] {
        guard file.contains("history/epoch") else { return [] }
        func column(_ name: String) throws -> [Double] { try file.dataset("history/\(name)").read(as: Double.self) }
        let epoch = try column("epoch"), step = try column("step")
        let trainLoss = try column("train_loss"), trainAccuracy = try column("train_accuracy")
        let testLoss = try column("test_loss"), testAccuracy = try column("test_accuracy")
        let rate = try column("samples_per_second"), seconds = try column("seconds"), learningRate = try column("learning_rate")
        let n = epoch.count
        guard [step, trainLoss, trainAccuracy, testLoss, testAccuracy, rate, seconds, learningRate].allSatisfy({ $0.count == n }) else {
            throw CheckpointError(file: file.path, "history columns differ in length")
        }
        return (0..<n).map { i in
            EpochRecord(
                epoch: Int(epoch[i]), step: Int(step[i]), trainLoss: trainLoss[i], trainAccuracy: trainAccuracy[i],
                testLoss: testLoss[i].isNaN ? nil : testLoss[i], testAccuracy: testAccuracy[i].isNaN ? nil : testAccuracy[i],
                samplesPerSecond: rate[i], seconds: seconds[i], learningRate: learningRate[i])
        }
    }
}
