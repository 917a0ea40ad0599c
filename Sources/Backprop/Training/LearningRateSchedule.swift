// The learning rate α as a function of the optimizer step, with an optional
// linear warm-up. Epoch-based schedules change the rate at epoch boundaries, as
// PyTorch's StepLR and ExponentialLR do when stepped once an epoch; cosine
// anneals smoothly over every step of the run.
//
//   constant      α
//   step          α · γ^⌊epoch / decayEpochs⌋
//   exponential   α · γ^epoch
//   cosine        α_min + (α − α_min) · (1 + cos(π t / (T − 1))) / 2   t, T counted after warm-up
//   warm-up       α_schedule(t) · (t + 1) / warmupSteps               for t < warmupSteps

import Foundation

/// How the learning rate changes over a run.
public enum LearningRateSchedule: Hashable, Sendable {
    case constant
    /// Multiply by `gamma` every `everyEpochs` epochs.
    case step(everyEpochs: Int, gamma: Double)
    /// Multiply by `gamma` every epoch.
    case exponential(gamma: Double)
    /// Anneal from α to `minimum` along half a cosine over the run.
    case cosine(minimum: Double)

    public var name: String {
        switch self {
        case .constant: "constant"
        case .step: "step"
        case .exponential: "exponential"
        case .cosine: "cosine"
        }
    }

    /// The rate for 0-based optimizer step `t` of a run of `totalSteps` steps
    /// with `stepsPerEpoch` steps an epoch.
    public func rate(
        base α: Double, step t: Int, stepsPerEpoch: Int, totalSteps: Int, warmupSteps: Int
    ) -> Double {
        let epoch = t / max(stepsPerEpoch, 1)
        let scheduled: Double
        switch self {
        case .constant:
            scheduled = α
        case .step(let every, let γ):
            scheduled = α * pow(γ, Double(epoch / max(every, 1)))
        case .exponential(let γ):
            scheduled = α * pow(γ, Double(epoch))
        case .cosine(let minimum):
            // Steps t = w … T−1 map to progress 0 … 1, so the last step runs at the minimum.
            let span = max(totalSteps - warmupSteps - 1, 1)
            let progress = min(max(Double(t - warmupSteps) / Double(span), 0), 1)
            scheduled = minimum + (α - minimum) * (1 + cos(.pi * progress)) / 2
        }
        guard t < warmupSteps else { return scheduled }
        return scheduled * Double(t + 1) / Double(warmupSteps)
    }
}
