// One point of a scaling curve: a model, a scaling mode, a worker count, the
// samples/s of every repeat, and what follows from them against 1 worker and
// against the sgemm ceiling.

import Backprop

/// How the minibatch grows with the worker count.
enum ScalingMode: String, Sendable, CaseIterable {
    case strong
    case weak
}

/// One measured point: a model, a mode, a worker count.
struct ScalingPoint: Sendable {
    var architecture: Architecture
    var mode: ScalingMode
    var workers: Int
    /// The minibatch m of every timed step.
    var batchSize: Int
    var microBatch: Int
    /// Examples per second, one value per repeat.
    var samplesPerSecond: Timings
    /// The median samples/s of the same model and mode with 1 worker.
    var singleWorkerSamplesPerSecond: Double
    /// GFLOP/s that `workers` cores reach on a large sgemm, each on its own.
    var sgemmPeak: Double

    /// 6 × weights × samples/s, in GFLOP/s: 2 flops per weight in the forward pass and
    /// 4 in the backward pass (delta and dW), biases and activations aside. A nominal
    /// count, the one the PyTorch reference prints: the engine skips the first layer's
    /// delta (nothing needs ∂L/∂x), so it performs 6W − 2·n[0]·n[1] flops per example
    /// (28 % fewer for 784-256-128-10, 14 % for 784-1024-1024-10), and `peakFraction`
    /// can pass 1.
    var gigaflops: Double { 6 * Double(architecture.weightCount) * samplesPerSecond.median / 1e9 }
    /// `gigaflops` as a fraction of `sgemmPeak`.
    var peakFraction: Double { gigaflops / sgemmPeak }
    /// samples/s relative to 1 worker.
    var speedup: Double { samplesPerSecond.median / singleWorkerSamplesPerSecond }
    /// speedup / workers: 1 is perfect scaling.
    var efficiency: Double { speedup / Double(workers) }
    /// The layer widths joined by dashes, e.g. 784-256-128-10.
    var modelName: String { architecture.layerSizes.map(String.init).joined(separator: "-") }
}
