// Every setting that affects what a training run computes, in one value: the
// CLI fills it from flags, a library user sets it in code, a checkpoint stores it.

import Foundation

/// How to train: the optimizer and its schedule, batching, held-out data,
/// stopping rules, seeding and parallelism.
public struct TrainingConfiguration: Sendable, Equatable {
    /// Passes over the training data.
    public var epochs = 10
    /// Stop after this many optimizer steps in all (nil: run every epoch).
    public var maxSteps: Int? = nil
    /// m, the examples per optimizer step. The last step of an epoch takes the rest.
    public var batchSize = 32
    /// Rows per micro-shard, the unit of work handed to a worker. Results depend
    /// on it (it fixes the order of the gradient sum) but not on `workers`.
    /// nil: `defaultMicroBatch(batchSize:)`, fixed when a run starts.
    public var microBatch: Int? = nil

    /// A quarter of the minibatch, between 16 and 256 rows. Derived from the
    /// batch size only, never from the core count, so a seed gives the same run
    /// on every machine; four shards a step keep up to four workers busy, and
    /// rows up to 256 keep each shard's sgemm calls large enough to run near
    /// the kernels' peak (measured on 784-1024-1024-10: 64 rows 10.3k
    /// samples/s, 128 rows 12.0k, 256 rows 12.5k on 2 workers).
    public static func defaultMicroBatch(batchSize: Int) -> Int {
        min(256, max(16, (batchSize + 3) / 4))
    }

    /// The update rule and its settings.
    public var optimizerKind = OptimizerKind.sgd
    /// α, the base learning rate.
    public var learningRate = 0.01
    /// μ of SGD with momentum (0: plain SGD).
    public var momentum = 0.0
    public var nesterov = false
    /// β₁, β₂ and ε of Adam and AdamW; ε of RMSprop.
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8
    /// λ of AdamW's decoupled weight decay.
    public var weightDecay = 0.01
    /// ρ of RMSprop.
    public var rho = 0.99

    /// How α changes over the run, and the linear warm-up before it.
    public var schedule = LearningRateSchedule.constant
    public var warmupSteps = 0
    /// The steps a cosine schedule spans. Fixed when a run starts (nil: the
    /// run's planned steps), so that resuming with more epochs continues the
    /// original schedule (at its minimum) instead of redrawing it.
    public var scheduleSteps: Int? = nil

    /// λ of the L2 penalty (λ / 2m) Σ‖W‖²; biases are not regularised.
    public var l2 = 0.0
    /// Rescale ∂J/∂θ to this global L2 norm when it is larger (nil: never).
    public var clipGradientNorm: Double? = nil

    /// Hold out this fraction of the training rows, chosen from the seed, for
    /// validation (when the file has no validation split).
    public var validationSplit = 0.0
    /// Stop when the validation loss has not improved for this many epochs,
    /// and restore the best parameters (nil: never).
    public var earlyStoppingPatience: Int? = nil

    /// Seeds initialisation, shuffling and the validation split.
    public var seed: UInt64 = 0
    /// Shuffle the training rows every epoch (from the seed); false keeps file order.
    public var shuffle = true
    /// nil: the training split is held in memory and epoch e visits it in a full
    /// permutation drawn from (seed, e). Otherwise it is streamed from its file
    /// in blocks, in the order `BlockSampler` draws from (seed, e). Set by the
    /// trainer from the data it is given.
    public var stream: StreamSettings? = nil
    /// Parallel workers; defaults to the cores in the process's CPU mask.
    public var workers = CPUMask.allowedCores
    public var initialization = Initialization.auto

    public init() {}

    /// The most workers a run may use.
    package static let maxWorkers = 1024

    /// Rejects settings that cannot work with a `ConfigurationError` that names
    /// the property at fault, e.g. "batchSize must be positive, got 0".
    public func validate() throws {
        func require(_ condition: Bool, _ setting: String, _ message: @autoclosure () -> String,
                     related: [String] = []) throws {
            if !condition { throw ConfigurationError(setting: setting, message(), related: related) }
        }
        // The optimizers compute in Float: a setting must stay finite (and a
        // positive one positive) once converted, or it silently becomes ∞ or 0.
        func finite(_ x: Double) -> Bool { Float(x).isFinite }
        func positive(_ x: Double) -> Bool { finite(x) && Float(x) > 0 }
        try require(epochs >= 0, "epochs", "epochs must be 0 or more, got \(epochs)")
        try require(maxSteps.map { $0 >= 0 } ?? true, "maxSteps", "maxSteps must be 0 or more, got \(maxSteps ?? 0)")
        try require(batchSize > 0, "batchSize", "batchSize must be positive, got \(batchSize)")
        try require(microBatch.map { $0 > 0 } ?? true, "microBatch", "microBatch must be positive, got \(microBatch ?? 0)")
        try require(positive(learningRate), "learningRate",
                    "learningRate must be a positive number within Float's range, got \(learningRate)")
        try require(finite(momentum) && momentum >= 0 && momentum < 1, "momentum", "momentum must be in [0, 1), got \(momentum)")
        try require(!nesterov || momentum > 0, "nesterov", "nesterov needs a momentum above 0", related: ["momentum"])
        try require(optimizerKind == .sgd || (momentum == 0 && !nesterov), "momentum",
                    "momentum and nesterov are for optimizerKind sgd", related: ["nesterov", "optimizerKind"])
        try require(finite(beta1) && beta1 >= 0 && beta1 < 1, "beta1", "beta1 must be in [0, 1), got \(beta1)")
        try require(finite(beta2) && beta2 >= 0 && beta2 < 1, "beta2", "beta2 must be in [0, 1), got \(beta2)")
        try require(positive(epsilon), "epsilon",
                    "epsilon must be a positive number within Float's range (at least 1e-38), got \(epsilon)")
        try require(finite(weightDecay) && weightDecay >= 0, "weightDecay", "weightDecay must be 0 or more, got \(weightDecay)")
        try require(finite(rho) && rho >= 0 && rho < 1, "rho", "rho must be in [0, 1), got \(rho)")
        switch schedule {
        case .constant: break
        case .step(let every, let gamma):
            try require(every > 0, "schedule.everyEpochs", "schedule.everyEpochs must be positive, got \(every)")
            try require(finite(gamma) && gamma > 0, "schedule.gamma", "schedule.gamma must be positive, got \(gamma)")
        case .exponential(let gamma):
            try require(finite(gamma) && gamma > 0, "schedule.gamma", "schedule.gamma must be positive, got \(gamma)")
        case .cosine(let minimum):
            try require(finite(minimum) && minimum >= 0 && minimum <= learningRate, "schedule.minimum",
                        "schedule.minimum must be in [0, learningRate], got \(minimum)", related: ["learningRate"])
        }
        try require(warmupSteps >= 0, "warmupSteps", "warmupSteps must be 0 or more, got \(warmupSteps)")
        try require(scheduleSteps.map { $0 >= 0 } ?? true, "scheduleSteps", "scheduleSteps must be 0 or more, got \(scheduleSteps ?? 0)")
        try require(finite(l2) && l2 >= 0, "l2", "l2 must be 0 or more, got \(l2)")
        try require(clipGradientNorm.map { finite($0) && $0 > 0 } ?? true, "clipGradientNorm",
                    "clipGradientNorm must be positive, got \(clipGradientNorm ?? 0)")
        try require(finite(validationSplit) && validationSplit >= 0 && validationSplit < 1, "validationSplit",
                    "validationSplit must be in [0, 1), got \(validationSplit)")
        try require(earlyStoppingPatience.map { $0 > 0 } ?? true, "earlyStoppingPatience",
                    "earlyStoppingPatience must be a positive number of epochs, got \(earlyStoppingPatience ?? 0)")
        try require(stream.map { $0.blockRows > 0 && $0.slots > 0 } ?? true, "stream",
                    "stream needs positive blockRows and slots, got \(stream.map { "\($0.blockRows) and \($0.slots)" } ?? "")")
        try require(stream == nil || shuffle, "stream", "a streamed split is always shuffled by blocks; shuffle must be true",
                    related: ["shuffle"])
        try require(workers > 0 && workers <= Self.maxWorkers, "workers",
                    "workers must be between 1 and \(Self.maxWorkers), got \(workers)")
    }

    /// The update rule these settings describe.
    public var optimizer: any Optimizer {
        switch optimizerKind {
        case .sgd: SGD(momentum: Float(momentum), nesterov: nesterov)
        case .adam: Adam(beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon))
        case .adamw: Adam(beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon), weightDecay: Float(weightDecay))
        case .rmsprop: RMSprop(rho: Float(rho), epsilon: Float(epsilon))
        }
    }
}
