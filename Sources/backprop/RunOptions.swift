// The flags every command that runs the engine shares, with one rule each,
// checked in `validate()` before any work: `--workers` (train, resume,
// evaluate), and how long to run and how much to print (train, resume).

import ArgumentParser
import Backprop
import Foundation

/// `--workers`, for every command that runs the engine.
struct WorkerOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Parallel workers (default: the cores this process may run on, from its CPU mask).", valueName: "n"))
    var workers: Int?

    /// The workers to run: the count given, or one per active core.
    var count: Int { workers ?? CPUMask.allowedCores }

    func validate() throws {
        if let workers { try Self.check(workers, flag: "--workers") }
    }

    /// The one rule for a worker count, whichever flag gives it.
    static func check(_ workers: Int, flag: String) throws {
        let limit = TrainingConfiguration.maxWorkers
        guard (1...limit).contains(workers) else {
            throw ValidationError("\(flag) must be between 1 and \(limit), got \(workers)")
        }
    }
}

/// The workers, the length of the run and the output of `train` and `resume`.
struct RunOptions: ParsableArguments {
    @OptionGroup var parallelism: WorkerOptions

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Train until this many epochs in all (default: 10 for train; the checkpoint's for resume).", valueName: "n"))
    var epochs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Stop after this many optimizer steps in all (0 writes the freshly initialised model).", valueName: "n"))
    var steps: Int?

    @Flag(name: .shortAndLong, help: "Print only the final result.")
    var quiet = false

    var workers: Int? { parallelism.workers }

    func validate() throws {
        if let epochs, epochs < 0 { throw ValidationError("--epochs must be 0 or more, got \(epochs)") }
        if let steps, steps < 0 { throw ValidationError("--steps must be 0 or more, got \(steps)") }
    }
}
