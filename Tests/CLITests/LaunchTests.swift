// How a binary built without MPI behaves when an MPI launcher starts it: it
// refuses, rather than running as one of R independent copies racing on one
// checkpoint. (The MPI build's own tests are in MPITests.swift.)

#if !MPI
import Foundation
import Testing
import TestSupport

struct LaunchTests {
    @Test func aBinaryWithoutMPIRefusesToRunUnderALauncher() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let backprop = try #require(BackpropCLI.executable)
        let run = try BackpropCLI.runProgram(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["OMPI_COMM_WORLD_SIZE=2", backprop.path, "train", data, "--layers", "8,4,3", "--epochs", "1", "-q"])
        #expect(run.failedCleanly, "\(run)")
        #expect(run.stderrLines.count == 1 && run.stderr.contains("built without MPI")
                && run.stderr.contains("--traits MPI"), "\(run)")
    }

    @Test func oneProcessUnderALauncherIsAPlainRun() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let backprop = try #require(BackpropCLI.executable)
        let run = try BackpropCLI.runProgram(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["OMPI_COMM_WORLD_SIZE=1", backprop.path, "train", data, "--layers", "8,4,3", "--epochs", "1", "-q"])
        #expect(run.succeeded, "\(run)")
    }
}
#endif
