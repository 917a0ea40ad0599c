// Stochastic gradient descent, with optional (Nesterov) momentum in PyTorch's
// form, so that the same flags give the same trajectory as torch.optim.SGD:
//
//     v ← μ v + g
//     θ ← θ − α v                 (classical)
//     θ ← θ − α (g + μ v)         (Nesterov)
//
// With μ = 0 it is the plain update of backprop-math.md: θ ← θ − α ∂J/∂θ.

/// Stochastic gradient descent with optional momentum μ, as torch.optim.SGD
/// computes it, for g = ∂J/∂θ and learning rate α:
///
///     θ ← θ − α g                 (μ = 0)
///     v ← μ v + g                 (μ > 0; state "velocity", starting at 0)
///     θ ← θ − α v                 (classical)
///     θ ← θ − α (g + μ v)         (Nesterov)
public struct SGD: Optimizer, UpdateRule, Equatable {
    /// μ; 0 for plain SGD, which keeps no state.
    public var momentum: Float
    /// Nesterov's form of the momentum step (needs μ > 0 to differ).
    public var nesterov: Bool

    public init(momentum: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public var name: String { "sgd" }
    public var stateNames: [String] { momentum == 0 ? [] : ["velocity"] }

    func update(_ slice: UpdateSlice, learningRate α: Float, step: Int) {
        let θ = slice.parameters, g = slice.gradient, range = slice.range
        if momentum == 0 {
            for i in range { θ[i] -= α * g[i] }  // θ ← θ − α g
            return
        }
        let μ = momentum, v = slice.state[0]
        if nesterov {
            for i in range {
                v[i] = μ * v[i] + g[i]
                θ[i] -= α * (g[i] + μ * v[i])
            }
        } else {
            for i in range {
                v[i] = μ * v[i] + g[i]
                θ[i] -= α * v[i]
            }
        }
    }
}
