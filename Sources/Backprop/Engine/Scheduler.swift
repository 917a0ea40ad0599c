// The data-parallel step. A minibatch of m rows is cut into micro-shards of a
// fixed size; on Dispatch's pool, worker w takes shards w, w + W, w + 2W, …,
// running the forward and backward pass of each into the shard's own gradient
// slot. Then every worker takes one slice of the parameter vector, reduces the
// slots there in tree order and scales the sum to ∂J/∂θ; the global gradient
// norm is summed from fixed blocks (for clipping and the divergence check);
// and each worker applies the update on its slice. Three barriers a step, no
// locks, no allocation, and a result that does not depend on W.

/// What one training step saw: the summed loss and hits over its minibatch,
/// and the global L2 norm of ∂J/∂θ before any clipping.
public struct StepResult: Sendable {
    public var lossSum: Double
    public var correct: Int
    public var examples: Int
    public var gradientNorm: Double = .nan
}

public final class Scheduler: ParallelTask, @unchecked Sendable {
    public let network: Network
    public let store: ParameterStore
    public let workerCount: Int
    /// Rows per micro-shard; fixes the summation order, so it is part of what
    /// makes two runs identical (the worker count is not).
    public let microBatch: Int
    /// The largest minibatch a step may take.
    public let maxBatch: Int

    private let workers: [Worker]
    private let slots: GradientSlots
    private let slices: [Range<Int>]
    private let shardResults: UnsafeMutableBufferPointer<ShardResult>
    /// Sum of squares of ∂J/∂θ per block of `Reducer.blockSize` parameters.
    private let blockSquares: UnsafeMutableBufferPointer<Double>
    /// Whether each worker's slice of the parameters is finite after an update.
    private let sliceFinite: UnsafeMutableBufferPointer<Bool>
    private let crew: WorkerCrew

    /// What the parallel phase under way works on, set before each fan-out.
    private enum Phase { case gradients, reduce, update, evaluate }
    private var phase = Phase.gradients
    private var phaseDataset: Dataset?
    private var phaseRows = UnsafeBufferPointer<Int32>(start: nil, count: 0)
    private var phaseResults = UnsafeMutableBufferPointer<ShardResult>(start: nil, count: 0)
    private var phaseShardCount = 0
    private var phaseLearningRate: Float = 0
    private var phaseScale: Float = 1

    public init(network: Network, store: ParameterStore, workers: Int, microBatch: Int, maxBatch: Int) {
        precondition(workers > 0 && microBatch > 0 && maxBatch > 0)
        BLASThreads.useCallingThreadOnly()
        self.network = network
        self.store = store
        self.workerCount = workers
        self.microBatch = microBatch
        self.maxBatch = maxBatch
        self.workers = (0..<workers).map { _ in Worker(network: network, capacity: microBatch) }
        let shards = (maxBatch + microBatch - 1) / microBatch
        slots = GradientSlots(count: shards, parameterCount: network.layout.count)
        slices = Reducer.partition(count: network.layout.count, parts: workers)
        shardResults = .allocate(capacity: shards)
        shardResults.initialize(repeating: ShardResult(lossSum: 0, correct: 0))
        blockSquares = .allocate(capacity: (network.layout.count + Reducer.blockSize - 1) / Reducer.blockSize)
        blockSquares.initialize(repeating: 0)
        sliceFinite = .allocate(capacity: workers)
        sliceFinite.initialize(repeating: true)
        crew = WorkerCrew(size: workers)
    }

    deinit {
        crew.dismiss()
        shardResults.deallocate()
        blockSquares.deallocate()
        sliceFinite.deallocate()
    }

    /// One optimizer step on the examples `batch` of `dataset`.
    ///
    /// If the loss or the gradient is not finite the parameters are left
    /// untouched and a `DivergenceError` is thrown.
    ///
    /// - Parameter clipNorm: rescale ∂J/∂θ to this L2 norm when it is larger.
    public func trainStep(
        _ dataset: Dataset, batch: UnsafeBufferPointer<Int32>, learningRate: Float, clipNorm: Double? = nil
    ) throws -> StepResult {
        let m = batch.count
        precondition(m > 0 && m <= maxBatch, "minibatch of \(m) rows, the scheduler was sized for \(maxBatch)")
        phaseDataset = dataset
        phaseRows = batch
        phaseResults = shardResults
        phaseShardCount = (m + microBatch - 1) / microBatch
        defer { phaseDataset = nil }

        // Forward and backward: each shard into its own slot.
        run(.gradients, parts: min(workerCount, phaseShardCount))
        var result = summed(shardCount: phaseShardCount, examples: m)
        guard result.lossSum.isFinite else {
            throw DivergenceError(step: store.step + 1, what: "loss")
        }

        // Reduce, and scale to ∂J/∂θ: each worker owns a slice of the parameters.
        run(.reduce, parts: workerCount)
        // Summed in block order, so the norm does not depend on the worker count.
        var squares = 0.0
        for block in blockSquares { squares += block }
        result.gradientNorm = squares.squareRoot()
        guard result.gradientNorm.isFinite else {
            throw DivergenceError(step: store.step + 1, what: "gradient")
        }
        phaseScale = 1
        if let clipNorm, result.gradientNorm > clipNorm { phaseScale = Float(clipNorm / result.gradientNorm) }

        // Update, on the same slices, each worker checking its slice came out finite.
        phaseLearningRate = learningRate
        run(.update, parts: workerCount)
        store.finishStep()
        guard !sliceFinite.contains(false) else {
            throw DivergenceError(step: store.step, what: "update (it overflowed Float's range)")
        }
        return result
    }

    /// Loss and hits over every example of `dataset` with the current parameters.
    public func evaluate(_ dataset: Dataset) -> StepResult {
        let order = (0..<Int32(dataset.count)).map { $0 }
        let shardCount = (order.count + microBatch - 1) / microBatch
        var results = [ShardResult](repeating: ShardResult(lossSum: 0, correct: 0), count: shardCount)
        order.withUnsafeBufferPointer { order in
            results.withUnsafeMutableBufferPointer { results in
                phaseDataset = dataset
                phaseRows = order
                phaseResults = results
                phaseShardCount = shardCount
                run(.evaluate, parts: min(workerCount, max(shardCount, 1)))
                phaseDataset = nil
            }
        }
        // Summed in shard order, so the figure does not depend on the worker count.
        return results.reduce(into: StepResult(lossSum: 0, correct: 0, examples: dataset.count)) {
            $0.lossSum += $1.lossSum
            $0.correct += $1.correct
        }
    }

    private func run(_ phase: Phase, parts: Int) {
        self.phase = phase
        crew.run(parts, self)
    }

    /// Part `part` of the phase under way; `part` is a worker index.
    func run(part w: Int) {
        switch phase {
        case .gradients, .evaluate:
            let dataset = phaseDataset!, rows = phaseRows, worker = workers[w], parameters = store.pointer
            for shard in Swift.stride(from: w, to: phaseShardCount, by: workerCount) {
                let shardRows = UnsafeBufferPointer(rebasing: rows[(shard * microBatch)..<min(rows.count, (shard + 1) * microBatch)])
                phaseResults[shard] = phase == .gradients
                    ? worker.train(dataset, rows: shardRows, parameters: parameters, gradient: slots[shard])
                    : worker.forward(dataset, rows: shardRows, parameters: parameters)
            }
        case .reduce:
            let range = slices[w]
            Reducer.treeSum(slots, shardCount: phaseShardCount, range: range)
            store.prepareGradient(slots[0], batchSize: phaseRows.count, range: range,
                                  blockSize: Reducer.blockSize, blockSquares: blockSquares.baseAddress!)
        case .update:
            sliceFinite[w] = store.apply(slots[0], learningRate: phaseLearningRate, scale: phaseScale, range: slices[w])
        }
    }

    private func summed(shardCount: Int, examples: Int) -> StepResult {
        var result = StepResult(lossSum: 0, correct: 0, examples: examples)
        for shard in 0..<shardCount {
            result.lossSum += shardResults[shard].lossSum
            result.correct += shardResults[shard].correct
        }
        return result
    }
}
