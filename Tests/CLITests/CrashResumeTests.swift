// Crash safety as a user meets it: a trainer killed with SIGKILL at random
// moments (across checkpoint writes, and again while resuming) always leaves a
// newest checkpoint that loads, and resuming from it ends bitwise where the
// uninterrupted run ends; SIGTERM finishes the step, checkpoints and says how
// to resume.

import Backprop
import Foundation
import Glibc
import Testing
import TestSupport

@Suite(.serialized) struct CrashResumeTests {
    static let runArguments = [
        "--layers", "8,24,3", "--epochs", "6", "--batch-size", "10", "--learning-rate", "0.05",
        "--momentum", "0.9", "--seed", "11", "--workers", "2", "--checkpoint-every", "2", "-q",
    ]

    /// Starts a run, kills it with SIGKILL after `delay` seconds (if still running),
    /// and says whether the kill landed before the run ended.
    func kill(_ arguments: [String], after delay: Double) throws -> Bool {
        let process = try BackpropCLI.start(arguments)
        usleep(UInt32(delay * 1e6))
        let wasRunning = process.isRunning
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return wasRunning && process.terminationReason == .uncaughtSignal
    }

    @Test func sigkillAtRandomMomentsNeverLosesTheNewestCheckpoint() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let reference = directory.path("reference.h5")
        let (expected, duration) = try Fixtures.referenceRun(data, checkpoint: reference, Self.runArguments)

        var generator = SplitMix64(seed: 2024)
        var kills = 0, resumedFromCheckpoint = 0
        var trial = 0
        // Keep killing until at least 20 kills landed while a run was going (a
        // delay can fall after a short resume ends) and 10 trials had a checkpoint
        // to resume (a kill can land before the first one, more often on a busy
        // machine); bounded, so it cannot spin.
        while (kills < 20 || resumedFromCheckpoint < 10) && trial < 90 {
            defer { trial += 1 }
            let checkpoint = directory.path("trial\(trial).h5")
            // Kill the first run somewhere in its life, then kill the first resume too.
            let killedTrain = try kill(["train", data, "--checkpoint", checkpoint] + Self.runArguments,
                                       after: 0.05 + Double(generator.unit()) * 0.9 * duration)
            if killedTrain { kills += 1 }
            guard FileManager.default.fileExists(atPath: checkpoint) else { continue }
            // The newest checkpoint always loads.
            let saved = try Checkpoint.read(from: checkpoint)
            #expect(saved.state.globalStep > 0)
            if try kill(["resume", checkpoint, "-q"], after: Double(generator.unit()) * duration / 2) {
                kills += 1
                _ = try Checkpoint.read(from: checkpoint)
            }
            let resumed = try BackpropCLI.run(["resume", checkpoint, "-q", "--workers", String(1 + trial % 3)])
            #expect(resumed.succeeded, "\(resumed)")
            #expect(try Fixtures.parameterBits(of: checkpoint) == expected, "trial \(trial) ended elsewhere")
            resumedFromCheckpoint += 1
        }
        #expect(kills >= 20, "only \(kills) kills landed while a run was going")
        #expect(resumedFromCheckpoint >= 10, "only \(resumedFromCheckpoint) trials had written a checkpoint before the kill")
    }

    @Test func sigtermFinishesTheStepCheckpointsAndSaysHowToResume() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let reference = directory.path("reference.h5")
        #expect(try BackpropCLI.run(["train", data, "--checkpoint", reference] + Self.runArguments).succeeded)

        let checkpoint = directory.path("run.h5")
        let errors = directory.path("stderr.txt")
        let process = try BackpropCLI.start(["train", data, "--checkpoint", checkpoint] + Self.runArguments, errors: errors)
        // Wait for training to be under way: the first checkpoint appears.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint), Date() < deadline, process.isRunning { usleep(5_000) }
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        let message = String(decoding: try Fixtures.bytes(of: errors), as: UTF8.self)
        if process.terminationStatus == 0 { return }  // finished before the signal landed: nothing to check
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + SIGTERM, "\(message)")
        #expect(message.contains("SIGTERM") && message.contains("backprop resume \(checkpoint)"), "\(message)")
        let saved = try Checkpoint.read(from: checkpoint)
        #expect(saved.state.globalStep > 0)
        let resumed = try BackpropCLI.run(["resume", checkpoint, "-q"])
        #expect(resumed.succeeded, "\(resumed)")
        #expect(try Fixtures.parameterBits(of: checkpoint) == Fixtures.parameterBits(of: reference))
    }
}
