// The optimizers a run can choose by name, with their settings.

/// Which update rule a run uses.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case sgd, adam, adamw, rmsprop
}
