// The worker count must not change what training computes: micro-shards of a
// fixed size and a fixed reduction tree make every run with the same seed
// bitwise identical, whatever --workers is.

import Testing
@testable import Backprop

@Suite struct DeterminismTests {
    func train(workers: Int, epochs: Int = 2, microBatch: Int = 16) throws -> (Model, [EpochRecord]) {
        let data = syntheticClassification(count: 530, features: 12, classes: 4)
        let test = syntheticClassification(count: 90, features: 12, classes: 4, seed: 8)
        let architecture = try Architecture(layerSizes: [12, 16, 8, 4], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)
        var configuration = TrainingConfiguration()
        configuration.epochs = epochs
        configuration.batchSize = 100  // 530 rows: the last batch has 30, the last micro-shard 14
        configuration.microBatch = microBatch
        configuration.learningRate = 0.1
        configuration.momentum = 0.9
        configuration.l2 = 0.01
        configuration.seed = 42
        configuration.workers = workers
        let trainer = try Trainer(architecture: architecture, configuration: configuration, train: data, test: test)
        let history = try trainer.fit()
        return (trainer.model, history)
    }

    @Test func parametersAreBitwiseIdenticalForAnyWorkerCount() throws {
        let (reference, referenceHistory) = try train(workers: 1)
        for workers in [2, 3, 4, 7] {
            let (model, history) = try train(workers: workers)
            #expect(model.parameters == reference.parameters, "workers=\(workers) differs from workers=1")
            #expect(history.map(\.trainLoss) == referenceHistory.map(\.trainLoss))
            #expect(history.map(\.testLoss) == referenceHistory.map(\.testLoss))
        }
    }

    /// The micro-batch fixes the order of the gradient sum, so changing it may
    /// change the last bits; it must not change the result beyond rounding.
    @Test func microBatchChangesOnlyRounding() throws {
        let (a, historyA) = try train(workers: 2, microBatch: 16)
        let (b, historyB) = try train(workers: 2, microBatch: 100)
        let worst = zip(a.parameters, b.parameters).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4)
        for (x, y) in zip(historyA, historyB) {
            #expect(abs(x.trainLoss - y.trainLoss) <= 1e-5 * abs(y.trainLoss))
        }
    }

    @Test func sameSeedSameRunDifferentSeedDifferentRun() throws {
        let (a, _) = try train(workers: 2, epochs: 1)
        let (b, _) = try train(workers: 2, epochs: 1)
        #expect(a.parameters == b.parameters)
        let fresh1 = Model(architecture: a.architecture, seed: 1), fresh2 = Model(architecture: a.architecture, seed: 2)
        #expect(fresh1.parameters != fresh2.parameters)
    }

    @Test func trainingLearnsTheSyntheticTask() throws {
        let (_, history) = try train(workers: 2, epochs: 15)
        #expect(history.last!.trainLoss < history.first!.trainLoss * 0.7)
        #expect(history.last!.testAccuracy! > 0.6)
    }
}
