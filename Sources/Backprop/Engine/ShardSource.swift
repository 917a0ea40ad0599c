// Where a worker gathers its shard's rows from: a dataset in memory (rows by
// index), or a streamed minibatch (rows by position, read straight from the
// resident blocks). An enum rather than a protocol existential, so that
// handing one to a pass per step allocates nothing.

enum ShardSource {
    case dataset(Dataset)
    case drawn(DrawnBatch)

    /// Copies `rows` (indices into the dataset, or positions in the drawn
    /// minibatch) into `x` as Float features and `y` as targets.
    func gather(rows: UnsafeBufferPointer<Int32>, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, outputWidth: Int) {
        switch self {
        case .dataset(let dataset): dataset.gather(rows: rows, x: x, y: y, outputWidth: outputWidth)
        case .drawn(let batch): batch.gather(positions: rows, x: x, y: y, outputWidth: outputWidth)
        }
    }
}
