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

    @OptionGroup(title: "Run")
    var runOptions: RunOptions

    @OptionGroup(title: "Data")
    var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Write checkpoints here (HDF5): at every epoch's end, every --checkpoint-every steps, and at the end. Replaced atomically, never by a failed run.", valueName: "file.h5"))
    var checkpoint: String?

    @Flag(help: "Replace a checkpoint already at --checkpoint (train refuses to, by default; backprop resume FILE continues it).")
    var overwrite = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Also write a checkpoint every n optimizer steps.", valueName: "n"))
    var checkpointEvery: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also keep the last n checkpoints as FILE.step-NNNNNN.h5, and the best by held-out loss as FILE.best.h5.", valueName: "n"))
    var keep = 0

    @Option(help: ArgumentHelp("Write one JSON object per epoch to this file.", valueName: "file.jsonl"))
    var log: String?

    @Option(help: ArgumentHelp("Also write TensorBoard event files here: runs train/ and validation/, tags epoch_loss and epoch_accuracy, as Keras writes them.", valueName: "dir"))
    var tensorboard: String?

    @Flag(help: "Standardise every feature with the mean and standard deviation of the training split; recorded in the checkpoint and applied by evaluate, predict and export.")
    var standardize = false

    @Flag(name: .shortAndLong, help: "Also print the BLAS kernels and engine settings.")
    var verbose = false

    func validate() throws {
        do {
            try training.configuration(run: runOptions).validate()
        } catch let error as ConfigurationError {
            throw ValidationError(error)
        }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be positive, got \(checkpointEvery)") }
        if keep < 0 { throw ValidationError("--keep must be 0 or more, got \(keep)") }
        if checkpoint == nil && (checkpointEvery != nil || keep > 0) {
            throw ValidationError("--checkpoint-every and --keep need --checkpoint FILE")
        }
    }

    func run() throws {
        try reportingFailures {
            let architecture = try network.architecture()
            let configuration = training.configuration(run: runOptions)
            Ranks.warnAboutBinding(workers: runOptions.workers)
            // Under mpirun, rank 0 alone writes the checkpoint and the log.
            let checkpoint = Ranks.isRoot ? self.checkpoint : nil, log = Ranks.isRoot ? self.log : nil
            if let checkpoint { try checkWritable(checkpoint, flag: "--checkpoint") }
            let checkpointer = checkpoint.map {
                Checkpointer(path: $0, everySteps: checkpointEvery, keep: keep, dataset: absolutePath(data), log: log.map(absolutePath))
            }
            // One run per checkpoint: fail at once if another has it.
            try checkpointer?.lock()

            let loaded = try TrainingDataLoader.load(
                data, budget: dataOptions.budget, forceStream: dataOptions.stream,
                validationSplit: configuration.validationSplit, seed: configuration.seed,
                microBatch: configuration.microBatch ?? TrainingConfiguration.defaultMicroBatch(batchSize: configuration.batchSize))
            let scaling = try loaded.trainingScaling(standardize: standardize)
            let splits = loaded.standardized(with: scaling)
            let trainer = try Trainer(
                architecture: architecture, configuration: configuration,
                data: splits.train, validation: splits.validation, test: splits.test,
                communicator: Ranks.communicator)
            trainer.inputScaling = scaling
            try checkpointer?.refuseToReplaceAnotherRun(unless: overwrite)
            if !runOptions.quiet { printHeader(trainer, splits: splits) }
            warnIfGrouped(splits.train)
            let reporter = ProgressReporter(quiet: runOptions.quiet)
            reporter.verbose = verbose
            try TrainingSession(
                trainer: trainer, test: splits.test, checkpointer: checkpointer,
                log: try log.map { try MetricsLog(path: $0) }, reporter: reporter,
                tensorboard: try (Ranks.isRoot ? tensorboard : nil).map { try TensorBoardLog(directory: $0) },
                verbose: verbose
            ).run()
        }
    }

    private func printHeader(_ trainer: Trainer, splits: LoadedData) {
        let a = trainer.architecture, c = trainer.configuration
        let parameters = ParameterLayout(a).count
        Terminal.write("model: \(a) - \(parameters.grouped) parameters\n")
        var data = "data: \(self.data) - \(splits.train.count.grouped) train"
        if let validation = splits.validation { data += ", \(validation.count.grouped) validation" }
        if let test = splits.test { data += ", \(test.count.grouped) test" }
        Terminal.write(data + " examples\n")
        var optimizer = "\(c.optimizerKind.rawValue) lr=\(c.learningRate)"
        switch c.optimizerKind {
        case .sgd:
            if c.momentum > 0 { optimizer += " momentum=\(c.momentum)\(c.nesterov ? " nesterov" : "")" }
        case .adam: optimizer += " betas=(\(c.beta1), \(c.beta2))"
        case .adamw: optimizer += " betas=(\(c.beta1), \(c.beta2)) weight_decay=\(c.weightDecay)"
        case .rmsprop: optimizer += " rho=\(c.rho)"
        }
        if c.schedule != .constant { optimizer += " schedule=\(c.schedule.name)" }
        if c.warmupSteps > 0 { optimizer += " warmup=\(c.warmupSteps)" }
        if c.l2 > 0 { optimizer += " l2=\(c.l2)" }
        if let clip = c.clipGradientNorm { optimizer += " clip_grad_norm=\(clip)" }
        let ranks = Ranks.size > 1 ? "\(Ranks.size) ranks × " : ""
        Terminal.write("training: \(optimizer), batch \(c.batchSize), \(c.epochs) epochs, seed \(c.seed), \(ranks)\(c.workers) workers\n")
        if verbose {
            Terminal.write("data mode: \(dataModeSummary(splits.train, budget: dataOptions.budget))\n")
            for (name, split) in [("validation", splits.validation), ("test", splits.test)] {
                if let split { Terminal.write("\(name) mode: \(evaluationModeSummary(split))\n") }
            }
            Terminal.write("engine: micro-batch \(c.microBatch ?? 0), \(trainer.stepsPerEpoch) steps/epoch, BLAS kernels \(KernelSelection.summary)\n")
        }
    }
}

/// `path` made absolute, so a checkpoint finds its data from any directory.
func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
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
