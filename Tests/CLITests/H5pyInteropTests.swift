// Files a user opens with h5py: a checkpoint written by `backprop train` reads
// in h5py with the documented layout and the same numbers, and a dataset
// written by the README's three lines of h5py trains.

import Foundation
import Testing
import TestSupport

@Suite struct H5pyInteropTests {
    /// Runs `python3 -c script args…` and returns its standard output.
    func python(_ script: String, _ arguments: [String]) throws -> RunResult {
        try BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + arguments)
    }

    @Test func h5pyReadsACheckpointAsDocumented() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5")
        let run = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--epochs", "2", "--optimizer", "adam",
                                       "--checkpoint", checkpoint, "-q"])
        #expect(run.succeeded, "\(run)")
        let script = """
            import sys, h5py
            f = h5py.File(sys.argv[1], "r")
            assert f.attrs["format"] == "backprop-checkpoint", f.attrs["format"]
            assert list(f["model"].attrs["layer_sizes"]) == [8, 16, 3]
            assert [str(a) for a in f["model"].attrs["activations"]] == ["relu", "softmax"]
            assert f["model/layer1/W"].shape == (16, 8) and f["model/layer1/W"].dtype == "float32"
            assert f["model/layer2/b"].shape == (3,)
            assert f["optimizer"].attrs["name"] == "adam"
            assert f["optimizer/m/layer1/W"].shape == (16, 8)
            assert f["training"].attrs["global_step"] == 20
            assert len(f["history/test_accuracy"]) == 2
            print(repr(float(f["model/layer1/W"][3, 5])))
            """
        let result = try python(script, [checkpoint])
        #expect(result.succeeded, "\(result)")
        let w = try Fixtures.read("model/layer1/W", of: checkpoint)[3 * 8 + 5]
        #expect(Float(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == w)
    }

    @Test func aDatasetWrittenByH5pyTrains() throws {
        let directory = try TestDirectory()
        let data = directory.path("from-h5py.h5")
        let script = """
            import sys, h5py, numpy as np
            rng = np.random.default_rng(0)
            x = rng.random((300, 8))
            y = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype("int64")
            with h5py.File(sys.argv[1], "w") as f:
                f["train/x"] = x.astype("float32"); f["train/y"] = y
                f["test/x"] = x[:100].astype("float64"); f["test/y"] = y[:100]
            """
        let written = try python(script, [data])
        #expect(written.succeeded, "\(written)")
        let run = try BackpropCLI.run(["train", data, "--layers", "8,16,2", "--epochs", "20", "--learning-rate", "0.1",
                                       "--momentum", "0.9", "--seed", "3"])
        #expect(run.succeeded, "\(run)")
        let accuracy = run.stdoutLines.last { $0.hasPrefix("test accuracy:") }
            .flatMap { Double($0.split(separator: " ")[2]) }
        #expect((accuracy ?? 0) > 0.85, "\(run)")
    }
}
