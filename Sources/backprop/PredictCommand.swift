// `backprop predict CHECKPOINT INPUT [-o OUT] [--output probabilities|classes|logits]`:
// a saved model's outputs for every row of INPUT, in row order, a block of rows
// at a time, written to CSV (standard output by default), .npy or .h5.

import ArgumentParser
import Backprop
import Foundation
import HDF5

/// What `predict` writes for each row.
enum PredictionOutput: String, CaseIterable, ExpressibleByArgument {
    /// a[L]: softmax probabilities (or whatever the output activation gives).
    case probabilities
    /// The index of the largest output (for one sigmoid output: 1 when ≥ 0.5).
    case classes
    /// z[L], the output layer before its activation.
    case logits
}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Write a checkpoint's outputs for every row of a file.",
        discussion: """
            INPUT is a dataset file (with --split), an HDF5 dataset FILE.h5:/path, a .npy array, or a CSV of \
            numbers (a header line is skipped; - reads standard input). The model's input scaling is applied. \
            OUT ends in .csv, .npy or .h5; without -o, CSV goes to standard output.
              backprop predict runs/fmnist.h5 datasets/fashion-mnist.h5 --split test -o predictions.npy
            """)

    @Argument(help: ArgumentHelp("A checkpoint written by backprop train.", valueName: "checkpoint.h5"))
    var checkpoint: String

    @Argument(help: ArgumentHelp("The rows to predict: data.h5, FILE.h5:/path, x.npy, x.csv or -.", valueName: "input"))
    var input: String

    @Option(name: .customShort("o"), help: ArgumentHelp("Write here (.csv, .npy or .h5) instead of CSV to standard output.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("output"), help: "What to write for each row.")
    var kind = PredictionOutput.probabilities

    @Option(help: "The split of a dataset file to predict.")
    var split = SplitName.test

    @OptionGroup
    var parallelism: WorkerOptions

    /// Rows per block: the most held in memory at once.
    static let blockRows = 8192

    func validate() throws {
        if let output, !(output.hasSuffix(".csv") || output.hasSuffix(".npy") || output.hasSuffix(".h5")) {
            throw ValidationError("-o \(output): expected a file ending in .csv, .npy or .h5")
        }
    }

    func run() throws {
        try reportingFailures {
            let model = try Checkpoint.read(from: checkpoint).model
            let source = try openInput()
            guard source.width == model.architecture.inputWidth else {
                throw DatasetError(file: source.name, "has \(source.width) features per row, but the model \(checkpoint) takes \(model.architecture.inputWidth)")
            }
            let predictor = Predictor(model: model, workers: parallelism.count)
            let width = kind == .classes ? 1 : model.architecture.outputWidth
            let sink = try PredictionSink(path: output, kind: kind, width: width, model: checkpoint)
            do {
                while true {
                    var x = try source.read(rows: Self.blockRows)
                    if x.isEmpty { break }
                    let y: [Float]
                    if source.loadedAsDataset {
                        x.withUnsafeMutableBufferPointer { model.inputScaling.standardize($0) }
                        y = predictor.predict(scaled: x, kind == .logits ? .logits : .probabilities)
                    } else {
                        y = predictor.predict(raw: x, kind == .logits ? .logits : .probabilities)
                    }
                    try sink.append(kind == .classes ? Self.classes(y, width: model.architecture.outputWidth) : y)
                }
                try sink.finish()
            } catch {
                sink.abandon()
                throw error
            }
        }
    }

    private func openInput() throws -> PredictionInput {
        if input == "-" || input.lowercased().hasSuffix(".csv") { return try PredictionInput(csv: input) }
        if input.lowercased().hasSuffix(".npy") { return try PredictionInput(npy: input) }
        if let colon = input.lastIndex(of: ":"), input[input.index(after: colon)...].hasPrefix("/") {
            return try PredictionInput(hdf5: String(input[..<colon]), object: String(input[input.index(after: colon)...]))
        }
        guard FileManager.default.fileExists(atPath: input) else { throw DatasetError(file: input, "no such file") }
        return try PredictionInput(datasetFile: input, split: split.rawValue)
    }

    /// The class of each row of `y` (rows × width): the argmax, or for one output 1 when ≥ 0.5.
    static func classes(_ y: [Float], width: Int) -> [Float] {
        stride(from: 0, to: y.count, by: width).map { start in
            if width == 1 { return y[start] >= 0.5 ? 1 : 0 }
            var best = start
            for i in start..<(start + width) where y[i] > y[best] { best = i }
            return Float(best - start)
        }
    }
}

/// Where predictions go: CSV text (a file or standard output), a .npy array
/// whose header is rewritten with the row count at the end, or an .h5 file
/// built in memory. Files appear only when complete.
final class PredictionSink {
    let kind: PredictionOutput
    let width: Int
    let model: String
    private let path: String?
    private var file: OutputFile?
    private var rows = 0
    private var kept: [Float] = []  // for .h5

    init(path: String?, kind: PredictionOutput, width: Int, model: String) throws {
        self.path = path
        self.kind = kind
        self.width = width
        self.model = model
        if let path, !path.hasSuffix(".h5") { file = try OutputFile(path: path) }
        if path?.hasSuffix(".npy") == true {
            try file!.append(NPYHeader.encode(kind == .classes ? .int64 : .float32, shape: kind == .classes ? [0] : [0, width]))
        } else if path == nil || path!.hasSuffix(".csv") {
            let names: [String] = switch kind {
            case .classes: ["class"]
            case .probabilities: (0..<width).map { "p\($0)" }
            case .logits: (0..<width).map { "z\($0)" }
            }
            try emit(Array((names.joined(separator: ",") + "\n").utf8))
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        if let file { try file.append(bytes) } else { FileHandle.standardOutput.write(Data(bytes)) }
    }

    func append(_ y: [Float]) throws {
        rows += y.count / width
        if path?.hasSuffix(".h5") == true {
            kept.append(contentsOf: y)
        } else if path?.hasSuffix(".npy") == true {
            var bytes = [UInt8]()
            if kind == .classes {
                bytes.reserveCapacity(y.count * 8)
                for v in y { withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) } }
            } else {
                bytes.reserveCapacity(y.count * 4)
                for v in y { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            }
            try file!.append(bytes)
        } else {
            var text = ""
            text.reserveCapacity(y.count * 12)
            for r in 0..<(y.count / width) {
                for j in 0..<width {
                    if j > 0 { text += "," }
                    // Float's description is the shortest text that reads back to the same bits.
                    text += kind == .classes ? String(Int(y[r * width + j])) : y[r * width + j].description
                }
                text += "\n"
            }
            try emit(Array(text.utf8))
        }
    }

    func finish() throws {
        guard let path else { return }
        if path.hasSuffix(".h5") {
            let h5 = try HDF5File(inMemoryNamed: path)
            defer { h5.close() }
            if kind == .classes {
                try h5.write(kept.map { Int64($0) }, shape: [rows], to: "classes")
            } else {
                try h5.write(kept, shape: [rows, width], to: kind == .logits ? "logits" : "predictions")
            }
            try h5.setAttribute("model", model)
            try OutputFile.write([try h5.image()], to: path)
            return
        }
        if path.hasSuffix(".npy") {
            try file!.write(NPYHeader.encode(kind == .classes ? .int64 : .float32, shape: kind == .classes ? [rows] : [rows, width]), at: 0)
        }
        try file!.commit()
    }

    func abandon() { file?.abandon() }
}
