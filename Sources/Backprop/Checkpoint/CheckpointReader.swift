// Reads a checkpoint back. From format 2 on, the file's header (CheckpointHeader)
// is checked against every byte before HDF5 parses any, so a damaged file is
// refused in one line and an intact one reads back exactly what was written;
// format 1 files, which have no header, are read as they are. Then every piece
// is checked against what the layout promises.

import Glibc
import HDF5

extension Checkpoint {
    /// Reads the checkpoint at `path`.
    ///
    /// - Throws: `CheckpointError`, one line naming the file: unreadable, not a
    ///   checkpoint, "checksum mismatch", of a newer format, or missing or
    ///   misshapen pieces.
    public static func read(from path: String) throws -> Checkpoint {
        let (file, headerFormat) = try openChecked(path)
        return try read(file, headerFormat: headerFormat)
    }

    /// Reads a checkpoint from `contents`, the bytes of a whole file, as
    /// `read(from:)` reads one from disk; `path` names it in errors.
    static func read(contents: [UInt8], path: String) throws -> Checkpoint {
        let file: HDF5File, headerFormat: Int?
        switch try kind(of: contents, path: path) {
        case .withoutHeader:
            do {
                file = try HDF5File(image: contents, name: path)
            } catch let error as HDF5Error {
                throw CheckpointError(file: path, "cannot be read as a checkpoint: \(error.message)")
            }
            headerFormat = nil
        case .withHeader(let header):
            (file, headerFormat) = try openChecked(contents, header: header, path: path)
        case .neither:
            throw CheckpointError(file: path, "cannot be read as a checkpoint: not an HDF5 file")
        }
        return try read(file, headerFormat: headerFormat)
    }

    private static func read(_ file: HDF5File, headerFormat: Int?) throws -> Checkpoint {
        defer { file.close() }
        do {
            return try CheckpointReader(file: file, headerFormat: headerFormat).read()
        } catch let error as HDF5Error {
            let object = error.object.map { "\($0): " } ?? ""
            throw CheckpointError(file: file.path, "damaged or incomplete checkpoint: \(object)\(error.message)")
        }
    }

    /// The 8 bytes every HDF5 superblock starts with.
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    enum Kind {
        /// Format 1: HDF5 from the first byte.
        case withoutHeader
        /// Format 2 on: a header, parsed (not yet checked against the bytes after it).
        case withHeader(CheckpointHeader)
        /// Neither, not even damaged.
        case neither
    }

    /// What the file starting with `head` (its first 1 KiB or more) is.
    ///
    /// A header is recognised by its first line or, should that be damaged, by
    /// the HDF5 signature right after it; a file of either sort whose header is
    /// not exactly one a writer makes is refused.
    static func kind(of head: [UInt8], path: String) throws -> Kind {
        if head.starts(with: hdf5Signature) { return .withoutHeader }
        guard CheckpointHeader.isPresent(in: head) || head.dropFirst(CheckpointHeader.size).starts(with: hdf5Signature) else {
            return .neither
        }
        switch CheckpointHeader.parse(head, newestFormat: formatVersion) {
        case .success(let header): return .withHeader(header)
        case .failure(.newerFormat(let format)): throw newerFormat(format, path: path)
        case .failure(.malformed):
            throw CheckpointError(file: path, "damaged checkpoint: its header (the first \(CheckpointHeader.size) bytes) is not one backprop writes")
        }
    }

    /// Opens the file at `path` for reading: a checkpoint with a header from the
    /// bytes read and checked here (and the format its header names), one
    /// without (format 1) from the disk.
    static func openChecked(_ path: String) throws -> (HDF5File, headerFormat: Int?) {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: path, message) }
        do {
            let disk = try ReadOnlyFile(path)
            defer { disk.close() }
            switch try kind(of: try disk.read(count: min(disk.size, 2 * CheckpointHeader.size), at: 0), path: path) {
            case .withoutHeader:
                disk.close()
                do {
                    return (try HDF5File(path: path, mode: .readOnly), nil)
                } catch let error as HDF5Error {
                    throw fail("cannot be read as a checkpoint: \(error.message)")
                }
            case .withHeader(let header):
                return try openChecked(try disk.read(count: disk.size, at: 0), header: header, path: path)
            case .neither:
                throw fail(HDF5File.isHDF5(path)
                    ? "not a Backprop checkpoint (an HDF5 file without a checkpoint header)"
                    : "cannot be read as a checkpoint: not an HDF5 file")
            }
        } catch let error as SystemCallError {
            throw fail("cannot be read as a checkpoint: " + (error.code == ENOENT ? "no such file" : "\(error.function) failed: \(error.reason)"))
        }
    }

    /// Checks `contents`, a whole file, against its `header`, then opens it in memory.
    static func openChecked(_ contents: [UInt8], header: CheckpointHeader, path: String) throws -> (HDF5File, headerFormat: Int?) {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: path, message) }
        let expected = CheckpointHeader.size + header.length
        guard contents.count == expected else {
            throw fail("damaged checkpoint: \(contents.count) bytes, but \(expected) were written (truncated or appended to)")
        }
        let crc = CheckpointHeader.checksum(contents[CheckpointHeader.size...])
        guard crc == header.crc32 else {
            throw fail("checksum mismatch: the file is damaged (CRC-32 of its contents \(hex(crc)), written as \(hex(header.crc32)))")
        }
        do {
            return (try HDF5File(image: contents, name: path), header.format)
        } catch let error as HDF5Error {
            throw fail("damaged or incomplete checkpoint: \(error.message)")
        }
    }

    static func newerFormat(_ format: Int, path: String) -> CheckpointError {
        CheckpointError(file: path, "written in checkpoint format \(format), newer than this backprop reads (\(formatVersion)); upgrade backprop")
    }

    private static func hex(_ crc: UInt32) -> String { String(crc, radix: 16).leftPadded(to: 8, with: "0") }
}

/// A file open for reading through the `SystemCall` funnel.
private final class ReadOnlyFile {
    let path: String
    let size: Int
    private var descriptor: Int32

    init(_ path: String) throws(SystemCallError) {
        let descriptor = try SystemCall.check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        var status = stat()
        var failure = SystemCall.attempt("fstat", path: path) { fstat(descriptor, &status) }
        if failure == nil, (status.st_mode & S_IFMT) == S_IFDIR {
            failure = SystemCallError(function: "open", path: path, code: EISDIR)
        }
        if let failure {
            SystemCall.attempt("close", path: path) { Glibc.close(descriptor) }
            throw failure
        }
        self.path = path
        self.descriptor = descriptor
        size = Int(status.st_size)
    }

    deinit { close() }

    /// Up to `count` bytes from `offset`: fewer only at the end of the file.
    func read(count: Int, at offset: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = try bytes.withUnsafeMutableBytes { buffer in
                try SystemCall.check("read", path: path) {
                    pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                }
            }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes.prefix(filled))
    }

    func close() {
        guard descriptor >= 0 else { return }
        SystemCall.attempt("close", path: path) { Glibc.close(descriptor) }
        descriptor = -1
    }
}

/// Reads the pieces of one open checkpoint file.
private struct CheckpointReader {
    let file: HDF5File
    /// The format its header names; nil for a file without one (format 1).
    let headerFormat: Int?
    var path: String { file.path }

    func fail(_ message: String) -> CheckpointError { CheckpointError(file: path, message) }

    func read() throws -> Checkpoint {
        guard file.hasAttribute("format"), try file.stringAttribute("format") == Checkpoint.formatName else {
            throw fail("not a Backprop checkpoint (no format = \"\(Checkpoint.formatName)\" attribute)")
        }
        let version = try file.intAttribute("format_version")
        guard version <= Checkpoint.formatVersion else { throw Checkpoint.newerFormat(version, path: path) }
        // From format 2 on a checkpoint has a header; format 1 ones have none.
        guard version == headerFormat ?? 1 else {
            throw fail(headerFormat.map { "damaged checkpoint: format_version \(version) inside, format \($0) in its header" }
                       ?? "format_version \(version) but no checksum header: not a checkpoint as backprop writes it")
        }
        let architecture = try readArchitecture()
        let parameters = try readLayers(under: "model", architecture: architecture)
        let scaling = try readInputScaling(architecture: architecture)
        guard file.contains("training") else { throw fail("missing group training") }
        let isRun = file.hasAttribute(TrainingAttribute.marksTrainingRun, on: "training")
        var record = try readTrainingAttributes(includingSettings: isRun)
        record.state.parameters = parameters
        guard isRun else {
            return Checkpoint(architecture: architecture, configuration: nil, state: record.state, inputScaling: scaling)
        }
        do {
            try record.configuration.validate()
        } catch let error as ConfigurationError {
            throw fail("training settings are invalid: \(error.message)")
        }
        var state = record.state
        state.optimizerState = try readOptimizerState(record.configuration.optimizer, architecture: architecture)
        state.epochOrder = try file.dataset("training/epoch_order").read(as: Int32.self)
        // A streamed run keeps its position as (seed, epoch, rows done), not as an order.
        let orderMatches = record.configuration.stream != nil
            ? state.epochOrder.isEmpty : (state.stepInEpoch == 0) == state.epochOrder.isEmpty
        guard state.epochsDone >= 0, state.stepInEpoch >= 0, state.globalStep >= 0, orderMatches else {
            throw fail("training position is inconsistent (epochs_done \(state.epochsDone), step_in_epoch \(state.stepInEpoch), \(state.epochOrder.count) rows in epoch_order)")
        }
        state.history = try readHistory()
        if file.contains("training/best") {
            state.bestParameters = try readLayers(under: "training/best", architecture: architecture)
        }
        return Checkpoint(architecture: architecture, configuration: record.configuration, state: state,
                          dataset: record.dataset, log: record.log, checkpointEvery: record.checkpointEvery, keep: record.keep,
                          inputScaling: scaling)
    }

    /// model/input_factor and, after `--standardize`, model/input_mean and
    /// input_deviation; a checkpoint written before scaling was recorded has
    /// none of them and reads as unscaled.
    func readInputScaling(architecture: Architecture) throws -> InputScaling {
        guard file.hasAttribute("input_factor", on: "model") else { return .identity }
        let factor = try file.doubleAttribute("input_factor", of: "model")
        guard factor.isFinite, factor > 0 else { throw fail("model/input_factor is \(factor); expected a positive number") }
        switch (file.contains("model/input_mean"), file.contains("model/input_deviation")) {
        case (false, false): return InputScaling(factor: Float(factor))
        case (true, true): break
        default: throw fail("model has one of input_mean and input_deviation; expected both or neither")
        }
        let width = architecture.inputWidth
        var columns: [[Float]] = []
        for name in ["input_mean", "input_deviation"] {
            let dataset = try file.dataset("model/\(name)")
            guard dataset.shape == [width] else {
                throw fail("model/\(name) has shape \(dataset.shape); expected [\(width)], one value per input feature")
            }
            columns.append(try dataset.read(as: Float.self))
        }
        if let bad = columns[0].firstIndex(where: { !$0.isFinite }) {
            throw fail("model/input_mean element \(bad) is \(columns[0][bad]); expected finite values")
        }
        if let bad = columns[1].firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw fail("model/input_deviation element \(bad) is \(columns[1][bad]); expected positive values")
        }
        return InputScaling(factor: Float(factor), mean: columns[0], deviation: columns[1])
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
            guard present || attribute.value(record) == nil || attribute.optionalInOlderCheckpoints else {
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
            // Checkpoints from before streaming have no data-wait column.
            if name == "data_wait_seconds" && !file.contains("history/\(name)") { continue }
            guard file.contains("history/\(name)") else { throw fail("missing dataset history/\(name)") }
            columns[name] = try file.dataset("history/\(name)").read(as: Double.self)
        }
        let n = columns["epoch"]!.count
        columns["data_wait_seconds"] = columns["data_wait_seconds"] ?? [Double](repeating: .nan, count: n)
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
            record.dataWaitSeconds = optional("data_wait_seconds", i)
            return record
        }
    }
}
