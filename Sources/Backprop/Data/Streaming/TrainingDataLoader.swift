// Opens a dataset file for training under a `--data-memory` budget: the
// training split in memory (in its file's dtype) when it fits, streamed
// otherwise or when asked. The validation and test splits are held in memory
// while the training split is and they fit the budget beside it; otherwise
// they are evaluated from the file block by block (HeldOutStream), rows held
// out of train picked by the same bitmap that keeps them out of training.

import HDF5

/// What a run trains on and evaluates with.
public struct LoadedData {
    public var train: TrainingData
    public var validation: HeldOutData?
    public var test: HeldOutData?
    /// The file's splits as declared.
    public var layout: DatasetLayout
}

public enum TrainingDataLoader {
    /// Loads `path` for training.
    ///
    /// - Parameters:
    ///   - budget: bytes the training data may take; a training split that
    ///     needs more is streamed, and so are validation and test splits that do
    ///     not fit beside a training split in memory.
    ///   - forceStream: stream every split even when it fits.
    ///   - stream: the settings of a streamed run being resumed, which fix its
    ///     order whatever the budget now is.
    ///   - validationSplit, seed: rows held out for validation, as `holdingOut` picks them.
    ///   - microBatch: the run's micro-batch, whose shards a streamed evaluation stages whole.
    public static func load(
        _ path: String, budget: Int, forceStream: Bool = false, stream: StreamSettings? = nil,
        validationSplit: Double = 0, seed: UInt64 = 0, microBatch: Int = 256
    ) throws -> LoadedData {
        let layout = try DatasetFile.layout(path)
        let train = layout.split("train")!
        if validationSplit > 0, layout.split("validation") != nil {
            throw DatasetError(file: path, "has its own validation/x and validation/y; drop --validation-split")
        }
        func streamed(_ name: String, selection: RowSelection = .all) throws -> HeldOutData? {
            guard let split = layout.split(name == "validation" && validationSplit > 0 ? "train" : name) else { return nil }
            return .stream(try HeldOutStream(path: path, layout: split, as: name, selection: selection,
                                             microBatch: microBatch, budget: budget))
        }
        let fits = train.loadBytes.map { $0 <= budget } ?? false
        if stream == nil && !forceStream && fits {
            let file = try HDF5File(path: path, mode: .readOnly)
            defer { file.close() }
            let splits = try DatasetSplits(train: DatasetFile.split("train", of: file)!, test: nil, validation: nil)
                .holdingOut(fraction: validationSplit, seed: seed)
            // Rows held out of train are in memory already; a split of its own stays
            // in memory while it fits in what the splits before it leave of the budget.
            var used = train.loadBytes!
            func held(_ name: String) throws -> HeldOutData? {
                guard let split = layout.split(name) else { return nil }
                if let bytes = split.loadBytes, bytes <= budget - used {
                    used += bytes
                    return try DatasetFile.split(name, of: file).map(HeldOutData.memory)
                }
                return try streamed(name)
            }
            let validation = try splits.validation.map(HeldOutData.memory) ?? held("validation")
            return LoadedData(train: .memory(splits.train), validation: validation, test: try held("test"), layout: layout)
        }
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        let chunkRows = try file.dataset("train/x").chunkShape()?.first
        let (settings, readAhead) = try stream.map { ($0, max(2, min(16, $0.slots / 8))) }
            ?? DataMemory.streamSettings(for: train, file: path, chunkRows: chunkRows, budget: budget)
        var heldOut: RowBitmap?
        var validation: HeldOutData?
        if validationSplit > 0 {
            let (held, _) = try DatasetSplits.heldOutRows(of: train.examples, fraction: validationSplit, seed: seed, file: path)
            heldOut = RowBitmap(count: train.examples, set: held)
            validation = try streamed("validation", selection: .only(heldOut!))
        } else {
            validation = try streamed("validation")
        }
        let split = try StreamedSplit(path: path, layout: train, settings: settings, readAhead: readAhead,
                                      seed: seed, heldOut: heldOut)
        return LoadedData(train: .stream(split), validation: validation, test: try streamed("test"), layout: layout)
    }
}

extension TrainingDataLoader {
    /// Loads one split of `path` for evaluation: in memory when it fits
    /// `budget` (and `forceStream` is not given), otherwise streamed from the
    /// file block by block. Nil when the file has no such split.
    public static func load(
        split name: String, of path: String, budget: Int, forceStream: Bool = false, microBatch: Int = 256
    ) throws -> HeldOutData? {
        let layout = try DatasetFile.layout(path)
        guard let split = layout.split(name) else { return nil }
        if !forceStream, let bytes = split.loadBytes, bytes <= budget {
            let file = try HDF5File(path: path, mode: .readOnly)
            defer { file.close() }
            return try DatasetFile.split(name, of: file).map(HeldOutData.memory)
        }
        return .stream(try HeldOutStream(path: path, layout: split, as: name, selection: .all,
                                         microBatch: microBatch, budget: budget))
    }
}
