// Streaming as a user meets it: a tiny --data-memory streams the training
// split; a streamed run killed with SIGKILL mid-epoch resumes, on 1 to 3
// workers, to bitwise the parameters of the uninterrupted run; -v names the
// mode and the data wait; sorted labels draw a warning; a file from a newer
// HDF5 gets one line saying how to rewrite it.

import Backprop
import Foundation
import Glibc
import HDF5
import Testing
import TestSupport

@Suite(.serialized) struct StreamingCLITests {
    /// 2000 rows of 8 float32 features stream under 16 KiB in blocks of a few rows.
    static let runArguments = [
        "--layers", "8,24,3", "--epochs", "3", "--batch-size", "10", "--learning-rate", "0.05",
        "--momentum", "0.9", "--seed", "11", "--workers", "2", "--checkpoint-every", "7", "-q",
        "--data-memory", "16K",
    ]

    /// uint8 rows in chunks of 50, their labels sorted by class when `sorted`.
    func writeBytes(_ path: String, count: Int, sorted: Bool) throws -> String {
        let data = SyntheticBytes(count: count, seed: 3)
        var order = Array(0..<count)
        if sorted { order.sort { data.y[$0] < data.y[$1] } }
        let file = try HDF5File(path: path, mode: .truncate)
        defer { file.close() }
        let writer = try file.createRowDataset("train/x", of: UInt8.self, rows: count, columns: 8, chunkRows: 50)
        let x = order.flatMap { data.x[$0 * 8..<($0 + 1) * 8] }
        try x.withUnsafeBufferPointer { try writer.write($0, rows: 0..<count) }
        writer.close()
        try file.write(order.map { data.y[$0] }, shape: [count], to: "train/y")
        return path
    }

    @Test func sigkillMidEpochResumesStreamedToTheUninterruptedParameters() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 2000, testCount: 100)
        let reference = directory.path("reference.h5")
        let (expected, duration) = try Fixtures.referenceRun(data, checkpoint: reference, Self.runArguments)
        #expect(try Checkpoint.read(from: reference).configuration?.stream != nil, "16K must stream 2000 rows")

        var generator = SplitMix64(seed: 10)
        var midEpoch = 0, trial = 0
        while midEpoch < 4 && trial < 20 {
            defer { trial += 1 }
            let checkpoint = directory.path("trial\(trial).h5")
            let process = Process()
            process.executableURL = BackpropCLI.executable
            process.arguments = ["train", data, "--checkpoint", checkpoint] + Self.runArguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32((0.2 + Double(generator.unit()) * 0.6) * duration * 1e6))
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            guard FileManager.default.fileExists(atPath: checkpoint) else { continue }
            let saved = try Checkpoint.read(from: checkpoint)
            if saved.state.stepInEpoch > 0 { midEpoch += 1 }
            let resumed = try BackpropCLI.run(["resume", checkpoint, "-q", "--workers", String(1 + trial % 3)])
            #expect(resumed.succeeded, "\(resumed)")
            #expect(try Fixtures.parameterBits(of: checkpoint) == expected,
                    "trial \(trial), killed at epoch \(saved.state.epochsDone + 1) step \(saved.state.stepInEpoch), ended elsewhere")
        }
        #expect(midEpoch >= 4, "only \(midEpoch) kills left a mid-epoch checkpoint")
    }

    @Test func verboseNamesTheModeAndTheLogHasTheDataWait() throws {
        let directory = try TestDirectory()
        let data = try writeBytes(directory.path("bytes.h5"), count: 1000, sorted: false)
        let log = directory.path("log.jsonl")
        let streamed = try BackpropCLI.run(["train", data, "--layers", "8,3", "--epochs", "2", "--data-memory", "12K",
                                            "-v", "--log", log])
        #expect(streamed.succeeded, "\(streamed)")
        #expect(streamed.stdout.contains("data mode: stream (uint8, chunks of 50 rows; blocks of 50 rows"), "\(streamed.stdout)")
        #expect(streamed.stdout.contains("data wait: "), "\(streamed.stdout)")
        let lines = String(decoding: try Fixtures.bytes(of: log), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("\"data_wait_seconds\":") })

        let inMemory = try BackpropCLI.run(["train", data, "--layers", "8,3", "--epochs", "1", "-v"])
        #expect(inMemory.stdout.contains("data mode: memory (uint8"), "\(inMemory.stdout)")
        #expect(!inMemory.stdout.contains("data wait"))
    }

    @Test func sortedLabelsDrawAWarningWhenStreamed() throws {
        let directory = try TestDirectory()
        let sorted = try writeBytes(directory.path("sorted.h5"), count: 1000, sorted: true)
        let shuffled = try writeBytes(directory.path("shuffled.h5"), count: 1000, sorted: false)
        let arguments = ["--layers", "8,3", "--epochs", "1", "--data-memory", "12K", "-q"]
        let warned = try BackpropCLI.run(["train", sorted] + arguments)
        #expect(warned.succeeded && warned.stderr.contains("train/y looks sorted or grouped by class"), "\(warned)")
        #expect(warned.stderr.contains("backprop rechunk \(sorted) OUT.h5 --shuffle-rows"), "\(warned)")
        let quiet = try BackpropCLI.run(["train", shuffled] + arguments)
        #expect(quiet.succeeded && !quiet.stderr.contains("looks sorted"), "\(quiet)")
    }

    @Test func aFileFromANewerHDF5IsOneLineSayingHowToRewriteIt() throws {
        let directory = try TestDirectory()
        let data = directory.path("latest.h5")
        let script = """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w", libver="latest") as f:
                f.create_dataset("train/x", data=np.zeros((20000, 784), np.float32), chunks=(1024, 784), compression="gzip")
                f.create_dataset("train/y", data=np.zeros(20000, np.int64))
            """
        let written = try BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, data])
        try #require(written.succeeded, "h5py is needed to write the file: \(written)")
        let run = try BackpropCLI.run(["train", data, "--layers", "784,10", "--steps", "1"])
        expectOneLineFailure(run, mentioning: ["latest.h5", "newer HDF5", "bad version number for layout message", "libver='v110'"])
    }
}
