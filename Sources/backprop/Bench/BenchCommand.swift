// `backprop bench`: training throughput and how it scales over workers, on
// synthetic data in memory. Strong scaling keeps the minibatch fixed while the
// workers grow; weak scaling grows it with them. Prints a table and the BLAS
// ceiling it is measured against, and writes the points as CSV and a chart as SVG.

import ArgumentParser
import Backprop
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training throughput and its strong and weak scaling over workers.",
        discussion: """
            Each point times --steps training steps (the engine's real step: gather, forward, backward, \
            tree reduction, SGD update) after a short warm-up, --repeats times, and reports the median. \
            GFLOP/s counts 6 × weights per example; % peak compares it with the measured sgemm rate \
            (1024³, one single-threaded sgemm per core) of as many cores as workers. Example:
              backprop bench --models 784-256-128-10,784-1024-1024-10 --csv runs/bench.csv --svg runs/bench.svg
            """)

    @Option(help: ArgumentHelp("Models to measure: layer widths joined by '-', separated by ','.", valueName: "n0-…-nL,…"))
    var models = "784-256-128-10,784-1024-1024-10"

    @Option(help: ArgumentHelp("Measure 1 through this many workers (default: the number of cores).", valueName: "n"))
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

    @Option(help: ArgumentHelp("Draw speedup against workers, one line per model, to this SVG file.", valueName: "file.svg"))
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
            if Ranks.size > 1 {
                // Every rank would time its own single-process engine against the others.
                throw ValidationError("bench does not run across ranks yet; under mpirun, train --verbose prints where a step's time goes (compute, exchange, update)")
            }
            let workers = maxWorkers ?? ProcessInfo.processInfo.activeProcessorCount
            var study = ScalingStudy(models: try architectures(), maxWorkers: workers)
            study.modes = scaling.modes
            study.strongBatch = batchSize
            study.weakBatchPerWorker = batchPerWorker
            study.microBatch = microBatch
            study.steps = steps
            study.repeats = repeats

            Terminal.write("BLAS: \(BLASThreads.configuration)\nkernels: \(KernelSelection.summary)\n")
            var peak: [Int: Double] = [:]
            for cores in 1...workers { peak[cores] = SgemmPeak.measure(threads: cores) }
            let peaks = (1...workers).map { String(format: "%d core%@ %.1f", $0, $0 == 1 ? "" : "s", peak[$0]!) }
            Terminal.write("sgemm peak, 1024³ single-threaded per core (best of 7): \(peaks.joined(separator: ", ")) GFLOP/s\n")
            Terminal.write("each point: median of \(repeats) × \(steps) steps after \(study.warmUpSteps) warm-up steps, on synthetic data\n\n")

            let table = ScalingTable(modelNames: study.models.map { $0.layerSizes.map(String.init).joined(separator: "-") })
            Terminal.write(table.headerLine)
            let points = try study.run(peak: peak) { curve in Terminal.write(table.rows(curve)) }

            if let csv {
                try ScalingCSV.render(points).write(toFile: csv, atomically: true, encoding: .utf8)
                Terminal.write("\ncsv: \(csv)\n")
            }
            if let svg {
                let cores = ProcessInfo.processInfo.activeProcessorCount
                let title = "Backprop training throughput: 1–\(workers) workers, \(cores) cores, \(BLASThreads.coreName) kernels"
                try ScalingChart.render(points, title: title).write(toFile: svg, atomically: true, encoding: .utf8)
                Terminal.write("\(csv == nil ? "\n" : "")svg: \(svg)\n")
            }
        }
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
