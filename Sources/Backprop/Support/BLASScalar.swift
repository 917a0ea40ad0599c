// The floating-point types the network math runs in.
//
// Training runs in Float on single-precision BLAS (sgemm); the same generic code
// runs in Double (dgemm) for the worked example and for gradient checking, so the
// tests exercise exactly the source that trains.
//
// Internal on purpose: as public static members, `Float.exp`, `Float.log`, … would
// clash with swift-numerics' (`Real`) in any module that imports both ("ambiguous
// use of 'exp'"). `MatrixTranspose` is opened to the benchmark package only,
// for `KernelProbe.gemm`.

import CBLAS
import Glibc

/// Whether a matrix operand is used as stored or transposed (row-major storage).
@_spi(Benchmarking)
public enum MatrixTranspose: Sendable {
    case none
    case transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// A scalar type with a BLAS matrix product and the elementary functions the
/// activations and losses need.
protocol BLASScalar: BinaryFloatingPoint, SIMDScalar, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// C = alpha · op(A) · op(B) + beta · C, row-major. op(A): m × k, op(B): k × n, C: m × n.
    static func gemm(
        _ transA: MatrixTranspose, _ transB: MatrixTranspose,
        m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// delta[i] = z[i] > 0 ? delta[i] : 0, ReLU's derivative applied in place.
    ///
    /// A requirement rather than a generic loop: written generically, the
    /// specialised loop came out as a store of 0 under a branch per element,
    /// which mispredicts on random signs and does not vectorise (perf: 6% of a
    /// 784-1024-1024-10 step, against 11 µs for 64 × 1024 as a vector select).
    static func keepWherePositive(_ delta: UnsafeMutablePointer<Self>, z: UnsafePointer<Self>, count: Int)

    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
}

extension Float: BLASScalar {
    static func gemm(
        _ transA: MatrixTranspose, _ transB: MatrixTranspose,
        m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    @inline(never)  // inlined into the backward pass, it came out as a branch again
    static func keepWherePositive(_ delta: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = delta[i]  // loaded first: the select then vectorises
            delta[i] = z[i] > 0 ? g : 0
        }
    }
    static func exp(_ x: Float) -> Float { expf(x) }
    static func log(_ x: Float) -> Float { logf(x) }
    static func log1p(_ x: Float) -> Float { log1pf(x) }
    static func tanh(_ x: Float) -> Float { tanhf(x) }
}

extension Double: BLASScalar {
    static func gemm(
        _ transA: MatrixTranspose, _ transB: MatrixTranspose,
        m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    static func keepWherePositive(_ delta: UnsafeMutablePointer<Double>, z: UnsafePointer<Double>, count: Int) {
        for i in 0..<count { delta[i] = z[i] > 0 ? delta[i] : 0 }
    }
    static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    static func log(_ x: Double) -> Double { Glibc.log(x) }
    static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
}
