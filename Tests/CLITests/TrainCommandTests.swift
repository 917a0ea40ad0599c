// `backprop train` and `backprop evaluate` end to end, as a user runs them: the
// printed lines, the --log file, the checkpoint on disk, and evaluate agreeing
// with what training printed.

import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct TrainCommandTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory() }

    static let metricKeys: Set<String> = [
        "epoch", "step", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "samples_per_second", "seconds",
    ]

    /// `backprop train DATA` with the settings of a typical small run; `extra` adds or overrides flags.
    func train(_ data: String, _ extra: [String]) throws -> RunResult {
        try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--batch-size", "32", "--learning-rate", "0.1",
                             "--momentum", "0.9"] + extra)
    }

    @Test func happyPath() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5"), log = directory.path("metrics.jsonl")
        let run = try BackpropCLI.run([
            "train", data, "--layers", "8,16,3", "--epochs", "3", "--batch-size", "32", "--learning-rate", "0.1",
            "--momentum", "0.9", "--workers", "2", "--seed", "1", "--checkpoint", checkpoint, "--log", log,
        ])
        try #require(run.succeeded, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")

        // Standard output is a file, not a terminal: plain lines, no bar redrawn in place.
        #expect(!run.stdout.contains("\r") && !run.stdout.contains("\u{1B}"), "\(run)")
        let epochLines = run.stdoutLines.filter { $0.hasPrefix("epoch ") }
        // 300 rows in batches of 32: 10 steps per epoch.
        #expect(epochLines.count == 3, "\(run)")
        for (index, line) in epochLines.enumerated() {
            #expect(line.hasPrefix("epoch \(index + 1) step \(10 * (index + 1)): "), "\(line)")
        }
        let finalLines = run.stdoutLines.filter { $0.hasPrefix("test accuracy: ") }
        try #require(finalLines.count == 1, "\(run)")
        let finalLine = finalLines[0]
        #expect(finalLine.hasSuffix("on 100 examples after 30 steps"), "\(finalLine)")

        // The log: one JSON object per epoch, with every metric.
        let records = try readJSONLines(log)
        try #require(records.count == 3, "\(records)")
        for (index, record) in records.enumerated() {
            let missing = Self.metricKeys.subtracting(record.keys)
            #expect(missing.isEmpty, "epoch \(index + 1) lacks \(missing.sorted())")
            #expect(number(record["epoch"]) == Double(index + 1))
            #expect(number(record["step"]) == Double(10 * (index + 1)))
            for key in Self.metricKeys {
                #expect(number(record[key])?.isFinite == true, "\(key) = \(String(describing: record[key]))")
            }
            for key in ["train_accuracy", "test_accuracy"] {
                #expect((0...1).contains(number(record[key]) ?? -1), "\(key) = \(String(describing: record[key]))")
            }
        }
        // The printed epoch lines show the logged figures.
        for (line, record) in zip(epochLines, records) {
            for (label, key) in [("loss: ", "train_loss"), ("test_loss: ", "test_loss"), ("test_accuracy: ", "test_accuracy")] {
                #expect(figure(after: label, in: line) == number(record[key]).map(fourDigits), "\(key) in \(line)")
            }
        }
        let last = records[2]
        let lastLoss = try #require(number(last["test_loss"])), lastAccuracy = try #require(number(last["test_accuracy"]))
        // Three epochs of this rule learn far better than chance (1/3).
        #expect(lastAccuracy > 0.6, "\(records)")
        #expect(figure(after: "test accuracy: ", in: finalLine) == fourDigits(lastAccuracy), "\(finalLine)")
        #expect(figure(after: "(loss ", in: finalLine) == fourDigits(lastLoss), "\(finalLine)")

        // The checkpoint, evaluated afresh, gives what the last epoch printed.
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        let evaluate = try BackpropCLI.run(["evaluate", checkpoint, data])
        try #require(evaluate.succeeded, "\(evaluate)")
        #expect(evaluate.stderr.isEmpty, "\(evaluate)")
        try #require(evaluate.stdoutLines.count == 1, "\(evaluate)")
        let line = evaluate.stdoutLines[0]
        #expect(figure(after: "loss ", in: line) == fourDigits(lastLoss), "\(line) vs \(last)")
        #expect(figure(after: "accuracy ", in: line) == fourDigits(lastAccuracy), "\(line) vs \(last)")
        #expect(line.contains("100 examples"), "\(line)")

        let evaluateJSON = try BackpropCLI.run(["evaluate", checkpoint, data, "--json"])
        try #require(evaluateJSON.succeeded, "\(evaluateJSON)")
        let object = try parseJSONObject(evaluateJSON.stdout)
        #expect(object["split"] as? String == "test")
        #expect(number(object["examples"]) == 100)
        #expect(number(object["loss"]).map(fourDigits) == fourDigits(lastLoss), "\(object)")
        #expect(number(object["accuracy"]).map(fourDigits) == fourDigits(lastAccuracy), "\(object)")
        #expect((number(object["seconds"]) ?? 0) > 0, "\(object)")
        #expect((number(object["samples_per_second"]) ?? 0) > 0, "\(object)")
    }

    /// Micro-shards of 8 rows make each 32-row step four pieces of work that two
    /// workers really do split; the result must not depend on how they split them.
    @Test func workerCountDoesNotChangeTheResult() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        var parameters: [[String: [UInt32]]] = [], losses: [[Double]] = []
        for workers in [1, 2] {
            let checkpoint = directory.path("workers\(workers).h5"), log = directory.path("workers\(workers).jsonl")
            let run = try train(data, ["--epochs", "2", "--micro-batch", "8", "--workers", "\(workers)", "--seed", "7",
                                       "--checkpoint", checkpoint, "--log", log])
            try #require(run.succeeded, "\(run)")
            parameters.append(try Fixtures.parameterBits(of: checkpoint))
            losses.append(try readJSONLines(log).map { number($0["train_loss"]) ?? .nan })
        }
        #expect(parameters[0].keys.sorted() == ["model/layer1/W", "model/layer1/b", "model/layer2/W", "model/layer2/b"])
        for (object, bits) in parameters[0].sorted(by: { $0.key < $1.key }) {
            #expect(bits == parameters[1][object], "\(object) differs between --workers 1 and --workers 2")
        }
        #expect(losses[0].count == 2)
        #expect(losses[0] == losses[1], "train_loss per epoch: \(losses[0]) vs \(losses[1])")
    }

    @Test func stepsZeroWritesTheFreshlyInitialisedModel() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        var parameters: [String: [String: [UInt32]]] = [:]
        for (name, seed) in [("a", 5), ("b", 5), ("c", 6)] {
            let checkpoint = directory.path("\(name).h5")
            let run = try train(data, ["--steps", "0", "--seed", "\(seed)", "--checkpoint", checkpoint])
            try #require(run.succeeded, "\(run)")
            #expect(run.stdoutLines.last { $0.hasPrefix("test accuracy: ") }?.hasSuffix("after 0 steps") == true, "\(run)")
            #expect(!run.stdoutLines.contains { $0.hasPrefix("epoch ") }, "\(run)")
            let file = try HDF5File(path: checkpoint, mode: .readOnly)
            #expect(try file.intAttribute("global_step", of: "training") == 0)
            file.close()
            parameters[name] = try Fixtures.parameterBits(of: checkpoint)
        }
        let a = try #require(parameters["a"]), b = try #require(parameters["b"]), c = try #require(parameters["c"])
        #expect(a == b, "the same seed must give the same initial model")
        #expect(a["model/layer1/W"] != c["model/layer1/W"], "a different seed must give different initial weights")
        #expect(a["model/layer2/W"] != c["model/layer2/W"], "a different seed must give different initial weights")
        // Initialised, not left at zero.
        #expect(a["model/layer1/W"]?.contains { Float(bitPattern: $0) != 0 } == true)
    }

    @Test func stepsFiveStopsAfterFiveSteps() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5"), log = directory.path("metrics.jsonl")
        // Ten steps per epoch: five steps stop inside the first of three epochs.
        let run = try train(data, ["--steps", "5", "--epochs", "3", "--seed", "1", "--checkpoint", checkpoint, "--log", log])
        try #require(run.succeeded, "\(run)")
        #expect(run.stdoutLines.last { $0.hasPrefix("test accuracy: ") }?.hasSuffix("after 5 steps") == true, "\(run)")
        let file = try HDF5File(path: checkpoint, mode: .readOnly)
        defer { file.close() }
        #expect(try file.intAttribute("global_step", of: "training") == 5)
        // Whether the unfinished epoch gets a record is the trainer's choice; none may lie past step 5.
        let records = try readJSONLines(log)
        #expect(records.allSatisfy { (number($0["step"]) ?? .infinity) <= 5 }, "\(records)")
        #expect(!run.stdoutLines.contains { $0.hasPrefix("epoch 2 ") }, "\(run)")
    }

    /// A step limit past the first epoch: that epoch is logged whole, and training stops 5 steps into the next.
    @Test func stepsFifteenStopsInTheSecondEpoch() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5"), log = directory.path("metrics.jsonl")
        let run = try train(data, ["--steps", "15", "--epochs", "3", "--seed", "1", "--checkpoint", checkpoint, "--log", log])
        try #require(run.succeeded, "\(run)")
        #expect(run.stdoutLines.last { $0.hasPrefix("test accuracy: ") }?.hasSuffix("after 15 steps") == true, "\(run)")
        let records = try readJSONLines(log)
        #expect(records.first.flatMap { number($0["step"]) } == 10, "\(records)")
        #expect(records.allSatisfy { (number($0["step"]) ?? .infinity) <= 15 }, "\(records)")
        let file = try HDF5File(path: checkpoint, mode: .readOnly)
        defer { file.close() }
        #expect(try file.intAttribute("global_step", of: "training") == 15)
    }

    @Test func checkpointLayout() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5")
        let run = try train(data, ["--epochs", "1", "--seed", "1", "--checkpoint", checkpoint])
        try #require(run.succeeded, "\(run)")
        let file = try HDF5File(path: checkpoint, mode: .readOnly)
        defer { file.close() }
        #expect(try file.stringAttribute("format") == "backprop-checkpoint")
        #expect(try file.intAttribute("format_version") == 3)
        #expect(try file.intsAttribute("layer_sizes", of: "model") == [8, 16, 3])
        #expect(try file.stringsAttribute("activations", of: "model") == ["relu", "softmax"])
        #expect(try file.stringAttribute("loss", of: "model") == "softmax-cross-entropy")
        // W is out × in.
        for (object, shape) in [("model/layer1/W", [16, 8]), ("model/layer1/b", [16]),
                                ("model/layer2/W", [3, 16]), ("model/layer2/b", [3])] {
            let dataset = try file.dataset(object)
            #expect(dataset.shape == shape, "\(object)")
            #expect(dataset.elementClass == .float(bytes: 4), "\(object)")
        }
        #expect(!file.contains("model/layer3"))
    }

    @Test func checkpointLayoutOfADeeperNetwork() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5")
        let run = try train(data, ["--layers", "8,16,12,3", "--activation", "tanh", "--steps", "2", "--checkpoint", checkpoint])
        try #require(run.succeeded, "\(run)")
        let file = try HDF5File(path: checkpoint, mode: .readOnly)
        defer { file.close() }
        #expect(try file.intsAttribute("layer_sizes", of: "model") == [8, 16, 12, 3])
        #expect(try file.stringsAttribute("activations", of: "model") == ["tanh", "tanh", "softmax"])
        #expect(try file.dataset("model/layer2/W").shape == [12, 16])
        #expect(try file.dataset("model/layer3/W").shape == [3, 12])
        #expect(try file.dataset("model/layer3/b").shape == [3])
    }

    /// uint8 features are pixel intensities: the loader scales 0…255 to 0…1, so a
    /// model sees the same numbers in a uint8 file as in a float file of x / 255.
    @Test func uint8FeaturesAreScaledToTheUnitInterval() throws {
        let train = SyntheticBytes(count: Fixtures.trainCount, seed: 11), test = SyntheticBytes(count: Fixtures.testCount, seed: 12)
        let bytes = try Fixtures.writeFile(directory.path("bytes.h5")) { file in
            try file.write(train.x, shape: [train.count, Synthetic.features], to: "train/x")
            try file.write(train.y, shape: [train.count], to: "train/y")
            try file.write(test.x, shape: [test.count, Synthetic.features], to: "test/x")
            try file.write(test.y, shape: [test.count], to: "test/y")
        }
        let scaled = try Fixtures.writeFile(directory.path("scaled.h5")) { file in
            try file.write(train.x.map { Float($0) / 255 }, shape: [train.count, Synthetic.features], to: "train/x")
            try file.write(train.y, shape: [train.count], to: "train/y")
            try file.write(test.x.map { Float($0) / 255 }, shape: [test.count, Synthetic.features], to: "test/x")
            try file.write(test.y, shape: [test.count], to: "test/y")
        }
        let checkpoint = directory.path("model.h5"), log = directory.path("metrics.jsonl")
        let run = try self.train(bytes, ["--epochs", "4", "--seed", "3", "--checkpoint", checkpoint, "--log", log])
        try #require(run.succeeded, "\(run)")
        let records = try readJSONLines(log)
        #expect(records.count == 4)
        #expect(records.allSatisfy { number($0["train_loss"])?.isFinite == true }, "\(records)")
        #expect((records.last.flatMap { number($0["test_accuracy"]) } ?? 0) > 0.6, "\(records)")

        // The same model on the same examples, stored as uint8 and as float x / 255.
        var evaluations: [[String: Any]] = []
        for data in [bytes, scaled] {
            let evaluate = try BackpropCLI.run(["evaluate", checkpoint, data, "--json", "--split", "train"])
            try #require(evaluate.succeeded, "\(evaluate)")
            evaluations.append(try parseJSONObject(evaluate.stdout))
        }
        let loss = try #require(number(evaluations[0]["loss"])), scaledLoss = try #require(number(evaluations[1]["loss"]))
        #expect(abs(loss - scaledLoss) <= 1e-5 * max(1, abs(scaledLoss)), "uint8 \(evaluations[0]) vs float \(evaluations[1])")
        #expect(number(evaluations[0]["accuracy"]) == number(evaluations[1]["accuracy"]))
    }
}
