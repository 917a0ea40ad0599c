// The input scaling lives in the model: μ and σ come out as computed by hand,
// round-trip through a checkpoint, are checked when read, and an old checkpoint
// reads as unscaled. The predictor scales raw inputs as training did, and its
// bits do not depend on the worker count.

import Foundation
import HDF5
import Testing
@_spi(Benchmarking) @testable import Backprop

@Suite struct InputScalingTests {
    let architecture = try! Architecture(layerSizes: [3, 5, 2], hiddenActivation: .leakyReLU(slope: 0.05), loss: .softmaxCrossEntropy)

    @Test func standardizingGivesTheMeanAndPopulationDeviationOfEachFeature() {
        // Feature 0: 1, 3 → μ 2, σ 1. Feature 1: 10, 10 → constant, σ taken as 1. Feature 2: 0, 4 → μ 2, σ 2.
        let data = Dataset(name: "t", features: [1, 10, 0, 3, 10, 4], featureCount: 3, targets: .classes([0, 1]))
        let scaling = InputScaling.standardizing(data, factor: 1)
        #expect(scaling.mean == [2, 10, 2])
        #expect(scaling.deviation == [1, 1, 2])
        #expect(scaling.standardize(data).features == [-1, 0, -1, 1, 0, 1])
    }

    @Test func aStandardizedModelRoundTripsThroughACheckpoint() throws {
        let scaling = InputScaling(factor: 1 / 255, mean: [0.5, -1, 2], deviation: [0.25, 3, 1e-3])
        let model = Model(architecture: architecture, parameters: Model(architecture: architecture, seed: 1).parameters,
                          inputScaling: scaling)
        let file = TemporaryCheckpoint()
        try Checkpoint(model: model).write(to: file.path)
        let read = try Checkpoint.read(from: file.path)
        #expect(read.inputScaling == scaling)
        #expect(read.model == model)
    }

    @Test func aFactorThatNoRunWritesIsRefusedByName() throws {
        let model = Model(architecture: architecture, parameters: Model(architecture: architecture, seed: 1).parameters,
                          inputScaling: InputScaling(factor: 1, mean: [0, 0, 0], deviation: [1, 1, 1]))
        let file = TemporaryCheckpoint()
        try Checkpoint(model: model).write(to: file.path)
        try CheckpointTestEditing.edit(file.path) { try $0.setAttribute("input_factor", 0.0, on: "model") }
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: file.path) }
        do {
            _ = try Checkpoint.read(from: file.path)
        } catch let error as CheckpointError {
            #expect(error.message.contains("model/input_factor is 0.0; expected a positive number"), "\(error)")
        }
    }

    @Test func aFormatOneCheckpointReadsAsUnscaled() throws {
        let checkpoint = try Checkpoint.read(from: Fixture.formatOneCheckpoint)
        #expect(checkpoint.inputScaling == .identity)
        #expect(checkpoint.model.inputScaling == .identity)
    }

    @Test func thePredictorScalesRawInputsAsTrainingDid() {
        let scaling = InputScaling(factor: 0.5, mean: [1, 2, 3], deviation: [2, 4, 0.5])
        let model = Model(architecture: architecture, parameters: Model(architecture: architecture, seed: 4).parameters,
                          inputScaling: scaling)
        let raw: [Float] = [2, 4, 6, -8, 0, 1]
        // (x · 0.5 − μ) / σ, by hand.
        let scaled: [Float] = [0, 0, 0, -2.5, -0.5, -5]
        let predictor = Predictor(model: model, workers: 1)
        #expect(predictor.predict(raw: raw) == model.predict(scaled))
        #expect(predictor.predict(scaled: scaled) == model.predict(scaled))
        // Logits: softmax of them gives the probabilities.
        let z = predictor.predict(scaled: scaled, .logits), p = model.predict(scaled)
        let e = z[0..<2].map { exp(Double($0)) }
        #expect(abs(e[0] / (e[0] + e[1]) - Double(p[0])) < 1e-6)
    }

    @Test func predictionsHaveTheSameBitsForAnyWorkerCount() {
        let model = Model(architecture: architecture, seed: 9)
        var generator = RandomGenerator(seed: 3, stream: 1)
        let x = (0..<(3 * 1000)).map { _ in Float(generator.nextUnitInterval()) * 4 - 2 }
        let one = Predictor(model: model, workers: 1, microBatch: 64).predict(raw: x)
        let three = Predictor(model: model, workers: 3, microBatch: 64).predict(raw: x)
        #expect(one.count == 1000 * 2)
        #expect(one.map(\.bitPattern) == three.map(\.bitPattern))
        // Row order: row 777 alone gives row 777's outputs (to rounding: a 1-row product may take another kernel).
        let single = Predictor(model: model, workers: 2, microBatch: 64).predict(raw: Array(x[(777 * 3)..<(778 * 3)]))
        #expect(zip(single, one[(777 * 2)..<(778 * 2)]).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
