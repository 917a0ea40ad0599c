// `backprop bench`: training throughput and how it scales over workers, on
// synthetic data in memory. Strong scaling keeps the minibatch fixed while the
// workers grow; weak scaling grows it with them. Prints a table and the BLAS
// ceiling it is measured against, and writes the points as CSV and a chart as SVG.
// Under `mpirun -np R` it measures 1…R ranks × 1…W workers with the multi-rank
// step; rank 0 prints and writes, and each step's time is split into compute,
// exchange and update.

import ArgumentParser
import Backprop
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training throughput and its strong and weak scaling over ranks and workers.",
        discussion: """
            Each point times --steps training steps (the engine's real step: gather, forward, backward, \
            tree reduction, SGD update) after a short warm-up, --repeats times, and reports the median. \
            GFLOP/s counts 6 × weights per example; % peak compares it with the measured sgemm rate \
            (1024³, one single-threaded sgemm per core) of as many cores as workers on all ranks. The step time is \
            split into compute (forward and backward), exchange (the tree sum of the gradient; across \
            ranks also the bytes moved and the wait for slower ranks) and update. Under \
            mpirun -np R, every point of 1…R ranks runs the multi-rank step; rank 0 reports. Examples:
              backprop bench --models 784-256-128-10,784-1024-1024-10 --csv runs/bench.csv --svg runs/bench.svg
              mpirun -np 2 --bind-to none backprop bench --models 784-256-128-10 --csv runs/ranks.csv
            """)

    @Option(help: ArgumentHelp("Models to measure: layer widths joined by '-', separated by ','.", valueName: "n0-…-nL,…"))
    var models = "784-256-128-10,784-1024-1024-10"

    @Option(help: ArgumentHelp("Measure 1 through this many workers per rank (default: the cores, shared among the ranks on this machine).", valueName: "n"))
    var maxWorkers: Int?

    @Option(help: "Timed training steps per repeat.")
    var steps = 20

    @Option(help: "Timings per point; the median is reported.")
    var repeats = 5

    @Option(help: ArgumentHelp("Scaling modes to run.", valueName: "modes"))
    var scaling = ScalingModes(ScalingMode.allCases)

    @Option(help: "Minibatch of strong scaling, split among the workers.")
    var batchSize = 512

    @Option(help: "Minibatch per worker of weak scaling.")
    var batchPerWorker = 256

    @Option(help: ArgumentHelp("Rows per micro-shard (default: what train uses for the 1-worker minibatch of each curve).", valueName: "n"))
    var microBatch: Int?

    @Option(help: ArgumentHelp("Write every point, with each repeat, to this CSV file.", valueName: "file.csv"))
    var csv: String?

    @Option(help: ArgumentHelp("Draw speedup against workers, one line per model (and rank count under mpirun, with the step's split as stacked bars), to this SVG file.", valueName: "file.svg"))
    var svg: String?

    func validate() throws {
        _ = try architectures()
        if let maxWorkers { try WorkerOptions.check(maxWorkers, flag: "--max-workers") }
        for (flag, value) in [("--steps", steps), ("--repeats", repeats), ("--batch-size", batchSize),
                              ("--batch-per-worker", batchPerWorker), ("--micro-batch", microBatch ?? 1)] where value < 1 {
            throw ValidationError("\(flag) must be positive, got \(value)")
        }
        if let csv { try checkWritable(csv, flag: "--csv") }
        if let svg { try checkWritable(svg, flag: "--svg") }
    }

    func run() throws {
        try reportingFailures {
            let ranks = Ranks.size
            Ranks.warnAboutBinding(workers: maxWorkers)
            let workers = maxWorkers ?? Self.defaultWorkers(ranks: ranks)
            var study = ScalingStudy(models: try architectures(), maxWorkers: workers)
            study.communicator = Ranks.communicator
            study.modes = scaling.modes
            study.strongBatch = batchSize
            study.weakBatchPerWorker = batchPerWorker
            study.microBatch = microBatch
            study.steps = steps
            study.repeats = repeats

            Terminal.write("BLAS: \(BLASThreads.configuration)\nkernels: \(KernelSelection.summary)\n")
            if ranks > 1 { Terminal.write("ranks: 1…\(ranks) of this mpirun, \(workers) worker\(workers == 1 ? "" : "s") at most per rank\n") }
            // Rank 0 measures the ceiling while the others wait without using a core.
            var peak: [Int: Double] = [:]
            let cores = ranks * workers
            if Ranks.isRoot { for n in 1...cores { peak[n] = SgemmPeak.measure(threads: n) } }
            Ranks.communicator.quietBarrier()
            let peaks = (1...cores).map { String(format: "%d core%@ %.1f", $0, $0 == 1 ? "" : "s", peak[$0] ?? .nan) }
            Terminal.write("sgemm peak, 1024³ single-threaded per core (best of 7): \(peaks.joined(separator: ", ")) GFLOP/s\n")
            Terminal.write("each point: median of \(repeats) × \(steps) steps after \(study.warmUpSteps) warm-up steps, on synthetic data\n\n")

            let table = ScalingTable(modelNames: study.models.map { $0.layerSizes.map(String.init).joined(separator: "-") })
            Terminal.write(table.headerLine)
            let points = try study.run(peak: peak) { curve in Terminal.write(table.rows(curve)) }

            guard Ranks.isRoot else { return }
            if let csv {
                try ScalingCSV.render(points).write(toFile: csv, atomically: true, encoding: .utf8)
                Terminal.write("\ncsv: \(csv)\n")
            }
            if let svg {
                let machine = ProcessInfo.processInfo.activeProcessorCount
                let over = ranks > 1 ? "1–\(ranks) ranks × 1–\(workers) workers" : "1–\(workers) workers"
                let title = "Backprop training throughput: \(over), \(machine) cores, \(BLASThreads.coreName) kernels"
                try ScalingChart.render(points, title: title, split: ranks > 1).write(toFile: svg, atomically: true, encoding: .utf8)
                Terminal.write("\(csv == nil ? "\n" : "")svg: \(svg)\n")
            }
        }
    }

    /// Workers per rank when --max-workers is not given: the cores this process
    /// may use, shared among the ranks mpirun started on this machine, so that
    /// the largest point does not oversubscribe it.
    static func defaultWorkers(ranks: Int) -> Int {
        guard ranks > 1 else { return ProcessInfo.processInfo.activeProcessorCount }
        let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? ranks
        return max(1, CPUMask.allowedCores / max(local, 1))
    }

    /// The models of --models: ReLU hidden layers, softmax output, cross-entropy.
    func architectures() throws -> [Architecture] {
        let specs = models.split(separator: ",")
        guard !specs.isEmpty else { throw ValidationError("--models needs at least one model, e.g. 784-256-128-10") }
        return try specs.map { spec in
            let sizes = spec.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard sizes.count >= 2, sizes.count == spec.split(separator: "-").count else {
                throw ValidationError("--models expects widths joined by '-', e.g. 784-256-10; got '\(spec)'")
            }
            do {
                return try Architecture(layerSizes: sizes, hiddenActivation: .relu, loss: .softmaxCrossEntropy)
            } catch let error as ConfigurationError {
                throw ValidationError("--models \(spec): \(error.message)")
            }
        }
    }
}

/// The value of `--scaling`: one mode, or several separated by ','.
struct ScalingModes: ExpressibleByArgument {
    var modes: [ScalingMode]

    init(_ modes: [ScalingMode]) { self.modes = modes }

    init?(argument: String) {
        let modes = argument.split(separator: ",").map { ScalingMode(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased()) }
        guard !modes.isEmpty, !modes.contains(nil) else { return nil }
        self.modes = modes.compactMap { $0 }
    }

    static var allValueStrings: [String] { ScalingMode.allCases.map(\.rawValue) + ["strong,weak"] }
    var defaultValueDescription: String { modes.map(\.rawValue).joined(separator: ",") }
}
