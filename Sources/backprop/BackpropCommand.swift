// The `backprop` command: a thin layer over the Backprop library.

import ArgumentParser
import Backprop

@main
struct BackpropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backprop",
        abstract: "Train fully connected networks by backpropagation on every core, with HDF5 data and checkpoints.",
        version: "0.1.0",
        subcommands: [TrainCommand.self, ResumeCommand.self, EvaluateCommand.self, ImportCommand.self])
}
