// The activation and loss kernels in single precision, as the engine runs them,
// opened to the benchmark package through the `Benchmarking` SPI.
//
// `Activation.forward`, `Loss.sum` and the gemm of `BLASScalar` are internal
// generics; called here, with Float, the compiler specialises them exactly as
// it does for `Network`, so the benchmark times what training runs. (When they
// were public generics without `@inlinable`, another module could only reach
// their unspecialised entry points, which dispatch every arithmetic operation
// through the witness table: ReLU over 64 × 1024 values took milliseconds that
// way instead of microseconds.)
// Import with `@_spi(Benchmarking) import Backprop`; not part of the API.

@_spi(Benchmarking)
public enum KernelProbe {
    /// Makes BLAS run on the calling thread only, as the engine's workers do.
    public static func useCallingThreadOnly() {
        BLASThreads.useCallingThreadOnly()
    }

    /// C = op(A) · op(B) in single precision, row-major: op(A) m × k, op(B) k × n, C m × n,
    /// with tight leading dimensions, as `Network` calls it.
    public static func gemm(
        _ transA: MatrixTranspose, _ transB: MatrixTranspose, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        Float.gemm(transA, transB, m: m, n: n, k: k,
                   alpha: 1, a: a, lda: transA == .none ? k : m, b: b, ldb: transB == .none ? n : k,
                   beta: 0, c: c, ldc: n)
    }

    /// a = g(z), `rows` × `width`.
    public static func forward(
        _ activation: Activation, z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, rows: Int, width: Int
    ) {
        activation.forward(z: z, a: a, rows: rows, width: width)
    }

    /// delta ⊙= g'(z), in place.
    public static func backward(
        _ activation: Activation, delta: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>,
        a: UnsafePointer<Float>, rows: Int, width: Int
    ) {
        activation.backward(delta: delta, z: z, a: a, rows: rows, width: width)
    }

    /// Σ over `rows` examples of L(a, y).
    public static func lossSum(
        _ loss: Loss, a: UnsafePointer<Float>, z: UnsafePointer<Float>, y: UnsafePointer<Float>,
        rows: Int, width: Int, outputActivation: Activation
    ) -> Double {
        loss.sum(a: a, z: z, y: y, rows: rows, width: width, outputActivation: outputActivation)
    }

    /// delta[L] = ∂L/∂a ⊙ g'(z), or a − y for the matching pairs.
    public static func outputDelta(
        _ loss: Loss, a: UnsafePointer<Float>, z: UnsafePointer<Float>, y: UnsafePointer<Float>,
        delta: UnsafeMutablePointer<Float>, rows: Int, width: Int, outputActivation: Activation
    ) {
        loss.outputDelta(a: a, z: z, y: y, delta: delta, rows: rows, width: width, outputActivation: outputActivation)
    }
}
