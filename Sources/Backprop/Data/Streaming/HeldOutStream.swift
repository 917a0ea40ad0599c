// A validation or test split evaluated straight from its file: its blocks read
// in file order (BlockPass), the rows not evaluated skipped with a bitmap (a
// validation split held out of train is train's rows set in it), and the rows
// evaluated copied into a stage of whole micro-shards. The forward pass runs
// on each full stage and carries its sums on, so the micro-shards and the
// order of every addition are those of the same rows evaluated in memory:
// the figures are bitwise equal. Memory: `EvaluationSettings`.

import HDF5

public final class HeldOutStream: @unchecked Sendable {
    /// The file, for messages.
    public let name: String
    /// What the rows are evaluated as (`validation`, `test`), and the split of
    /// the file they are read from (`train` for rows held out of it).
    public let split: String
    public let source: String
    /// D, and the rows evaluated.
    public let featureCount: Int
    public let count: Int
    /// Whether x is stored as uint8.
    public let isBytes: Bool
    public let settings: EvaluationSettings
    /// μ and σ applied to each staged row, as `InputScaling.standardize` applies
    /// them to a split in memory (identity: none). Set before evaluating.
    public var standardization = InputScaling.identity
    /// The targets of the rows evaluated, in file order.
    public let targets: Targets

    /// Bytes held while evaluating (`EvaluationFootprint`), never above the budget it was sized for.
    public let memoryBytes: Int

    let selection: RowSelection
    private let reader: BlockReader

    /// Opens `layout`'s x for block reads and reads its y, keeping the targets of the selected rows.
    ///
    /// - Parameters:
    ///   - name: what the rows are evaluated as.
    ///   - microBatch: rows per micro-shard of the evaluation, which fixes the stage.
    ///   - budget: bytes the evaluation may take.
    init(path: String, layout: SplitLayout, as name: String, selection: RowSelection, microBatch: Int, budget: Int) throws {
        guard layout.examples <= Int(Int32.max) else {
            throw DatasetError(file: path, "\(layout.name)/x has \(layout.examples) rows; streaming supports up to \(Int32.max)")
        }
        self.name = path
        split = name
        source = layout.name
        featureCount = layout.features
        self.selection = selection
        count = selection.count(in: 0..<layout.examples)
        let width = layout.hasClassLabels ? 1 : (layout.targetShape.count == 2 ? layout.targetShape[1] : 1)
        let footprint = EvaluationFootprint(
            rowBytes: layout.features * (layout.isBytes ? 1 : 4), stageRowBytes: layout.features * 4,
            targetRowBytes: width * 4, count: count, selectionBytes: selection.bytes)
        settings = try DataMemory.evaluationSettings(
            footprint, examples: layout.examples, chunkRows: try Self.chunkRows(of: layout, in: path),
            microBatch: microBatch, budget: budget, file: path, what: "\(name) (\(count) rows of \(layout.name)/x)")
        memoryBytes = footprint.bytes(settings)!
        reader = try BlockReader(path: path, split: layout.name)
        isBytes = reader.isBytes
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        let y = try file.dataset("\(layout.name)/y")
        guard y.shape == layout.targetShape, reader.rowCount == layout.examples else {
            throw DatasetError(file: path, "\(layout.name)/x and \(layout.name)/y changed shape while being read")
        }
        let all = try DatasetFile.readTargets(y, path: path)
        if case .all = selection {
            targets = all
        } else {
            let rows = (0..<layout.examples).filter(selection.contains)
            switch all {
            case .classes(let labels): targets = .classes(rows.map { labels[$0] })
            case .values(let values, let width):
                targets = .values(rows.flatMap { values[$0 * width..<($0 + 1) * width] }, width: width)
            }
        }
    }

    deinit { reader.close() }

    /// The rows of the file's chunks (nil: contiguous).
    public var chunkRows: Int? { reader.chunkRows }

    /// Threads that inflate a deflated x's stored chunks (nil: read with H5Dread).
    public var inflaters: Int? { reader.storedFormat == nil ? nil : reader.inflaters }

    private static func chunkRows(of layout: SplitLayout, in path: String) throws -> Int? {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        return try file.dataset("\(layout.name)/x").chunkShape()?.first
    }

    /// Checks the split against a network, as `Dataset.validate(for:)` does.
    func validate(for architecture: Architecture) throws {
        guard featureCount == architecture.inputWidth else {
            throw DatasetError(file: name, "\(source)/x has \(featureCount) features per example, but the network's input width is \(architecture.inputWidth)")
        }
        try Dataset.validate(targets, file: name, split: source, for: architecture)
    }

    /// Calls `body` with each stage of rows in file order: rows 0..<k of a
    /// dataset, as `rows`, k a whole number of micro-shards of `microBatch`
    /// rows but for the last stage (`settings.stageRows` rows when the split
    /// was sized for this micro-batch). Memory is allocated here once per pass,
    /// not per stage.
    func forEachStage(microBatch m: Int, _ body: (Dataset, UnsafeBufferPointer<Int32>) throws -> Void) throws {
        let d = featureCount
        // One stage holding every row is as good as whole micro-shards.
        let capacity = settings.stageRows % m == 0 || settings.stageRows >= count
            ? settings.stageRows : m * max(1, settings.stageRows / m)
        let asFloat = !isBytes || standardization.isStandardized
        var bytes = [UInt8](repeating: 0, count: asFloat ? 0 : capacity * d)
        var floats = [Float](repeating: 0, count: asFloat ? capacity * d : 0)
        var labels = [Int32](), values = [Float]()
        switch targets {
        case .classes: labels = [Int32](repeating: 0, count: capacity)
        case .values(_, let width): values = [Float](repeating: 0, count: capacity * width)
        }
        let ids = (0..<Int32(capacity)).map { $0 }
        // Stage rows filled, and the index in `targets` of stage row 0.
        var filled = 0, first = 0

        func flush() throws {
            switch targets {
            case .classes(let all):
                for i in 0..<filled { labels[i] = all[first + i] }
            case .values(let all, let width):
                for i in 0..<filled * width { values[i] = all[first * width + i] }
            }
            let staged: Targets = switch targets {
            case .classes: .classes(labels)
            case .values(_, let width): .values(values, width: width)
            }
            let dataset = Dataset(name: name, split: split, rows: asFloat ? .float(floats) : .uint8(bytes),
                                  featureCount: d, targets: staged)
            try ids.withUnsafeBufferPointer { try body(dataset, UnsafeBufferPointer(rebasing: $0[0..<filled])) }
            first += filled
            filled = 0
        }

        let pass = BlockPass(reader: reader, blockRows: settings.blockRows, buffers: settings.buffers, selection: selection)
        try pass.run { block, rows in
            var row = rows.lowerBound
            while row < rows.upperBound {
                let start = filled
                if asFloat {
                    floats.withUnsafeMutableBufferPointer { x in
                        stage(block, rows: rows, from: &row, into: UnsafeMutableRawPointer(x.baseAddress!), filled: &filled, capacity: capacity)
                    }
                } else {
                    bytes.withUnsafeMutableBytes { x in
                        stage(block, rows: rows, from: &row, into: x.baseAddress!, filled: &filled, capacity: capacity)
                    }
                }
                if asFloat && standardization.isStandardized {
                    floats.withUnsafeMutableBufferPointer { standardization.standardize(UnsafeMutableBufferPointer(rebasing: $0[start * d..<filled * d])) }
                }
                if filled == capacity { try flush() }
            }
        }
        if filled > 0 { try flush() }
        precondition(first == count, "evaluated \(first) rows of \(count)")
    }

    /// Copies the selected rows of `block` (file rows `rows`) from `row` on
    /// into the stage at `filled`, until the block ends or the stage is full.
    /// Bytes become Float exactly as gathering makes them when the stage is Float.
    private func stage(_ block: UnsafeRawPointer, rows: Range<Int>, from row: inout Int,
                       into stage: UnsafeMutableRawPointer, filled: inout Int, capacity: Int) {
        let d = featureCount
        let asFloat = !isBytes || standardization.isStandardized
        let sourceRowBytes = d * (isBytes ? 1 : 4), stageRowBytes = d * (asFloat ? 4 : 1)
        while row < rows.upperBound && filled < capacity {
            defer { row += 1 }
            guard selection.contains(row) else { continue }
            let from = block + (row - rows.lowerBound) * sourceRowBytes, to = stage + filled * stageRowBytes
            if isBytes && asFloat {
                let bytes = from.assumingMemoryBound(to: UInt8.self), floats = to.assumingMemoryBound(to: Float.self)
                FeatureRows.unitScale(bytes, to: floats, count: d)
            } else {
                to.copyMemory(from: from, byteCount: sourceRowBytes)
            }
            filled += 1
        }
    }
}
