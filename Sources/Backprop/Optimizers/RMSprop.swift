// RMSprop (Hinton's lecture 6e) in PyTorch's form, so the same settings give
// the same trajectory as torch.optim.RMSprop:
//
//     v ← ρ v + (1 − ρ) g²
//     θ ← θ − α g / (√v + ε)

/// RMSprop.
public struct RMSprop: Optimizer, Equatable {
    /// ρ, the decay of the squared-gradient average (PyTorch's `alpha`).
    public var rho: Float
    public var epsilon: Float

    public init(rho: Float = 0.99, epsilon: Float = 1e-8) {
        self.rho = rho
        self.epsilon = epsilon
    }

    public var name: String { "rmsprop" }
    public var stateNames: [String] { ["square_average"] }

    public func update(
        parameters θ: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, stateStride: Int, isWeight: UnsafePointer<Float>,
        range: Range<Int>, learningRate α: Float, step: Int
    ) {
        let v = state, ρ = rho, ε = epsilon
        for i in range {
            v[i] = ρ * v[i] + (1 - ρ) * g[i] * g[i]
            θ[i] -= α * g[i] / (v[i].squareRoot() + ε)
        }
    }
}
