// The per-example losses L(a[L], y) and the output error delta[L].
//
//     J = (1/m) Σ_i L(a[L]_i, y_i) + (λ / 2m) Σ_l ‖W[l]‖²
//     delta[L] = ∂L/∂a[L] ⊙ g[L]'(z[L])

/// The loss of one example, summed over the output units.
public enum Loss: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// L = ½ Σ_k (a_k − y_k)²
    case halfSquaredError = "half-squared-error"
    /// L = −Σ_k [y_k ln a_k + (1 − y_k) ln(1 − a_k)], outputs in (0, 1)
    case binaryCrossEntropy = "binary-cross-entropy"
    /// L = −Σ_k y_k ln a_k, outputs a probability distribution
    case softmaxCrossEntropy = "softmax-cross-entropy"

    public var description: String { rawValue }

    /// Parses the CLI spelling, with a few common aliases (`mse`, `bce`, `cross-entropy`).
    public init?(name: String) {
        switch name.lowercased() {
        case "half-squared-error", "squared-error", "mse": self = .halfSquaredError
        case "binary-cross-entropy", "bce": self = .binaryCrossEntropy
        case "softmax-cross-entropy", "cross-entropy", "categorical-cross-entropy", "ce": self = .softmaxCrossEntropy
        default: return nil
        }
    }

    /// The output activation that pairs with this loss when none is given; for
    /// each pair delta[L] reduces to a[L] − y.
    public var defaultOutputActivation: Activation {
        switch self {
        case .halfSquaredError: .identity
        case .binaryCrossEntropy: .sigmoid
        case .softmaxCrossEntropy: .softmax
        }
    }

    /// Whether `activation` may feed this loss: the log losses need outputs in (0, 1).
    public func accepts(outputActivation activation: Activation) -> Bool {
        self == .halfSquaredError || activation.outputsProbabilities
    }

    /// Whether delta[L] = a[L] − y for this output activation (the matching pairs).
    public func hasShortcut(with activation: Activation) -> Bool {
        activation == defaultOutputActivation
    }

    /// Σ over `rows` examples of L(a_i, y_i). Accumulated in Double so that a
    /// large batch's sum does not lose the small terms.
    ///
    /// The matching log-loss pairs are computed from z, which stays finite where
    /// ln a would reach −∞: softmax CE = logsumexp(z)·Σy − Σ y_k z_k, sigmoid BCE
    /// = max(z, 0) − z·y + ln(1 + e^−|z|).
    func sum<S: BLASScalar>(
        a: UnsafePointer<S>, z: UnsafePointer<S>, y: UnsafePointer<S>,
        rows: Int, width: Int, outputActivation: Activation
    ) -> Double {
        var total = 0.0
        switch (self, outputActivation) {
        case (.halfSquaredError, _):
            for i in 0..<rows * width {
                let d = Double(a[i] - y[i])
                total += 0.5 * d * d
            }
        case (.softmaxCrossEntropy, .softmax):
            for r in 0..<rows {
                let zr = z + r * width, yr = y + r * width
                var zMax = Double(zr[0])
                for k in 1..<width { zMax = max(zMax, Double(zr[k])) }
                var expSum = 0.0, ySum = 0.0, yz = 0.0
                for k in 0..<width {
                    expSum += Double.exp(Double(zr[k]) - zMax)
                    ySum += Double(yr[k])
                    yz += Double(yr[k]) * Double(zr[k])
                }
                total += (zMax + Double.log(expSum)) * ySum - yz
            }
        case (.binaryCrossEntropy, .sigmoid):
            for i in 0..<rows * width {
                let zi = Double(z[i]), yi = Double(y[i])
                total += max(zi, 0) - zi * yi + Double.log1p(Double.exp(-abs(zi)))
            }
        case (.softmaxCrossEntropy, _):
            let floor = Double(S.ulpOfOne)
            for i in 0..<rows * width where y[i] != 0 {
                total -= Double(y[i]) * Double.log(max(Double(a[i]), floor))
            }
        case (.binaryCrossEntropy, _):
            let floor = Double(S.ulpOfOne)
            for i in 0..<rows * width {
                let ai = min(max(Double(a[i]), floor), 1 - floor), yi = Double(y[i])
                total -= yi * Double.log(ai) + (1 - yi) * Double.log(1 - ai)
            }
        }
        return total
    }

    /// ∂L/∂a for each example and output, written to `gradient`.
    func gradient<S: BLASScalar>(
        a: UnsafePointer<S>, y: UnsafePointer<S>, gradient: UnsafeMutablePointer<S>, count: Int
    ) {
        switch self {
        case .halfSquaredError:
            for i in 0..<count { gradient[i] = a[i] - y[i] }
        case .binaryCrossEntropy:
            let floor = S.ulpOfOne
            for i in 0..<count {
                let ai = min(max(a[i], floor), 1 - floor)
                gradient[i] = (ai - y[i]) / (ai * (1 - ai))
            }
        case .softmaxCrossEntropy:
            let floor = S.ulpOfOne
            for i in 0..<count { gradient[i] = -y[i] / max(a[i], floor) }
        }
    }

    /// delta[L] = ∂L/∂a[L] ⊙ g[L]'(z[L]), or a[L] − y for the matching pairs.
    func outputDelta<S: BLASScalar>(
        a: UnsafePointer<S>, z: UnsafePointer<S>, y: UnsafePointer<S>,
        delta: UnsafeMutablePointer<S>, rows: Int, width: Int, outputActivation: Activation
    ) {
        let count = rows * width
        if hasShortcut(with: outputActivation) {
            for i in 0..<count { delta[i] = a[i] - y[i] }  // delta[L] = a[L] − y
            return
        }
        gradient(a: a, y: y, gradient: delta, count: count)
        outputActivation.backward(delta: delta, z: z, a: a, rows: rows, width: width)
    }
}
