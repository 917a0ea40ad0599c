// The checkpoint's /training attributes come from one table in both
// directions; a format-1 checkpoint written before that table (and before
// checksums) still reads back to the numbers it holds; an optimizer state of
// the wrong size is a programmer error; POSIX failures are one typed line.

import Foundation
import Glibc
import HDF5
import Testing
@testable import Backprop

/// The committed fixtures (Tests/Fixtures/README.md says how they were made).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static let formatOneCheckpoint = path("checkpoint-format1-adam.h5")
    static let formatOneData = path("checkpoint-format1-data.h5")
}

@Suite struct CheckpointSchemaTests {
    @Test func theTableNamesEachAttributeOnceAndWritesExactlyItsRows() throws {
        let names = TrainingAttribute.all.map(\.name)
        #expect(Set(names).count == names.count, "an attribute is listed twice")

        // A run with a step schedule and no paths: the table says which rows it stores.
        var c = TrainingConfiguration()
        c.schedule = .step(everyEpochs: 2, gamma: 0.5)
        c.epochs = 1
        c.workers = 1
        let architecture = try Architecture(layerSizes: [3, 2], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        let trainer = try Trainer(architecture: architecture, configuration: c,
                                  train: syntheticClassification(count: 6, features: 3, classes: 2))
        let file = TemporaryCheckpoint()
        try Checkpoint(trainer: trainer).write(to: file.path)
        let hdf5 = try HDF5File(path: file.path)
        for name in names {
            // A split in memory stores no stream settings or position.
            let expected = !["min_learning_rate", "dataset", "log", "stream_block_rows", "stream_slots", "stream_rows_done"].contains(name)
            #expect(hdf5.hasAttribute(name, on: "training") == expected, "training/\(name)")
        }
        #expect(try hdf5.intAttribute("decay_epochs", of: "training") == 2)
        #expect(try hdf5.doubleAttribute("gamma", of: "training") == 0.5)
    }

    @Test func aModelOnlyCheckpointStoresOnlyTheGlobalStep() throws {
        let model = Model(architecture: try Architecture(layerSizes: [3, 4, 2], hiddenActivation: .tanh, loss: .softmaxCrossEntropy), seed: 3)
        let file = TemporaryCheckpoint()
        try Checkpoint(model: model).write(to: file.path)
        let hdf5 = try HDF5File(path: file.path)
        for attribute in TrainingAttribute.all {
            #expect(hdf5.hasAttribute(attribute.name, on: "training") == attribute.storedWithModel, "training/\(attribute.name)")
        }
        let read = try Checkpoint.read(from: file.path)
        #expect(read.configuration == nil && read.model == model)
    }

    @Test func aMissingRequiredAttributeIsNamed() throws {
        let file = TemporaryCheckpoint()
        var c = TrainingConfiguration()
        c.schedule = .exponential(gamma: 0.9)
        c.workers = 1
        let architecture = try Architecture(layerSizes: [3, 2], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        let trainer = try Trainer(architecture: architecture, configuration: c,
                                  train: syntheticClassification(count: 6, features: 3, classes: 2))
        try Checkpoint(trainer: trainer).write(to: file.path)
        // The schedule's parameters are the rows after its name: a step schedule
        // takes decay_epochs and the gamma the exponential one stored.
        try CheckpointTestEditing.edit(file.path) { hdf5 in
            try hdf5.setAttribute("schedule", "step", on: "training")
            try hdf5.setAttribute("decay_epochs", 1, on: "training")
        }
        #expect(try Checkpoint.read(from: file.path).configuration?.schedule == .step(everyEpochs: 1, gamma: 0.9))
        // A cosine schedule needs min_learning_rate, which no row wrote.
        try CheckpointTestEditing.edit(file.path) { hdf5 in
            try hdf5.setAttribute("schedule", "cosine", on: "training")
        }
        #expect {
            try Checkpoint.read(from: file.path)
        } throws: { error in
            "\(error)" == "\(file.path): missing attribute training/min_learning_rate"
        }
    }

    @Test func aFormatOneCheckpointReadsBackWhatItHolds() throws {
        let saved = try Checkpoint.read(from: Fixture.formatOneCheckpoint)
        #expect(saved.architecture.layerSizes == [4, 5, 3])
        let c = try #require(saved.configuration)
        #expect(c.optimizerKind == .adam && c.learningRate == 0.01 && c.batchSize == 8 && c.microBatch == 16)
        #expect(c.epochs == 6 && c.maxSteps == 19 && c.scheduleSteps == 19 && c.seed == 7 && c.workers == 1)
        #expect(c.validationSplit == 0.2 && c.earlyStoppingPatience == 3 && c.schedule == .constant && c.shuffle)
        let state = saved.state
        #expect(state.globalStep == 19 && state.epochsDone == 3 && state.stepInEpoch == 1)
        #expect(state.epochOrder.count == 48 && state.epochOrder.prefix(3) == [35, 19, 38])
        #expect(state.bestValidationLoss == 1.4644962750064483 && state.epochsSinceBest == 0 && !state.stoppedEarly)
        #expect(state.history.count == 3 && abs(state.history[2].validationLoss! - 1.46449628) < 1e-8)
        #expect(zip(state.history.map(\.trainLoss), [1.20366377, 1.11425922, 1.03140656]).allSatisfy { abs($0 - $1) < 1e-8 })
        // Exact bits, as h5py printed them from the file.
        #expect(state.parameters.count == 43 && state.optimizerState.count == 86 && state.bestParameters.count == 43)
        #expect(state.parameters[0].bitPattern == 0xbf6a_98f2)
        #expect(state.parameters.suffix(3).map(\.bitPattern) == [0xbdc5_f48f, 0xbd82_4959, 0x3e1b_4133])
        #expect(state.optimizerState.suffix(3).map(\.bitPattern) == [973_018_193, 972_447_391, 975_443_604])
        #expect(saved.dataset == "/tmp/ckfx/tiny.h5" && saved.log == nil && saved.checkpointEvery == nil && saved.keep == 0)

        // And the run continues from it on the data it was trained on.
        var more = c
        more.maxSteps = nil
        let splits = try DatasetFile.load(Fixture.formatOneData).holdingOut(fraction: c.validationSplit, seed: c.seed)
        let trainer = try Trainer(architecture: saved.architecture, configuration: more, train: splits.train,
                                  validation: splits.validation, test: splits.test, state: state)
        try trainer.fit()
        #expect(trainer.globalStep > 19 && trainer.isFinished)
    }

    @Test func anOptimizerStateOfTheWrongSizeIsAProgrammerError() async {
        await #expect(processExitsWith: .failure) {
            let architecture = try! Architecture(layerSizes: [3, 2], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
            var c = TrainingConfiguration()
            c.optimizerKind = .adam
            let parameters = [Float](repeating: 0, count: ParameterLayout(architecture).count)
            let checkpoint = Checkpoint(architecture: architecture, configuration: c,
                                        state: TrainingState(parameters: parameters, optimizerState: [1, 2, 3]))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("wrong-state-\(getpid()).h5").path
            try? checkpoint.write(to: path)
        }
    }

    @Test func aFailedSystemCallIsOneTypedLine() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID())").path
        #expect {
            try SystemCall.check("rename", path: missing) { rename(missing, missing + ".b") }
        } throws: { error in
            guard let error = error as? SystemCallError else { return false }
            return error.code == ENOENT && error.function == "rename" && error.path == missing
                && error.description == "\(missing): rename failed: No such file or directory"
        }
    }
}
