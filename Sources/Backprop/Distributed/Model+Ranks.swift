// `backprop evaluate` under mpirun: a split evaluated by the ranks together,
// each reading from the file only the rows of its own micro-shards.
//
// One process cuts the split into shards of `microBatch` rows and sums their
// loss and hits in shard order. Rank r of R takes the shards ⌊rS/R⌋ ..<
// ⌊(r+1)S/R⌋, as the trainer's evaluation does, reads their rows with one
// hyperslab, and the ranks gather every shard's figures and sum them in shard
// order: the same additions as one process, so the same bits.

import HDF5

extension Model {
    /// Loss and accuracy over the split `split` of the file at `path`, evaluated
    /// by the ranks of `communicator` together; a collective call. Bitwise what
    /// `evaluate(on:workers:microBatch:)` gives for the whole split.
    ///
    /// - Throws: `DatasetError` for a missing or malformed split, or rows
    ///   that do not fit the network, found in this rank's part.
    public func evaluate(
        split: String, of path: String, over communicator: any Communicator, workers: Int, microBatch: Int = 256
    ) throws -> Evaluation {
        precondition(workers > 0 && microBatch > 0)
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        _ = try DatasetFile.layout(of: file)  // the file's own checks, as loading it makes them
        guard let layout = try DatasetFile.splitLayout(split, of: file) else {
            throw DatasetError(file: path, "has no \(split)/x and \(split)/y datasets")
        }
        guard layout.features == architecture.inputWidth else {
            throw DatasetError(file: path, "\(split)/x has \(layout.features) features per example, but the network's input width is \(architecture.inputWidth)")
        }
        let count = layout.examples
        let shardCount = (count + microBatch - 1) / microBatch
        let rank = communicator.rank, ranks = communicator.size
        let shards = (rank * shardCount / ranks)..<((rank + 1) * shardCount / ranks)
        let rows = min(count, shards.lowerBound * microBatch)..<min(count, shards.upperBound * microBatch)
        try MemoryBudget.check(MemoryBudget.product([rows.count, layout.features, layout.isBytes ? 1 : 4]),
                               for: "\(path): loading rows \(rows.lowerBound)..<\(rows.upperBound) of \(split)")

        let x = try file.dataset("\(split)/x"), y = try file.dataset("\(split)/y")
        let features: FeatureRows
        if layout.isBytes {
            features = .uint8(try x.read(rows: rows, as: UInt8.self))
        } else {
            let values = try x.read(rows: rows, as: Float.self)
            try DatasetFile.checkFinite(values, rowOffset: rows.lowerBound, x: x, path: path)
            features = .float(values)
        }
        let targets = try DatasetFile.readTargets(y, path: path, rows: rows)
        try Dataset.validate(targets, file: path, split: split, for: architecture, rowOffset: rows.lowerBound)
        let part = inputScaling.standardize(
            Dataset(name: path, split: split, rows: features, featureCount: layout.features, targets: targets))

        // The engine indexes rows by position in the split: this rank's
        // positions point into its part, the others are never read here.
        var order = [Int32](repeating: 0, count: count)
        for row in rows { order[row] = Int32(row - rows.lowerBound) }
        BLASThreads.useCallingThreadOnly()
        let network = Network(architecture)
        let forward = ForwardPass(workers: (0..<workers).map { _ in Worker(network: network, capacity: microBatch) },
                                  microBatch: microBatch)
        let crew = WorkerCrew(size: workers)
        let result = parameters.withUnsafeBufferPointer { parameters in
            order.withUnsafeBufferPointer { order in
                forward.run(part, rows: order, parameters: parameters.baseAddress!, on: crew, communicator: communicator)
            }
        }
        return Evaluation(result, examples: count)
    }
}
