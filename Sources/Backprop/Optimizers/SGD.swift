// Stochastic gradient descent, with optional (Nesterov) momentum in PyTorch's
// form, so that the same flags give the same trajectory as torch.optim.SGD:
//
//     v ← μ v + g
//     θ ← θ − α v                 (classical)
//     θ ← θ − α (g + μ v)         (Nesterov)
//
// With μ = 0 it is the plain update of backprop-math.md: θ ← θ − α ∂J/∂θ.

/// SGD with optional momentum.
public struct SGD: Optimizer, Equatable {
    public var momentum: Float
    public var nesterov: Bool

    public init(momentum: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public var name: String { "sgd" }
    public var stateNames: [String] { momentum == 0 ? [] : ["velocity"] }

    public func update(
        parameters θ: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, stateStride: Int, isWeight: UnsafePointer<Float>,
        range: Range<Int>, learningRate α: Float, step: Int
    ) {
        if momentum == 0 {
            for i in range { θ[i] -= α * g[i] }  // θ ← θ − α g
            return
        }
        let μ = momentum, v = state
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
