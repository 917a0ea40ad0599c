// What `train -v` and `evaluate -v` say about how each split is held (in
// memory, or streamed from its file), and the warning
// `train` gives when a streamed split's labels look sorted.

import Backprop

/// "memory (uint8, 45.9 MiB of a 11.6 GiB budget)" or "stream (blocks of 334
/// rows, 40 mixed, 5 read ahead: 12.9 MiB of a 16 MiB budget)".
func dataModeSummary(_ data: TrainingData, budget: Int) -> String {
    switch data {
    case .memory(let dataset):
        let type = if case .uint8 = dataset.rows { "uint8" } else { "float32" }
        let bytes = dataset.rows.count * dataset.rows.elementBytes
        return "memory (\(type), \(DataMemory.describe(bytes)) of a \(DataMemory.describe(budget)) budget; a full shuffle every epoch)"
    case .stream(let split):
        let s = split.settings
        let rowBytes = split.featureCount * (split.isBytes ? 1 : 4)
        let bytes = (s.slots + split.readAhead) * s.blockRows * rowBytes
        let chunks = chunkSummary(split.chunkRows, inflaters: split.inflaters)
        return "stream (\(split.isBytes ? "uint8" : "float32"), \(chunks); blocks of \(s.blockRows) rows, \(s.slots) mixed, \(split.readAhead) read ahead: \(DataMemory.describe(bytes)) of a \(DataMemory.describe(budget)) budget)"
    }
}

/// "memory (uint8, 7.7 MiB)" or "stream (uint8, chunks of 334 rows; blocks of
/// 1336 rows, 3 buffers, stages of 1280 rows: 5.1 MiB)" for a validation or test split.
func evaluationModeSummary(_ split: HeldOutData) -> String {
    switch split {
    case .memory(let dataset):
        let type = if case .uint8 = dataset.rows { "uint8" } else { "float32" }
        return "memory (\(type), \(DataMemory.describe(dataset.rows.count * dataset.rows.elementBytes)))"
    case .stream(let split):
        let s = split.settings
        let chunks = chunkSummary(split.chunkRows, inflaters: split.inflaters)
        let rows = split.source == split.split ? "" : "\(split.count) rows of \(split.source) picked by a bitmap; "
        return "stream (\(split.isBytes ? "uint8" : "float32"), \(chunks); \(rows)blocks of \(s.blockRows) rows in file order, \(s.buffers) buffers, stages of \(s.stageRows) rows: \(DataMemory.describe(split.memoryBytes)))"
    }
}

/// "chunks of 1024 rows", "chunks of 1024 rows deflated, inflated by 2 threads" or "contiguous".
private func chunkSummary(_ chunkRows: Int?, inflaters: Int?) -> String {
    let chunks = chunkRows.map { "chunks of \($0) rows" } ?? "contiguous"
    return chunks + (inflaters.map { " deflated, inflated by \($0) thread\($0 == 1 ? "" : "s")" } ?? "")
}

/// Warns when a streamed split's labels look sorted or grouped by class.
func warnIfGrouped(_ data: TrainingData) {
    guard case .stream(let split) = data, case .classes(let labels) = split.targets,
          let grouping = LabelGrouping(labels: labels), grouping.looksGrouped else { return }
    let distance = (grouping.distance * 100).rounded() / 100
    Terminal.warn("train/y looks sorted or grouped by class (the label mix of each \(grouping.windowRows) rows is \(distance) from the whole split's; 0 is shuffled, 1 sorted), and streaming mixes only \(split.settings.slots) blocks at a time, so minibatches would hold few classes; shuffle the file once with: backprop rechunk \(split.name) OUT.h5 --shuffle-rows, or raise --data-memory")
}
