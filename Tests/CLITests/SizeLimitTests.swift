// Sizes that cannot fit in memory are refused before any allocation, in one line
// that gives the bytes needed and the bytes available: a dataset declaring
// 10^10 × 784 float32 (chunked, never written: the file is under 3 KB) and a
// network of 10^10 parameters.

import Foundation
import Testing
import TestSupport

@Suite struct SizeLimitTests {
    @Test func aHugeDeclaredDatasetIsRefusedInOneLine() throws {
        let directory = try TestDirectory()
        let data = directory.path("huge.h5")
        let script = """
            import sys, h5py
            with h5py.File(sys.argv[1], "w") as f:
                f.create_dataset("train/x", shape=(10**10, 784), dtype="float32", chunks=(1, 784))
                f.create_dataset("train/y", shape=(10**10,), dtype="int64", chunks=(1024,))
            """
        let written = try BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, data])
        #expect(written.succeeded, "\(written)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: data)[.size] as? Int)
        #expect(size < 10_000, "the file declares its size, it does not hold it: \(size) bytes")

        // 10^10 × 784 × 4 bytes of features do not fit, so train/x would be
        // streamed; but its 10^10 int32 labels (37.3 GiB) must be in memory.
        let run = try BackpropCLI.run(["train", data, "--layers", "784,10", "--steps", "1"], timeout: 60)
        expectOneLineFailure(run, mentioning: ["huge.h5", "10000000000 × 784 float32", "--data-memory", "37.3 GiB"])
    }

    @Test func layersWhoseParametersCannotFitAreRefusedInOneLine() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let run = try BackpropCLI.run(["train", data, "--layers", "100000,100000,10", "--steps", "1"], timeout: 60)
        // 100000·100000 + 100000 + 100000·10 + 10 parameters of 4 bytes.
        expectOneLineFailure(run, mentioning: ["100000,100000,10", "10001100010 float32 parameters"])
        if !run.stderr.contains("needs 40004400040 bytes") {
            Issue.record("expected the bytes needed: \(run)")
        }
        let overflow = try BackpropCLI.run(["train", data, "--layers", "8,9223372036854775807,3", "--steps", "1"])
        expectOneLineFailure(overflow, mentioning: ["overflows"])
    }
}
