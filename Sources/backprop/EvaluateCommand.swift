// `backprop evaluate CHECKPOINT DATA.h5 [--split test]`: loss and accuracy of
// a saved model on a split of a dataset, held in memory when it fits
// --data-memory and evaluated from the file block by block otherwise (the
// same figures, bit for bit). Under mpirun the ranks share the split's rows
// and rank 0 prints the same figures one process would. With --json also how
// long the evaluation took (for a split in memory, the forward passes alone),
// which Benchmarks/compare.py sets beside PyTorch's inference.

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

    @OptionGroup(title: "Data")
    var dataOptions: DataOptions

    @Flag(name: .shortAndLong, help: "Also print how the split is held (memory or stream).")
    var verbose = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try reportingFailures {
            let result: Evaluation
            let start: UInt64
            if Ranks.size > 1 {
                // Under mpirun: rank 0 reads the checkpoint for all, and each rank
                // reads and evaluates only its share of the split's rows.
                let model = try Checkpoint.read(from: checkpoint, over: Ranks.communicator).model
                start = DispatchTime.now().uptimeNanoseconds
                result = try model.evaluate(split: split.rawValue, of: data, over: Ranks.communicator,
                                            workers: parallelism.count)
            } else {
                let model = try Checkpoint.read(from: checkpoint).model
                guard let dataset = try TrainingDataLoader.load(
                    split: split.rawValue, of: data, budget: dataOptions.budget, forceStream: dataOptions.stream)
                else {
                    throw DatasetError(file: data, "has no \(split.rawValue)/x and \(split.rawValue)/y datasets")
                }
                if verbose {
                    // With --json, standard output holds the JSON object alone.
                    let line = "\(split.rawValue) mode: \(evaluationModeSummary(dataset))\n"
                    if json { Terminal.writeToStandardError(line) } else { Terminal.write(line) }
                }
                start = DispatchTime.now().uptimeNanoseconds
                result = try model.evaluate(on: dataset, workers: parallelism.count)
            }
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
