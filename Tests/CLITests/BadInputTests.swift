// Mistakes a user makes: each must end in a non-zero exit (never a crash) with
// one line on standard error that names the file or flag at fault and what was
// expected, and a failed `train` must leave the checkpoint already at
// --checkpoint exactly as it was.

import Backprop
import Foundation
import HDF5
import Testing

/// Asserts that `run` failed the way a user mistake should.
func expectOneLineFailure(_ run: RunResult, mentioning fragments: [String],
                          sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!run.crashed, "crashed: \(run)", sourceLocation: sourceLocation)
    #expect(run.status != 0, "succeeded: \(run)", sourceLocation: sourceLocation)
    #expect(run.stderrLines.count == 1, "expected one line on stderr: \(run)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(run.stderr.contains(fragment), "stderr does not mention '\(fragment)': \(run)", sourceLocation: sourceLocation)
    }
}

/// A real checkpoint of an 8-16-3 network, written by the library, to stand at
/// --checkpoint before a run that must not touch it.
@discardableResult
func writeExistingCheckpoint(_ path: String, layers: [Int] = [8, 16, 3]) throws -> Data {
    let architecture = try Architecture(layerSizes: layers, hiddenActivation: .relu, loss: .softmaxCrossEntropy)
    try Checkpoint(model: Model(architecture: architecture, seed: 99)).write(to: path)
    return try Fixtures.bytes(of: path)
}

/// Dataset files that do not fit the layout, or do not fit the network.
enum BadData: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case textFile, missingFile, noTrainX, trainXOfRank1, lengthsDiffer, labelTooLarge, nanFeature, int16Features,
         layersDoNotFitData

    var testDescription: String { rawValue }

    /// Writes the file to `path` (or does not, for `missingFile`) and returns the
    /// --layers to train with and what the message must mention besides the path.
    func make(at path: String) throws -> (layers: String, mentions: [String]) {
        let good = Synthetic(count: 120, seed: 4)
        let shape = [good.count, Synthetic.features]
        switch self {
        case .textFile:
            try Fixtures.writeText("epoch,loss\n1,0.5\n", to: path)
            return ("8,16,3", ["HDF5"])
        case .missingFile:
            return ("8,16,3", ["no such file"])
        case .noTrainX:
            try Fixtures.writeFile(path) { file in
                try file.write(good.x, shape: shape, to: "test/x")
                try file.write(good.y, shape: [good.count], to: "test/y")
            }
            return ("8,16,3", ["train/x"])
        case .trainXOfRank1:
            try Fixtures.writeFile(path) { file in
                try file.write(Array(good.x.prefix(good.count)), shape: [good.count], to: "train/x")
                try file.write(good.y, shape: [good.count], to: "train/y")
            }
            return ("8,16,3", ["train/x", "2 dimensions"])
        case .lengthsDiffer:
            try Fixtures.writeFile(path) { file in
                try file.write(good.x, shape: shape, to: "train/x")
                try file.write(Array(good.y.dropLast()), shape: [good.count - 1], to: "train/y")
            }
            return ("8,16,3", ["train/x", "train/y", "\(good.count)", "\(good.count - 1)"])
        case .labelTooLarge:
            var labels = good.y
            labels[17] = 3
            try Fixtures.writeFile(path) { file in
                try file.write(good.x, shape: shape, to: "train/x")
                try file.write(labels, shape: [good.count], to: "train/y")
            }
            return ("8,16,3", ["train/y[17]", "3 classes"])
        case .nanFeature:
            var x = good.x
            x[5 * Synthetic.features + 2] = .nan
            try Fixtures.writeFile(path) { file in
                try file.write(x, shape: shape, to: "train/x")
                try file.write(good.y, shape: [good.count], to: "train/y")
            }
            return ("8,16,3", ["train/x", "finite"])
        case .int16Features:
            try Fixtures.writeFile(path) { file in
                try file.write(good.x.map { Int16($0 * 100) }, shape: shape, to: "train/x")
                try file.write(good.y, shape: [good.count], to: "train/y")
            }
            return ("8,16,3", ["train/x", "float32"])
        case .layersDoNotFitData:
            try Fixtures.writeFile(path) { file in
                try file.write(good.x, shape: shape, to: "train/x")
                try file.write(good.y, shape: [good.count], to: "train/y")
            }
            return ("5,16,3", ["8 features", "input width is 5"])
        }
    }
}

/// Flags that are wrong whatever the data.
enum BadFlags: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case negativeLearningRate, unknownActivation, reluOutputWithBinaryCrossEntropy

    var testDescription: String { rawValue }

    var arguments: [String] {
        switch self {
        case .negativeLearningRate: ["--learning-rate", "-1"]
        case .unknownActivation: ["--activation", "bogus"]
        case .reluOutputWithBinaryCrossEntropy: ["--output-activation", "relu", "--loss", "binary-cross-entropy"]
        }
    }

    var mentions: [String] {
        switch self {
        case .negativeLearningRate: ["--learning-rate", "positive"]
        case .unknownActivation: ["--activation", "bogus"]
        case .reluOutputWithBinaryCrossEntropy: ["relu", "sigmoid"]
        }
    }
}

@Suite struct BadInputTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory() }

    /// Runs train with a checkpoint already at --checkpoint, and checks that the
    /// run left it, and the rest of the directory, as they were.
    func trainLeavingCheckpoint(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let checkpoint = directory.path("existing.h5")
        let before = try writeExistingCheckpoint(checkpoint)
        let filesBefore = try directory.contents()
        let run = try BackpropCLI.run(["train"] + arguments + ["--checkpoint", checkpoint, "--overwrite", "--epochs", "1"])
        #expect(try Fixtures.bytes(of: checkpoint) == before, "the failed run changed \(checkpoint)", sourceLocation: sourceLocation)
        #expect(try directory.contents() == filesBefore, "the failed run left files behind", sourceLocation: sourceLocation)
        return run
    }

    @Test(arguments: BadData.allCases)
    func trainRejectsData(_ bad: BadData) throws {
        let data = directory.path("data.h5")
        let (layers, mentions) = try bad.make(at: data)
        let run = try trainLeavingCheckpoint([data, "--layers", layers])
        expectOneLineFailure(run, mentioning: [data] + mentions)
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test(arguments: BadFlags.allCases)
    func trainRejectsFlags(_ bad: BadFlags) throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let run = try trainLeavingCheckpoint([data, "--layers", "8,16,3"] + bad.arguments)
        expectOneLineFailure(run, mentioning: bad.mentions)
    }

    /// ArgumentParser's own error: not ours to shape, but it must fail cleanly and name the flag.
    @Test func trainRejectsAnUnknownFlag() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let run = try trainLeavingCheckpoint([data, "--layers", "8,16,3", "--learning-speed", "3"])
        #expect(run.failedCleanly, "\(run)")
        #expect(run.stderr.contains("--learning-speed"), "\(run)")
    }

    @Test func evaluateRejectsATruncatedCheckpoint() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let good = try writeExistingCheckpoint(directory.path("good.h5"))
        let truncated = directory.path("truncated.h5")
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: truncated))
        let run = try BackpropCLI.run(["evaluate", truncated, data])
        expectOneLineFailure(run, mentioning: [truncated])
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test func evaluateRejectsATextFile() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let text = directory.path("notes.h5")
        try Fixtures.writeText("this is not a checkpoint\n", to: text)
        let run = try BackpropCLI.run(["evaluate", text, data])
        expectOneLineFailure(run, mentioning: [text, "HDF5"])
    }

    @Test func evaluateRejectsAMissingCheckpoint() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let missing = directory.path("missing.h5")
        let run = try BackpropCLI.run(["evaluate", missing, data])
        expectOneLineFailure(run, mentioning: [missing, "no such file"])
    }

    @Test func evaluateRejectsADatasetFileAsTheCheckpoint() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let run = try BackpropCLI.run(["evaluate", data, data])
        expectOneLineFailure(run, mentioning: [data, "checkpoint"])
    }

    @Test func evaluateRejectsDataOfTheWrongWidth() throws {
        let checkpoint = directory.path("model.h5")
        try writeExistingCheckpoint(checkpoint)
        let narrow = Synthetic(count: 50, seed: 3)
        // The first 5 of each row's 8 features: a dataset of width 5.
        let x = (0..<narrow.count).flatMap { narrow.x[($0 * 8)..<($0 * 8 + 5)] }
        let data = try Fixtures.writeFile(directory.path("narrow.h5")) { file in
            try file.write(x, shape: [narrow.count, 5], to: "train/x")
            try file.write(narrow.y, shape: [narrow.count], to: "train/y")
            try file.write(x, shape: [narrow.count, 5], to: "test/x")
            try file.write(narrow.y, shape: [narrow.count], to: "test/y")
        }
        let run = try BackpropCLI.run(["evaluate", checkpoint, data])
        expectOneLineFailure(run, mentioning: [data, "5 features", "input width is 8"])
    }
}
