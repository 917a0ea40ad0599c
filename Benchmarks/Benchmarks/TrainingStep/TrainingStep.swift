// Whole training steps, `Scheduler.trainStep` as the trainer calls it (reached
// through the `Benchmarking` SPI, as the scheduler is internal): gather
// the minibatch's rows, forward and backward every micro-shard on the workers,
// tree-reduce the gradient slots, apply SGD with momentum. One iteration is one
// step, so samples/s = m × throughput. mallocCountTotal counts every malloc in
// the process during the measured steps (warm-up excluded): 0 is what "steady-
// state training allocates nothing" means.

import Benchmark
@_spi(Benchmarking) import Backprop

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 2_000)

    // The micro-batch is the one `backprop train` uses for the minibatch.
    let settings: [(widths: [Int], batch: Int)] = [([784, 256, 128, 10], 256), ([784, 1024, 1024, 10], 512)]
    for (widths, batch) in settings {
        let microBatch = TrainingConfiguration.defaultMicroBatch(batchSize: batch)
        for workers in [1, 2] {
            let name = "train step \(widths.map(String.init).joined(separator: "-")), m \(batch), micro-batch \(microBatch), \(workers) worker\(workers == 1 ? "" : "s")"
            Benchmark(name) { benchmark, step in
                for _ in benchmark.scaledIterations { blackHole(try! step.run()) }
            } setup: {
                try StepFixture(widths: widths, batch: batch, workers: workers, microBatch: microBatch)
            }
        }
    }
}

/// A scheduler, synthetic data and a shuffled order, ready to take steps.
final class StepFixture: @unchecked Sendable {
    let scheduler: Scheduler
    let data: Dataset
    let order: Slab<Int32>
    let batch: Int
    var cursor = 0
    var step = 0

    init(widths: [Int], batch: Int, workers: Int, microBatch: Int) throws {
        let architecture = try Architecture(layerSizes: widths, hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        let store = ParameterStore(
            layout: ParameterLayout(architecture), initial: Initialization.auto.parameters(for: architecture, seed: 1),
            optimizer: SGD(momentum: 0.9), l2: 0)
        scheduler = Scheduler(architecture: architecture, store: store, workers: workers, microBatch: microBatch, maxBatch: batch)
        data = Dataset.synthetic(for: architecture, count: 16 * batch, seed: 1)
        var generator = RandomGenerator(seed: 1, stream: 7)
        order = Slab(copying: generator.permutation(count: data.count))
        self.batch = batch
    }

    /// One optimizer step on the next `batch` rows of the order.
    func run() throws -> StepResult {
        let rows = UnsafeBufferPointer(order.view(cursor..<(cursor + batch)))
        cursor = (cursor + batch) % order.count
        step += 1
        return try scheduler.trainStep(data, batch: rows, step: step, learningRate: 0.001)
    }
}
