// Runs a trainer as `train` and `resume` both do: progress on screen, the
// JSON log, checkpoints on schedule, a clean stop on SIGINT or SIGTERM, and a
// one-line stop when a checkpoint cannot be written.

import ArgumentParser
import Backprop
import Foundation

struct TrainingSession {
    let trainer: Trainer
    let test: HeldOutData?
    let checkpointer: Checkpointer?
    let log: MetricsLog?
    let reporter: ProgressReporter
    var tensorboard: TensorBoardLog? = nil
    /// Also print, under mpirun, where rank 0's step time went.
    var verbose = false

    /// What every event leaves behind on rank 0: the log line and TensorBoard
    /// record of an epoch, and any checkpoint due.
    private func record(_ event: TrainingEvent) throws {
        if case .epochEnded(let record) = event {
            try log?.append(record)
            try tensorboard?.append(record)
        }
        try checkpointer?.handle(event, trainer: trainer)
    }

    func run() throws {
        StopSignals.install()
        defer { checkpointer?.unlock() }
        let ranks = Ranks.communicator
        // Under mpirun, the ranks agree after every event whether to stop (a
        // signal reached any of them) and whether rank 0's checkpoint or log
        // write failed, so all stop at the same step and none trains on.
        var stopAgreed = false
        do {
            // The checkpointer writes the final checkpoint at `.finished`, also when
            // a signal stopped the run, and only if that state is not saved yet.
            try trainer.fit(onEvent: { event in
                reporter.handle(event)
                guard ranks.size > 1 else { return try record(event) }
                var failure: Error?
                do {
                    try record(event)
                } catch {
                    failure = error
                }
                var flags: (Int32, Int32) = (failure == nil ? 0 : 1, StopSignals.requested == nil ? 0 : 1)
                withUnsafeMutableBytes(of: &flags) { ranks.agree($0.baseAddress!.assumingMemoryBound(to: Int32.self), count: 2) }
                stopAgreed = flags.1 != 0
                if let failure { throw failure }
                if flags.0 != 0 { throw RankStopped() }
            }, shouldStop: { ranks.size > 1 ? stopAgreed : StopSignals.requested != nil })
        } catch let error as SystemCallError {
            // Only a checkpoint write makes system calls here: the run cannot go on
            // without one, so it stops, saying what the file on disk still holds.
            throw SessionFailure("\(error); training stopped at global step \(trainer.globalStep); \(keptCheckpoint)")
        } catch let error as DivergenceError {
            let kept = checkpointer.map { FileManager.default.fileExists(atPath: $0.path) ? "; the last good checkpoint \($0.path) is kept" : "" } ?? ""
            throw ConfigurationError("\(error.description)\(kept)")
        }
        if let signal = StopSignals.requested ?? (stopAgreed ? SIGTERM : nil) {
            let position = "epoch \(trainer.epochsDone + 1), step \(trainer.stepInEpoch)/\(trainer.stepsPerEpoch), global step \(trainer.globalStep)"
            if !ranks.isRoot {
                // Rank 0 reports the stop for the run.
            } else if let checkpointer {
                Terminal.warn("stopped by \(StopSignals.name(signal)) at \(position); checkpoint written to \(checkpointer.path); continue with: backprop resume \(checkpointer.path)")
            } else {
                Terminal.warn("stopped by \(StopSignals.name(signal)) at \(position); nothing saved (no --checkpoint given)")
            }
            throw ExitCode(128 + signal)
        }
        reportResult()
        if ranks.size > 1, verbose {
            Terminal.write("rank 0 of \(ranks.size): \(trainer.stepTimings.summary)\n")
        }
        if verbose, case .stream(let split) = trainer.data {
            // A collective: every rank has the same `verbose` and reaches this line.
            let bytes = split.bytesReadByRank()
            let ranks = bytes.count == 1 ? "" : " (" + bytes.enumerated().map { "rank \($0): \(DataMemory.describe($1))" }.joined(separator: ", ") + ")"
            Terminal.write("data read from \(split.name): \(DataMemory.describe(bytes.reduce(0, +)))\(ranks); train/x holds \(DataMemory.describe(split.storedBytes))\n")
        }
    }

    /// What is at the checkpoint path after a failed write.
    private var keptCheckpoint: String {
        guard let checkpointer else { return "" }
        if let step = checkpointer.lastSavedStep {
            return "\(checkpointer.path) still holds the checkpoint of global step \(step)"
        }
        return FileManager.default.fileExists(atPath: checkpointer.path)
            ? "\(checkpointer.path) is as it was" : "no checkpoint was written"
    }

    private func reportResult() {
        let steps = trainer.globalStep.grouped
        if let test {
            let last = trainer.history.last.flatMap { $0.step == trainer.globalStep ? $0 : nil }
            let evaluation = last.map { Evaluation(loss: $0.testLoss ?? .nan, accuracy: $0.testAccuracy ?? .nan, examples: test.count) }
                ?? (try? trainer.evaluate(test))
            if let evaluation {
                Terminal.write(String(format: "test accuracy: %.4f (loss %.4f) on %@ examples after %@ steps\n",
                                      evaluation.accuracy, evaluation.loss, test.count.grouped, steps))
            }
        } else {
            Terminal.write("trained \(steps) steps (the dataset has no test split)\n")
        }
        if let checkpointer, !reporter.quiet { Terminal.write("checkpoint: \(checkpointer.path)\n") }
    }
}

/// A run that ended in a failure already described in one line.
private struct SessionFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Checkpointer {
    /// For `train`, once its settings and data have been checked: refuses to
    /// replace a checkpoint already at the path (another run's, which `resume`
    /// continues) unless `overwrite`.
    func refuseToReplaceAnotherRun(unless overwrite: Bool) throws {
        guard !overwrite, FileManager.default.fileExists(atPath: path) else { return }
        let what = (try? Checkpoint.read(from: path)).map { "the checkpoint of a run at global step \($0.state.globalStep)" }
            ?? "a file"
        throw CheckpointError(file: path, "already holds \(what); continue it with: backprop resume \(path), or pass --overwrite to replace it")
    }
}
