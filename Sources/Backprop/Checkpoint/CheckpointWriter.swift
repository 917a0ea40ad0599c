// Writes a checkpoint atomically: a failed or interrupted write never damages
// the checkpoint already at the path.
//
// The HDF5 file is built in memory (HDF5's core driver) and written to disk by
// AtomicReplace with plain POSIX calls, after a header with the checksum of
// every byte (CheckpointHeader). So HDF5 never does file I/O here: a full disk,
// a quota, a file size limit, an I/O error or a directory that vanished is one
// `SystemCallError` from one `write`, `fsync` or `open`, with the old checkpoint
// untouched and no temporary file left.
//
// Why not let HDF5 write the file: on a full disk, libhdf5 1.10.8's writes and
// flush fail, then H5Fclose fails too and leaves the file open, and at process
// exit its atexit handler (H5_term_library → H5F_term_package → H5F__close_cb)
// tries to close it again and segfaults, after printing its error stack
// (measured with a C program on a 400 KiB tmpfs). In memory, nothing can fail
// that way.

import HDF5

extension Checkpoint {
    /// Writes the checkpoint to `path`, replacing any file there only once the
    /// new one is complete and on disk. The directory must exist.
    ///
    /// - Throws: `SystemCallError` naming `path` when the file cannot be written.
    public func write(to path: String) throws {
        let body = try hdf5Image(named: path)
        let header = CheckpointHeader(format: Checkpoint.formatVersion, sealing: body)
        try AtomicReplace.write([header.bytes, body], to: path)
    }

    /// The checkpoint as an HDF5 file with room for the header before it, in memory.
    func hdf5Image(named path: String) throws -> [UInt8] {
        let file = try HDF5File(inMemoryNamed: path, userBlockSize: CheckpointHeader.size)
        defer { file.close() }
        try file.setAttribute("format", Checkpoint.formatName)
        try file.setAttribute("format_version", Checkpoint.formatVersion)
        try writeModel(to: file)
        try writeOptimizer(to: file)
        try writeTraining(to: file)
        try writeHistory(to: file)
        return try file.image()
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
        try file.setAttribute("input_factor", Double(inputScaling.factor), on: "model")
        if inputScaling.isStandardized {
            let width = architecture.inputWidth
            try file.write(inputScaling.mean, shape: [width], to: "model/input_mean")
            try file.write(inputScaling.deviation, shape: [width], to: "model/input_deviation")
        }
        try writeLayers(state.parameters[...], under: "model", to: file)
    }

    private func writeOptimizer(to file: HDF5File) throws {
        guard let configuration else { return }
        let optimizer = configuration.optimizer
        try file.createGroup("optimizer")
        try file.setAttribute("name", optimizer.name, on: "optimizer")
        try file.setAttribute("state_names", optimizer.stateNames, on: "optimizer")
        let count = state.parameters.count
        precondition(state.optimizerState.count == optimizer.stateCount * count,
                     "optimizer state has \(state.optimizerState.count) values; \(optimizer.name) keeps \(optimizer.stateCount) × \(count)")
        for (index, name) in optimizer.stateNames.enumerated() {
            try writeLayers(state.optimizerState[(index * count)..<((index + 1) * count)], under: "optimizer/\(name)", to: file)
        }
    }

    /// /training: the attributes of `TrainingAttribute.all`, the epoch's row
    /// order, and early stopping's best parameters.
    private func writeTraining(to file: HDF5File) throws {
        let t = "training"
        try file.createGroup(t)
        let record = TrainingRecord(
            configuration: configuration ?? TrainingConfiguration(), state: state,
            dataset: dataset, log: log, checkpointEvery: checkpointEvery, keep: keep)
        for attribute in TrainingAttribute.all where configuration != nil || attribute.storedWithModel {
            switch attribute.value(record) {
            case .int(let x): try file.setAttribute(attribute.name, x, on: t)
            case .double(let x): try file.setAttribute(attribute.name, x, on: t)
            case .string(let x): try file.setAttribute(attribute.name, x, on: t)
            case nil: break
            }
        }
        guard configuration != nil else { return }
        try file.write(state.epochOrder, shape: [state.epochOrder.count], to: "training/epoch_order")
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
        ("data_wait_seconds", { $0.dataWaitSeconds ?? .nan }),
    ]
}

extension Activation {
    /// The slope of leaky ReLU, 0 for every other activation.
    var leakySlope: Double {
        if case .leakyReLU(let slope) = self { return slope }
        return 0
    }
}
