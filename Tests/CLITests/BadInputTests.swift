// Mistakes a user makes: each must end in a non-zero exit (never a crash) with
// one line on standard error that names the file or flag at fault and what was
// expected, and a failed `train` must leave the checkpoint already at
// --checkpoint exactly as it was.

import Backprop
import Foundation
import HDF5
import Testing
import TestSupport

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

/// The run flags shared by train and resume (RunOptions), and --workers
/// wherever it appears: one rule, a usage error (exit 64) naming the flag and
/// the value, before any work starts.
enum BadRunFlags: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case tooManyWorkers, zeroWorkers, negativeWorkers, negativeEpochs, negativeSteps

    var testDescription: String { rawValue }

    var arguments: [String] {
        switch self {
        case .tooManyWorkers: ["--workers", "2000"]
        case .zeroWorkers: ["--workers", "0"]
        case .negativeWorkers: ["--workers", "-3"]
        case .negativeEpochs: ["--epochs", "-1"]
        case .negativeSteps: ["--steps", "-2"]
        }
    }

    /// The flag and the value, as the message must show them.
    var mentions: [String] { arguments }
}

@Suite struct RunOptionTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory() }

    /// A resumable checkpoint of a run not yet started (batches of 32: 10 steps
    /// an epoch), written by the library rather than by a slower `train` process.
    func resumableCheckpoint() throws -> (checkpoint: String, data: String) {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("run.h5")
        let splits = try DatasetFile.load(data)
        var configuration = TrainingConfiguration()
        configuration.workers = 1
        let architecture = try Architecture(layerSizes: [8, 16, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        let trainer = try Trainer(architecture: architecture, configuration: configuration, train: splits.train, test: splits.test)
        try Checkpoint(trainer: trainer, dataset: data).write(to: checkpoint)
        return (checkpoint, data)
    }

    /// The same flags and the same rule in train and resume: `--workers 2000`
    /// once passed resume's check and failed later with status 1.
    @Test(arguments: BadRunFlags.allCases)
    func trainAndResumeRejectARunFlagAlike(_ bad: BadRunFlags) throws {
        let (checkpoint, data) = try resumableCheckpoint()
        let before = try Fixtures.bytes(of: checkpoint)
        let resume = try BackpropCLI.run(["resume", checkpoint] + bad.arguments)
        expectOneLineFailure(resume, mentioning: bad.mentions)
        #expect(resume.status == 64, "\(resume)")
        #expect(try Fixtures.bytes(of: checkpoint) == before, "the failed resume changed \(checkpoint)")
        // And train says exactly the same.
        let train = try BackpropCLI.run(["train", data, "--layers", "8,16,3"] + bad.arguments)
        expectOneLineFailure(train, mentioning: bad.mentions)
        #expect(train.status == 64, "\(train)")
        #expect(train.stdout.isEmpty, "\(train)")
        #expect(train.stderr == resume.stderr, "train: \(train)\nresume: \(resume)")
    }

    @Test(arguments: ["2000", "0"])
    func evaluateRejectsAWorkerCountAsTrainDoes(workers: String) throws {
        let (checkpoint, data) = try resumableCheckpoint()
        let evaluate = try BackpropCLI.run(["evaluate", checkpoint, data, "--workers", workers])
        expectOneLineFailure(evaluate, mentioning: ["--workers", workers])
        #expect(evaluate.status == 64, "\(evaluate)")
        let train = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--workers", workers])
        #expect(train.stderr == evaluate.stderr, "train: \(train)\nevaluate: \(evaluate)")
    }

    @Test func benchRejectsAMaxWorkerCountByTheSameRule() throws {
        let run = try BackpropCLI.run(["bench", "--max-workers", "2000"])
        expectOneLineFailure(run, mentioning: ["--max-workers", "2000", "between 1 and 1024"])
        #expect(run.status == 64, "\(run)")
    }

    /// In range, the shared flags still do their work: resume goes on to the
    /// --epochs given, quietly, on the workers given.
    @Test func resumeHonoursTheRunFlags() throws {
        let (checkpoint, _) = try resumableCheckpoint()
        let resume = try BackpropCLI.run(["resume", checkpoint, "--epochs", "1", "--workers", "1", "--quiet"])
        try #require(resume.succeeded, "\(resume)")
        #expect(!resume.stdout.contains("resuming"), "--quiet still printed the banner: \(resume)")
        #expect(resume.stdoutLines.last?.hasSuffix("after 10 steps") == true, "\(resume)")
        let saved = try Checkpoint.read(from: checkpoint)
        #expect(saved.state.globalStep == 10 && saved.state.epochsDone == 1)
    }
}

/// Named values: `--help` lists them, and an unknown one is a usage error
/// naming the flag and the value.
@Suite struct NamedValueTests {
    /// Help text with its whitespace folded to single spaces: ArgumentParser wraps lines.
    func folded(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test func trainHelpListsTheValuesOfEveryNamedFlag() throws {
        let help = try BackpropCLI.run(["train", "--help"])
        try #require(help.succeeded, "\(help)")
        let text = folded(help.stdout)
        for values in ["(values: sgd, adam, adamw, rmsprop; default: sgd)",
                       "(values: constant, step, exponential, cosine; default: constant)",
                       "(values: identity, sigmoid, tanh, relu, leaky-relu; default: relu)",
                       "(values: identity, sigmoid, tanh, relu, leaky-relu, softmax)",
                       "(values: half-squared-error, binary-cross-entropy, softmax-cross-entropy; default: softmax-cross-entropy)",
                       "(values: auto, he, glorot; default: auto)"] {
            #expect(text.contains(values), "train --help lacks \(values)")
        }
    }

    @Test func otherCommandsListTheirValues() throws {
        let evaluate = try BackpropCLI.run(["evaluate", "--help"])
        #expect(folded(evaluate.stdout).contains("(values: train, test, validation; default: test)"), "\(evaluate)")
        let bench = try BackpropCLI.run(["bench", "--help"])
        #expect(folded(bench.stdout).contains("(values: strong, weak, strong,weak; default: strong,weak)"), "\(bench)")
    }

    @Test(arguments: [
        ["--optimizer", "adagrad"], ["--schedule", "linear"], ["--activation", "softmax"], ["--activation", "gelu"],
        ["--output-activation", "gelu"], ["--loss", "hinge"], ["--initialization", "orthogonal"],
    ])
    func trainRejectsAnUnknownValue(_ arguments: [String]) throws {
        let run = try BackpropCLI.run(["train", "data.h5", "--layers", "8,16,3"] + arguments)
        expectOneLineFailure(run, mentioning: arguments)
        #expect(run.status == 64, "\(run)")
    }

    @Test(arguments: [["evaluate", "model.h5", "data.h5", "--split", "dev"], ["bench", "--scaling", "strong,diagonal"]])
    func otherCommandsRejectAnUnknownValue(_ arguments: [String]) throws {
        let run = try BackpropCLI.run(arguments)
        expectOneLineFailure(run, mentioning: Array(arguments.suffix(2)))
        #expect(run.status == 64, "\(run)")
    }

    /// Values are matched without regard to case, and the library's aliases work.
    @Test func aliasesAndCapitalsAreAccepted() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5")
        let run = try BackpropCLI.run([
            "train", data, "--layers", "8,16,3", "--optimizer", "Adam", "--schedule", "COSINE", "--activation", "leaky_relu",
            "--loss", "cross-entropy", "--initialization", "He", "--steps", "1", "-q", "--checkpoint", checkpoint,
        ])
        try #require(run.succeeded, "\(run)")
        let saved = try Checkpoint.read(from: checkpoint)
        #expect(saved.configuration?.optimizerKind == .adam)
        #expect(saved.configuration?.schedule == .cosine(minimum: 0))
        #expect(saved.configuration?.initialization == .he)
        #expect(saved.architecture.activations.first == .leakyReLU(slope: Activation.defaultLeakySlope))
        #expect(saved.architecture.loss == .softmaxCrossEntropy)
    }
}

/// Settings the library rejects reach the user named by their flags, never by
/// the library's property names. (SettingFlagsTests checks every setting in
/// process; these run the binary on a sample of the kinds of message.)
@Suite struct SettingErrorTests {
    @Test(arguments: [
        (["--batch-size", "0"], "--batch-size must be positive, got 0", "batchSize"),
        (["--nesterov"], "--nesterov needs a --momentum above 0", "momentum"),
        (["--optimizer", "adam", "--momentum", "0.5"], "--momentum and --nesterov are for --optimizer sgd", "optimizerKind"),
        (["--schedule", "step", "--decay-epochs", "0"], "--decay-epochs must be positive, got 0", "schedule.everyEpochs"),
        (["--schedule", "cosine", "--min-learning-rate", "1"], "--min-learning-rate must be in [0, --learning-rate], got 1.0", "learningRate"),
        (["--early-stopping", "0"], "--early-stopping must be a positive number of epochs, got 0", "earlyStoppingPatience"),
    ])
    func aBadSettingIsNamedByItsFlag(arguments: [String], message: String, property: String) throws {
        let run = try BackpropCLI.run(["train", "data.h5", "--layers", "8,16,3"] + arguments)
        expectOneLineFailure(run, mentioning: [message])
        #expect(run.status == 64, "\(run)")
        #expect(!mentionsBare(property, in: run.stderr), "the library's name \(property) leaked: \(run)")
    }

    /// Whether `name` occurs in `text` other than as part of a flag or a longer word.
    func mentionsBare(_ name: String, in text: String) -> Bool {
        var rest = text[...]
        while let range = rest.range(of: name) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            let partOfWord = { (c: Character?) in c.map { $0.isLetter || $0.isNumber || $0 == "-" } ?? false }
            if !partOfWord(before) && !partOfWord(after) { return true }
            rest = text[range.upperBound...]
        }
        return false
    }

    /// The check above can fail: it finds a bare property name and ignores a flag.
    @Test func mentionsBareTellsAPropertyFromAFlag() {
        #expect(mentionsBare("momentum", in: "backprop: error: nesterov needs a momentum above 0"))
        #expect(mentionsBare("batchSize", in: "batchSize must be positive"))
        #expect(!mentionsBare("momentum", in: "backprop: error: --momentum must be in [0, 1)"))
        #expect(!mentionsBare("l2", in: "--l2 must be 0 or more"))
    }
}
