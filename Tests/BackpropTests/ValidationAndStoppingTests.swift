// Held-out validation data, early stopping, gradient clipping and divergence:
// the features that decide what a run keeps and when it ends.

import Foundation
import Testing
@_spi(Benchmarking) @testable import Backprop

/// `count` rows whose first feature is the row's index, so every row can be
/// recognised after a split; labels cycle through 3 classes.
func indexedDataset(count: Int, name: String = "indexed.h5") -> Dataset {
    Dataset(name: name, features: (0..<count).flatMap { [Float($0), Float($0 % 7)] }, featureCount: 2,
            targets: .classes((0..<count).map { Int32($0 % 3) }))
}

/// The row indices a split holds, read back from the first feature.
func rowIndices(_ dataset: Dataset) -> [Int] {
    stride(from: 0, to: dataset.features.count, by: dataset.featureCount).map { Int(dataset.features[$0]) }
}

@Suite struct ValidationSplitTests {
    let splits = DatasetSplits(train: indexedDataset(count: 50), test: indexedDataset(count: 5), validation: nil)

    @Test(arguments: [(0.2, 10), (0.25, 13), (0.5, 25), (0.02, 1), (0.98, 49)])
    func holdsOutTheRoundedFractionDisjointAndComplete(fraction: Double, heldOut: Int) throws {
        let result = try splits.holdingOut(fraction: fraction, seed: 3)
        let validation = try #require(result.validation)
        #expect(validation.count == heldOut)
        #expect(result.train.count == 50 - heldOut)
        let kept = rowIndices(result.train), held = rowIndices(validation)
        #expect(Set(kept).isDisjoint(with: held))
        #expect((kept + held).sorted() == Array(0..<50))
        // Both parts keep the file's order, and each row keeps its own target.
        #expect(kept == kept.sorted() && held == held.sorted())
        for (part, rows) in [(result.train, kept), (validation, held)] {
            guard case .classes(let labels) = part.targets else { Issue.record("targets changed kind"); continue }
            #expect(labels == rows.map { Int32($0 % 3) })
            for (i, row) in rows.enumerated() { #expect(part.features[2 * i + 1] == Float(row % 7)) }
        }
        #expect(validation.split == "validation" && result.train.split == "train")
        #expect(result.test.map(rowIndices) == Array(0..<5), "the test split must be left alone")
    }

    @Test func theSameSeedHoldsOutTheSameRowsAndAnotherSeedOthers() throws {
        let first = try #require(try splits.holdingOut(fraction: 0.2, seed: 11).validation)
        let again = try #require(try splits.holdingOut(fraction: 0.2, seed: 11).validation)
        let other = try #require(try splits.holdingOut(fraction: 0.2, seed: 12).validation)
        #expect(rowIndices(first) == rowIndices(again))
        #expect(rowIndices(first) != rowIndices(other))
        // Not simply the first or last rows of the file.
        #expect(rowIndices(first) != Array(0..<10) && rowIndices(first) != Array(40..<50))
    }

    @Test func noFractionLeavesTheSplitsAlone() throws {
        let result = try splits.holdingOut(fraction: 0, seed: 1)
        #expect(result.validation == nil)
        #expect(rowIndices(result.train) == Array(0..<50))
    }

    @Test func aFileWithItsOwnValidationSplitRejectsAFraction() throws {
        var withValidation = splits
        withValidation.validation = indexedDataset(count: 8).subset((0..<8).map { $0 }, split: "validation")
        #expect(throws: DatasetError.self) { try withValidation.holdingOut(fraction: 0.2, seed: 1) }
        // Without a fraction the file's own split is kept.
        #expect(try withValidation.holdingOut(fraction: 0, seed: 1).validation?.count == 8)
    }

    @Test(arguments: [0.1, 0.9, 0.99])
    func aFractionThatLeavesAPartEmptyIsAnError(fraction: Double) {
        let three = DatasetSplits(train: indexedDataset(count: 3), test: nil, validation: nil)
        do {
            _ = try three.holdingOut(fraction: fraction, seed: 1)
            Issue.record("holding out \(fraction) of 3 rows succeeded")
        } catch let error as DatasetError {
            #expect(error.file == "indexed.h5")
            #expect(error.message.contains("--validation-split"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

@Suite struct EarlyStoppingTests {
    /// An overfitting setup: 40 training rows, a network far bigger than they
    /// need, a brisk learning rate. The validation loss bottoms out within a
    /// few epochs and then climbs.
    let train = syntheticClassification(count: 40, features: 10, classes: 3, seed: 7)
    let validation = syntheticClassification(count: 200, features: 10, classes: 3, seed: 9)
    let architecture = try! Architecture(layerSizes: [10, 64, 64, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)

    func configuration(patience: Int?, epochs: Int = 30) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = epochs
        c.batchSize = 8  // 5 steps an epoch
        c.microBatch = 8
        c.learningRate = 0.01
        c.momentum = 0.9
        c.seed = 1
        c.workers = 2
        c.earlyStoppingPatience = patience
        return c
    }

    @Test func stopsAfterPatienceEpochsWithoutImprovementAndKeepsTheBestParameters() throws {
        let trainer = try Trainer(architecture: architecture, configuration: configuration(patience: 2),
                                  train: train, validation: validation)
        var stopEvents: [(Int, Int)] = []
        try trainer.fit(onEvent: { event in
            if case .stoppedEarly(let epoch, let best) = event { stopEvents.append((epoch, best)) }
        })
        let history = trainer.history
        let losses = history.map { $0.validationLoss! }
        let best = losses.min()!
        let bestEpoch = history.first { $0.validationLoss == best }!.epoch

        #expect(trainer.state.stoppedEarly)
        #expect(trainer.isFinished)
        #expect(history.count < 30, "ran every epoch: \(losses)")
        #expect(bestEpoch > 1, "the setup should improve for a while before overfitting: \(losses)")
        // Patience 2: the two epochs after the best did not improve on it, and the run ended there.
        #expect(history.count == bestEpoch + 2, "\(losses)")
        #expect(losses[bestEpoch...].allSatisfy { $0 >= best })
        #expect(stopEvents.count == 1 && stopEvents.first?.0 == history.count && stopEvents.first?.1 == bestEpoch)
        #expect(trainer.state.bestValidationLoss == best)

        // The parameters are those of the best epoch: evaluated now, they give its loss exactly.
        #expect(try trainer.evaluate(validation).loss == best)
        #expect(bitDifference(trainer.model.parameters, trainer.state.bestParameters) == nil)

        // And bitwise those of a run of exactly `bestEpoch` epochs without early stopping.
        // That comparison is fair here because nothing in the first `bestEpoch`
        // epochs depends on the run's length or on early stopping: the schedule
        // is constant (a cosine one spans the planned run, and would differ), the
        // epoch order depends on (seed, epoch) only, and restoring replaces the
        // parameters alone, so only they, not the momentum, can be compared.
        let short = try Trainer(architecture: architecture, configuration: configuration(patience: nil, epochs: bestEpoch),
                                train: train, validation: validation)
        try short.fit()
        #expect(bitDifference(short.model.parameters, trainer.model.parameters) == nil)
        #expect(short.history.map(\.validationLoss) == Array(history.prefix(bestEpoch)).map(\.validationLoss))
        #expect(short.history.map(\.trainLoss) == Array(history.prefix(bestEpoch)).map(\.trainLoss))
    }

    /// With a cosine schedule the shorter run would not be comparable; the
    /// evaluation against the recorded minimum still is.
    @Test func withAdamAndCosineTheFinalModelHasTheLowestValidationLoss() throws {
        var c = configuration(patience: 2)
        c.optimizerKind = .adam
        c.momentum = 0
        c.schedule = .cosine(minimum: 0)
        let trainer = try Trainer(architecture: architecture, configuration: c, train: train, validation: validation)
        try trainer.fit()
        let losses = trainer.history.map { $0.validationLoss! }
        #expect(trainer.state.stoppedEarly && losses.count < 30, "\(losses)")
        #expect(try trainer.evaluate(validation).loss == losses.min()!)
        let independent = try trainer.model.evaluate(on: validation, workers: 1, microBatch: 7)
        #expect(abs(independent.loss - losses.min()!) < 1e-6)
        #expect(abs(independent.loss - losses.last!) > 1e-3, "the last epoch's parameters were kept")
    }

    @Test func earlyStoppingWithoutValidationDataIsAConfigurationError() {
        #expect(throws: ConfigurationError.self) {
            try Trainer(architecture: architecture, configuration: configuration(patience: 2), train: train)
        }
        do {
            _ = try Trainer(architecture: architecture, configuration: configuration(patience: 2), train: train)
        } catch {
            // The library names its own settings; the CLI renders them as flags.
            let setting = (error as? ConfigurationError)?.setting
            #expect(setting == "earlyStoppingPatience" && "\(error)".contains("validationSplit") && !"\(error)".contains("--"), "\(error)")
        }
    }

    @Test func withoutEarlyStoppingEveryEpochRuns() throws {
        let trainer = try Trainer(architecture: architecture, configuration: configuration(patience: nil, epochs: 14),
                                  train: train, validation: validation)
        try trainer.fit()
        #expect(trainer.history.count == 14 && !trainer.state.stoppedEarly)
        #expect(trainer.history.allSatisfy { $0.validationLoss != nil && $0.validationAccuracy != nil })
    }
}

@Suite struct GradientClippingTests {
    let architecture = try! Architecture(layerSizes: [4, 3, 2], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)
    let data = syntheticClassification(count: 5, features: 4, classes: 2, seed: 17)

    func trainer(clip: Double?, l2: Double = 0) throws -> Trainer {
        var c = TrainingConfiguration()
        c.epochs = 1
        c.batchSize = 5
        c.microBatch = 2
        c.learningRate = 1
        c.l2 = l2
        c.clipGradientNorm = clip
        c.shuffle = false
        c.workers = 2
        return try Trainer(architecture: architecture, configuration: c, train: data,
                           model: Model(architecture: architecture, parameters: parametersWithBiases(architecture, seed: 4)))
    }

    /// SGD with α = 1 and C = 10⁻³: the step is −C g/‖g‖, so the parameters move by exactly C.
    @Test func aClippedStepMovesTheParametersByTheLearningRateTimesTheClipNorm() throws {
        let C = 1e-3, λ = 0.2
        let t = try trainer(clip: C, l2: λ)
        let θ0 = t.model.parameters
        try t.fit()
        let θ1 = t.model.parameters
        let moved = zip(θ1, θ0).map { Double($0) - Double($1) }
        let distance = moved.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(distance - C) < 1e-3 * C, "moved \(distance), expected \(C)")

        // In the direction of −∂J/∂θ, element by element.
        let g = referenceObjectiveGradient(architecture, parameters: θ0, dataset: data, rows: [0, 1, 2, 3, 4], l2: λ)
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(norm > 100 * C, "the gradient (norm \(norm)) must be far above the clip for this test to mean anything")
        expectClose(θ1, θ0.indices.map { Double(θ0[$0]) - C * g[$0] / norm }, tolerance: 1e-7, "θ after a clipped step")
    }

    @Test func aGradientBelowTheClipIsLeftAlone() throws {
        let clipped = try trainer(clip: 1e6), plain = try trainer(clip: nil)
        try clipped.fit()
        try plain.fit()
        #expect(bitDifference(clipped.model.parameters, plain.model.parameters) == nil)
    }

    /// StepResult.gradientNorm is ‖(Σ ∂L/∂θ + λW)/m‖ before clipping, whatever the worker count.
    @Test(arguments: [1, 2, 3])
    func theReportedGradientNormIsTheNormOfTheObjectiveGradient(workers: Int) throws {
        let wide = try Architecture(layerSizes: [12, 700, 3], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)  // 11,203 parameters: 3 blocks
        let data = syntheticClassification(count: 10, features: 12, classes: 3, seed: 5)
        let λ = 0.3
        let θ0 = parametersWithBiases(wide, seed: 2)
        let store = ParameterStore(layout: ParameterLayout(wide), initial: θ0, optimizer: SGD(), l2: Float(λ))
        let scheduler = Scheduler(architecture: wide, store: store, workers: workers, microBatch: 4, maxBatch: 10)
        let rows: [Int32] = [3, 1, 4, 0, 9, 2, 6, 5, 8, 7]
        let result = try rows.withUnsafeBufferPointer {
            try scheduler.trainStep(data, batch: $0, step: 1, learningRate: 0.1, clipNorm: 1e-4)
        }
        let g = referenceObjectiveGradient(wide, parameters: θ0, dataset: data, rows: rows, l2: λ)
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(result.gradientNorm - norm) <= 1e-5 * norm, "reported \(result.gradientNorm), expected \(norm)")
        #expect(result.examples == 10)
    }
}

@Suite struct DivergenceTests {
    /// Half squared error with an identity output and targets in the
    /// thousands: at a learning rate of 10⁶ every step overshoots by more than
    /// the last, until the numbers overflow.
    let architecture = try! Architecture(layerSizes: [3, 8, 2], hiddenActivation: .tanh, outputActivation: .identity, loss: .halfSquaredError)
    let data: Dataset = {
        var generator = RandomGenerator(seed: 4, stream: 7)
        let x = (0..<60).map { _ in Float(generator.nextUniform(limit: 1)) }
        let y = (0..<40).map { _ in Float(1000 + generator.nextUniform(limit: 500)) }
        return Dataset(name: "large-targets", features: x, featureCount: 3, targets: .values(y, width: 2))
    }()

    func configuration(learningRate: Double, maxSteps: Int? = nil) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = 5
        c.maxSteps = maxSteps
        c.batchSize = 4  // 5 steps an epoch
        c.microBatch = 2
        c.learningRate = learningRate
        c.seed = 2
        c.workers = 2
        return c
    }

    /// 10⁶ and 10³⁰ end in a non-finite loss or gradient; at 10³⁶ the first
    /// update itself overflows (α g > Float.greatestFiniteMagnitude for g ≈ 10³).
    @Test(arguments: [1e6, 1e30, 1e36])
    func aDivergingRunThrowsNamingTheStepAndKeepsTheLastGoodParameters(learningRate: Double) throws {
        let trainer = try Trainer(architecture: architecture, configuration: configuration(learningRate: learningRate), train: data)
        var thrown: DivergenceError?
        do {
            try trainer.fit()
        } catch let error as DivergenceError {
            thrown = error
        }
        let error = try #require(thrown, "training at learning rate \(learningRate) did not diverge: \(trainer.history)")
        #expect(error.step >= 1)
        #expect(error.description.contains("step \(error.step)") && error.description.contains("learning rate"), "\(error)")
        if error.what.hasPrefix("update") {
            // The update itself overflowed: reported after it, and never saved.
            #expect(trainer.globalStep == error.step)
            #expect(trainer.model.parameters.contains { !$0.isFinite })
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("overflow-\(UUID()).h5").path
            #expect(throws: DivergenceError.self) { try Checkpointer(path: path).save(trainer) }
            #expect(!FileManager.default.fileExists(atPath: path))
            return
        }
        // The step that diverged was not applied: the trainer is one step short of it.
        #expect(trainer.globalStep == error.step - 1)
        let nonFinite = trainer.model.parameters.filter { !$0.isFinite }
        #expect(nonFinite.isEmpty, "\(nonFinite.count) non-finite parameters after \(error)")
        #expect(trainer.state.optimizerState.allSatisfy { $0.isFinite })
        // Exactly the parameters of a run stopped just before that step.
        let stoppedBefore = try Trainer(architecture: architecture,
                                        configuration: configuration(learningRate: learningRate, maxSteps: error.step - 1), train: data)
        try stoppedBefore.fit()
        #expect(bitDifference(stoppedBefore.model.parameters, trainer.model.parameters) == nil)
    }

    /// Settings that pass `validate()` but become degenerate in Float, where
    /// the optimizers compute: a learning rate above Float's range is +∞, and
    /// an ε below it is 0, so that a gradient entry of exactly 0 (a ReLU unit
    /// inactive on the batch) makes Adam's and RMSprop's step 0 / 0. Either the
    /// setting is rejected up front, or training keeps the parameters finite
    /// (throwing DivergenceError if it must stop).
    @Test(arguments: [("sgd, learning rate 1e39", OptimizerKind.sgd, 1e39, 1e-8),
                      ("adam, epsilon 1e-50", .adam, 1e-3, 1e-50),
                      ("rmsprop, epsilon 1e-50", .rmsprop, 1e-3, 1e-50)])
    func aSettingOutsideFloatsRangeIsRejectedOrHarmless(name: String, kind: OptimizerKind, learningRate: Double, epsilon: Double) throws {
        let relu = try Architecture(layerSizes: [6, 32, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        let data = syntheticClassification(count: 4, features: 6, classes: 3, seed: 3)
        var c = TrainingConfiguration()
        c.optimizerKind = kind
        c.learningRate = learningRate
        c.epsilon = epsilon
        c.epochs = 1
        c.batchSize = 1  // one example a step: about half the hidden units are inactive, their weights' gradients exactly 0
        c.microBatch = 1
        c.workers = 1
        let trainer: Trainer
        do {
            trainer = try Trainer(architecture: relu, configuration: c, train: data)
        } catch is ConfigurationError {
            return  // rejected up front, naming the flag
        }
        do {
            try trainer.fit()
        } catch is DivergenceError {
            // Stopping is fine; poisoned parameters are not.
        }
        let nonFinite = trainer.model.parameters.filter { !$0.isFinite }.count
        #expect(nonFinite == 0, "\(name): \(nonFinite) of \(trainer.model.parameters.count) parameters are not finite after \(trainer.globalStep) steps")
    }
}
