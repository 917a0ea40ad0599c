// `backprop import idx IMAGES LABELS -o OUT.h5`: converts other formats into
// Backprop's dataset layout.

import ArgumentParser
import Backprop

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Convert a dataset into Backprop's HDF5 layout.",
        subcommands: [IDX.self])

    struct IDX: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "idx",
            abstract: "Convert IDX files (the MNIST format, gzip or plain) to an HDF5 dataset.",
            discussion: """
                Example (Debian's dataset-fashion-mnist package):
                  backprop import idx /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \\
                    /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz \\
                    --test-images /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \\
                    --test-labels /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz \\
                    -o datasets/fashion-mnist.h5
                """)

        @Argument(help: ArgumentHelp("Training images (IDX, N × rows × cols, unsigned bytes).", valueName: "images"))
        var images: String

        @Argument(help: ArgumentHelp("Training labels (IDX, N unsigned bytes).", valueName: "labels"))
        var labels: String

        @Option(help: ArgumentHelp("Test images.", valueName: "file"))
        var testImages: String?

        @Option(help: ArgumentHelp("Test labels.", valueName: "file"))
        var testLabels: String?

        @Option(name: .shortAndLong, help: ArgumentHelp("The HDF5 file to write.", valueName: "out.h5"))
        var output: String

        @Option(help: ArgumentHelp("Keep only the first n training examples.", valueName: "n"))
        var limit: Int?

        @Option(help: ArgumentHelp("Keep only the first n test examples.", valueName: "n"))
        var testLimit: Int?

        func validate() throws {
            guard (testImages == nil) == (testLabels == nil) else {
                throw ValidationError("--test-images and --test-labels go together; give both or neither")
            }
            if let limit, limit < 1 { throw ValidationError("--limit must be positive, got \(limit)") }
            if let testLimit, testLimit < 1 { throw ValidationError("--test-limit must be positive, got \(testLimit)") }
        }

        func run() throws {
            try reportingFailures {
                let summary = try IDXImport.run(
                    images: images, labels: labels, testImages: testImages, testLabels: testLabels,
                    output: output, limit: limit, testLimit: testLimit)
                Terminal.write("\(output): \(summary)\n")
            }
        }
    }
}
