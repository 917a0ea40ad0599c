// Adam (Kingma & Ba, 2015), and AdamW (Loshchilov & Hutter, 2019) when
// `weightDecay` > 0, with the bias-corrected moments of the published rule:
//
//     m ← β₁ m + (1 − β₁) g          v ← β₂ v + (1 − β₂) g²
//     m̂ = m / (1 − β₁ᵗ)              v̂ = v / (1 − β₂ᵗ)
//     θ ← θ − α m̂ / (√v̂ + ε)
//
// AdamW decays the weights directly, θ ← θ − α λ θ, before the step, instead of
// adding λθ to g (which Adam's scaling would then distort). As everywhere in
// Backprop, biases are not decayed.

import Foundation

/// Adam, or AdamW with decoupled weight decay λ, for g = ∂J/∂θ, learning
/// rate α and t the 1-based step (states "m" and "v", starting at 0):
///
///     θ ← θ − α λ θ                              (AdamW, weights only)
///     m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
///     θ ← θ − α m̂ / (√v̂ + ε),  m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)
public struct Adam: Optimizer, UpdateRule, Equatable {
    /// β₁, the decay of the first-moment average.
    public var beta1: Float
    /// β₂, the decay of the second-moment average.
    public var beta2: Float
    /// ε, added to √v̂ so the step stays bounded where v̂ is near 0.
    public var epsilon: Float
    /// λ of AdamW's decoupled decay; 0 gives plain Adam.
    public var weightDecay: Float

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public var name: String { weightDecay > 0 ? "adamw" : "adam" }
    public var stateNames: [String] { ["m", "v"] }

    func update(_ slice: UpdateSlice, learningRate α: Float, step t: Int) {
        let θ = slice.parameters, g = slice.gradient, isWeight = slice.isWeight
        let m = slice.state[0], v = slice.state[1]
        let β1 = beta1, β2 = beta2, ε = epsilon
        // The corrections are per step, not per element: computed once, in double.
        let correction1 = Float(1 - pow(Double(β1), Double(t)))
        let correction2 = Float(1 - pow(Double(β2), Double(t)))
        let decay = α * weightDecay
        for i in slice.range {
            if decay != 0 { θ[i] -= decay * isWeight[i] * θ[i] }  // θ ← θ − α λ θ (AdamW)
            m[i] = β1 * m[i] + (1 - β1) * g[i]
            v[i] = β2 * v[i] + (1 - β2) * g[i] * g[i]
            let mHat = m[i] / correction1, vHat = v[i] / correction2
            θ[i] -= α * mHat / (vHat.squareRoot() + ε)
        }
    }
}
