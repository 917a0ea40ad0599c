// The engine's tree reduction (`Reducer.treeSum` over `GradientSlots`), opened
// to the benchmark package through the `Benchmarking` SPI: both types are
// internal to the engine, and a benchmark must time the real code, not a copy.
// Import with `@_spi(Benchmarking) import Backprop`; not part of the API.

/// Gradient slots filled with values, and the tree sum of them as a step runs it.
@_spi(Benchmarking)
public final class ReductionKernel: @unchecked Sendable {
    public let parameterCount: Int
    public let shardCount: Int
    private let slots: GradientSlots

    /// `shardCount` slots of `parameterCount` values each, as a step over
    /// `shardCount` micro-shards leaves them.
    public init(parameterCount: Int, shardCount: Int, seed: UInt64 = 0) {
        self.parameterCount = parameterCount
        self.shardCount = shardCount
        slots = GradientSlots(count: shardCount, parameterCount: parameterCount)
        var generator = RandomGenerator(seed: seed, stream: RandomStream.syntheticData)
        for s in 0..<shardCount {
            let slot = slots[s]
            for i in 0..<parameterCount { slot[i] = Float(generator.nextUniform(limit: 1e-3)) }
        }
    }

    /// slot 0 = Σ slots in tree order, over every parameter, on the calling thread.
    public func treeSum() {
        Reducer.treeSum(slots, shardCount: shardCount, range: 0..<parameterCount)
    }

    /// The same sum split among `workers` slices of the parameters, in
    /// parallel, as `Scheduler.trainStep` runs it.
    public func treeSum(workers: Int, slices: [Range<Int>]) {
        parallelFor(workers) { w in Reducer.treeSum(slots, shardCount: shardCount, range: slices[w]) }
    }

    /// The slices `Scheduler` gives `workers` workers.
    public func slices(workers: Int) -> [Range<Int>] {
        Reducer.partition(count: parameterCount, parts: workers)
    }

    /// The first value of slot 0, to keep the optimiser from discarding the sum.
    public var first: Float { slots[0][0] }
}
