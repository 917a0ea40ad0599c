// The `backprop` command: a thin layer over the Backprop library.

import ArgumentParser
import Backprop
import Foundation

@main
struct BackpropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backprop",
        abstract: "Train fully connected networks by backpropagation on every core, with HDF5 data and checkpoints.",
        version: "0.1.0",
        subcommands: [TrainCommand.self, ResumeCommand.self, EvaluateCommand.self, PredictCommand.self, ExportCommand.self,
                      ImportCommand.self, RechunkCommand.self, PlotCommand.self, BenchCommand.self])

    /// Parses and runs the command, printing any usage error as one line on
    /// standard error (ArgumentParser's own output adds the usage text), with
    /// ArgumentParser's exit status: 64 for a usage error, 1 for a failure.
    static func main() {
        KernelSelection.ensureFastKernels()
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitReportingOneLine(error)
        }
        do {
            try Ranks.start()
        } catch {
            exitReportingOneLine(error)
        }
        do {
            var command = command
            try command.run()
        } catch {
            exitReportingOneLine(error)
        }
        Ranks.finish(code: 0)
    }

    private static func exitReportingOneLine(_ error: Error) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            // --help and --version are "errors" that print to standard output.
            print(fullMessage(for: error))
            exit(withError: nil)
        }
        // A stop that was asked for (a signal) ends every rank the same way,
        // having written its checkpoint: a clean exit, not an abort.
        if error is ExitCode { Ranks.finish(code: code.rawValue) }
        if error is RankStopped { Ranks.fail(message: "", code: code.rawValue) }
        let message = message(for: error).split(separator: "\n").first.map(String.init) ?? ""
        Ranks.fail(message: message, code: code.rawValue)
    }
}
