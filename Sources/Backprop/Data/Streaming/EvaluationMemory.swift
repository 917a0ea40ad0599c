// The memory a streamed validation or test split takes while it is evaluated,
// and how it is sized from a budget: a few blocks of whole chunks (one worked
// on, the others read ahead), one stage of whole micro-shards that the forward
// pass gathers from, and the targets of the rows evaluated. Nothing else of
// the split is held.

/// How a held-out split is read for evaluation.
public struct EvaluationSettings: Sendable, Equatable {
    /// Rows per block: a whole number of the file's chunks, read with one hyperslab.
    public var blockRows: Int
    /// Blocks in memory at once.
    public var buffers: Int
    /// Rows staged for one forward pass: a whole number of micro-shards, or
    /// every row evaluated when they are fewer.
    public var stageRows: Int
}

/// What evaluating a split streamed takes per row, to size `EvaluationSettings`.
struct EvaluationFootprint {
    /// Bytes of a row in the file's dtype (a block's rows), and staged (as Float, the worst case).
    let rowBytes: Int
    let stageRowBytes: Int
    /// Bytes of one row's targets: an int32 label, or its target values as Float.
    let targetRowBytes: Int
    /// Rows evaluated, and the bitmap that picks them out of the file's rows.
    let count: Int
    let selectionBytes: Int

    /// Bytes held while evaluating with `settings`.
    func bytes(_ settings: EvaluationSettings) -> Int? {
        MemoryBudget.sum([
            selectionBytes,
            MemoryBudget.product([count, targetRowBytes]),
            MemoryBudget.product([settings.buffers, settings.blockRows, rowBytes]),
            // Staged rows, their targets and the row ids 0..<stageRows the pass gathers by.
            MemoryBudget.product([settings.stageRows, stageRowBytes + targetRowBytes + 4]),
        ])
    }
}

extension DataMemory {
    /// The evaluation settings of a split of `examples` rows whose file has
    /// chunks of `chunkRows` rows (nil: contiguous), within `budget` bytes.
    /// Blocks of whole chunks of about 1 MiB, three of them; a stage of up to
    /// 8 micro-shards and 4 MiB, so that the forward pass keeps several workers
    /// busy. When that does not fit, the larger of the blocks and the stage is
    /// halved (down to one chunk, one micro-shard), then buffers are dropped
    /// (down to one, reading without overlap).
    ///
    /// - Throws: `DatasetError` when even one chunk, one micro-shard and the
    ///   targets do not fit.
    static func evaluationSettings(
        _ footprint: EvaluationFootprint, examples: Int, chunkRows: Int?, microBatch: Int, budget: Int,
        file: String, what: String
    ) throws -> EvaluationSettings {
        precondition(microBatch > 0)
        let chunk = max(1, min(chunkRows ?? 1, examples))
        var rows = chunk * max(1, (1 << 20) / max(1, chunk * footprint.rowBytes))
        rows = max(chunk, min(rows, (examples + chunk - 1) / chunk * chunk))
        var buffers = 3
        var shards = max(1, min(8, (4 << 20) / max(1, microBatch * footprint.stageRowBytes)))
        func settings() -> EvaluationSettings {
            // A stage holding every row evaluated needs no more.
            EvaluationSettings(blockRows: rows, buffers: buffers, stageRows: min(microBatch * shards, max(1, footprint.count)))
        }
        while footprint.bytes(settings()).map({ $0 > budget }) ?? true {
            let s = settings()
            let blockBytes = s.buffers * s.blockRows * footprint.rowBytes, stageBytes = s.stageRows * footprint.stageRowBytes
            if shards > 1 && (stageBytes >= blockBytes || rows == chunk) {
                shards /= 2
            } else if rows > chunk {
                rows = max(chunk, rows / 2 / chunk * chunk)
            } else if buffers > 1 {
                buffers -= 1
            } else {
                let needed = footprint.bytes(s).map(describe) ?? "more than 2^63 bytes"
                throw DatasetError(file: file, "evaluating \(what) from the file block by block needs its targets, a block of \(rows) rows and a stage of \(s.stageRows) rows: \(needed), over --data-memory \(describe(budget))")
            }
        }
        return settings()
    }
}
