// What a training run reports while it runs, for progress bars and logs.

/// Progress within an epoch, after a step.
public struct StepProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    /// 1-based step within the epoch, and the epoch's step count.
    public var stepInEpoch: Int
    public var stepsInEpoch: Int
    /// Optimizer steps taken in all.
    public var globalStep: Int
    /// Running mean loss and accuracy over the epoch so far.
    public var loss: Double
    public var accuracy: Double
    public var samplesPerSecond: Double
    /// The learning rate of the step just taken.
    public var learningRate: Double
    /// Seconds since the epoch began.
    public var elapsed: Double
}

/// An event of a training run, in the order they happen.
public enum TrainingEvent: Sendable {
    case epochBegan(epoch: Int, epochs: Int, steps: Int)
    case stepEnded(StepProgress)
    case epochEnded(EpochRecord)
    /// Early stopping ended the run after `epoch`; the parameters of `bestEpoch` are restored.
    case stoppedEarly(epoch: Int, bestEpoch: Int)
    /// `fit` is about to return: the run is over (`trainer.isFinished`), or
    /// `shouldStop` asked it to stop. The last event of every `fit` that does
    /// not throw, sent even when there was nothing left to train. The state is
    /// final (with early stopping, the best parameters are restored by now), so
    /// this is where a run's last checkpoint is taken: `Checkpointer` writes one
    /// here unless it has just written this very state.
    case finished
}
