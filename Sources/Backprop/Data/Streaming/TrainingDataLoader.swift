// Opens a dataset file for training under a `--data-memory` budget: the
// training split in memory (in its file's dtype) when it fits, streamed
// otherwise or when asked; held-out rows and the test split in memory.

import HDF5

/// What a run trains on and evaluates with.
public struct LoadedData {
    public var train: TrainingData
    public var validation: Dataset?
    public var test: Dataset?
    /// The file's splits as declared.
    public var layout: DatasetLayout
}

public enum TrainingDataLoader {
    /// Loads `path` for training.
    ///
    /// - Parameters:
    ///   - budget: bytes the training data may take; a training split that
    ///     needs more is streamed.
    ///   - forceStream: stream even when it fits.
    ///   - stream: the settings of a streamed run being resumed, which fix its
    ///     order whatever the budget now is.
    ///   - validationSplit, seed: rows held out for validation, as `holdingOut` picks them.
    public static func load(
        _ path: String, budget: Int, forceStream: Bool = false, stream: StreamSettings? = nil,
        validationSplit: Double = 0, seed: UInt64 = 0
    ) throws -> LoadedData {
        let layout = try DatasetFile.layout(path)
        let train = layout.split("train")!
        let fits = train.loadBytes.map { $0 <= budget } ?? false
        if stream == nil && !forceStream && fits {
            let splits = try DatasetFile.load(path).holdingOut(fraction: validationSplit, seed: seed)
            return LoadedData(train: .memory(splits.train), validation: splits.validation, test: splits.test, layout: layout)
        }
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        let chunkRows = try file.dataset("train/x").chunkShape()?.first
        let (settings, readAhead) = try stream.map { ($0, max(2, min(16, $0.slots / 8))) }
            ?? DataMemory.streamSettings(for: train, file: path, chunkRows: chunkRows, budget: budget)
        var validation = try DatasetFile.split("validation", of: file)
        var heldOut: RowBitmap?
        if validationSplit > 0 {
            if validation != nil {
                throw DatasetError(file: path, "has its own validation/x and validation/y; drop --validation-split")
            }
            let (held, _) = try DatasetSplits.heldOutRows(of: train.examples, fraction: validationSplit, seed: seed, file: path)
            heldOut = RowBitmap(count: train.examples, set: held)
            validation = try DatasetFile.rows(held, of: train, in: file, as: "validation")
        }
        let test = try DatasetFile.split("test", of: file)
        let split = try StreamedSplit(path: path, layout: train, settings: settings, readAhead: readAhead,
                                      seed: seed, heldOut: heldOut)
        return LoadedData(train: .stream(split), validation: validation, test: test, layout: layout)
    }
}

extension DatasetFile {
    /// The rows `rows` (ascending) of `split`, as a dataset named `name`, read
    /// a block of 4096 rows at a time: memory for the rows picked and one block.
    static func rows(_ rows: [Int32], of split: SplitLayout, in file: HDF5File, as name: String) throws -> Dataset {
        let d = split.features
        try MemoryBudget.check(MemoryBudget.product([rows.count, d, split.isBytes ? 1 : 4]),
                               for: "\(file.path): holding \(rows.count) rows of \(split.name)/x out for validation")
        let x = try file.dataset("\(split.name)/x")
        let targets = try readTargets(try file.dataset("\(split.name)/y"), path: file.path)
        let block = 4096
        var bytes = [UInt8](), floats = [Float]()
        var next = rows[...]
        while let first = next.first {
            let start = Int(first) / block * block
            let range = start..<min(split.examples, start + block)
            if split.isBytes {
                let read = try x.read(rows: range, as: UInt8.self)
                while let r = next.first, range.contains(Int(r)) {
                    bytes.append(contentsOf: read[(Int(r) - start) * d..<(Int(r) - start + 1) * d])
                    next = next.dropFirst()
                }
            } else {
                let read = try x.read(rows: range, as: Float.self)
                try checkFinite(read, rowOffset: start, x: x, path: file.path)
                while let r = next.first, range.contains(Int(r)) {
                    floats.append(contentsOf: read[(Int(r) - start) * d..<(Int(r) - start + 1) * d])
                    next = next.dropFirst()
                }
            }
        }
        let picked: Targets
        switch targets {
        case .classes(let labels): picked = .classes(rows.map { labels[Int($0)] })
        case .values(let values, let width):
            picked = .values(rows.flatMap { values[Int($0) * width..<(Int($0) + 1) * width] }, width: width)
        }
        return Dataset(name: file.path, split: name, rows: split.isBytes ? .uint8(bytes) : .float(floats),
                       featureCount: d, targets: picked)
    }
}
