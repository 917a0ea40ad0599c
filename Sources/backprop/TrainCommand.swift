// `backprop train DATA.h5 --layers … [options]`: trains a network and writes
// its checkpoint.

import ArgumentParser
import Backprop
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network on an HDF5 dataset.",
        discussion: """
            The dataset holds train/x (N×D float32, float64 or uint8) and train/y (N class labels or N×K targets), \
            and optionally test/x and test/y. Example:
              backprop train datasets/fashion-mnist.h5 --layers 784,256,128,10 --activation relu \\
                --learning-rate 0.05 --momentum 0.9 --batch-size 256 --epochs 10 --checkpoint runs/fmnist.h5
            """)

    @Argument(help: ArgumentHelp("The HDF5 dataset file.", valueName: "data.h5"))
    var data: String

    @OptionGroup(title: "Network")
    var network: ArchitectureOptions

    @OptionGroup(title: "Training")
    var training: TrainingOptions

    @Option(help: ArgumentHelp("Write the trained model here (HDF5). Replaced only when the run succeeds.", valueName: "file.h5"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Append one JSON object per epoch to this file.", valueName: "file.jsonl"))
    var log: String?

    @Flag(name: .shortAndLong, help: "Print only the final result.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Also print the BLAS kernels and engine settings.")
    var verbose = false

    func run() throws {
        try reportingFailures {
            let architecture = try network.architecture()
            let configuration = try training.configuration()
            if let checkpoint { try checkWritable(checkpoint, flag: "--checkpoint") }

            let splits = try DatasetFile.load(data)
            let trainer = try Trainer(
                architecture: architecture, configuration: configuration, train: splits.train, test: splits.test)
            if !quiet { printHeader(trainer, splits: splits) }

            let metricsLog = try log.map { try MetricsLog(path: $0) }
            let reporter = ProgressReporter(quiet: quiet)
            try trainer.fit { event in
                reporter.handle(event)
                if case .epochEnded(let record) = event { try metricsLog?.append(record) }
            }
            try finish(trainer, splits: splits)
        }
    }

    private func finish(_ trainer: Trainer, splits: DatasetSplits) throws {
        if let checkpoint {
            try Checkpoint(
                model: trainer.model, configuration: trainer.configuration,
                history: trainer.history, globalStep: trainer.globalStep
            ).write(to: checkpoint)
        }
        if let test = splits.test {
            let result = trainer.history.last.flatMap { record in
                record.step == trainer.globalStep ? (record.testLoss!, record.testAccuracy!) : nil
            } ?? { let e = try? trainer.evaluate(test); return (e?.loss ?? .nan, e?.accuracy ?? .nan) }()
            Terminal.write(String(format: "test accuracy: %.4f (loss %.4f) on %@ examples after %@ steps\n",
                                  result.1, result.0, test.count.grouped, trainer.globalStep.grouped))
        }
        if let checkpoint, !quiet { Terminal.write("checkpoint: \(checkpoint)\n") }
    }

    private func printHeader(_ trainer: Trainer, splits: DatasetSplits) {
        let a = trainer.architecture, c = trainer.configuration
        let parameters = ParameterLayout(a).count
        Terminal.write("model: \(a) - \(parameters.grouped) parameters\n")
        var data = "data: \(self.data) - \(splits.train.count.grouped) train"
        if let test = splits.test { data += ", \(test.count.grouped) test" }
        Terminal.write(data + " examples\n")
        var optimizer = "sgd lr=\(c.learningRate)"
        if c.momentum > 0 { optimizer += " momentum=\(c.momentum)\(c.nesterov ? " nesterov" : "")" }
        if c.l2 > 0 { optimizer += " l2=\(c.l2)" }
        Terminal.write("training: \(optimizer), batch \(c.batchSize), \(c.epochs) epochs, seed \(c.seed), \(c.workers) workers\n")
        if verbose {
            Terminal.write("engine: micro-batch \(c.microBatch), \(trainer.stepsPerEpoch) steps/epoch, BLAS \(BLASThreads.configuration) (kernels: \(BLASThreads.coreName))\n")
        }
    }
}

/// Fails early, before any training, if `path` could not be written at the end.
func checkWritable(_ path: String, flag: String) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw ValidationError("\(flag) \(path) is a directory; expected a file path")
    }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw ValidationError("\(flag) \(path): cannot create directory \(directory)")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
        throw ValidationError("\(flag) \(path): directory \(directory) is not writable")
    }
}
