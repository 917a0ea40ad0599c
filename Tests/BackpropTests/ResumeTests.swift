// Resuming from a checkpoint, mid-epoch or at an epoch boundary, must give the
// very parameters and metrics of the run left uninterrupted: bitwise.

import Foundation
import HDF5
import Testing
@testable import Backprop

@Suite struct ResumeTests {
    let data = syntheticClassification(count: 430, features: 10, classes: 3)
    let test = syntheticClassification(count: 60, features: 10, classes: 3, seed: 9)
    let architecture = try! Architecture(layerSizes: [10, 12, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)

    func configuration(workers: Int, maxSteps: Int? = nil) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = 4
        c.maxSteps = maxSteps
        c.batchSize = 40  // 11 steps an epoch, the last one of 30 rows
        c.microBatch = 16
        c.learningRate = 0.05
        c.momentum = 0.9
        c.nesterov = true
        c.l2 = 0.001
        c.seed = 5
        c.workers = workers
        return c
    }

    /// Metrics that must match exactly: everything but the timings.
    func comparable(_ history: [EpochRecord]) -> [[Double?]] {
        history.map { [Double($0.epoch), Double($0.step), $0.trainLoss, $0.trainAccuracy, $0.testLoss, $0.testAccuracy] }
    }

    func resumeThroughAFile(stoppingAt step: Int, resumeWorkers: Int) throws -> Trainer {
        let first = try Trainer(architecture: architecture, configuration: configuration(workers: 2, maxSteps: step), train: data, test: test)
        try first.fit()
        #expect(first.globalStep == step)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID()).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint(trainer: first, dataset: "synthetic").write(to: path)
        let saved = try Checkpoint.read(from: path)
        #expect(saved.state == first.state)
        let second = try Trainer(architecture: saved.architecture, configuration: configuration(workers: resumeWorkers),
                                 train: data, test: test, state: saved.state)
        try second.fit()
        return second
    }

    @Test(arguments: [(17, 1), (22, 3), (1, 2), (43, 4)])  // mid-epoch, at the end of epoch 2, the first step, the last step
    func resumedRunEndsBitwiseWhereTheUninterruptedOneDoes(stopStep: Int, workers: Int) throws {
        let uninterrupted = try Trainer(architecture: architecture, configuration: configuration(workers: 2), train: data, test: test)
        try uninterrupted.fit()
        let resumed = try resumeThroughAFile(stoppingAt: stopStep, resumeWorkers: workers)
        #expect(resumed.globalStep == uninterrupted.globalStep)
        #expect(resumed.model.parameters == uninterrupted.model.parameters)
        #expect(comparable(resumed.history) == comparable(uninterrupted.history))
    }

    @Test func aStopRequestEndsTheRunAfterTheCurrentStep() throws {
        let trainer = try Trainer(architecture: architecture, configuration: configuration(workers: 2), train: data, test: test)
        var steps = 0
        try trainer.fit(onEvent: { event in
            if case .stepEnded = event { steps += 1 }
        }, shouldStop: { steps >= 7 })
        #expect(trainer.globalStep == 7)
        #expect(trainer.stepInEpoch == 7)
        #expect(!trainer.isFinished)
    }
}

@Suite struct CheckpointFileTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-tests-\(UUID())")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func trainedCheckpoint(at file: String) throws -> Checkpoint {
        let architecture = try Architecture(layerSizes: [6, 5, 2], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)
        var c = TrainingConfiguration()
        c.epochs = 1
        c.maxSteps = 3
        c.batchSize = 10
        c.momentum = 0.5
        c.workers = 2
        let trainer = try Trainer(architecture: architecture, configuration: c,
                                  train: syntheticClassification(count: 50, features: 6, classes: 2))
        try trainer.fit()
        let checkpoint = Checkpoint(trainer: trainer, dataset: "/data/x.h5", log: "/runs/x.jsonl", checkpointEvery: 3, keep: 2)
        try checkpoint.write(to: file)
        return checkpoint
    }

    @Test func roundTripKeepsEverything() throws {
        let file = path("round-trip.h5")
        let written = try trainedCheckpoint(at: file)
        let read = try Checkpoint.read(from: file)
        #expect(read.architecture == written.architecture)
        #expect(read.configuration == written.configuration)
        #expect(read.state == written.state)
        #expect(read.dataset == "/data/x.h5" && read.log == "/runs/x.jsonl")
        #expect(read.checkpointEvery == 3 && read.keep == 2)
        #expect(!read.state.epochOrder.isEmpty)
    }

    func expectCheckpointError(_ file: String, mentioning words: String) {
        #expect {
            _ = try Checkpoint.read(from: file)
        } throws: { error in
            guard let error = error as? CheckpointError else { return false }
            let line = error.description
            return line.hasPrefix(file) && line.contains(words) && !line.contains("\n")
        }
    }

    @Test func aTextFileIsNotACheckpoint() throws {
        let file = path("notes.h5")
        try "not hdf5".write(toFile: file, atomically: true, encoding: .utf8)
        expectCheckpointError(file, mentioning: "not an HDF5 file")
    }

    @Test func aTruncatedCheckpointIsAnErrorNotACrash() throws {
        let file = path("truncated.h5")
        _ = try trainedCheckpoint(at: file)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        for fraction in [0.9, 0.5, 0.2] {
            try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: file))
            #expect(throws: CheckpointError.self) { try Checkpoint.read(from: file) }
        }
    }

    @Test func aFutureFormatIsRefusedByName() throws {
        let file = path("future.h5")
        _ = try trainedCheckpoint(at: file)
        try CheckpointTestEditing.edit(file) { try $0.setAttribute("format_version", 99) }
        expectCheckpointError(file, mentioning: "format 99")
    }

    @Test func aWronglyShapedWeightIsNamed() throws {
        let file = path("wrong-shape.h5")
        _ = try trainedCheckpoint(at: file)
        try CheckpointTestEditing.edit(file) { try $0.setAttribute("layer_sizes", [6, 4, 2], on: "model") }
        expectCheckpointError(file, mentioning: "model/layer1/W has shape [5, 6]; expected [4, 6]")
    }

    @Test func aMissingDatasetIsNamed() throws {
        let file = path("missing.h5")
        _ = try trainedCheckpoint(at: file)
        try CheckpointTestEditing.edit(file) { hdf5 in
            try hdf5.setAttribute("layer_sizes", [6, 5, 2, 2], on: "model")
            try hdf5.setAttribute("activations", ["tanh", "tanh", "softmax"], on: "model")
            try hdf5.setAttribute("leaky_slopes", [0.0, 0, 0], on: "model")
        }
        expectCheckpointError(file, mentioning: "missing dataset model/layer3/W")
    }

    @Test func aFailedWriteLeavesTheOldCheckpointAsItWas() throws {
        let file = path("kept.h5")
        _ = try trainedCheckpoint(at: file)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try AtomicReplace.write(to: file) { temporary in
                try Data("half a checkpoint".utf8).write(to: URL(fileURLWithPath: temporary))
                throw Interrupted()
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
