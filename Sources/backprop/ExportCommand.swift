// `backprop export CHECKPOINT -o model.onnx|model.keras [--format onnx|keras]`:
// the model, with its input scaling built in, for onnxruntime or Keras 3.
// The file appears only when complete (written beside it, then renamed).

import ArgumentParser
import Backprop
import Foundation

enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case onnx, keras
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a checkpoint's model as ONNX or Keras 3 (.keras).",
        discussion: """
            ONNX: opset 13, IR version 7; the input scaling is Mul/Sub/Div nodes, each layer Gemm(transB=1) and its \
            activation. Keras: a .keras zip (config.json, model.weights.h5, metadata.json); the scaling is a \
            Rescaling and a Normalization layer. Both take raw inputs, as predict does.
              backprop export runs/fmnist.h5 -o fmnist.onnx
            """)

    @Argument(help: ArgumentHelp("A checkpoint written by backprop train.", valueName: "checkpoint.h5"))
    var checkpoint: String

    @Option(name: .customShort("o"), help: ArgumentHelp("The file to write (.onnx or .keras).", valueName: "file"))
    var output: String

    @Option(help: "The format (default: from the suffix of -o).")
    var format: ExportFormat?

    func validate() throws {
        if resolvedFormat == nil {
            throw ValidationError("-o \(output): cannot tell the format from the suffix; expected .onnx or .keras, or give --format")
        }
        if resolvedFormat == .keras, !output.hasSuffix(".keras") {
            throw ValidationError("-o \(output): Keras loads only files ending in .keras")
        }
    }

    private var resolvedFormat: ExportFormat? {
        format ?? (output.hasSuffix(".onnx") ? .onnx : output.hasSuffix(".keras") ? .keras : nil)
    }

    func run() throws {
        try reportingFailures {
            let model = try Checkpoint.read(from: checkpoint).model
            let bytes = switch resolvedFormat! {
            case .onnx: model.onnx()
            case .keras: try model.keras(name: output)
            }
            try OutputFile.write([bytes], to: output)
        }
    }
}
