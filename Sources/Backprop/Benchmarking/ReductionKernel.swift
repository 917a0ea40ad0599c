// The engine's tree reduction (`Reducer.treeSum` over `GradientSlots`), opened
// to the benchmark package through the `Benchmarking` SPI: both types are
// internal to the engine, and a benchmark must time the real code, not a copy.
// Import with `@_spi(Benchmarking) import Backprop`; not part of the API.

/// Gradient slots filled with values, and the tree sum of them split among
/// workers as `Scheduler.trainStep` runs it: one slice of the parameters per
/// worker, fanned out on a crew made once.
@_spi(Benchmarking)
public final class ReductionKernel: ParallelTask, @unchecked Sendable {
    public let parameterCount: Int
    public let shardCount: Int
    public let workers: Int
    private let slots: GradientSlots
    private let slices: [Range<Int>]
    private let crew: WorkerCrew

    /// `shardCount` slots of `parameterCount` values each, as a step over
    /// `shardCount` micro-shards leaves them, reduced by `workers` workers.
    public init(parameterCount: Int, shardCount: Int, workers: Int, seed: UInt64 = 0) {
        self.parameterCount = parameterCount
        self.shardCount = shardCount
        self.workers = workers
        slots = GradientSlots(count: shardCount, parameterCount: parameterCount)
        slices = Reducer.partition(count: parameterCount, parts: workers)
        crew = WorkerCrew(size: workers)
        var generator = RandomGenerator(seed: seed, stream: RandomStream.syntheticData)
        for s in 0..<shardCount {
            let slot = slots[s]
            for i in 0..<parameterCount { slot[i] = Float(generator.nextUniform(limit: 1e-3)) }
        }
    }

    /// slot 0 = Σ slots in tree order, over every parameter.
    public func treeSum() {
        crew.run(workers, self)
    }

    func run(part: Int) {
        Reducer.treeSum(slots, shardCount: shardCount, range: slices[part])
    }

    /// The first value of slot 0, to keep the optimiser from discarding the sum.
    public var first: Float { slots[0][0] }
}
