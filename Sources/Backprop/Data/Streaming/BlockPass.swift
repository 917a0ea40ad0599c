// One pass over a split's rows in file order, a block at a time: the blocks
// that hold rows of interest are read by a prefetcher thread (whole chunks,
// one hyperslab each, never a point or OR selection) while the caller works on
// the block before. Evaluating a streamed validation or test split reads this
// way, and so do the statistics of `--standardize` over a streamed training split.

/// Which rows of a split a pass visits.
enum RowSelection: Sendable {
    case all
    /// The rows set in the bitmap: validation rows held out of train.
    case only(RowBitmap)
    /// The rows not set: the training rows the hold-out leaves.
    case excluding(RowBitmap)

    func contains(_ row: Int) -> Bool {
        switch self {
        case .all: true
        case .only(let bitmap): bitmap.contains(row)
        case .excluding(let bitmap): !bitmap.contains(row)
        }
    }

    /// Selected rows in `range`.
    func count(in range: Range<Int>) -> Int {
        switch self {
        case .all: range.count
        case .only(let bitmap): bitmap.count(in: range)
        case .excluding(let bitmap): range.count - bitmap.count(in: range)
        }
    }

    /// Bytes the selection holds (its bitmap).
    var bytes: Int {
        switch self {
        case .all: 0
        case .only(let bitmap), .excluding(let bitmap): (bitmap.count + 63) / 64 * 8
        }
    }
}

struct BlockPass {
    let reader: BlockReader
    /// C, rows a block: a whole number of the file's chunks.
    let blockRows: Int
    /// Blocks in memory at once: the one being worked on and those read ahead.
    let buffers: Int
    let selection: RowSelection

    /// Calls `body` with every block that holds selected rows, in file order:
    /// the block's rows as stored (uint8, or Float) and the file rows it covers.
    func run(_ body: (UnsafeRawPointer, Range<Int>) throws -> Void) throws {
        precondition(blockRows > 0 && buffers > 0)
        let rows = reader.rowCount
        let blocks = (0..<(rows + blockRows - 1) / blockRows).compactMap { b -> Int32? in
            selection.count(in: range(ofBlock: b)) > 0 ? Int32(b) : nil
        }
        guard !blocks.isEmpty else { return }
        // A finite plan: these blocks, then nothing (an empty load order ends it).
        let plan = Prefetcher.Plan(prologue: blocks, epoch: 0, position: 0) { _ in [] }
        let count = min(buffers, blocks.count)
        let prefetcher = Prefetcher(reader: reader, blockRows: blockRows, buffers: count, readAhead: count, plan: plan)
        defer { prefetcher.stop() }
        for block in blocks {
            let buffer = try prefetcher.take().buffer  // one rank: every block is read here
            precondition(buffer.block == block, "the prefetcher read block \(buffer.block), the pass needs \(block)")
            try body(UnsafeRawPointer(buffer.bytes), range(ofBlock: Int(block)))
            prefetcher.recycle(buffer)
        }
    }

    private func range(ofBlock block: Int) -> Range<Int> {
        block * blockRows..<min(reader.rowCount, (block + 1) * blockRows)
    }
}
