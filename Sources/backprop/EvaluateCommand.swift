// `backprop evaluate CHECKPOINT DATA.h5 [--split test]`: loss and accuracy of
// a saved model on a split of a dataset. With --json also how long the
// forward passes took (reading the file excluded), which
// Benchmarks/compare.py sets beside PyTorch's inference.

import ArgumentParser
import Backprop
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Print a checkpoint's loss and accuracy on a dataset split.")

    @Argument(help: ArgumentHelp("A checkpoint written by backprop train.", valueName: "checkpoint.h5"))
    var checkpoint: String

    @Argument(help: ArgumentHelp("The HDF5 dataset file.", valueName: "data.h5"))
    var data: String

    @Option(help: "The split to evaluate.")
    var split = SplitName.test

    @OptionGroup
    var parallelism: WorkerOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try reportingFailures {
            let model = try Checkpoint.read(from: checkpoint).model
            let splits = try DatasetFile.load(data)
            let dataset: Dataset? = switch split {
            case .train: splits.train
            case .validation: splits.validation
            case .test: splits.test
            }
            guard let dataset else {
                throw DatasetError(file: data, "has no \(split.rawValue)/x and \(split.rawValue)/y datasets")
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try model.evaluate(on: dataset, workers: parallelism.count)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if json {
                struct Line: Encodable {
                    let split: String, loss: Double, accuracy: Double, examples: Int
                    let seconds: Double, samplesPerSecond: Double
                    enum CodingKeys: String, CodingKey {
                        case split, loss, accuracy, examples, seconds, samplesPerSecond = "samples_per_second"
                    }
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
                let data = try encoder.encode(Line(
                    split: split.rawValue, loss: result.loss, accuracy: result.accuracy, examples: result.examples,
                    seconds: seconds, samplesPerSecond: Double(result.examples) / max(seconds, 1e-9)))
                Terminal.write(String(decoding: data, as: UTF8.self) + "\n")
            } else {
                Terminal.write(String(format: "%@: loss %.4f - accuracy %.4f - %@ examples\n",
                                      split.rawValue, result.loss, result.accuracy, result.examples.grouped))
            }
        }
    }
}
