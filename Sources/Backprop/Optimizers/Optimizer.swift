// The update rule that turns ∂J/∂θ into new parameters. Optimizers are separate
// from the network: each declares the state it keeps per parameter (momentum,
// moment estimates), and the parameter store owns that state.
//
// Two protocols, on purpose. `Optimizer` is public: it is what a configuration,
// a checkpoint and a user see (a name, the names of the state buffers), and
// SGD, Adam and RMSprop are public structs conforming to it, each a set of
// hyperparameters. `UpdateRule` is internal: the update itself works on raw
// pointers into the parameter store's slabs, which are not API, and which rules
// exist is Backprop's choice (`OptimizerKind`), so users configure the rules but
// do not write new ones. Every `Optimizer` Backprop makes is an `UpdateRule`.

/// One of Backprop's update rules, as configuration: SGD, Adam (and AdamW) or RMSprop.
///
/// Backprop's own structs are the only conformances; another type conforming
/// to it cannot be trained with.
public protocol Optimizer: Sendable {
    /// The name used on the command line and in checkpoints.
    var name: String { get }
    /// The names of the state buffers kept per parameter, e.g. ["velocity"]
    /// for SGD with momentum; a checkpoint stores each under its name.
    var stateNames: [String] { get }
}

extension Optimizer {
    /// State values kept per parameter.
    public var stateCount: Int { stateNames.count }

    /// The update rule this configuration describes.
    var rule: any UpdateRule {
        guard let rule = self as? any UpdateRule else {
            preconditionFailure("\(name) is not one of Backprop's optimizers (SGD, Adam, RMSprop)")
        }
        return rule
    }
}

/// What one update works on: the range of the flat parameter buffer it may
/// touch, and the buffers laid out like the parameters. The buffers are views
/// of the parameter store's slabs: an update writes θ and the state in place.
struct UpdateSlice {
    /// θ.
    let parameters: UnsafeMutablePointer<Float>
    /// g = ∂J/∂θ, after any clipping.
    let gradient: UnsafePointer<Float>
    /// The optimizer's state, one buffer per entry of `stateNames`, in that order.
    let state: [UnsafeMutablePointer<Float>]
    /// 1 where θ is a weight, 0 for a bias, for rules that decay weights only.
    let isWeight: UnsafePointer<Float>
    /// The indices the update reads and writes; nothing outside it.
    let range: Range<Int>
}

/// An update rule applied to one slice of the parameters.
///
/// `update` is called by several workers at once on disjoint ranges, so it must
/// touch only the elements in `slice.range`.
protocol UpdateRule: Optimizer {
    /// θ ← update(θ, g) over `slice.range`, with learning rate α; `step` is the
    /// 1-based number of this update (t of Adam's bias correction).
    func update(_ slice: UpdateSlice, learningRate α: Float, step: Int)
}
