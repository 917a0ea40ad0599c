// One point of a scaling curve: a model, a scaling mode, a rank and worker
// count, the samples/s of every repeat, where a step's time went, and what
// follows from them against 1 rank of 1 worker and against the sgemm ceiling.

import Backprop

/// How the minibatch grows with the worker count.
enum ScalingMode: String, Sendable, CaseIterable {
    case strong
    case weak
}

/// One measured point: a model, a mode, a rank count, a worker count per rank.
struct ScalingPoint: Sendable {
    var architecture: Architecture
    var mode: ScalingMode
    /// Processes sharing each step (1 without mpirun).
    var ranks = 1
    /// Workers per rank.
    var workers: Int
    /// The minibatch m of every timed step.
    var batchSize: Int
    var microBatch: Int
    /// Examples per second, one value per repeat.
    var samplesPerSecond: Timings
    /// The median samples/s of the same model and mode with 1 rank of 1 worker.
    var singleWorkerSamplesPerSecond: Double
    /// GFLOP/s that `ranks × workers` cores reach on a large sgemm, each on its own.
    var sgemmPeak: Double
    /// Wall-clock seconds per step of the repeat with the median samples/s
    /// (the lower of the middle two for an even count), timed on rank 0.
    var stepSeconds: Double
    /// Rank 0's split of that repeat's steps, as the scheduler timed them;
    /// `split.total / split.steps` is `stepSeconds` less the loop around the steps.
    var split: StepTimings

    /// Workers over all ranks.
    var totalWorkers: Int { ranks * workers }
    /// A phase of `split` in milliseconds per step.
    func milliseconds(_ phase: KeyPath<StepTimings, Double>) -> Double {
        split[keyPath: phase] / Double(max(split.steps, 1)) * 1000
    }

    /// 6 × weights × samples/s, in GFLOP/s: 2 flops per weight in the forward pass and
    /// 4 in the backward pass (delta and dW), biases and activations aside. A nominal
    /// count, the one the PyTorch reference prints: the engine skips the first layer's
    /// delta (nothing needs ∂L/∂x), so it performs 6W − 2·n[0]·n[1] flops per example
    /// (28 % fewer for 784-256-128-10, 14 % for 784-1024-1024-10), and `peakFraction`
    /// can pass 1.
    var gigaflops: Double { 6 * Double(architecture.weightCount) * samplesPerSecond.median / 1e9 }
    /// `gigaflops` as a fraction of `sgemmPeak`.
    var peakFraction: Double { gigaflops / sgemmPeak }
    /// samples/s relative to 1 rank of 1 worker.
    var speedup: Double { samplesPerSecond.median / singleWorkerSamplesPerSecond }
    /// speedup / (ranks × workers): 1 is perfect scaling.
    var efficiency: Double { speedup / Double(totalWorkers) }
    /// The layer widths joined by dashes, e.g. 784-256-128-10.
    var modelName: String { architecture.layerSizes.map(String.init).joined(separator: "-") }
}
