// The flags that set what training computes: optimizer and schedule, batching,
// held-out data, stopping rules and seed. How long it runs and on how many
// workers is RunOptions'.

import ArgumentParser
import Backprop
import Foundation

struct TrainingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Update rule.", valueName: "name"))
    var optimizer = OptimizerKind.sgd

    @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "Base learning rate α.")
    var learningRate = 0.01

    @Option(parsing: .unconditional, help: "Momentum μ of SGD (0 for plain SGD).")
    var momentum = 0.0

    @Flag(help: "Use Nesterov momentum (SGD).")
    var nesterov = false

    @Option(parsing: .unconditional, help: "β₁ of Adam and AdamW.")
    var beta1 = 0.9

    @Option(parsing: .unconditional, help: "β₂ of Adam and AdamW.")
    var beta2 = 0.999

    @Option(parsing: .unconditional, help: "ε of Adam, AdamW and RMSprop.")
    var epsilon = 1e-8

    @Option(parsing: .unconditional, help: "Decoupled weight decay λ of AdamW (weights only).")
    var weightDecay = 0.01

    @Option(parsing: .unconditional, help: "ρ of RMSprop, the decay of its squared-gradient average.")
    var rho = 0.99

    @Option(help: ArgumentHelp("Learning-rate schedule.", valueName: "name"))
    var schedule = ScheduleName.constant

    @Option(parsing: .unconditional, help: "Multiply the rate by this every --decay-epochs epochs (step) or every epoch (exponential).")
    var gamma = 0.1

    @Option(parsing: .unconditional, help: ArgumentHelp("Epochs between decays of the step schedule.", valueName: "n"))
    var decayEpochs = 1

    @Option(parsing: .unconditional, help: "The rate the cosine schedule ends at.")
    var minLearningRate = 0.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Raise the rate linearly from α/n to the schedule's over the first n steps.", valueName: "n"))
    var warmupSteps = 0

    @Option(parsing: .unconditional, help: "L2 regularisation strength λ, on weights only.")
    var l2 = 0.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Rescale the gradient to this global L2 norm when it is larger.", valueName: "C"))
    var clipGradNorm: Double?

    @Option(parsing: .unconditional, help: "Examples per optimizer step.")
    var batchSize = 32

    @Option(parsing: .unconditional, help: ArgumentHelp("Rows per micro-shard, the unit of parallel work; it fixes the summation order, so results depend on it and not on --workers (default: a quarter of --batch-size, 16 to 256).", valueName: "n"))
    var microBatch: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Hold out this fraction of the training rows (chosen from the seed) for validation.", valueName: "F"))
    var validationSplit = 0.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop when the validation loss has not improved for n epochs, and keep the best parameters.", valueName: "n"))
    var earlyStopping: Int?

    @Option(help: "Seed for initialisation, shuffling and the validation split.")
    var seed: UInt64 = 0

    @Flag(help: "Keep the file's row order instead of shuffling every epoch.")
    var noShuffle = false

    @Option(help: ArgumentHelp("Weight initialisation: auto is He for ReLU layers, Glorot otherwise.", valueName: "name"))
    var initialization = Initialization.auto

    /// The settings these flags and `run`'s give. Not checked here: `train`
    /// validates them, since the run length and workers are another group's.
    func configuration(run: RunOptions) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.optimizerKind = optimizer
        c.learningRate = learningRate
        c.momentum = momentum
        c.nesterov = nesterov
        c.beta1 = beta1
        c.beta2 = beta2
        c.epsilon = epsilon
        c.weightDecay = weightDecay
        c.rho = rho
        c.schedule = switch schedule {
        case .constant: .constant
        case .step: .step(everyEpochs: decayEpochs, gamma: gamma)
        case .exponential: .exponential(gamma: gamma)
        case .cosine: .cosine(minimum: minLearningRate)
        }
        c.warmupSteps = warmupSteps
        c.l2 = l2
        c.clipGradientNorm = clipGradNorm
        c.batchSize = batchSize
        c.microBatch = microBatch
        c.epochs = run.epochs ?? c.epochs
        c.maxSteps = run.steps
        c.validationSplit = validationSplit
        c.earlyStoppingPatience = earlyStopping
        c.workers = run.parallelism.count
        c.seed = seed
        c.shuffle = !noShuffle
        c.initialization = initialization
        return c
    }
}
