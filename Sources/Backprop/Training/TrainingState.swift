// Everything that changes as training runs, beyond the fixed settings: with the
// settings and the data, this is enough to continue a run bitwise exactly.

/// The state of a training run between two steps.
public struct TrainingState: Sendable, Equatable {
    /// θ, laid out by `ParameterLayout`.
    public var parameters: [Float]
    /// The optimizer's per-parameter state (e.g. momentum), `stateCount` buffers back to back.
    public var optimizerState: [Float]
    /// Optimizer steps taken in all.
    public var globalStep: Int
    /// Epochs completed, and steps taken in the one under way.
    public var epochsDone: Int
    public var stepInEpoch: Int
    /// The order of the training rows in the epoch under way (empty at an epoch boundary).
    /// Kept rather than recomputed so a resumed run never depends on how it was drawn.
    public var epochOrder: [Int32]
    /// Running sums over the epoch under way, so its record comes out as if never interrupted.
    public var epochLossSum: Double
    public var epochCorrect: Int
    public var epochExamples: Int
    public var epochSeconds: Double
    /// Seconds the epoch under way has waited for streamed data.
    public var epochDataWaitSeconds: Double = 0
    /// The records of the epochs completed.
    public var history: [EpochRecord]
    /// Early stopping: the lowest validation loss at an epoch's end, the
    /// parameters that had it, and the epochs since.
    public var bestValidationLoss: Double? = nil
    public var bestParameters: [Float] = []
    public var epochsSinceBest = 0
    /// True once early stopping ended the run.
    public var stoppedEarly = false

    public init(
        parameters: [Float], optimizerState: [Float], globalStep: Int = 0, epochsDone: Int = 0, stepInEpoch: Int = 0,
        epochOrder: [Int32] = [], epochLossSum: Double = 0, epochCorrect: Int = 0, epochExamples: Int = 0,
        epochSeconds: Double = 0, history: [EpochRecord] = []
    ) {
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.globalStep = globalStep
        self.epochsDone = epochsDone
        self.stepInEpoch = stepInEpoch
        self.epochOrder = epochOrder
        self.epochLossSum = epochLossSum
        self.epochCorrect = epochCorrect
        self.epochExamples = epochExamples
        self.epochSeconds = epochSeconds
        self.history = history
    }
}
