// The activation and loss kernels in single precision, as the engine runs them,
// opened to the benchmark package through the `Benchmarking` SPI.
//
// Why not call `Activation.forward` and `Loss.sum` from the benchmark directly:
// they are public generics (over BLASScalar) without `@inlinable`, so another
// module can only reach their unspecialised entry points, which dispatch every
// arithmetic operation through the witness table: ReLU over 64 × 1024 values
// takes milliseconds that way instead of microseconds. Called here, with Float,
// the compiler specialises them exactly as it does for `Network`.
// Import with `@_spi(Benchmarking) import Backprop`; not part of the API.

@_spi(Benchmarking)
public enum KernelProbe {
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
