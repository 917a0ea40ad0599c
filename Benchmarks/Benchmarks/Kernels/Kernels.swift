// The pieces of one training step, timed one by one: the sgemm shapes of a
// micro-shard of 64 rows through 784-1024-1024-10 (forward, delta, dW, as
// `Network` calls them), the activation and loss kernels, and the engine's tree
// reduction of the gradient slots. Each sgemm's name carries the work of one
// call, so GFLOP/s = MFLOP × throughput / 1000. The activation, loss and
// reduction kernels are the engine's own, reached through the `Benchmarking` SPI
// (see KernelProbe and ReductionKernel in Sources/Backprop/Benchmarking).

import Benchmark
@_spi(Benchmarking) import Backprop

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000)

    let architecture = try! Architecture(layerSizes: [784, 1024, 1024, 10], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
    let rows = 64
    KernelProbe.useCallingThreadOnly()

    // sgemm, one benchmark per product of one micro-shard (row-major, B = 64 rows):
    //   forward  z[l] = a[l-1] · W[l]ᵀ           m = B,      n = n[l],   k = n[l-1]
    //   delta    delta[l-1] = delta[l] · W[l]    m = B,      n = n[l-1], k = n[l]    (l > 1)
    //   dW       dW[l] = delta[l]ᵀ · a[l-1]      m = n[l],   n = n[l-1], k = B
    for (index, layer) in ParameterLayout(architecture).layers.enumerated() {
        let l = index + 1
        let shapes: [(String, MatrixTranspose, MatrixTranspose, Int, Int, Int)] =
            [("forward", .none, .transposed, rows, layer.outputs, layer.inputs)]
            + (l > 1 ? [("delta", .none, .none, rows, layer.inputs, layer.outputs)] : [])
            + [("dW", .transposed, .none, layer.outputs, layer.inputs, rows)]
        for (kind, transA, transB, m, n, k) in shapes {
            let megaflops = 2.0 * Double(m * n * k) / 1e6
            let name = "sgemm \(kind) layer \(l): m \(m) n \(n) k \(k) (\(String(format: "%.1f", megaflops)) MFLOP)"
            Benchmark(name) { benchmark, operands in
                for _ in benchmark.scaledIterations { operands.multiply(transA, transB, m: m, n: n, k: k) }
                blackHole(operands.c[0])
            } setup: {
                GemmOperands(count: max(m * k, k * n, m * n))
            } teardown: {}
        }
    }

    // Activations over a micro-shard of the hidden width, and the output layer's
    // softmax and loss, in Float as the engine runs them (specialised, through the SPI).
    let hidden = 1024, outputs = 10
    Benchmark("relu forward: 64 × 1024") { benchmark, buffers in
        for _ in benchmark.scaledIterations {
            KernelProbe.forward(.relu, z: buffers.z, a: buffers.a, rows: rows, width: hidden)
        }
        blackHole(buffers.a[0])
    } setup: { KernelBuffers(rows: rows, width: hidden) }

    Benchmark("relu backward: 64 × 1024") { benchmark, buffers in
        for _ in benchmark.scaledIterations {
            KernelProbe.backward(.relu, delta: buffers.delta, z: buffers.z, a: buffers.a, rows: rows, width: hidden)
        }
        blackHole(buffers.delta[0])
    } setup: { KernelBuffers(rows: rows, width: hidden) }

    Benchmark("softmax forward: 64 × 10") { benchmark, buffers in
        for _ in benchmark.scaledIterations {
            KernelProbe.forward(.softmax, z: buffers.z, a: buffers.a, rows: rows, width: outputs)
        }
        blackHole(buffers.a[0])
    } setup: { KernelBuffers(rows: rows, width: outputs, probabilities: true) }

    Benchmark("softmax cross-entropy loss sum: 64 × 10") { benchmark, buffers in
        for _ in benchmark.scaledIterations {
            blackHole(KernelProbe.lossSum(
                .softmaxCrossEntropy, a: buffers.a, z: buffers.z, y: buffers.y,
                rows: rows, width: outputs, outputActivation: .softmax))
        }
    } setup: { KernelBuffers(rows: rows, width: outputs, probabilities: true) }

    Benchmark("softmax cross-entropy output delta: 64 × 10") { benchmark, buffers in
        for _ in benchmark.scaledIterations {
            KernelProbe.outputDelta(
                .softmaxCrossEntropy, a: buffers.a, z: buffers.z, y: buffers.y, delta: buffers.delta,
                rows: rows, width: outputs, outputActivation: .softmax)
        }
        blackHole(buffers.delta[0])
    } setup: { KernelBuffers(rows: rows, width: outputs, probabilities: true) }

    // The tree reduction of one step of 784-1024-1024-10 at m = 512: 8 slots of
    // micro-batch 64, summed over every parameter, by 1 and by 2 workers.
    let parameterCount = ParameterLayout(architecture).count
    for workers in [1, 2] {
        let megabytes = Double(8 * parameterCount * 4) / 1e6
        Benchmark("tree reduction: 8 slots × \(parameterCount) parameters (\(String(format: "%.0f", megabytes)) MB), \(workers) worker\(workers == 1 ? "" : "s")") { benchmark, kernel in
            for _ in benchmark.scaledIterations { kernel.treeSum() }
            blackHole(kernel.first)
        } setup: {
            ReductionKernel(parameterCount: parameterCount, shardCount: 8, workers: workers)
        }
    }
}

/// A, B and C for one sgemm, each with room for `count` values.
final class GemmOperands: @unchecked Sendable {
    let a, b, c: Slab<Float>

    init(count: Int) {
        var generator = RandomGenerator(seed: 1)
        a = Slab(zeros: count)
        b = Slab(zeros: count)
        c = Slab(zeros: count)
        for i in 0..<count {
            a[i] = Float(generator.nextUniform(limit: 1))
            b[i] = Float(generator.nextUniform(limit: 1))
        }
    }

    /// C = op(A) · op(B), row-major with tight leading dimensions, as `Network` calls it.
    func multiply(_ transA: MatrixTranspose, _ transB: MatrixTranspose, m: Int, n: Int, k: Int) {
        KernelProbe.gemm(transA, transB, m: m, n: n, k: k, a: a.base, b: b.base, c: c.base)
    }
}

/// z, a, delta and one-hot targets y for `rows` rows of `width` values.
final class KernelBuffers: @unchecked Sendable {
    let zSlab, aSlab, deltaSlab, ySlab: Slab<Float>
    var z: UnsafeMutablePointer<Float> { zSlab.base }
    var a: UnsafeMutablePointer<Float> { aSlab.base }
    var delta: UnsafeMutablePointer<Float> { deltaSlab.base }
    var y: UnsafeMutablePointer<Float> { ySlab.base }

    /// - Parameter probabilities: make a the softmax of z (for the output layer), not ReLU(z).
    init(rows: Int, width: Int, probabilities: Bool = false) {
        let count = rows * width
        var generator = RandomGenerator(seed: 2)
        zSlab = Slab(zeros: count)
        aSlab = Slab(zeros: count)
        deltaSlab = Slab(zeros: count)
        ySlab = Slab(zeros: count)
        for i in 0..<count {
            zSlab[i] = Float(generator.nextUniform(limit: 3))  // half negative, as ReLU sees it
            aSlab[i] = max(zSlab[i], 0)
            deltaSlab[i] = Float(generator.nextUniform(limit: 1))
        }
        for r in 0..<rows { ySlab[r * width + generator.nextIndex(below: width)] = 1 }
        if probabilities { KernelProbe.forward(.softmax, z: zSlab.base, a: aSlab.base, rows: rows, width: width) }
    }
}
