// `--data-memory` and `--stream`: how much memory the training data may take,
// and whether to stream the training split from its file even when it fits.

import ArgumentParser
import Backprop

struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Memory the training data may take (K, M, G suffixes; default: half of physical memory). A training split that needs more is streamed from its file.", valueName: "size"))
    var dataMemory: String?

    @Flag(help: "Stream the training split from its file in blocks even when it fits in --data-memory.")
    var stream = false

    /// The budget in bytes.
    var budget: Int { dataMemory.flatMap(DataMemory.parse) ?? DataMemory.defaultBudget }

    func validate() throws {
        if let dataMemory, DataMemory.parse(dataMemory) == nil {
            throw ValidationError("--data-memory must be a size such as 512M or 2G, got '\(dataMemory)'")
        }
    }
}
