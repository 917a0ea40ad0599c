// A run's final checkpoint is written exactly once, whether the run ends at an
// epoch's end (already saved there), mid-epoch at its step limit, on a stop
// request, or with early stopping's best parameters restored after the last
// save; and a library user who forwards every event, as the README shows, gets it.

import Foundation
import Testing
@testable import Backprop

@Suite struct FinalCheckpointTests {
    let data = syntheticClassification(count: 430, features: 10, classes: 3)
    let architecture = try! Architecture(layerSizes: [10, 12, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)

    func configuration(epochs: Int = 3, maxSteps: Int? = nil) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = epochs
        c.maxSteps = maxSteps
        c.batchSize = 40  // 11 steps an epoch
        c.learningRate = 0.05
        c.seed = 5
        c.workers = 2
        return c
    }

    /// Trains with every event forwarded to a checkpointer, the README's way,
    /// and checks the file holds the trainer's final state.
    func run(_ trainer: Trainer, everySteps: Int? = nil, shouldStop: @escaping () -> Bool = { false }) throws -> (Checkpointer, [TrainingEvent]) {
        let file = TemporaryCheckpoint()
        let checkpointer = Checkpointer(path: file.path, everySteps: everySteps)
        var events: [TrainingEvent] = []
        try trainer.fit(onEvent: { event in
            events.append(event)
            try checkpointer.handle(event, trainer: trainer)
        }, shouldStop: shouldStop)
        let saved = try Checkpoint.read(from: file.path)
        #expect(withoutTimings(saved.state) == withoutTimings(trainer.state))
        #expect(checkpointer.lastSavedStep == trainer.globalStep)
        return (checkpointer, events)
    }

    @Test func aRunThatEndsAtAnEpochsEndWritesItsLastCheckpointOnce() throws {
        let trainer = try Trainer(architecture: architecture, configuration: configuration(), train: data)
        let (checkpointer, events) = try run(trainer)
        #expect(checkpointer.checkpointsWritten == 3, "one per epoch, the last not written again at .finished")
        guard case .finished = events.last else { Issue.record("the last event is \(events.last as Any)"); return }
        #expect(events.filter { if case .finished = $0 { true } else { false } }.count == 1)
    }

    @Test func aRunThatEndsMidEpochIsSavedAtFinished() throws {
        let trainer = try Trainer(architecture: architecture, configuration: configuration(maxSteps: 15), train: data)
        let (checkpointer, _) = try run(trainer)
        #expect(trainer.globalStep == 15)
        #expect(checkpointer.checkpointsWritten == 2, "the end of epoch 1, then step 15 at .finished")
    }

    @Test func aStepSavedOnScheduleIsNotWrittenAgainAtFinished() throws {
        let trainer = try Trainer(architecture: architecture, configuration: configuration(maxSteps: 14), train: data)
        let (checkpointer, _) = try run(trainer, everySteps: 7)
        #expect(checkpointer.checkpointsWritten == 3, "steps 7, 11 (epoch end) and 14; not 14 again")
    }

    @Test func aStopRequestIsSavedOnceWhereverItLands() throws {
        for stopStep in [11, 13] {  // at an epoch's end (saved there already), and mid-epoch
            let trainer = try Trainer(architecture: architecture, configuration: configuration(), train: data)
            let (checkpointer, _) = try run(trainer, shouldStop: { trainer.globalStep >= stopStep })
            #expect(trainer.globalStep == stopStep && !trainer.isFinished)
            #expect(checkpointer.checkpointsWritten == (stopStep == 11 ? 1 : 2), "stopped at \(stopStep)")
        }
    }

    @Test func bestParametersRestoredAfterTheLastEpochAreSaved() throws {
        // The overfitting setup of CheckpointSettingsTests, on a constant rate so
        // that the number of epochs does not change the trajectory.
        let splits = try DatasetSplits(
            train: syntheticClassification(count: 50, features: 10, classes: 3, seed: 7), test: nil, validation: nil
        ).holdingOut(fraction: 0.2, seed: 0xFEED_FACE_CAFE_BEEF)
        let wide = try Architecture(layerSizes: [10, 64, 64, 3], hiddenActivation: .leakyReLU(slope: 0.05), loss: .softmaxCrossEntropy)
        var c = TrainingConfiguration()
        c.epochs = 30
        c.batchSize = 8
        c.microBatch = 3
        c.optimizerKind = .adam
        c.learningRate = 0.01
        c.earlyStoppingPatience = 2
        c.seed = 1
        c.workers = 2
        let probe = try Trainer(architecture: wide, configuration: c, train: splits.train, validation: splits.validation)
        try probe.fit()
        try #require(probe.state.stoppedEarly, "the setup must overfit: \(probe.history.map(\.validationLoss))")
        let bestEpoch = probe.epochsDone - 2

        // End the same run one epoch after its best, by its epoch count, before
        // patience runs out: `fit` restores the best parameters after the last
        // epoch's checkpoint, at the same step.
        c.epochs = bestEpoch + 1
        let trainer = try Trainer(architecture: wide, configuration: c, train: splits.train, validation: splits.validation)
        let (checkpointer, _) = try run(trainer)
        #expect(!trainer.state.stoppedEarly && trainer.epochsDone == bestEpoch + 1)
        #expect(trainer.model.parameters == trainer.state.bestParameters)
        #expect(checkpointer.checkpointsWritten == bestEpoch + 2, "one per epoch, then the restored parameters at the same step")
    }
}
