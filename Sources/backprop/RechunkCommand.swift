// `backprop rechunk IN OUT`: rewrites a dataset file laid out for streaming.

import ArgumentParser
import Backprop
import Foundation
import HDF5

struct RechunkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rechunk",
        abstract: "Rewrite a dataset file laid out for streaming: chunks of whole rows, uint8 or float32, optionally compressed or shuffled.",
        discussion: """
            Every split is copied; x is stored in chunks of whole rows (by default a power of two of rows \
            making 0.25-1 MiB), y as int64 labels or float32 targets. --shuffle-rows shuffles the training \
            rows out of core in --memory, so a file sorted by class streams as well as a shuffled one. \
            OUT is written beside itself and renamed into place when complete; its disk space is reserved first. Example:
              backprop rechunk sorted.h5 shuffled.h5 --dtype uint8 --shuffle-rows --seed 1
            """)

    @Argument(help: ArgumentHelp("The dataset file to read.", valueName: "in.h5"))
    var input: String

    @Argument(help: ArgumentHelp("The file to write.", valueName: "out.h5"))
    var output: String

    @OptionGroup(title: "Layout")
    var layout: LayoutOptions

    @Option(help: ArgumentHelp("Memory for rows in flight (K, M, G suffixes).", valueName: "size"))
    var memory = ByteSize.gibibyte

    func validate() throws {
        if absolutePath(input) == absolutePath(output) { throw ValidationError("OUT must differ from IN") }
    }

    func run() throws {
        // A failed write must not crash at exit (see HDF5File.skipCleanupAtExit).
        HDF5File.skipCleanupAtExit()
        try reportingFailures {
            try Rechunk.run(input: input, output: output, options: layout.options(memory: memory.bytes))
        }
    }
}
