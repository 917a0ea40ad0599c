// The update rule that turns ∂J/∂θ into new parameters. Optimizers are separate
// from the network: each declares the state it keeps per parameter (momentum,
// moment estimates), and the parameter store owns that state.

/// An update rule applied to a range of the flat parameter buffer.
///
/// `update` is called by several workers at once on disjoint ranges, so it must
/// touch only the elements in its range.
public protocol Optimizer: Sendable {
    /// The name used on the command line and in checkpoints.
    var name: String { get }
    /// The names of the state buffers kept per parameter, e.g. ["velocity"]
    /// for SGD with momentum; a checkpoint stores each under its name.
    var stateNames: [String] { get }
    /// θ ← update(θ, g) over `range`, where g = ∂J/∂θ.
    ///
    /// - Parameters:
    ///   - state: `stateCount` buffers of `stateStride` values, back to back,
    ///     each laid out like the parameters.
    ///   - isWeight: 1 for a weight, 0 for a bias, for rules that decay weights only.
    ///   - step: the 1-based number of this update.
    func update(
        parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, stateStride: Int, isWeight: UnsafePointer<Float>,
        range: Range<Int>, learningRate: Float, step: Int)
}

extension Optimizer {
    /// State values kept per parameter.
    public var stateCount: Int { stateNames.count }
}
