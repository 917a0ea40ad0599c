// The parallel passes of a step, one task object each: gradients (forward and
// backward of every micro-shard), reduce (tree sum of the slots and ∂J/∂θ),
// update (the optimizer), and forward (loss and hits only, for evaluation).
//
// Each pass is made once, with the buffers it writes, and holds the inputs of
// the fan-out under way: `run` stores them, fans the task out on the crew, and
// clears what it must not keep alive. Setting a stored property allocates
// nothing, so a step allocates nothing. Within a pass, part w (a worker index)
// writes only its own outputs: worker w's workspace and the slots of the shards
// it takes, or slice w of the parameters.

/// Forward and backward of every micro-shard of a minibatch, each shard's
/// gradient sum into its own slot. Worker w takes shards w, w + W, w + 2W, …
final class GradientPass: ParallelTask {
    let workers: [Worker]
    let slots: GradientSlots
    let microBatch: Int
    /// The loss sum and hits of each shard.
    let results: Slab<ShardResult>

    private var source: ShardSource?
    private var rows = UnsafeBufferPointer<Int32>(start: nil, count: 0)
    private var parameters: UnsafePointer<Float>?
    private var shards = 0..<0

    init(workers: [Worker], slots: GradientSlots, microBatch: Int) {
        self.workers = workers
        self.slots = slots
        self.microBatch = microBatch
        results = Slab(count: slots.count, repeating: ShardResult(lossSum: 0, correct: 0))
    }

    /// Fills slot s with Σ ∂L_i/∂θ over shard s of `rows`, for every shard;
    /// returns the loss sum and hits over all of `rows`, summed in shard order.
    func run(_ source: ShardSource, rows: UnsafeBufferPointer<Int32>, parameters: UnsafePointer<Float>, on crew: WorkerCrew) -> StepResult {
        let shardCount = (rows.count + microBatch - 1) / microBatch
        run(source, rows: rows, shards: 0..<shardCount, parameters: parameters, on: crew)
        var result = StepResult(lossSum: 0, correct: 0, examples: rows.count)
        for shard in 0..<shardCount {
            result.lossSum += results[shard].lossSum
            result.correct += results[shard].correct
        }
        return result
    }

    /// Fills the slots of `shards` only (one rank's share of the minibatch
    /// `rows`), leaving their loss sums and hits in `results`.
    func run(_ source: ShardSource, rows: UnsafeBufferPointer<Int32>, shards: Range<Int>, parameters: UnsafePointer<Float>, on crew: WorkerCrew) {
        precondition(shards.upperBound <= slots.count, "\(rows.count) rows need \(shards.upperBound) slots, there are \(slots.count)")
        guard !shards.isEmpty else { return }
        self.shards = shards
        self.source = source
        self.rows = rows
        self.parameters = parameters
        defer { self.source = nil }
        crew.run(min(workers.count, shards.count), self)
    }

    func run(part w: Int) {
        let source = source!, parameters = parameters!, worker = workers[w]
        for shard in stride(from: shards.lowerBound + w, to: shards.upperBound, by: workers.count) {
            let shardRows = UnsafeBufferPointer(rebasing: rows[(shard * microBatch)..<min(rows.count, (shard + 1) * microBatch)])
            results[shard] = worker.train(source, rows: shardRows, parameters: parameters, gradient: slots[shard])
        }
    }
}

/// Slot 0 = Σ slots in tree order, turned into ∂J/∂θ; worker w takes slice w
/// of the parameters. Also sums the squares of ∂J/∂θ per block, for the norm.
final class ReducePass: ParallelTask {
    let slots: GradientSlots
    let store: ParameterStore
    let slices: [Range<Int>]
    /// Sum of squares of ∂J/∂θ per block of `Reducer.blockSize` parameters.
    let blockSquares: Slab<Double>

    private var shardCount = 0
    private var batchSize = 0

    init(slots: GradientSlots, store: ParameterStore, slices: [Range<Int>]) {
        self.slots = slots
        self.store = store
        self.slices = slices
        blockSquares = Slab(zeros: (store.layout.count + Reducer.blockSize - 1) / Reducer.blockSize)
    }

    /// Reduces the first `shardCount` slots of a minibatch of `batchSize`
    /// examples into ∂J/∂θ in slot 0, and returns its global L2 norm.
    func run(shardCount: Int, batchSize: Int, on crew: WorkerCrew) -> Double {
        self.shardCount = shardCount
        self.batchSize = batchSize
        crew.run(slices.count, self)
        // Summed in block order, so the norm does not depend on the worker count.
        var squares = 0.0
        for block in blockSquares.buffer { squares += block }
        return squares.squareRoot()
    }

    func run(part w: Int) {
        // Block by block, so that each block of slot 0 is turned into ∂J/∂θ
        // while the tree sum has just left it in cache.
        let slice = slices[w]
        var blockStart = slice.lowerBound
        while blockStart < slice.upperBound {
            let block = blockStart..<min(blockStart + Reducer.blockSize, slice.upperBound)
            Reducer.treeSum(slots, shardCount: shardCount, range: block)
            store.prepareGradient(slots[0], batchSize: batchSize, range: block,
                                  blockSize: Reducer.blockSize, blockSquares: blockSquares.base)
            blockStart = block.upperBound
        }
    }
}

/// The optimizer's update from ∂J/∂θ in slot 0; worker w takes slice w of the
/// parameters and checks that it came out finite.
final class UpdatePass: ParallelTask {
    let slots: GradientSlots
    let store: ParameterStore
    let slices: [Range<Int>]
    /// Whether each slice of the parameters is finite after the update.
    let sliceFinite: Slab<Bool>

    private var learningRate: Float = 0
    private var scale: Float = 1
    private var step = 0

    init(slots: GradientSlots, store: ParameterStore, slices: [Range<Int>]) {
        self.slots = slots
        self.store = store
        self.slices = slices
        sliceFinite = Slab(count: slices.count, repeating: true)
    }

    /// Applies update number `step` with the gradient scaled by `scale`, and
    /// says whether every parameter is still finite.
    func run(learningRate: Float, scale: Float, step: Int, on crew: WorkerCrew) -> Bool {
        self.learningRate = learningRate
        self.scale = scale
        self.step = step
        crew.run(slices.count, self)
        return !sliceFinite.buffer.contains(false)
    }

    func run(part w: Int) {
        sliceFinite[w] = store.apply(slots[0], learningRate: learningRate, scale: scale, range: slices[w], step: step)
    }
}

/// The forward pass only, over every micro-shard of some rows, for loss and
/// hits: no gradient, no parameter store, no optimizer. Worker w takes shards
/// w, w + W, w + 2W, …
final class ForwardPass: ParallelTask {
    let workers: [Worker]
    let microBatch: Int

    private var dataset: Dataset?
    private var rows = UnsafeBufferPointer<Int32>(start: nil, count: 0)
    private var parameters: UnsafePointer<Float>?
    private var results = UnsafeMutableBufferPointer<ShardResult>(start: nil, count: 0)
    private var resultSlab = Slab(count: 0, repeating: ShardResult(lossSum: 0, correct: 0))
    private var shards = 0..<0

    init(workers: [Worker], microBatch: Int) {
        self.workers = workers
        self.microBatch = microBatch
    }

    /// Loss sum and hits over `rows` of `dataset` with `parameters`, summed in
    /// shard order so that the figure does not depend on the worker count.
    ///
    /// With several ranks in `communicator`, rank r runs the shards
    /// ⌊rS/R⌋ ..< ⌊(r+1)S/R⌋ and every rank gets every shard's figures (a
    /// collective call): the same sums, in the same order, as one process.
    func run(_ dataset: Dataset, rows: UnsafeBufferPointer<Int32>, parameters: UnsafePointer<Float>, on crew: WorkerCrew,
             communicator: any Communicator = SingleProcess()) -> StepResult {
        var total = StepResult(lossSum: 0, correct: 0, examples: rows.count)
        run(dataset, rows: rows, parameters: parameters, on: crew, communicator: communicator, adding: &total)
        return total
    }

    /// Adds the loss sum and hits of every shard of `rows`, in shard order, to
    /// `total` (its `examples` is left alone). Rows evaluated a stage at a time,
    /// each stage whole micro-shards, so make the very additions, in the very
    /// order, that evaluating them all at once makes.
    func run(_ dataset: Dataset, rows: UnsafeBufferPointer<Int32>, parameters: UnsafePointer<Float>, on crew: WorkerCrew,
             communicator: any Communicator = SingleProcess(), adding total: inout StepResult) {
        let shardCount = (rows.count + microBatch - 1) / microBatch
        guard shardCount > 0 else { return }
        // Kept from call to call, so that evaluating stage after stage allocates nothing.
        if resultSlab.count < shardCount { resultSlab = Slab(count: shardCount, repeating: ShardResult(lossSum: 0, correct: 0)) }
        let results = resultSlab
        let ranks = communicator.size, rank = communicator.rank
        shards = (rank * shardCount / ranks)..<((rank + 1) * shardCount / ranks)
        self.dataset = dataset
        self.rows = rows
        self.parameters = parameters
        self.results = results.view(0..<shardCount)
        defer {
            self.dataset = nil
            self.results = UnsafeMutableBufferPointer(start: nil, count: 0)
        }
        if !shards.isEmpty { crew.run(min(workers.count, shards.count), self) }
        if ranks > 1 {
            let size = MemoryLayout<ShardResult>.stride
            let counts = (0..<ranks).map { Int32((($0 + 1) * shardCount / ranks - $0 * shardCount / ranks) * size) }
            let offsets = (0..<ranks).map { Int32($0 * shardCount / ranks * size) }
            counts.withUnsafeBufferPointer { counts in
                offsets.withUnsafeBufferPointer { offsets in
                    communicator.allGather(UnsafeMutableRawPointer(results.base), counts: counts.baseAddress!,
                                           offsets: offsets.baseAddress!, type: .byte)
                }
            }
        }
        for result in results.view(0..<shardCount) {
            total.lossSum += result.lossSum
            total.correct += result.correct
        }
    }

    func run(part w: Int) {
        let dataset = dataset!, parameters = parameters!, worker = workers[w]
        for shard in stride(from: shards.lowerBound + w, to: shards.upperBound, by: workers.count) {
            let shardRows = UnsafeBufferPointer(rebasing: rows[(shard * microBatch)..<min(rows.count, (shard + 1) * microBatch)])
            results[shard] = worker.forward(.dataset(dataset), rows: shardRows, parameters: parameters)
        }
    }
}
