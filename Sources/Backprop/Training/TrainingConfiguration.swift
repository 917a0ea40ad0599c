// Every setting that affects what a training run computes, in one value: the
// CLI fills it from flags, a library user sets it in code, a checkpoint stores it.

import Foundation

/// How to train: the optimizer's settings, batching, seeding and parallelism.
public struct TrainingConfiguration: Sendable, Equatable {
    /// Passes over the training data.
    public var epochs = 10
    /// Stop after this many optimizer steps in all (nil: run every epoch).
    public var maxSteps: Int? = nil
    /// m, the examples per optimizer step. The last step of an epoch takes the rest.
    public var batchSize = 32
    /// Rows per micro-shard, the unit of work handed to a worker. Results depend
    /// on it (it fixes the order of the gradient sum) but not on `workers`.
    public var microBatch = 64
    /// α.
    public var learningRate = 0.01
    /// μ of SGD with momentum (0: plain SGD).
    public var momentum = 0.0
    public var nesterov = false
    /// λ of the L2 penalty (λ / 2m) Σ‖W‖²; biases are not regularised.
    public var l2 = 0.0
    /// Seeds initialisation and shuffling.
    public var seed: UInt64 = 0
    /// Shuffle the training rows every epoch (from the seed); false keeps file order.
    public var shuffle = true
    /// Parallel workers; defaults to the number of active cores.
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    public var initialization = Initialization.auto

    public init() {}

    /// Rejects settings that cannot work, naming the flag.
    public func validate() throws {
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw ConfigurationError(message()) }
        }
        try require(epochs >= 0, "--epochs must be 0 or more, got \(epochs)")
        try require(maxSteps.map { $0 >= 0 } ?? true, "--steps must be 0 or more, got \(maxSteps ?? 0)")
        try require(batchSize > 0, "--batch-size must be positive, got \(batchSize)")
        try require(microBatch > 0, "--micro-batch must be positive, got \(microBatch)")
        try require(learningRate.isFinite && learningRate > 0, "--learning-rate must be a positive number, got \(learningRate)")
        try require(momentum.isFinite && momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got \(momentum)")
        try require(!nesterov || momentum > 0, "--nesterov needs a --momentum above 0")
        try require(l2.isFinite && l2 >= 0, "--l2 must be 0 or more, got \(l2)")
        try require(workers > 0 && workers <= 1024, "--workers must be between 1 and 1024, got \(workers)")
    }

    /// The optimizer these settings describe.
    public var optimizer: any Optimizer { SGD(momentum: Float(momentum), nesterov: nesterov) }
}
