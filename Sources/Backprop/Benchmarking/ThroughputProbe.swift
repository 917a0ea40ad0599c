// Times whole training steps of one model at one setting (workers, minibatch,
// micro-batch): the real `Scheduler.trainStep`, with its gather, forward and
// backward passes, tree reduction and SGD update, on synthetic data held in
// memory, so nothing but the engine is measured. Given a communicator of
// several ranks, each holding the same synthetic data, it times the multi-rank
// step (each rank's shards, exchange, update). `package`, not public: only
// `backprop bench` uses it, and it reaches the engine's internal types.

import Dispatch

/// A scheduler ready to train one model on synthetic data, and a clock.
package final class ThroughputProbe {
    package let architecture: Architecture
    package let workers: Int
    package let batchSize: Int
    package let microBatch: Int
    /// The ranks that share each step.
    package let ranks: Int

    private let scheduler: Scheduler
    private let data: Dataset
    /// A shuffled visiting order, so each step gathers scattered rows as training does.
    private let order: [Int32]
    private var cursor = 0
    private var stepsTaken = 0

    /// Examples in the synthetic dataset: enough that a step's rows are not all in cache.
    static let minimumExamples = 8192

    /// - Parameter communicator: the ranks that run each step together; every
    ///   one of them makes the same probe and calls `time` the same number of times.
    package init(architecture: Architecture, workers: Int, batchSize: Int, microBatch: Int, seed: UInt64 = 0,
                 communicator: any Communicator = SingleProcess()) {
        precondition(workers > 0 && batchSize > 0 && microBatch > 0)
        self.architecture = architecture
        self.workers = workers
        self.batchSize = batchSize
        self.microBatch = min(microBatch, batchSize)
        ranks = communicator.size
        let store = ParameterStore(
            layout: ParameterLayout(architecture), initial: Initialization.auto.parameters(for: architecture, seed: seed),
            optimizer: SGD(momentum: 0.9), l2: 0)
        scheduler = Scheduler(
            architecture: architecture, store: store, workers: workers, microBatch: self.microBatch, maxBatch: batchSize,
            communicator: communicator)
        // A whole number of batches, so every step takes `batchSize` rows without wrapping.
        let batches = (Self.minimumExamples + batchSize - 1) / batchSize
        data = Dataset.synthetic(for: architecture, count: batches * batchSize, seed: seed)
        var generator = RandomGenerator(seed: seed, stream: RandomStream.shuffleBase)
        order = generator.permutation(count: data.count)
    }

    /// Runs `steps` training steps and returns the seconds they took.
    ///
    /// The learning rate is small so that, on random labels, the loss stays
    /// finite however long the probe runs.
    @discardableResult
    package func time(steps: Int) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try order.withUnsafeBufferPointer { order in
            for _ in 0..<steps {
                let batch = UnsafeBufferPointer(rebasing: order[cursor..<(cursor + batchSize)])
                stepsTaken += 1
                _ = try scheduler.trainStep(data, batch: batch, step: stepsTaken, learningRate: 0.001)
                cursor = (cursor + batchSize) % order.count
            }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Where the steps taken so far spent their time, as the scheduler timed them.
    package var stepTimings: StepTimings { scheduler.stepTimings }

    /// Examples per second of one timing of `steps` steps.
    package func samplesPerSecond(steps: Int) throws -> Double {
        Double(steps * batchSize) / (try time(steps: steps))
    }
}
