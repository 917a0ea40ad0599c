// Activation functions g[l] and their derivatives, applied to a batch of rows.
//
//     a[l] = g[l](z[l])
//     delta[l] = ∂L/∂a[l] ⊙ g[l]'(z[l])        (softmax: the Jacobian-vector product)

/// The activation of one layer.
public enum Activation: Hashable, Sendable, CustomStringConvertible {
    case identity
    case sigmoid
    case tanh
    case relu
    /// max(z, slope · z): slope α for z < 0.
    case leakyReLU(slope: Double)
    /// exp(z_k) / Σ_j exp(z_j) across a row; output layer only.
    case softmax

    /// The default slope of leaky ReLU, as in PyTorch.
    public static let defaultLeakySlope = 0.01

    /// Parses the CLI spelling: `identity`, `sigmoid`, `tanh`, `relu`, `leaky-relu`, `softmax`.
    public init?(name: String, leakySlope: Double = Activation.defaultLeakySlope) {
        switch name.lowercased() {
        case "identity", "linear", "none": self = .identity
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "relu": self = .relu
        case "leaky-relu", "leaky_relu", "leakyrelu": self = .leakyReLU(slope: leakySlope)
        case "softmax": self = .softmax
        default: return nil
        }
    }

    /// The name `init(name:)` accepts; the slope of leaky ReLU is stored separately.
    public var name: String {
        switch self {
        case .identity: "identity"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .relu: "relu"
        case .leakyReLU: "leaky-relu"
        case .softmax: "softmax"
        }
    }

    public var description: String {
        if case .leakyReLU(let slope) = self { return "leaky-relu(\(slope))" }
        return name
    }

    public static let allNames = ["identity", "sigmoid", "tanh", "relu", "leaky-relu", "softmax"]

    /// Whether the activation's outputs lie in (0, 1), as the log-based losses need.
    public var outputsProbabilities: Bool { self == .sigmoid || self == .softmax }

    /// a = g(z) for `rows` rows of `width` values each.
    func forward<S: BLASScalar>(
        z: UnsafePointer<S>, a: UnsafeMutablePointer<S>, rows: Int, width: Int
    ) {
        let count = rows * width
        switch self {
        case .identity:
            a.update(from: z, count: count)
        case .sigmoid:
            for i in 0..<count { a[i] = Activation.sigmoid(z[i]) }
        case .tanh:
            for i in 0..<count { a[i] = S.tanh(z[i]) }
        case .relu:
            for i in 0..<count { a[i] = z[i] > 0 ? z[i] : 0 }
        case .leakyReLU(let slope):
            let alpha = S(slope)
            for i in 0..<count { a[i] = z[i] > 0 ? z[i] : alpha * z[i] }
        case .softmax:
            for r in 0..<rows {
                let zr = z + r * width, ar = a + r * width
                // Subtracting the row maximum keeps exp from overflowing; the ratio is unchanged.
                var zMax = zr[0]
                for k in 1..<width where zr[k] > zMax { zMax = zr[k] }
                var sum: S = 0
                for k in 0..<width {
                    ar[k] = S.exp(zr[k] - zMax)
                    sum += ar[k]
                }
                let inverse = 1 / sum
                for k in 0..<width { ar[k] *= inverse }
            }
        }
    }

    /// delta = ∂L/∂a ⊙ g'(z), in place: `delta` holds ∂L/∂a on entry.
    ///
    /// The derivatives are written in terms of a where that is cheaper:
    /// sigmoid'(z) = a(1 − a), tanh'(z) = 1 − a², ReLU'(z) = [z > 0].
    /// For softmax, delta_k = a_k (g_k − Σ_j g_j a_j) with g = ∂L/∂a.
    func backward<S: BLASScalar>(
        delta: UnsafeMutablePointer<S>, z: UnsafePointer<S>, a: UnsafePointer<S>,
        rows: Int, width: Int
    ) {
        let count = rows * width
        switch self {
        case .identity:
            break
        case .sigmoid:
            for i in 0..<count { delta[i] *= a[i] * (1 - a[i]) }
        case .tanh:
            for i in 0..<count { delta[i] *= 1 - a[i] * a[i] }
        case .relu:
            S.keepWherePositive(delta, z: z, count: count)
        case .leakyReLU(let slope):
            let alpha = S(slope)
            for i in 0..<count {
                let g = delta[i]
                delta[i] = z[i] > 0 ? g : alpha * g
            }
        case .softmax:
            for r in 0..<rows {
                let dr = delta + r * width, ar = a + r * width
                var dot: S = 0
                for k in 0..<width { dot += dr[k] * ar[k] }
                for k in 0..<width { dr[k] = ar[k] * (dr[k] - dot) }
            }
        }
    }

    static func sigmoid<S: BLASScalar>(_ z: S) -> S {
        // Two branches so that exp never overflows: for z < 0, σ(z) = e^z / (1 + e^z).
        if z >= 0 { return 1 / (1 + S.exp(-z)) }
        let e = S.exp(z)
        return e / (1 + e)
    }
}
