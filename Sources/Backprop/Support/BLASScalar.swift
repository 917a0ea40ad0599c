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
protocol BLASScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// C = alpha · op(A) · op(B) + beta · C, row-major. op(A): m × k, op(B): k × n, C: m × n.
    static func gemm(
        _ transA: MatrixTranspose, _ transB: MatrixTranspose,
        m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

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
    static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    static func log(_ x: Double) -> Double { Glibc.log(x) }
    static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
}
