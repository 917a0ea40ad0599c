// The training features through the real binary: Adam with a cosine schedule,
// warm-up, a validation split and early stopping, as a user runs them; the
// flags' mistakes, each one line naming the flag; and a run that diverges,
// which must say so and leave the checkpoint on disk usable.

import Backprop
import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct TrainingFeaturesCLITests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory() }

    @Test func adamWithCosineWarmUpValidationAndEarlyStopping() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let log = directory.path("metrics.jsonl"), checkpoint = directory.path("model.h5")
        let epochs = 6
        let run = try BackpropCLI.run([
            "train", data, "--layers", "8,16,3", "--optimizer", "adam", "--learning-rate", "0.01",
            "--schedule", "cosine", "--warmup-steps", "5", "--validation-split", "0.2", "--early-stopping", "3",
            "--epochs", "\(epochs)", "--batch-size", "32", "--workers", "2", "--seed", "1",
            "--log", log, "--checkpoint", checkpoint,
        ])
        try #require(run.succeeded, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        // 300 rows, 60 of them held out: 240 in batches of 32 are 8 steps an epoch.
        #expect(run.stdout.contains("240 train, 60 validation, 100 test examples"), "\(run)")

        let records = try readJSONLines(log)
        try #require(!records.isEmpty && records.count <= epochs, "\(records)")
        let epochLines = run.stdoutLines.filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == records.count, "\(run)")
        var rates: [Double] = []
        for (index, record) in records.enumerated() {
            let validationLoss = try #require(number(record["validation_loss"]), "epoch \(index + 1): \(record)")
            let validationAccuracy = try #require(number(record["validation_accuracy"]), "epoch \(index + 1): \(record)")
            let rate = try #require(number(record["learning_rate"]), "epoch \(index + 1): \(record)")
            #expect(validationLoss.isFinite && validationLoss > 0)
            #expect((0...1).contains(validationAccuracy))
            // The rate of the epoch's last step, on a cosine over the 48 planned steps after 5 of warm-up.
            let expected = LearningRateSchedule.cosine(minimum: 0).rate(
                base: 0.01, step: 8 * (index + 1) - 1, stepsPerEpoch: 8, totalSteps: 8 * epochs, warmupSteps: 5)
            #expect(abs(rate - expected) <= 1e-12 * expected, "epoch \(index + 1): learning_rate \(rate), expected \(expected)")
            rates.append(rate)
            if index < epochLines.count {
                let line = epochLines[index]
                #expect(figure(after: "val_loss: ", in: line) == fourDigits(validationLoss), "\(line)")
                #expect(figure(after: "val_accuracy: ", in: line) == fourDigits(validationAccuracy), "\(line)")
            }
        }
        // After the warm-up the cosine only falls.
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 }, "\(rates)")
        let saved = try Checkpoint.read(from: checkpoint)
        #expect(saved.configuration?.optimizerKind == .adam && saved.configuration?.schedule == .cosine(minimum: 0))
        #expect(saved.configuration?.validationSplit == 0.2 && saved.configuration?.earlyStoppingPatience == 3)
    }

    /// A tiny training set and a large network overfit within a few epochs: the
    /// run stops early, says so, and its checkpoint holds the best parameters.
    @Test func earlyStoppingEndsAnOverfittingRun() throws {
        let data = try Fixtures.writeDataset(directory.path("small.h5"), trainCount: 50, testCount: 0)
        let log = directory.path("metrics.jsonl"), checkpoint = directory.path("model.h5")
        let run = try BackpropCLI.run([
            "train", data, "--layers", "8,128,128,3", "--learning-rate", "0.05", "--momentum", "0.9",
            "--validation-split", "0.2", "--early-stopping", "2", "--epochs", "100", "--batch-size", "8",
            "--workers", "2", "--seed", "3", "--log", log, "--checkpoint", checkpoint,
        ])
        try #require(run.succeeded, "\(run)")
        let records = try readJSONLines(log)
        let losses = records.compactMap { number($0["validation_loss"]) }
        try #require(losses.count == records.count && losses.count < 100, "did not stop early: \(losses)")
        let best = losses.indices.min { losses[$0] < losses[$1] }!
        #expect(losses.count == best + 1 + 2, "patience 2 after the best epoch \(best + 1): \(losses)")
        let notices = run.stdoutLines.filter { $0.hasPrefix("early stopping after epoch \(losses.count)") }
        #expect(notices.count == 1 && notices.first?.contains("since epoch \(best + 1)") == true, "\(run)")
        let saved = try Checkpoint.read(from: checkpoint)
        #expect(saved.state.stoppedEarly)
        let restored = saved.state.parameters == saved.state.bestParameters
        #expect(restored, "the checkpoint does not hold the best parameters")
        #expect(saved.state.bestValidationLoss == losses[best])
    }

    /// Mistakes in the new flags: one line on standard error naming the flag,
    /// a usage (64) or failure (1) exit status, never a crash, nothing trained.
    @Test(arguments: [
        (["--optimizer", "bogus"], ["--optimizer", "bogus"]),
        (["--schedule", "bogus"], ["--schedule", "bogus"]),
        (["--validation-split", "1.5"], ["--validation-split", "1.5"]),
        (["--early-stopping", "2"], ["--early-stopping", "validation"]),
        (["--momentum", "0.9", "--optimizer", "adam"], ["--momentum", "sgd"]),
        (["--warmup-steps", "-1"], ["--warmup-steps"]),
        (["--clip-grad-norm", "0"], ["--clip-grad-norm"]),
        (["--schedule", "cosine", "--min-learning-rate", "0.5"], ["--min-learning-rate"]),
    ])
    func aBadTrainingFlagIsOneLineNamingIt(arguments: [String], mentions: [String]) throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("existing.h5")
        let before = try writeExistingCheckpoint(checkpoint)
        let run = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--epochs", "1", "--checkpoint", checkpoint] + arguments)
        expectOneLineFailure(run, mentioning: mentions)
        #expect(run.status == 64 || run.status == 1, "\(run)")
        #expect(!run.stdout.contains("epoch 1"), "\(run)")
        #expect(try Fixtures.bytes(of: checkpoint) == before, "the failed run changed \(checkpoint)")
    }

    // MARK: Divergence

    /// 300 rows of the usual features with three float targets in the
    /// thousands: with half squared error and an identity output, a huge
    /// learning rate overshoots further at every step.
    func writeRegressionDataset() throws -> String {
        let rows = Synthetic(count: 300, seed: 1)
        var generator = SplitMix64(seed: 5)
        let targets = (0..<rows.count * 3).map { _ in 1000 + 500 * generator.unit() }
        return try Fixtures.writeFile(directory.path("regression.h5")) { file in
            try file.write(rows.x, shape: [rows.count, Synthetic.features], to: "train/x")
            try file.write(targets, shape: [rows.count, 3], to: "train/y")
        }
    }

    func train(_ data: String, learningRate: String, _ extra: [String]) throws -> RunResult {
        try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--loss", "half-squared-error", "--learning-rate", learningRate,
                             "--epochs", "3", "--batch-size", "32", "--workers", "2"] + extra)
    }

    /// The step a divergence message names: "… diverged at step 4: …" → 4.
    func divergedStep(_ run: RunResult) -> Int? {
        guard let range = run.stderr.range(of: "diverged at step ") else { return nil }
        return Int(run.stderr[range.upperBound...].prefix { $0.isNumber })
    }

    /// Divergence before the first epoch ends (10 steps): no checkpoint was
    /// written, so the one already at --checkpoint is untouched, byte for byte.
    /// 10³⁶ makes the very first update overflow the parameters.
    @Test(arguments: ["1e8", "1e36"])
    func aRunThatDivergesEarlyLeavesTheExistingCheckpointAlone(learningRate: String) throws {
        let data = try writeRegressionDataset()
        let checkpoint = directory.path("existing.h5")
        let before = try writeExistingCheckpoint(checkpoint)
        let filesBefore = try directory.contents()
        let run = try train(data, learningRate: learningRate, ["--checkpoint", checkpoint, "--overwrite"])
        expectOneLineFailure(run, mentioning: ["diverged", "learning rate"])
        let step = try #require(divergedStep(run), "\(run)")
        #expect(step < 10, "\(run)")
        #expect(try Fixtures.bytes(of: checkpoint) == before, "the diverged run changed \(checkpoint)")
        #expect(try directory.contents() == filesBefore, "the diverged run left files behind")
    }

    /// With --checkpoint-every 1 the run writes checkpoints before it diverges:
    /// the last of them is kept, loads, and holds finite parameters from before the bad step.
    @Test(arguments: ["1e8", "1e36"])
    func aRunThatDivergesAfterACheckpointKeepsALoadableOne(learningRate: String) throws {
        let data = try writeRegressionDataset()
        let checkpoint = directory.path("run.h5")
        let run = try train(data, learningRate: learningRate, ["--checkpoint", checkpoint, "--checkpoint-every", "1"])
        expectOneLineFailure(run, mentioning: ["diverged", "learning rate"])
        let step = try #require(divergedStep(run), "\(run)")
        let files = try directory.contents()
        #expect(!files.contains { $0.contains(".tmp-") }, "temporary files left: \(files)")
        guard FileManager.default.fileExists(atPath: checkpoint) else {
            // Nothing was saved: only right if the very first step went wrong.
            #expect(step <= 1, "diverged at step \(step) with no checkpoint written: \(run)")
            return
        }
        #expect(run.stderr.contains(checkpoint), "the message should point to the kept checkpoint: \(run)")
        let saved = try Checkpoint.read(from: checkpoint)  // itself rejects non-finite parameters
        #expect(saved.state.parameters.allSatisfy { $0.isFinite })
        #expect(saved.state.optimizerState.allSatisfy { $0.isFinite })
        #expect(saved.state.globalStep >= 1 && saved.state.globalStep < step, "checkpoint at step \(saved.state.globalStep), diverged at \(step)")
    }
}
