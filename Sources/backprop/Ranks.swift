// The processes of this run, when `mpirun` started several: which one this is,
// what only rank 0 does (print, log, write checkpoints), and how a failure on
// any rank ends them all.
//
// A failure is reported in one line naming the rank, then MPI_Abort ends every
// rank: a rank must never throw past a collective, or the others would wait in
// it forever. Most failures happen on every rank at once (bad settings, bad
// data, divergence: all ranks compute the same sums), so a rank other than 0
// waits a moment first, for rank 0 to say it and end the job with one line.

import ArgumentParser
import Backprop
import Foundation
import Glibc

enum Ranks {
    nonisolated(unsafe) private(set) static var communicator: any Communicator = SingleProcess()

    static var isRoot: Bool { communicator.isRoot }
    static var size: Int { communicator.size }

    /// Joins the run that started this process, if a launcher did; on the ranks
    /// other than 0, standard output goes nowhere (rank 0 speaks for the run).
    static func start() throws {
        communicator = try Launch.communicator()
        guard size > 1 else { return }
        if !isRoot {
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
        }
    }

    /// Warns (on rank 0) when the CPU mask gives this process fewer cores than
    /// the machine has, as mpirun's default binding does.
    static func warnAboutBinding(workers: Int?) {
        guard Launch.announcedWorldSize() != nil, isRoot, workers == nil else { return }
        let allowed = CPUMask.allowedCores, machine = CPUMask.machineCores
        if allowed < machine {
            FileHandle.standardError.write(Data("backprop: rank 0 may run on \(allowed) of this machine's \(machine) cores (mpirun binds each rank to a core): \(allowed) workers; pass --bind-to none to mpirun to use them all\n".utf8))
        }
    }

    /// Ends this process after `error`: one line naming the rank (unless it
    /// is `RankStopped`, which rank 0 reports), and every rank with it.
    static func fail(message: String, code: Int32) -> Never {
        guard size > 1 else {
            if !message.isEmpty { FileHandle.standardError.write(Data("backprop: error: \(message)\n".utf8)) }
            communicator.finish()  // mpirun -np 1: leave MPI as a process that ran to its end
            exit(code)
        }
        if !isRoot {
            // mpirun ends the job with SIGTERM once rank 0 aborts: then leave quietly.
            for _ in 0..<30 {
                usleep(100_000)
                if StopSignals.requested != nil { _exit(code) }
            }
        }
        if !message.isEmpty {
            FileHandle.standardError.write(Data("backprop: error: rank \(communicator.rank) of \(size): \(message)\n".utf8))
            usleep(200_000)  // for mpirun to forward the line before its own abort notice
        }
        communicator.abort(code: code)
    }

    /// Leaves the run after a command that ran to its end, or stopped as asked.
    static func finish(code: Int32) -> Never {
        communicator.finish()
        exit(code)
    }
}

/// Stops a rank other than 0 when rank 0 failed; rank 0 says why.
struct RankStopped: Error, CustomStringConvertible {
    var description: String { "" }
}
