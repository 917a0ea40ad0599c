// The `backprop` command picks the fastest kernels the CPU supports by
// restarting itself, respects OPENBLAS_CORETYPE, and says which it runs.

import Backprop
import Foundation
import Testing
import TestSupport

@Suite struct KernelSelectionTests {
    func kernelLine(environment: [String: String]) throws -> String {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let process = Process()
        let executable: URL = try #require(BackpropCLI.executable)
        process.executableURL = executable
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

    /// With nothing set the command runs the best kernels this CPU's features
    /// call for: OpenBLAS's own choice when nothing beats it, the preferred core
    /// when backprop replaced it, and says which.
    @Test func withoutAnySettingTheKernelsAreTheCPUsBest() throws {
        let line = try kernelLine(environment: [:])
        let kernels = try #require(line.range(of: "BLAS kernels ").map { String(line[$0.upperBound...]) }, "\(line)")
        let name = String(kernels.prefix { $0 != " " })
        let cpu = BLASKernels.cpuFeatures()
        let preferred = BLASKernels.preferredCore(flags: cpu.flags, vendor: cpu.vendor)
        if kernels.hasSuffix("(OpenBLAS's choice for this CPU)") {
            if let preferred {
                #expect(!BLASKernels.shouldReplace(current: name, with: preferred), "\(preferred) would be better: \(line)")
            }
        } else if kernels.contains("(chosen by backprop for this CPU; OpenBLAS alone picked ") {
            #expect(name == preferred, "\(line)")
        } else {
            // The only other way: the preferred kernels computed wrong, and OpenBLAS's own run instead.
            #expect(kernels.contains("failed the self-test on this CPU"), "\(line)")
        }
    }
}
