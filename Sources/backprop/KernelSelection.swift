// Runs `backprop` on the fastest OpenBLAS kernels this CPU supports, with no
// environment variable for the user to set (see BLASKernels for why this needs
// a restart of the process).
//
//   OPENBLAS_CORETYPE set by the user   respected as it is, unless BACKPROP_KERNELS=auto
//   BACKPROP_KERNELS=default            OpenBLAS's own choice, no restart
//   otherwise                           if OpenBLAS picked weaker kernels than the CPU's
//                                       features call for, restart once with the better
//                                       ones; if those fail the self-test, restart again
//                                       on OpenBLAS's own choice

import Backprop
import Foundation
import Glibc

enum KernelSelection {
    /// Set in the environment of a restart: the kernels OpenBLAS picked on its own.
    static let originalKey = "BACKPROP_KERNELS_ORIGINAL"
    /// Set when the better kernels failed the self-test.
    static let rejectedKey = "BACKPROP_KERNELS_REJECTED"

    /// Call first thing in main; returns only if no restart is needed.
    static func ensureFastKernels() {
        let environment = ProcessInfo.processInfo.environment
        if environment["BACKPROP_KERNELS"] == "default" || environment[rejectedKey] != nil { return }
        if let original = environment[originalKey] {
            // The restarted process: trust the forced kernels only if they compute right.
            guard !BLASKernels.selfTest() else { return }
            unsetenv("OPENBLAS_CORETYPE")
            setenv(rejectedKey, BLASThreads.coreName, 1)
            setenv(originalKey, original, 1)
            restart()
        }
        guard environment["OPENBLAS_CORETYPE"] == nil || environment["BACKPROP_KERNELS"] == "auto" else { return }
        let current = BLASThreads.coreName
        let cpu = BLASKernels.cpuFeatures()
        guard let preferred = BLASKernels.preferredCore(flags: cpu.flags, vendor: cpu.vendor),
              BLASKernels.shouldReplace(current: current, with: preferred) else { return }
        setenv("OPENBLAS_CORETYPE", preferred, 1)
        setenv(originalKey, current, 1)
        restart()
    }

    /// One line on the kernels in use and how they were chosen.
    static var summary: String {
        let environment = ProcessInfo.processInfo.environment
        let current = BLASThreads.coreName
        if let rejected = environment[rejectedKey] {
            return "\(current) (\(rejected) failed the self-test on this CPU)"
        }
        if let original = environment[originalKey] {
            return "\(current) (chosen by backprop for this CPU; OpenBLAS alone picked \(original))"
        }
        if environment["OPENBLAS_CORETYPE"] != nil && environment["BACKPROP_KERNELS"] != "auto" {
            return "\(current) (from OPENBLAS_CORETYPE)"
        }
        return "\(current) (OpenBLAS's choice for this CPU)"
    }

    private static func restart() -> Never {
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv("/proc/self/exe", arguments)
        // execv returns only on failure. The kernels already loaded are not the ones
        // this process chose (or they failed the self-test), so stop rather than run on them.
        FileHandle.standardError.write(Data("backprop: could not restart with faster BLAS kernels: \(String(cString: strerror(errno)))\n".utf8))
        exit(1)
    }
}
