// The layout options `rechunk` and `import` share: x's type, rows per chunk,
// deflate, and an out-of-core row shuffle. One group, one meaning, one code
// path (Rechunk) behind both commands.

import ArgumentParser
import Backprop

extension RechunkOptions.ElementType: ExpressibleByArgument {}

struct LayoutOptions: ParsableArguments {
    @Option(help: ArgumentHelp("x's type in OUT (default: uint8 stays uint8, floats become float32; uint8 needs features in [0, 1]).", valueName: "type"))
    var dtype: RechunkOptions.ElementType?

    @Option(parsing: .unconditional, help: ArgumentHelp("Rows per chunk (default: a power of two making 0.25-1 MiB chunks).", valueName: "R"))
    var chunkRows: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Compress chunks with deflate at this level, 0-9 (default: none; worth it only when the disk is slower than training).", valueName: "L"))
    var deflate: Int?

    @Flag(help: "Shuffle the training rows out of core, in bounded memory, so that a file sorted by class streams as well as a shuffled one.")
    var shuffleRows = false

    @Option(help: "Seed of --shuffle-rows (for import csv, also of the --test-fraction rows).")
    var seed: UInt64 = 0

    func validate() throws {
        if let chunkRows, chunkRows < 1 { throw ValidationError("--chunk-rows must be positive, got \(chunkRows)") }
        if let deflate, !(0...9).contains(deflate) { throw ValidationError("--deflate must be 0-9, got \(deflate)") }
    }

    /// The options for an import: nil when none was given, so the importer
    /// writes its usual layout itself.
    func laidOut(memory: Int) -> RechunkOptions? {
        dtype != nil || chunkRows != nil || deflate != nil || shuffleRows ? options(memory: memory) : nil
    }

    /// The options for `Rechunk`, rows held in `memory` bytes.
    func options(memory: Int) -> RechunkOptions {
        var options = RechunkOptions()
        options.elementType = dtype
        options.chunkRows = chunkRows
        options.deflate = deflate
        options.shuffleSeed = shuffleRows ? seed : nil
        options.memory = memory
        return options
    }
}
