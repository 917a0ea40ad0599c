// `--data-memory` and `--stream`: how much memory the data may take, and
// whether to stream the splits from their file even when they fit.

import ArgumentParser
import Backprop

struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Memory the training data may take (K, M, G suffixes; default: half of physical memory). A training split that needs more is streamed from its file; validation and test splits that do not fit beside it are evaluated from the file block by block.", valueName: "size"))
    var dataMemory: ByteSize?

    @Flag(help: "Stream the splits from their file in blocks even when they fit in --data-memory.")
    var stream = false

    /// The budget in bytes.
    var budget: Int { dataMemory?.bytes ?? DataMemory.defaultBudget }
}
