// The flags that set how training runs: optimizer, batching, seed, workers.

import ArgumentParser
import Backprop
import Foundation

struct TrainingOptions: ParsableArguments {
    @Option(name: [.customLong("learning-rate"), .customLong("lr")], help: "Learning rate α.")
    var learningRate = 0.01

    @Option(help: "Momentum μ of SGD (0 for plain SGD).")
    var momentum = 0.0

    @Flag(help: "Use Nesterov momentum.")
    var nesterov = false

    @Option(help: "L2 regularisation strength λ, on weights only.")
    var l2 = 0.0

    @Option(help: "Examples per optimizer step.")
    var batchSize = 32

    @Option(help: ArgumentHelp("Rows per micro-shard: the unit of parallel work, which fixes the summation order (results depend on it, not on --workers)."))
    var microBatch = 64

    @Option(help: "Passes over the training data.")
    var epochs = 10

    @Option(help: ArgumentHelp("Stop after this many optimizer steps in all (0 writes the freshly initialised model).", valueName: "n"))
    var steps: Int?

    @Option(help: ArgumentHelp("Parallel workers (default: the number of cores).", valueName: "n"))
    var workers: Int?

    @Option(help: "Seed for initialisation and shuffling.")
    var seed: UInt64 = 0

    @Flag(help: "Keep the file's row order instead of shuffling every epoch.")
    var noShuffle = false

    @Option(help: ArgumentHelp("Weight initialisation: auto (He for ReLU layers, Glorot otherwise), he, glorot.", valueName: "name"))
    var initialization = Initialization.auto.rawValue

    func validate() throws {
        do {
            try configuration().validate()
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
    }

    func configuration() throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.learningRate = learningRate
        c.momentum = momentum
        c.nesterov = nesterov
        c.l2 = l2
        c.batchSize = batchSize
        c.microBatch = microBatch
        c.epochs = epochs
        c.maxSteps = steps
        c.workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        c.seed = seed
        c.shuffle = !noShuffle
        guard let initialization = Initialization(rawValue: initialization) else {
            throw ValidationError("--initialization: unknown '\(self.initialization)'; expected auto, he or glorot")
        }
        c.initialization = initialization
        return c
    }
}
