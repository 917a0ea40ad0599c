// Owns the parameters θ and the optimizer state, and turns the reduced gradient
// sum into an update. Workers call `prepareGradient` and then `apply` on
// disjoint ranges at once, so the update is as parallel as the reduction before
// it. The store does not count steps: the trainer owns the step number and
// passes it in (Adam's bias correction needs it).

/// The flat parameter buffer (laid out by `ParameterLayout`) and its optimizer.
///
/// Internal to the engine; opened to the benchmark package through the
/// `Benchmarking` SPI so that it can time the real step.
@_spi(Benchmarking)
public final class ParameterStore: @unchecked Sendable {
    let layout: ParameterLayout
    let optimizer: any Optimizer
    /// L2 strength λ: J gains (λ / 2m) Σ‖W‖², biases excluded.
    let l2: Float

    private let rule: any UpdateRule
    private let parameters: Slab<Float>
    /// The optimizer's state, `optimizer.stateCount` buffers laid out like θ, back to back.
    private let state: Slab<Float>
    /// The start of each state buffer, in `stateNames` order, made once for `UpdateSlice`.
    private let stateBuffers: [UnsafeMutablePointer<Float>]
    /// For each index: 1 where the parameter is a weight (regularised), 0 for a bias.
    /// Precomputed so the update loop has no branches on the layout.
    private let isWeight: Slab<Float>

    @_spi(Benchmarking)
    public init(layout: ParameterLayout, initial: [Float], optimizer: any Optimizer, l2: Float) {
        precondition(initial.count == layout.count, "parameter count does not match the layout")
        self.layout = layout
        self.optimizer = optimizer
        self.l2 = l2
        rule = optimizer.rule
        parameters = Slab(copying: initial)
        let state = Slab<Float>(zeros: optimizer.stateCount * layout.count)
        self.state = state
        stateBuffers = (0..<optimizer.stateCount).map { state.view(($0 * layout.count)..<(($0 + 1) * layout.count)).baseAddress! }
        isWeight = Slab(zeros: layout.count)
        for range in layout.weightRanges {
            for i in range { isWeight[i] = 1 }
        }
    }

    /// A copy of the current parameters.
    var values: [Float] { parameters.copy() }

    /// A copy of the optimizer's state, `optimizer.stateCount` buffers back to back.
    var optimizerState: [Float] { state.copy() }

    /// Replaces the parameters and the optimizer state (for resuming).
    func restore(parameters values: [Float], optimizerState: [Float]) {
        precondition(values.count == layout.count && optimizerState.count == state.count)
        parameters.update(from: values)
        state.update(from: optimizerState)
    }

    /// Replaces the parameters only, keeping the optimizer state (restoring the best weights).
    func restore(parameters values: [Float]) {
        precondition(values.count == layout.count)
        parameters.update(from: values)
    }

    /// Read-only access to the parameters for a forward pass.
    var pointer: UnsafePointer<Float> { UnsafePointer(parameters.base) }

    /// Turns the gradient sum over a minibatch of `batchSize` examples into
    /// ∂J/∂θ = (1/m)(Σ_i ∂L_i/∂θ + λ W) in place over `range`, and writes the
    /// sum of squares of each `blockSize` block that starts in `range` to
    /// `blockSquares[block]`, for the global norm.
    ///
    /// `range` must start on a block boundary so that every block is summed
    /// whole, in index order, by one worker: the norm is then the same
    /// whatever the number of workers.
    func prepareGradient(
        _ g: UnsafeMutablePointer<Float>, batchSize m: Int, range: Range<Int>,
        blockSize: Int, blockSquares: UnsafeMutablePointer<Double>
    ) {
        precondition(range.lowerBound % blockSize == 0, "a gradient slice must start on a block boundary")
        let inverseM = 1 / Float(m), λ = l2, θ = parameters.base, mask = isWeight.base
        var blockStart = range.lowerBound
        while blockStart < range.upperBound {
            let blockEnd = min(blockStart + blockSize, range.upperBound)
            // ∂J/∂θ. Without L2 the mask and θ are not read at all: a third of
            // this loop's memory traffic.
            if λ == 0 {
                for i in blockStart..<blockEnd { g[i] *= inverseM }
            } else {
                for i in blockStart..<blockEnd { g[i] = (g[i] + λ * mask[i] * θ[i]) * inverseM }
            }
            blockSquares[blockStart / blockSize] = Double(Lanes.sumOfSquares(g, blockStart..<blockEnd))
            blockStart = blockEnd
        }
    }

    /// Applies update number `step` (1-based) of the optimizer over `range`,
    /// with gradient `scale` · g (gradient clipping), and says whether the
    /// parameters there are still finite.
    func apply(_ g: UnsafeMutablePointer<Float>, learningRate: Float, scale: Float, range: Range<Int>, step: Int) -> Bool {
        if scale != 1 {
            for i in range { g[i] *= scale }
        }
        let θ = parameters.base
        rule.update(
            UpdateSlice(parameters: θ, gradient: g, state: stateBuffers, isWeight: isWeight.base, range: range),
            learningRate: learningRate, step: step)
        return Lanes.allFinite(θ, range)
    }
}
