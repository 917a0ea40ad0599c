// RMSprop (Hinton's lecture 6e) in PyTorch's form, so the same settings give
// the same trajectory as torch.optim.RMSprop:
//
//     v ← ρ v + (1 − ρ) g²
//     θ ← θ − α g / (√v + ε)

/// RMSprop as torch.optim.RMSprop computes it, for g = ∂J/∂θ and learning
/// rate α (state "square_average", starting at 0):
///
///     v ← ρ v + (1 − ρ) g²
///     θ ← θ − α g / (√v + ε)
public struct RMSprop: Optimizer, UpdateRule, Equatable {
    /// ρ, the decay of the squared-gradient average (PyTorch's `alpha`).
    public var rho: Float
    /// ε, added to √v so the step stays bounded where v is near 0.
    public var epsilon: Float

    public init(rho: Float = 0.99, epsilon: Float = 1e-8) {
        self.rho = rho
        self.epsilon = epsilon
    }

    public var name: String { "rmsprop" }
    public var stateNames: [String] { ["square_average"] }

    func update(_ slice: UpdateSlice, learningRate α: Float, step: Int) {
        let θ = slice.parameters, g = slice.gradient, v = slice.state[0], ρ = rho, ε = epsilon
        for i in slice.range {
            v[i] = ρ * v[i] + (1 - ρ) * g[i] * g[i]
            θ[i] -= α * g[i] / (v[i].squareRoot() + ε)
        }
    }
}
