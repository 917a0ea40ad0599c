// The data-parallel step, as explicit passes over a crew of workers (see
// Passes.swift). A minibatch of m rows is cut into micro-shards of a fixed
// size; worker w takes shards w, w + W, w + 2W, …, running the forward and
// backward pass of each into the shard's own gradient slot. Then every worker
// takes one slice of the parameter vector, reduces the slots there in tree
// order and scales the sum to ∂J/∂θ; the global gradient norm is summed from
// fixed blocks (for clipping and the divergence check); and each worker
// applies the update on its slice. Three barriers a step, no locks, no
// allocation, and a result that does not depend on W.

import Dispatch

/// What one training step saw: the summed loss and hits over its minibatch,
/// and the global L2 norm of ∂J/∂θ before any clipping.
@_spi(Benchmarking)
public struct StepResult: Sendable {
    public var lossSum: Double
    public var correct: Int
    public var examples: Int
    public var gradientNorm: Double = .nan
    /// False when the update overflowed Float's range: the parameters were
    /// changed and are no longer all finite.
    public var parametersFinite = true
}

/// The training step and evaluation of one network over one parameter store.
///
/// Internal to the engine; opened to the benchmark package through the
/// `Benchmarking` SPI so that it can time the real step.
@_spi(Benchmarking)
public final class Scheduler: @unchecked Sendable {
    let store: ParameterStore
    /// Rows per micro-shard; fixes the summation order, so it is part of what
    /// makes two runs identical (the worker count is not).
    let microBatch: Int
    /// The largest minibatch a step may take.
    let maxBatch: Int

    private let crew: WorkerCrew
    private let gradients: GradientPass
    private let reduce: ReducePass
    private let update: UpdatePass
    private let evaluator: Evaluator
    /// 0, 1, … maxBatch - 1: a streamed minibatch's rows, by position.
    private let positions: [Int32]
    /// With more than one rank: the exchange that sums all ranks' slots.
    private let exchange: GradientExchange?
    /// Where this process's step time went, summed over every step taken.
    private(set) var stepTimings = StepTimings()

    @_spi(Benchmarking)
    public init(
        architecture: Architecture, store: ParameterStore, workers: Int, microBatch: Int, maxBatch: Int,
        communicator: any Communicator = SingleProcess()
    ) {
        precondition(workers > 0 && microBatch > 0 && maxBatch > 0)
        let network = Network(architecture)
        precondition(store.layout == network.layout, "the parameter store is laid out for another architecture")
        BLASThreads.useCallingThreadOnly()
        self.store = store
        self.microBatch = microBatch
        self.maxBatch = maxBatch
        positions = (0..<Int32(maxBatch)).map { $0 }
        let crew = WorkerCrew(size: workers)
        let workers = (0..<workers).map { _ in Worker(network: network, capacity: microBatch) }
        let slots = GradientSlots(count: (maxBatch + microBatch - 1) / microBatch, parameterCount: network.layout.count)
        let slices = Reducer.partition(count: network.layout.count, parts: workers.count)
        self.crew = crew
        gradients = GradientPass(workers: workers, slots: slots, microBatch: microBatch)
        reduce = ReducePass(slots: slots, store: store, slices: slices)
        update = UpdatePass(slots: slots, store: store, slices: slices)
        evaluator = Evaluator(workers: workers, crew: crew, microBatch: microBatch, communicator: communicator)
        exchange = communicator.size > 1
            ? GradientExchange(communicator: communicator, slots: slots, store: store, slices: slices) : nil
    }

    /// Optimizer step number `step` (1-based) on the examples `batch` of `dataset`.
    ///
    /// If the loss or the gradient is not finite the parameters are left
    /// untouched and a `DivergenceError` is thrown. If the update itself
    /// overflows, the result says so (`parametersFinite`): the step was taken.
    ///
    /// - Parameter clipNorm: rescale ∂J/∂θ to this L2 norm when it is larger.
    @_spi(Benchmarking)
    public func trainStep(
        _ dataset: Dataset, batch: UnsafeBufferPointer<Int32>, step: Int, learningRate: Float, clipNorm: Double? = nil
    ) throws -> StepResult {
        try trainStep(.dataset(dataset), batch: batch, step: step, learningRate: learningRate, clipNorm: clipNorm)
    }

    /// The same step on a streamed minibatch, rows 0..<m of `drawn`.
    func trainStep(
        _ drawn: DrawnBatch, step: Int, learningRate: Float, clipNorm: Double? = nil
    ) throws -> StepResult {
        try positions.withUnsafeBufferPointer { positions in
            try trainStep(.drawn(drawn), batch: UnsafeBufferPointer(rebasing: positions[0..<drawn.count]), step: step,
                          learningRate: learningRate, clipNorm: clipNorm)
        }
    }

    private func trainStep(
        _ source: ShardSource, batch: UnsafeBufferPointer<Int32>, step: Int, learningRate: Float, clipNorm: Double?
    ) throws -> StepResult {
        let m = batch.count
        precondition(m > 0 && m <= maxBatch, "minibatch of \(m) rows, the scheduler was sized for \(maxBatch)")

        let shardCount = (m + microBatch - 1) / microBatch
        var result: StepResult
        let start = DispatchTime.now().uptimeNanoseconds
        let computed: UInt64
        if let exchange {
            // Several ranks: this rank's shards, then every rank's loss and the
            // gradient summed across ranks in the single-process tree order. All
            // ranks see the same sums, so they all stop, or all go on, together.
            let mine = exchange.slots(shardCount: shardCount)
            gradients.run(source, rows: batch, shards: mine, parameters: store.pointer, on: crew)
            computed = DispatchTime.now().uptimeNanoseconds
            result = exchange.gatherResults(gradients.results, shardCount: shardCount, examples: m)
            guard result.lossSum.isFinite else { throw DivergenceError(step: step, what: "loss") }
            result.gradientNorm = exchange.reduce(shardCount: shardCount, batchSize: m, on: crew)
        } else {
            // Forward and backward: each shard into its own slot.
            result = gradients.run(source, rows: batch, parameters: store.pointer, on: crew)
            computed = DispatchTime.now().uptimeNanoseconds
            guard result.lossSum.isFinite else { throw DivergenceError(step: step, what: "loss") }

            // Reduce, and scale to ∂J/∂θ: each worker owns a slice of the parameters.
            result.gradientNorm = reduce.run(shardCount: shardCount, batchSize: m, on: crew)
        }
        let reduced = DispatchTime.now().uptimeNanoseconds
        guard result.gradientNorm.isFinite else { throw DivergenceError(step: step, what: "gradient") }
        var scale: Float = 1
        if let clipNorm, result.gradientNorm > clipNorm { scale = Float(clipNorm / result.gradientNorm) }

        // Update, on the same slices, each worker checking its slice came out finite.
        result.parametersFinite = update.run(learningRate: learningRate, scale: scale, step: step, on: crew)
        stepTimings.add(compute: computed - start, exchange: reduced - computed,
                        update: DispatchTime.now().uptimeNanoseconds - reduced)
        return result
    }

    /// Loss and hits over every example of `dataset` with the current parameters.
    func evaluate(_ dataset: Dataset) -> StepResult {
        evaluator.evaluate(dataset, parameters: store.pointer)
    }

    /// Loss and hits over a validation or test split, in memory or streamed.
    func evaluate(_ split: HeldOutData) throws -> StepResult {
        try evaluator.evaluate(split, parameters: store.pointer)
    }
}
