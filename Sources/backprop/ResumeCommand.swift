// `backprop resume CHECKPOINT`: continues a run from its checkpoint, to the
// very parameters (and log) it would have reached uninterrupted.

import ArgumentParser
import Backprop
import Foundation

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a training run from a checkpoint, exactly where it stopped.",
        discussion: """
            Every setting comes from the checkpoint. --epochs and --steps extend or shorten the run, \
            --workers changes the parallelism; none of them changes what a step computes, so the result \
            is bitwise the one an uninterrupted run gets (a cosine schedule keeps its original span, so \
            steps past it run at its minimum). Checkpoints keep going to CHECKPOINT, and the \
            run's --log file is rewritten from the checkpoint's history and continued.
            """)

    @Argument(help: ArgumentHelp("A checkpoint written by backprop train or resume.", valueName: "checkpoint.h5"))
    var checkpoint: String

    @Option(help: ArgumentHelp("The dataset (default: the path recorded in the checkpoint).", valueName: "data.h5"))
    var data: String?

    @OptionGroup(title: "Run")
    var runOptions: RunOptions

    @Option(help: ArgumentHelp("Write the JSON log here instead of the run's own log file.", valueName: "file.jsonl"))
    var log: String?

    @Option(help: ArgumentHelp("Also write TensorBoard event files here (new files beside the run's earlier ones, which TensorBoard merges).", valueName: "dir"))
    var tensorboard: String?

    func run() throws {
        try reportingFailures {
            // The lock first, so the checkpoint cannot change between this read and
            // the run's first write; no directory is made for a path that is not there.
            // Under mpirun, rank 0 takes the lock, reads the file and sends its
            // bytes to the others: no rank but 0 needs the checkpoint's file system.
            Ranks.warnAboutBinding(workers: runOptions.workers)
            let lock = Ranks.isRoot && FileManager.default.fileExists(atPath: checkpoint)
                ? try CheckpointLock(checkpoint: checkpoint, creatingDirectory: false) : nil
            let saved = try Checkpoint.read(from: checkpoint, over: Ranks.communicator)
            guard var configuration = saved.configuration else {
                throw CheckpointError(file: checkpoint, "holds a model but no training state; nothing to resume")
            }
            guard let dataPath = data ?? saved.dataset else {
                throw CheckpointError(file: checkpoint, "records no dataset path; give --data FILE")
            }
            let (epochs, steps, quiet) = (runOptions.epochs, runOptions.steps, runOptions.quiet)
            if let epochs { configuration.epochs = epochs }
            configuration.maxSteps = steps ?? (epochs == nil ? configuration.maxSteps : nil)
            configuration.workers = runOptions.parallelism.count

            // A streamed run streams again with its own block settings, which fix its order.
            let splits = try TrainingDataLoader.load(
                dataPath, budget: .max, stream: configuration.stream,
                validationSplit: configuration.validationSplit, seed: configuration.seed,
                microBatch: configuration.microBatch ?? TrainingConfiguration.defaultMicroBatch(batchSize: configuration.batchSize))
                .standardized(with: saved.inputScaling)
            let trainer: Trainer
            do {
                trainer = try Trainer(
                    architecture: saved.architecture, configuration: configuration,
                    data: splits.train, validation: splits.validation, test: splits.test, state: saved.state,
                    communicator: Ranks.communicator)
                trainer.inputScaling = saved.inputScaling
            } catch let error as DatasetError {
                throw DatasetError(file: error.file, "\(error.message) (the checkpoint \(checkpoint) was trained for layers \(saved.architecture.layerSizes.map(String.init).joined(separator: ",")))")
            } catch let error as ConfigurationError where error.setting == nil {
                // Not a flag's fault: what the checkpoint holds does not add up.
                throw CheckpointError(file: checkpoint, error.message)
            }
            let logPath = Ranks.isRoot ? log.map(absolutePath) ?? saved.log : nil
            let metricsLog = try logPath.map { path -> MetricsLog in
                // Rewrite the log from the checkpoint's history: lines written after the
                // checkpoint by the interrupted run are dropped, so none appears twice.
                let log = try MetricsLog(path: path)
                for record in saved.state.history { try log.append(record) }
                return log
            }
            if !quiet {
                let ranks = Ranks.size > 1 ? "\(Ranks.size) ranks × " : ""
                Terminal.write("resuming \(checkpoint): \(saved.architecture), epoch \(saved.state.epochsDone + 1) step \(saved.state.stepInEpoch)/\(trainer.stepsPerEpoch), global step \(saved.state.globalStep), \(ranks)\(configuration.workers) workers\n")
            }
            let checkpointer = !Ranks.isRoot ? nil : Checkpointer(
                path: checkpoint, everySteps: saved.checkpointEvery, keep: saved.keep,
                dataset: absolutePath(dataPath), log: logPath, lock: lock)
            try TrainingSession(
                trainer: trainer, test: splits.test, checkpointer: checkpointer,
                log: metricsLog, reporter: ProgressReporter(quiet: quiet),
                tensorboard: try (Ranks.isRoot ? tensorboard : nil).map { try TensorBoardLog(directory: $0) }
            ).run()
        }
    }
}
