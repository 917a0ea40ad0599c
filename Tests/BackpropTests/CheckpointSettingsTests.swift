// Checkpoints of runs that use the training features: every non-default
// setting and early stopping's memory survive a write and a read, and a run
// with Adam, a cosine schedule, validation data and early stopping resumed
// mid-epoch ends bitwise where the uninterrupted run ends.

import Foundation
import HDF5
import Testing
@testable import Backprop

/// A temporary checkpoint path, removed when the test is done.
final class TemporaryCheckpoint {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID()).h5").path
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The state with the timings (the only figures allowed to differ between
/// runs) zeroed, for exact comparison of everything else.
func withoutTimings(_ state: TrainingState) -> TrainingState {
    var state = state
    state.epochSeconds = 0
    state.epochDataWaitSeconds = 0
    state.history = state.history.map {
        var record = $0
        record.seconds = 0
        record.samplesPerSecond = 0
        record.dataWaitSeconds = record.dataWaitSeconds.map { _ in 0 }
        record.dataReadBytes = nil  // not checkpointed; depends on how far the read-ahead got
        return record
    }
    return state
}

@Suite struct CheckpointSettingsTests {
    /// 50 rows, 10 of them held out: the overfitting setup of EarlyStoppingTests.
    let splits = try! DatasetSplits(
        train: syntheticClassification(count: 50, features: 10, classes: 3, seed: 7), test: nil, validation: nil
    ).holdingOut(fraction: 0.2, seed: 0xFEED_FACE_CAFE_BEEF)
    let architecture = try! Architecture(layerSizes: [10, 64, 64, 3], hiddenActivation: .leakyReLU(slope: 0.05), loss: .softmaxCrossEntropy)

    /// A value other than the default for every setting that the optimizer allows.
    var everySetting: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = 40
        c.maxSteps = 500
        c.batchSize = 7
        c.microBatch = 3
        c.optimizerKind = .adamw
        c.learningRate = 0.004
        c.beta1 = 0.85
        c.beta2 = 0.995
        c.epsilon = 1e-7
        c.weightDecay = 0.03
        c.rho = 0.95
        c.schedule = .cosine(minimum: 1e-4)
        c.warmupSteps = 3
        c.l2 = 0.002
        c.clipGradientNorm = 2.5
        c.validationSplit = 0.2
        c.earlyStoppingPatience = 3
        c.seed = 0xFEED_FACE_CAFE_BEEF  // above Int64.max
        c.shuffle = false
        c.workers = 3
        c.initialization = .he
        return c
    }

    @Test func everySettingAndEarlyStoppingsMemoryReadBackEqual() throws {
        let defaults = TrainingConfiguration()
        let c = everySetting
        #expect(c.optimizerKind != defaults.optimizerKind && c.schedule != defaults.schedule
                && c.shuffle != defaults.shuffle && c.initialization != defaults.initialization)
        #expect(splits.train.count == 40 && splits.validation?.count == 10)
        let trainer = try Trainer(architecture: architecture, configuration: c, train: splits.train, validation: splits.validation)

        // Stop mid-epoch once the validation loss has failed to improve at least once:
        // the best parameters are then those of an earlier epoch.
        var stop = false
        try trainer.fit(onEvent: { event in
            if case .stepEnded = event, trainer.state.epochsSinceBest > 0, trainer.stepInEpoch == 2 { stop = true }
        }, shouldStop: { stop })
        let state = trainer.state
        try #require(stop, "the run ended before the validation loss stalled: \(trainer.history.map(\.validationLoss))")
        #expect(!state.bestParameters.isEmpty && state.bestParameters != state.parameters)
        #expect(state.bestValidationLoss != nil && state.epochsSinceBest > 0 && !state.stoppedEarly)
        #expect(state.stepInEpoch == 2 && !state.epochOrder.isEmpty && state.epochExamples == 14)
        #expect(state.optimizerState.count == 2 * state.parameters.count)

        let file = TemporaryCheckpoint()
        try Checkpoint(trainer: trainer, dataset: "/data/train.h5", log: "/runs/log.jsonl", checkpointEvery: 7, keep: 2)
            .write(to: file.path)
        let read = try Checkpoint.read(from: file.path)
        #expect(read.architecture == architecture)
        #expect(read.configuration == trainer.configuration)
        #expect(trainer.configuration.scheduleSteps == 240, "the cosine's span is fixed when the run starts: min(500 steps, 40 epochs × 6)")
        var withoutSpan = read.configuration!
        withoutSpan.scheduleSteps = nil
        #expect(withoutSpan == c)
        #expect(read.state == state)
        #expect(bitDifference(read.state.parameters, state.parameters) == nil)
        #expect(bitDifference(read.state.bestParameters, state.bestParameters) == nil)
        #expect(read.dataset == "/data/train.h5" && read.log == "/runs/log.jsonl")
        #expect(read.checkpointEvery == 7 && read.keep == 2)

        // Run on until early stopping ends it: the flag and the restored parameters read back too.
        try trainer.fit()
        #expect(trainer.state.stoppedEarly, "\(trainer.history.map(\.validationLoss))")
        try Checkpoint(trainer: trainer).write(to: file.path)
        let final = try Checkpoint.read(from: file.path)
        #expect(final.state == trainer.state)
        #expect(final.state.stoppedEarly)
        #expect(final.state.parameters == final.state.bestParameters)
    }

    @Test func theOtherSchedulesReadBackToo() throws {
        for schedule in [LearningRateSchedule.step(everyEpochs: 3, gamma: 0.25), .exponential(gamma: 0.8), .constant] {
            var c = everySetting
            c.optimizerKind = .rmsprop
            c.schedule = schedule
            c.clipGradientNorm = nil
            c.earlyStoppingPatience = nil
            c.maxSteps = 4
            let trainer = try Trainer(architecture: architecture, configuration: c, train: splits.train, validation: splits.validation)
            try trainer.fit()
            let file = TemporaryCheckpoint()
            try Checkpoint(trainer: trainer).write(to: file.path)
            let read = try Checkpoint.read(from: file.path)
            #expect(read.configuration == trainer.configuration, "\(schedule)")
            #expect(read.configuration?.scheduleSteps == 4, "\(schedule)")
            #expect(read.state == trainer.state, "\(schedule)")
        }
    }

    // MARK: Resume

    /// Adam on a cosine schedule with validation data and early stopping: the
    /// run overfits, so early stopping ends it well before its 30 epochs.
    func adamRun(workers: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = 30
        c.batchSize = 8  // 5 steps an epoch
        c.microBatch = 3
        c.optimizerKind = .adam
        c.learningRate = 0.01
        c.schedule = .cosine(minimum: 0.001)
        c.warmupSteps = 4
        c.clipGradientNorm = 5
        c.validationSplit = 0.2
        c.earlyStoppingPatience = 2
        c.seed = 1
        c.workers = workers
        return c
    }

    /// Stops a run after `stopStep` steps (with `shouldStop`, not `maxSteps`,
    /// which would shorten the cosine's span), goes through a checkpoint file,
    /// and finishes the run in a new trainer with `resumeWorkers` workers.
    func resumed(at stopStep: Int, resumeWorkers: Int) throws -> Trainer {
        let first = try Trainer(architecture: architecture, configuration: adamRun(workers: 2),
                                train: splits.train, validation: splits.validation)
        try first.fit(shouldStop: { first.globalStep >= stopStep })
        #expect(first.globalStep == stopStep)
        let file = TemporaryCheckpoint()
        try Checkpoint(trainer: first).write(to: file.path)
        let saved = try Checkpoint.read(from: file.path)
        var configuration = try #require(saved.configuration)
        configuration.workers = resumeWorkers
        let second = try Trainer(architecture: saved.architecture, configuration: configuration,
                                 train: splits.train, validation: splits.validation, state: saved.state)
        try second.fit()
        return second
    }

    @Test func resumedMidEpochAnAdamCosineEarlyStoppingRunEndsBitwiseWhereTheUninterruptedOneDoes() throws {
        let uninterrupted = try Trainer(architecture: architecture, configuration: adamRun(workers: 2),
                                        train: splits.train, validation: splits.validation)
        try uninterrupted.fit()
        let end = uninterrupted.state
        try #require(end.stoppedEarly, "the setup must stop early: \(uninterrupted.history.map(\.validationLoss))")
        let epochs = end.epochsDone
        #expect(epochs < 30 && epochs >= 4)
        // Mid-epoch in the first epoch, in the epoch after the best one (some
        // patience used up, best parameters saved), in the last epoch, and at an epoch boundary.
        let bestEpoch = epochs - 2
        let stops = [(2, 1), (5 * bestEpoch + 3, 3), (5 * (epochs - 1) + 1, 2), (5 * (bestEpoch - 1), 3)]
        for (stopStep, workers) in stops {
            let resumed = try resumed(at: stopStep, resumeWorkers: workers)
            let state = resumed.state
            #expect(bitDifference(state.parameters, end.parameters) == nil, "stopped at step \(stopStep)")
            #expect(bitDifference(state.optimizerState, end.optimizerState) == nil, "stopped at step \(stopStep)")
            #expect(withoutTimings(state) == withoutTimings(end), "stopped at step \(stopStep)")
            #expect(resumed.history.map(\.learningRate) == uninterrupted.history.map(\.learningRate))
        }
    }

    /// Trainer.init and `backprop resume` promise that `epochs` and `maxSteps`
    /// may change on resume without changing what a step computes. The
    /// schedule keeps the span fixed when the run started: a 4-epoch run
    /// stopped at step 7 and resumed for 6 epochs is the 6-epoch run with the
    /// 4-epoch span, which for an epoch-based schedule is simply the 6-epoch
    /// run, and for cosine holds the minimum rate after the original end.
    @Test(arguments: [LearningRateSchedule.exponential(gamma: 0.8), .cosine(minimum: 0.001)])
    func extendingARunOnResumeGivesTheLongerRun(schedule: LearningRateSchedule) throws {
        func run(epochs: Int) -> TrainingConfiguration {
            var c = adamRun(workers: 2)
            c.epochs = epochs
            c.schedule = schedule
            c.earlyStoppingPatience = nil
            return c
        }
        let short = run(epochs: 4)
        let first = try Trainer(architecture: architecture, configuration: short, train: splits.train, validation: splits.validation)
        try first.fit(shouldStop: { first.globalStep >= 7 })
        var extended = first.configuration
        extended.epochs = 6
        #expect(extended.scheduleSteps == 4 * first.stepsPerEpoch)
        let second = try Trainer(architecture: architecture, configuration: extended, train: splits.train,
                                 validation: splits.validation, state: first.state)
        try second.fit()

        let uninterrupted = try Trainer(architecture: architecture, configuration: extended, train: splits.train, validation: splits.validation)
        try uninterrupted.fit()
        #expect(second.globalStep == uninterrupted.globalStep)
        #expect(bitDifference(second.model.parameters, uninterrupted.model.parameters) == nil,
                "\(schedule.name): resumed with more epochs, the run is not the extended run")
        if case .cosine(let minimum) = schedule {
            #expect(second.history.suffix(2).allSatisfy { abs($0.learningRate - minimum) < 1e-12 })
        } else {
            let long = try Trainer(architecture: architecture, configuration: run(epochs: 6), train: splits.train, validation: splits.validation)
            try long.fit()
            #expect(bitDifference(second.model.parameters, long.model.parameters) == nil)
        }
    }
}
