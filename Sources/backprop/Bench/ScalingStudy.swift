// Strong and weak scaling of training throughput over ranks × workers.
//
//   strong: the minibatch is fixed (m = `strongBatch`) and split among 1…N workers;
//           ideal: N workers take 1/N of the time.
//   weak:   every worker gets the same share (m = `weakBatchPerWorker` × workers);
//           ideal: N workers get through N times the examples per second.
//
// N is ranks × workers per rank. Under mpirun, a point of r ranks runs the
// multi-rank step on the first r ranks (a communicator of their own) while the
// others wait without polling, so that they leave the cores to it; every rank
// walks the same points in the same order. Rank 0 keeps the clock.
//
// The repeats run round-robin over the points of a curve, so a neighbour's burst
// on a shared machine hits every point alike instead of one of them.

import Backprop

/// What to measure, and how long.
struct ScalingStudy: Sendable {
    var models: [Architecture]
    var maxWorkers: Int
    /// All ranks of the run; points use the first 1…size of them.
    var communicator: any Communicator = SingleProcess()
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

    /// The minibatch for `workers` workers over all ranks in `mode`.
    func batchSize(_ mode: ScalingMode, workers: Int) -> Int {
        mode == .strong ? strongBatch : weakBatchPerWorker * workers
    }

    /// The (ranks, workers per rank) of every point: ranks outer.
    var settings: [(ranks: Int, workers: Int)] {
        (1...communicator.size).flatMap { r in (1...maxWorkers).map { (ranks: r, workers: $0) } }
    }

    /// The micro-batch of every point of a `mode` curve: the one given, or
    /// training's default for the 1-worker minibatch. Fixed along the curve, so
    /// that more workers split the same kind of work, only more of it or less.
    func microBatch(_ mode: ScalingMode) -> Int {
        let m = batchSize(mode, workers: 1)
        return min(microBatch ?? TrainingConfiguration.defaultMicroBatch(batchSize: m), m)
    }

    /// Measures every model, mode, rank count 1…communicator.size and worker
    /// count 1…maxWorkers. Every rank calls it; the points are rank 0's.
    ///
    /// - Parameters:
    ///   - peak: the sgemm GFLOP/s of n cores, for n = 1…ranks × maxWorkers.
    ///   - onPoint: called with each curve's points as soon as they are measured.
    func run(peak: [Int: Double], onPoint: ([ScalingPoint]) -> Void = { _ in }) throws -> [ScalingPoint] {
        precondition(maxWorkers > 0 && steps > 0 && repeats > 0)
        // Collective: every rank makes each sub-communicator, in order.
        let groups = (1...communicator.size).map { communicator.leading($0) }
        var points: [ScalingPoint] = []
        for architecture in models {
            for mode in modes {
                let curve = try measureCurve(architecture, mode, peak: peak, groups: groups)
                onPoint(curve)
                points += curve
            }
        }
        return points
    }

    /// - Parameter groups: the communicator of the first r ranks at r − 1, nil
    ///   on a rank outside it.
    private func measureCurve(_ architecture: Architecture, _ mode: ScalingMode, peak: [Int: Double],
                              groups: [(any Communicator)?]) throws -> [ScalingPoint] {
        let settings = self.settings
        // The probes this rank takes part in; nil where it waits.
        let probes = settings.map { setting in
            groups[setting.ranks - 1].map { group in
                ThroughputProbe(architecture: architecture, workers: setting.workers,
                                batchSize: batchSize(mode, workers: setting.ranks * setting.workers),
                                microBatch: microBatch(mode), communicator: group)
            }
        }
        for probe in probes {
            try probe?.time(steps: warmUpSteps)
            communicator.quietBarrier()
        }
        var rates = Array(repeating: [Double](), count: probes.count)
        var splits = Array(repeating: [StepTimings](), count: probes.count)
        for _ in 0..<repeats {
            for (i, probe) in probes.enumerated() {
                if let probe {
                    let before = probe.stepTimings
                    rates[i].append(try probe.samplesPerSecond(steps: steps))
                    splits[i].append(probe.stepTimings.since(before))
                }
                communicator.quietBarrier()
            }
        }
        guard communicator.isRoot else { return [] }
        let single = Timings(rates[0]).median
        return settings.indices.map { i in
            let probe = probes[i]!
            // The repeat of median samples/s (the lower of the middle two).
            let middle = rates[i].indices.sorted { rates[i][$0] < rates[i][$1] }[(rates[i].count - 1) / 2]
            return ScalingPoint(
                architecture: architecture, mode: mode, ranks: settings[i].ranks, workers: settings[i].workers,
                batchSize: probe.batchSize, microBatch: probe.microBatch, samplesPerSecond: Timings(rates[i]),
                singleWorkerSamplesPerSecond: single, sgemmPeak: peak[settings[i].ranks * settings[i].workers] ?? .nan,
                stepSeconds: Double(probe.batchSize) / rates[i][middle], split: splits[i][middle])
        }
    }
}
