// Validation and test splits as a user streams them: `evaluate` under a tiny
// --data-memory prints the very figures it prints in memory, and -v names the
// mode of every split; `train --standardize --stream` records the μ and σ an
// in-memory run records; a bad streamed split is one line.

import Backprop
import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct HeldOutStreamingCLITests {
    static let training = ["--layers", "8,24,3", "--epochs", "2", "--batch-size", "10", "--learning-rate", "0.05",
                           "--seed", "11", "-q"]

    @Test func evaluateUnderATinyBudgetPrintsTheInMemoryFigures() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 600, testCount: 500)
        let checkpoint = directory.path("run.h5")
        let trained = try BackpropCLI.run(["train", data, "--checkpoint", checkpoint, "--standardize"] + Self.training)
        try #require(trained.succeeded, "\(trained)")
        for split in ["test", "train"] {
            let inMemory = try BackpropCLI.run(["evaluate", checkpoint, data, "--split", split, "--json", "--workers", "1"])
            for workers in ["1", "2", "3"] {
                let streamed = try BackpropCLI.run(["evaluate", checkpoint, data, "--split", split, "--json",
                                                    "--data-memory", "16K", "--workers", workers])
                #expect(streamed.succeeded && streamed.stdoutFigures == inMemory.stdoutFigures, "\(split), \(workers) workers: \(streamed) vs \(inMemory)")
            }
        }
        let verbose = try BackpropCLI.run(["evaluate", checkpoint, data, "--data-memory", "16K", "-v"])
        #expect(verbose.stdout.contains("test mode: stream (float32, contiguous; blocks of "), "\(verbose)")
        let memory = try BackpropCLI.run(["evaluate", checkpoint, data, "-v"])
        #expect(memory.stdout.contains("test mode: memory (float32"), "\(memory)")
        // With --json the mode goes to standard error: standard output is one JSON object.
        let both = try BackpropCLI.run(["evaluate", checkpoint, data, "--data-memory", "16K", "-v", "--json"])
        #expect(both.succeeded && both.stdoutLines.count == 1 && both.stdoutLines[0].hasPrefix("{"), "\(both)")
        #expect(both.stderr.contains("test mode: stream (float32"), "\(both)")
    }

    @Test func trainVerboseNamesTheModeOfTheValidationAndTestSplits() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 600, testCount: 100)
        let streamed = try BackpropCLI.run(["train", data, "--stream", "--validation-split", "0.2", "-v"] + Self.training.dropLast())
        #expect(streamed.succeeded, "\(streamed)")
        #expect(streamed.stdout.contains("validation mode: stream (float32, contiguous; 120 rows of train picked by a bitmap; blocks of"), "\(streamed.stdout)")
        #expect(streamed.stdout.contains("test mode: stream (float32"), "\(streamed.stdout)")
        let inMemory = try BackpropCLI.run(["train", data, "--validation-split", "0.2", "-v"] + Self.training.dropLast())
        #expect(inMemory.stdout.contains("validation mode: memory (float32") && inMemory.stdout.contains("test mode: memory"),
                "\(inMemory.stdout)")
    }

    @Test func standardizeStreamedRecordsTheInMemoryStatistics() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 600, testCount: 100)
        var scalings: [InputScaling] = []
        for mode in [[], ["--stream"], ["--data-memory", "12K"]] {
            let checkpoint = directory.path("run\(scalings.count).h5")
            let run = try BackpropCLI.run(["train", data, "--checkpoint", checkpoint, "--standardize",
                                           "--validation-split", "0.1"] + Self.training + mode)
            try #require(run.succeeded, "\(mode): \(run)")
            scalings.append(try Checkpoint.read(from: checkpoint).inputScaling)
        }
        #expect(scalings[0].isStandardized)
        for scaling in scalings.dropFirst() {
            #expect(scaling.mean.map(\.bitPattern) == scalings[0].mean.map(\.bitPattern))
            #expect(scaling.deviation.map(\.bitPattern) == scalings[0].deviation.map(\.bitPattern))
        }
    }

    @Test func aBadStreamedTestSplitIsOneLine() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 300, testCount: 0)
        let checkpoint = directory.path("run.h5")
        try #require(try BackpropCLI.run(["train", data, "--checkpoint", checkpoint] + Self.training).succeeded)
        let bad = try Fixtures.writeFile(directory.path("bad.h5")) { file in
            var x = [Float](repeating: 0.25, count: 400 * 8)
            x[333 * 8 + 2] = .infinity
            try file.write(x, shape: [400, 8], to: "test/x")
            try file.write([Int64](repeating: 0, count: 400), shape: [400], to: "test/y")
            try file.write([Float](repeating: 0.25, count: 8), shape: [1, 8], to: "train/x")
            try file.write([Int64](repeating: 0, count: 1), shape: [1], to: "train/y")
        }
        let run = try BackpropCLI.run(["evaluate", checkpoint, bad, "--stream"])
        expectOneLineFailure(run, mentioning: ["bad.h5", "test/x[333, 2] is inf", "expected finite features"])
        let tiny = try BackpropCLI.run(["evaluate", checkpoint, bad, "--data-memory", "1K"])
        expectOneLineFailure(tiny, mentioning: ["bad.h5", "evaluating test", "over --data-memory 1.0 KiB"])
    }
}
