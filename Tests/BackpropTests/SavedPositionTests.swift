// A training state that its settings and data could not have produced (a
// hand-edited or unchecksummed old checkpoint) is refused when the trainer is
// built. Before this check, a step past the epoch's end made `fit` spin forever,
// and a row index outside the data made the workers read past the features.

import Testing
@testable import Backprop

@Suite struct SavedPositionTests {
    let data = syntheticClassification(count: 50, features: 4, classes: 3)
    let architecture = try! Architecture(layerSizes: [4, 5, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)

    var configuration: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.batchSize = 10  // 5 steps an epoch
        c.epochs = 3
        c.workers = 1
        return c
    }

    /// A consistent state mid-epoch 2 (3 steps in), from a real run.
    func midEpochState() throws -> TrainingState {
        var c = configuration
        c.maxSteps = 8
        let trainer = try Trainer(architecture: architecture, configuration: c, train: data)
        try trainer.fit()
        return trainer.state
    }

    func refusal(_ state: TrainingState) -> String? {
        do {
            _ = try Trainer(architecture: architecture, configuration: configuration, train: data, state: state)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aConsistentStateIsAccepted() throws {
        let state = try midEpochState()
        #expect(state.stepInEpoch == 3 && state.epochOrder.count == 50)
        #expect(refusal(state) == nil)
    }

    @Test func aStepPastTheEpochsEndIsRefused() throws {
        var state = try midEpochState()
        state.stepInEpoch = 5
        #expect(refusal(state)?.contains("step 5 within an epoch of 5 steps") == true)
        state.stepInEpoch = 1_000_000_000_000
        #expect(refusal(state) != nil)
        state.stepInEpoch = -1
        #expect(refusal(state) != nil)
    }

    @Test(arguments: [-5, 50, Int(Int32.max)])
    func anEpochOrderThatIsNotAPermutationIsRefused(row: Int) throws {
        var state = try midEpochState()
        state.epochOrder[7] = Int32(row)
        #expect(refusal(state)?.contains("not a permutation") == true)
    }

    @Test func aRepeatedRowIsRefused() throws {
        var state = try midEpochState()
        state.epochOrder[7] = state.epochOrder[8]
        #expect(refusal(state)?.contains("not a permutation") == true)
    }

    @Test func impossibleRunningCountsAreRefused() throws {
        var state = try midEpochState()
        state.epochCorrect = state.epochExamples + 1
        #expect(refusal(state) != nil)
        state = try midEpochState()
        state.globalStep = -3
        #expect(refusal(state) != nil)
    }
}

/// The engine's memory is checked before it is allocated: a run whose gradient
/// slots alone would need terabytes is one `MemoryError`, not a failed allocation.
@Suite struct EngineMemoryTests {
    @Test func aRunThatCannotFitIsRefusedWithTheBytesNeeded() throws {
        let architecture = try Architecture(layerSizes: [1000, 1000, 10], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        var c = TrainingConfiguration()
        c.batchSize = 1_000_000
        c.microBatch = 1  // a million gradient slots of a million parameters each
        c.workers = 2
        #expect(throws: MemoryError.self) {
            try Trainer.checkEngineMemory(architecture, c, examples: 1_000_000)
        }
        c.microBatch = 250_000  // four slots: a few tens of megabytes
        try Trainer.checkEngineMemory(architecture, c, examples: 1_000_000)
    }
}
