// export, predict and plot onto a full disk (a 64 KiB tmpfs): one line naming
// the file and the reason, exit 1, no crash, nothing left behind.

import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct OutputFullDiskTests {
    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a tmpfs"))
    func outputsOnAFullDiskFailInOneLineAndLeaveNothing() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 8000, testCount: 100)
        let checkpoint = directory.path("model.h5"), log = directory.path("run.jsonl")
        // 8-256-256-3: about 270 KB of parameters, more than the tmpfs holds.
        let train = try BackpropCLI.run(["train", data, "--layers", "8,256,256,3", "--epochs", "1", "--log", log,
                                         "--checkpoint", checkpoint, "-q"])
        try #require(train.succeeded, "\(train)")
        let mount = try TmpfsMount(size: "64k")
        let cases: [[String]] = [
            ["export", checkpoint, "-o", mount.path + "/m.onnx"],
            ["export", checkpoint, "-o", mount.path + "/m.keras"],
            ["predict", checkpoint, data, "--split", "train", "-o", mount.path + "/p.csv"],
            ["predict", checkpoint, data, "--split", "train", "-o", mount.path + "/p.npy"],
            ["predict", checkpoint, data, "--split", "train", "-o", mount.path + "/p.h5"],
        ]
        for arguments in cases {
            let run = try BackpropCLI.run(arguments)
            #expect(run.failedCleanly && run.status == 1, "\(run)")
            #expect(run.stderrLines.count == 1 && run.stderr.contains(arguments.last!) && run.stderr.contains("No space left on device"), "\(run)")
            #expect(try mount.directory.contents().isEmpty, "\(arguments) left files behind")
        }
    }
}
