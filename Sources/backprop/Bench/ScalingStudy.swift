// Strong and weak scaling of training throughput over the worker count.
//
//   strong: the minibatch is fixed (m = `strongBatch`) and split among 1…N workers;
//           ideal: N workers take 1/N of the time.
//   weak:   every worker gets the same share (m = `weakBatchPerWorker` × workers);
//           ideal: N workers get through N times the examples per second.
//
// The repeats run round-robin over the worker counts, so a neighbour's burst on
// a shared machine hits every point of a curve alike instead of one of them.

import Backprop

/// What to measure, and how long.
struct ScalingStudy: Sendable {
    var models: [Architecture]
    var maxWorkers: Int
    var modes: [ScalingMode] = ScalingMode.allCases
    /// m for strong scaling.
    var strongBatch = 512
    /// m / workers for weak scaling.
    var weakBatchPerWorker = 256
    /// Rows per micro-shard; nil: `microBatch(_:)` picks training's default.
    var microBatch: Int? = nil
    /// Timed steps per repeat.
    var steps = 20
    var repeats = 5
    /// Untimed steps before the first repeat of each point.
    var warmUpSteps = 3

    init(models: [Architecture], maxWorkers: Int) {
        self.models = models
        self.maxWorkers = maxWorkers
    }

    /// The minibatch for `workers` workers in `mode`.
    func batchSize(_ mode: ScalingMode, workers: Int) -> Int {
        mode == .strong ? strongBatch : weakBatchPerWorker * workers
    }

    /// The micro-batch of every point of a `mode` curve: the one given, or
    /// training's default for the 1-worker minibatch. Fixed along the curve, so
    /// that more workers split the same kind of work, only more of it or less.
    func microBatch(_ mode: ScalingMode) -> Int {
        let m = batchSize(mode, workers: 1)
        return min(microBatch ?? TrainingConfiguration.defaultMicroBatch(batchSize: m), m)
    }

    /// Measures every model, mode and worker count 1…maxWorkers.
    ///
    /// - Parameters:
    ///   - peak: the sgemm GFLOP/s of n cores, for n = 1…maxWorkers.
    ///   - onPoint: called with each curve's points as soon as they are measured.
    func run(peak: [Int: Double], onPoint: ([ScalingPoint]) -> Void = { _ in }) throws -> [ScalingPoint] {
        precondition(maxWorkers > 0 && steps > 0 && repeats > 0)
        var points: [ScalingPoint] = []
        for architecture in models {
            for mode in modes {
                let curve = try measureCurve(architecture, mode, peak: peak)
                onPoint(curve)
                points += curve
            }
        }
        return points
    }

    private func measureCurve(_ architecture: Architecture, _ mode: ScalingMode, peak: [Int: Double]) throws -> [ScalingPoint] {
        let workerCounts = Array(1...maxWorkers)
        let probes = workerCounts.map { w in
            let m = batchSize(mode, workers: w)
            return ThroughputProbe(architecture: architecture, workers: w, batchSize: m, microBatch: microBatch(mode))
        }
        for probe in probes { try probe.time(steps: warmUpSteps) }
        var rates = Array(repeating: [Double](), count: probes.count)
        for _ in 0..<repeats {
            for (i, probe) in probes.enumerated() { rates[i].append(try probe.samplesPerSecond(steps: steps)) }
        }
        let single = Timings(rates[0]).median
        return zip(probes, rates).map { probe, rates in
            ScalingPoint(
                architecture: architecture, mode: mode, workers: probe.workers, batchSize: probe.batchSize,
                microBatch: probe.microBatch, samplesPerSecond: Timings(rates),
                singleWorkerSamplesPerSecond: single, sgemmPeak: peak[probe.workers] ?? .nan)
        }
    }
}
