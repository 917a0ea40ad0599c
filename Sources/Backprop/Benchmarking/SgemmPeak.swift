// The ceiling for a training step: how fast this machine's BLAS multiplies
// large square matrices, C = A·B with n × n operands (2n³ flops), on one
// core, or on several cores each running its own single-threaded sgemm, as
// the workers do.

import Dispatch

/// For `backprop bench`; `package`, not API.
package enum SgemmPeak {
    /// The best GFLOP/s of C = A·B (n × n, single precision) over `repeats` timings,
    /// summed over `threads` threads that each multiply their own matrices at once.
    ///
    /// The best, not the median: a ceiling is what the machine can do, and on a
    /// shared machine a neighbour only ever makes a timing slower.
    package static func measure(size n: Int = 1024, threads: Int = 1, repeats: Int = 7) -> Double {
        precondition(n > 0 && threads > 0 && repeats > 0)
        BLASThreads.useCallingThreadOnly()
        let operands = (0..<threads).map { t in Operands(size: n, seed: UInt64(t)) }
        let multiplyAll = { parallelFor(threads) { operands[$0].multiply() } }
        multiplyAll()  // warm-up: page in the operands, let OpenBLAS set up its buffers
        var rates: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            multiplyAll()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(threads) * 2 * Double(n * n * n) / seconds / 1e9)
        }
        return Timings(rates).maximum
    }

    /// One thread's A, B and C.
    private struct Operands: Sendable {
        let n: Int
        let a, b, c: Slab<Float>

        init(size n: Int, seed: UInt64) {
            self.n = n
            var generator = RandomGenerator(seed: seed, stream: RandomStream.syntheticData)
            a = Slab(zeros: n * n)
            b = Slab(zeros: n * n)
            c = Slab(zeros: n * n)
            for i in 0..<n * n {
                a[i] = Float(generator.nextUniform(limit: 1))
                b[i] = Float(generator.nextUniform(limit: 1))
            }
        }

        func multiply() {
            Float.gemm(.none, .none, m: n, n: n, k: n, alpha: 1, a: a.base, lda: n, b: b.base, ldb: n, beta: 0, c: c.base, ldc: n)
        }
    }
}
