// The `backprop` command picks the fastest kernels the CPU supports by
// restarting itself, respects OPENBLAS_CORETYPE, and says which it runs.

import Foundation
import Testing

@Suite struct KernelSelectionTests {
    func kernelLine(environment: [String: String]) throws -> String {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let process = Process()
        process.executableURL = try #require(BackpropCLI.executable)
        process.arguments = ["train", data, "--layers", "8,3", "--epochs", "1", "-v"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OPENBLAS_CORETYPE")
        env.removeValue(forKey: "BACKPROP_KERNELS")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try #require(text.split(separator: "\n").first { $0.hasPrefix("engine:") }.map(String.init))
    }

    @Test func aUserChoiceOfKernelsIsRespected() throws {
        let line = try kernelLine(environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(line.contains("BLAS kernels Prescott (from OPENBLAS_CORETYPE)"), "\(line)")
    }

    /// Prescott is what an unknown CPU gets; with BACKPROP_KERNELS=auto the command
    /// replaces it as it would OpenBLAS's own weak choice, and says so.
    @Test func weakKernelsAreReplacedByTheCPUsBest() throws {
        let line = try kernelLine(environment: ["OPENBLAS_CORETYPE": "Prescott", "BACKPROP_KERNELS": "auto"])
        #expect(line.contains("chosen by backprop for this CPU; OpenBLAS alone picked Prescott"), "\(line)")
        #expect(!line.contains("kernels Prescott"), "\(line)")
    }

    @Test func withoutAnySettingTheKernelsAreNamed() throws {
        let line = try kernelLine(environment: [:])
        #expect(line.contains("BLAS kernels "), "\(line)")
        #expect(!line.contains("Prescott") || line.contains("no better"), "\(line)")
    }
}
