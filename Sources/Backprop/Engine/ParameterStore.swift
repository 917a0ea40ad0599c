// Owns the weights and the optimizer state, and applies an update from the
// reduced gradient sum. Workers call `update` on disjoint ranges at once, so
// the update is as parallel as the reduction before it.

/// The flat parameter buffer (laid out by `ParameterLayout`) and its optimizer.
public final class ParameterStore: @unchecked Sendable {
    public let layout: ParameterLayout
    public let optimizer: any Optimizer
    /// L2 strength λ: J gains (λ / 2m) Σ‖W‖², biases excluded.
    public let l2: Float
    /// Updates applied so far.
    public private(set) var step = 0

    let parameters: UnsafeMutableBufferPointer<Float>
    private let state: UnsafeMutableBufferPointer<Float>
    let stateStride: Int
    /// For each index: 1 where the parameter is a weight (regularised), 0 for a bias.
    /// Precomputed so the update loop has no branches on the layout.
    private let regularised: UnsafeMutableBufferPointer<Float>

    public init(layout: ParameterLayout, initial: [Float], optimizer: any Optimizer, l2: Float) {
        precondition(initial.count == layout.count, "parameter count does not match the layout")
        self.layout = layout
        self.optimizer = optimizer
        self.l2 = l2
        parameters = .allocate(capacity: layout.count)
        _ = parameters.initialize(from: initial)
        stateStride = layout.count
        state = .allocate(capacity: max(1, optimizer.stateCount * layout.count))
        state.initialize(repeating: 0)
        regularised = .allocate(capacity: layout.count)
        regularised.initialize(repeating: 0)
        for range in layout.weightRanges {
            for i in range { regularised[i] = 1 }
        }
    }

    deinit {
        parameters.deallocate()
        state.deallocate()
        regularised.deallocate()
    }

    /// A copy of the current parameters.
    public var values: [Float] { Array(parameters) }

    /// The optimizer's state, `optimizer.stateCount` buffers back to back.
    public var optimizerState: [Float] { Array(state.prefix(optimizer.stateCount * layout.count)) }

    /// Replaces the parameters, the optimizer state and the step count (for resuming).
    public func restore(parameters values: [Float], optimizerState: [Float], step: Int) {
        precondition(values.count == layout.count && optimizerState.count == optimizer.stateCount * layout.count)
        _ = UnsafeMutableBufferPointer(rebasing: parameters[...]).update(from: values)
        _ = UnsafeMutableBufferPointer(rebasing: state[0..<optimizerState.count]).update(from: optimizerState)
        self.step = step
    }

    /// Replaces the parameters only, keeping the optimizer state (restoring the best weights).
    public func restore(parameters values: [Float]) {
        precondition(values.count == layout.count)
        _ = UnsafeMutableBufferPointer(rebasing: parameters[...]).update(from: values)
    }

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
        let inverseM = 1 / Float(m), λ = l2, θ = parameters.baseAddress!, mask = regularised.baseAddress!
        var blockStart = range.lowerBound
        while blockStart < range.upperBound {
            let blockEnd = min(blockStart + blockSize, range.upperBound)
            var squares: Float = 0
            for i in blockStart..<blockEnd {
                g[i] = (g[i] + λ * mask[i] * θ[i]) * inverseM  // ∂J/∂θ
                squares += g[i] * g[i]
            }
            blockSquares[blockStart / blockSize] = Double(squares)
            blockStart = blockEnd
        }
    }

    /// Applies the optimizer over `range` with gradient `scale` · g (gradient
    /// clipping), and says whether the parameters there are still finite;
    /// call `finishStep()` once after every range is done.
    func apply(_ g: UnsafeMutablePointer<Float>, learningRate: Float, scale: Float, range: Range<Int>) -> Bool {
        if scale != 1 {
            for i in range { g[i] *= scale }
        }
        let θ = parameters.baseAddress!
        optimizer.update(
            parameters: θ, gradient: g, state: state.baseAddress!, stateStride: stateStride,
            isWeight: regularised.baseAddress!, range: range, learningRate: learningRate, step: step + 1)
        // θ · 0 is 0 for every finite θ and NaN for ±∞ and NaN: one multiply-add per
        // element, with no branch in the loop.
        var probe: Float = 0
        for i in range { probe += θ[i] * 0 }
        return probe == 0
    }

    func finishStep() { step += 1 }

    /// Read-only access to the parameters for a forward pass.
    var pointer: UnsafePointer<Float> { UnsafePointer(parameters.baseAddress!) }
}
