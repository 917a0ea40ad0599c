// `backprop import idx IMAGES LABELS -o OUT.h5`: converts other formats into
// Backprop's dataset layout; with rechunk's layout options (LayoutOptions), laid
// out for streaming by rechunk's code (Rechunk.importing).

import ArgumentParser
import Backprop

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Convert a dataset into Backprop's HDF5 layout.",
        subcommands: [IDX.self, CSV.self, NPY.self, NPZ.self])

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

        @OptionGroup(title: "Layout")
        var layout: LayoutOptions

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
                let summary = try Rechunk.importing(to: output, options: layout.laidOut(memory: RechunkOptions().memory)) {
                    try IDXImport.run(
                        images: images, labels: labels, testImages: testImages, testLabels: testLabels,
                        output: $0, limit: limit, testLimit: testLimit)
                }
                Terminal.write("\(output): \(summary)\n")
            }
        }
    }

    struct CSV: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv",
            abstract: "Convert a CSV table (one label column, numeric features) to an HDF5 dataset.",
            discussion: """
                Quoted fields and a header line are recognised. Class names in the label column become labels \
                0, 1, … in sorted order, recorded in the file's class_names attribute. A table larger than \
                --memory is converted in bounded memory. Example:
                  backprop import csv wine.csv --label-column target --test-fraction 0.2 --seed 1 -o wine.h5
                """)

        @Argument(help: ArgumentHelp("The CSV file.", valueName: "file.csv"))
        var file: String

        @Option(help: ArgumentHelp("The label column: its header name, or its 0-based index.", valueName: "name|index"))
        var labelColumn: String

        @Option(help: ArgumentHelp("Hold out this fraction of rows as test/ (chosen by --seed).", valueName: "f"))
        var testFraction = 0.0

        @Flag(help: "The label column is a numeric target, not a class.")
        var regression = false

        @Option(name: .shortAndLong, help: ArgumentHelp("The HDF5 file to write.", valueName: "out.h5"))
        var output: String

        @OptionGroup(title: "Layout")
        var layout: LayoutOptions

        @Option(help: ArgumentHelp("Memory the import may take (K, M, G suffixes). A table whose features need more is written to the file block by block.", valueName: "size"))
        var memory = ByteSize.gibibyte

        func validate() throws {
            guard testFraction >= 0 && testFraction < 1 else {
                throw ValidationError("--test-fraction must be at least 0 and below 1, got \(testFraction)")
            }
        }

        func run() throws {
            try reportingFailures {
                let memory = memory.bytes
                let summary = try Rechunk.importing(to: output, options: layout.laidOut(memory: memory)) {
                    try CSVImport.run(csv: file, labelColumn: labelColumn, testFraction: testFraction,
                                      seed: layout.seed, regression: regression, output: $0, memory: memory)
                }
                Terminal.write("\(output): \(summary)\n")
            }
        }
    }

    struct NPY: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "npy",
            abstract: "Convert NumPy .npy arrays (X: N×D, Y: N labels or N×K targets) to an HDF5 dataset.",
            discussion: """
                uint8 features stay uint8 (training scales them by 1/255). Example:
                  backprop import npy x_train.npy y_train.npy --test-x x_test.npy --test-y y_test.npy -o data.h5
                """)

        @Argument(help: ArgumentHelp("Training features (.npy, N × D).", valueName: "x.npy"))
        var x: String

        @Argument(help: ArgumentHelp("Training labels or targets (.npy).", valueName: "y.npy"))
        var y: String

        @Option(help: ArgumentHelp("Test features.", valueName: "file"))
        var testX: String?

        @Option(help: ArgumentHelp("Test labels or targets.", valueName: "file"))
        var testY: String?

        @Option(name: .shortAndLong, help: ArgumentHelp("The HDF5 file to write.", valueName: "out.h5"))
        var output: String

        @OptionGroup(title: "Layout")
        var layout: LayoutOptions

        @Option(help: ArgumentHelp("Memory the import may take (K, M, G suffixes). Features that need more are written to the file block by block.", valueName: "size"))
        var memory = ByteSize.gibibyte

        func validate() throws {
            guard (testX == nil) == (testY == nil) else {
                throw ValidationError("--test-x and --test-y go together; give both or neither")
            }
        }

        func run() throws {
            try reportingFailures {
                let memory = memory.bytes
                let summary = try Rechunk.importing(to: output, options: layout.laidOut(memory: memory)) {
                    try NPYImport.run(x: x, y: y, testX: testX, testY: testY, output: $0, memory: memory)
                }
                Terminal.write("\(output): \(summary)\n")
            }
        }
    }

    struct NPZ: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "npz",
            abstract: "Convert a NumPy .npz archive (np.savez or np.savez_compressed) to an HDF5 dataset.",
            discussion: """
                Members x_train and y_train (and x_test, y_test when present), or the ones named. Example:
                  backprop import npz mnist.npz -o mnist.h5
                """)

        @Argument(help: ArgumentHelp("The .npz archive.", valueName: "file.npz"))
        var file: String

        @Option(help: ArgumentHelp("The training features' member.", valueName: "name"))
        var x = "x_train"

        @Option(help: ArgumentHelp("The training labels' member.", valueName: "name"))
        var y = "y_train"

        @Option(help: ArgumentHelp("The test features' member (default x_test when present).", valueName: "name"))
        var testX: String?

        @Option(help: ArgumentHelp("The test labels' member (default y_test when present).", valueName: "name"))
        var testY: String?

        @Option(name: .shortAndLong, help: ArgumentHelp("The HDF5 file to write.", valueName: "out.h5"))
        var output: String

        @OptionGroup(title: "Layout")
        var layout: LayoutOptions

        func run() throws {
            try reportingFailures {
                let summary = try Rechunk.importing(to: output, options: layout.laidOut(memory: RechunkOptions().memory)) {
                    try NPYImport.run(npz: file, x: x, y: y, testX: testX, testY: testY, output: $0)
                }
                Terminal.write("\(output): \(summary)\n")
            }
        }
    }
}
