// The training loop: epochs of shuffled minibatches handed to the scheduler,
// with the test split evaluated at every epoch's end.
//
// The data order of epoch e is a function of (seed, e) alone, and the state
// between two steps is captured whole by `state`, so a run can stop anywhere
// and continue from a checkpoint to exactly the parameters it would have had.

import Foundation

/// Trains one model on one dataset.
public final class Trainer {
    public let architecture: Architecture
    public let configuration: TrainingConfiguration
    public let train: Dataset
    public let test: Dataset?

    let network: Network
    let store: ParameterStore
    let scheduler: Scheduler

    /// The records of the epochs finished so far.
    public private(set) var history: [EpochRecord] = []
    /// Completed epochs, and steps taken in the current one.
    public private(set) var epochsDone = 0
    public private(set) var stepInEpoch = 0
    /// The current epoch's row order; empty between epochs.
    private var epochOrder: [Int32] = []
    /// Running sums over the current epoch.
    private var epochLossSum = 0.0, epochCorrect = 0, epochExamples = 0, epochSeconds = 0.0

    /// - Parameter model: start from these parameters instead of a fresh initialisation.
    public convenience init(
        architecture: Architecture, configuration: TrainingConfiguration,
        train: Dataset, test: Dataset? = nil, model: Model? = nil
    ) throws {
        if let model, model.architecture != architecture {
            throw ConfigurationError("the model's architecture \(model.architecture) is not the one to train, \(architecture)")
        }
        let parameters = model?.parameters
            ?? configuration.initialization.parameters(for: architecture, seed: configuration.seed)
        try self.init(architecture: architecture, configuration: configuration, train: train, test: test,
                      state: TrainingState(parameters: parameters, optimizerState: []))
    }

    /// Continues a run from `state` (e.g. read from a checkpoint). The
    /// configuration may differ from the original run only in `epochs`,
    /// `maxSteps` and `workers`, none of which changes what a step computes.
    public init(
        architecture: Architecture, configuration: TrainingConfiguration,
        train: Dataset, test: Dataset? = nil, state: TrainingState
    ) throws {
        try configuration.validate()
        try train.validate(for: architecture)
        try test?.validate(for: architecture)
        guard train.count > 0 else { throw DatasetError(file: train.name, "has no training examples") }
        self.architecture = architecture
        self.configuration = configuration
        self.train = train
        self.test = test
        network = Network(architecture)
        let optimizer = configuration.optimizer
        store = ParameterStore(layout: network.layout, initial: state.parameters, optimizer: optimizer, l2: Float(configuration.l2))
        let expectedState = optimizer.stateCount * network.layout.count
        if !state.optimizerState.isEmpty || state.globalStep > 0 {
            guard state.optimizerState.count == expectedState else {
                throw ConfigurationError("optimizer state has \(state.optimizerState.count) values; \(optimizer.name) needs \(expectedState)")
            }
            store.restore(parameters: state.parameters, optimizerState: state.optimizerState, step: state.globalStep)
        }
        guard state.epochOrder.isEmpty || state.epochOrder.count == train.count else {
            throw DatasetError(file: train.name, "the run being resumed had \(state.epochOrder.count) training examples; this file has \(train.count)")
        }
        history = state.history
        epochsDone = state.epochsDone
        stepInEpoch = state.stepInEpoch
        epochOrder = state.epochOrder
        epochLossSum = state.epochLossSum
        epochCorrect = state.epochCorrect
        epochExamples = state.epochExamples
        epochSeconds = state.epochSeconds
        let batch = min(configuration.batchSize, train.count)
        scheduler = Scheduler(
            network: network, store: store, workers: configuration.workers,
            microBatch: min(configuration.microBatch, batch), maxBatch: batch)
    }

    /// The model as it stands.
    public var model: Model { Model(architecture: architecture, parameters: store.values) }

    /// Everything needed to continue this run exactly.
    public var state: TrainingState {
        TrainingState(
            parameters: store.values, optimizerState: store.optimizerState, globalStep: store.step,
            epochsDone: epochsDone, stepInEpoch: stepInEpoch, epochOrder: epochOrder,
            epochLossSum: epochLossSum, epochCorrect: epochCorrect, epochExamples: epochExamples,
            epochSeconds: epochSeconds, history: history)
    }

    /// Optimizer steps taken in all.
    public var globalStep: Int { store.step }

    /// Steps in one epoch: ⌈N / m⌉.
    public var stepsPerEpoch: Int { (train.count + configuration.batchSize - 1) / configuration.batchSize }

    /// Whether the run has reached its epoch or step limit.
    public var isFinished: Bool { epochsDone >= configuration.epochs || stepLimitReached }

    /// The order in which epoch `epoch` (1-based) visits the training rows.
    public func order(ofEpoch epoch: Int) -> [Int32] {
        guard configuration.shuffle else { return (0..<Int32(train.count)).map { $0 } }
        var generator = RandomGenerator(seed: configuration.seed, stream: RandomStream.shuffleBase + UInt64(epoch))
        return generator.permutation(count: train.count)
    }

    /// Trains until `configuration.epochs` epochs or `configuration.maxSteps`
    /// steps are done, or until `shouldStop` returns true after a step,
    /// reporting each event to `onEvent`. The state is consistent at every event.
    @discardableResult
    public func fit(
        shouldStop: () -> Bool = { false },
        onEvent: (TrainingEvent) throws -> Void = { _ in }
    ) throws -> [EpochRecord] {
        let epochs = configuration.epochs, batchSize = configuration.batchSize
        let learningRate = Float(configuration.learningRate)
        while !isFinished {
            let epoch = epochsDone + 1
            if epochOrder.isEmpty { epochOrder = order(ofEpoch: epoch) }
            try onEvent(.epochBegan(epoch: epoch, epochs: epochs, steps: stepsPerEpoch))
            while stepInEpoch < stepsPerEpoch, !stepLimitReached {
                let start = DispatchTime.now().uptimeNanoseconds
                let lower = stepInEpoch * batchSize, upper = min(epochOrder.count, lower + batchSize)
                let result = try epochOrder.withUnsafeBufferPointer { order in
                    try scheduler.trainStep(train, batch: UnsafeBufferPointer(rebasing: order[lower..<upper]), learningRate: learningRate)
                }
                epochSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                epochLossSum += result.lossSum
                epochCorrect += result.correct
                epochExamples += result.examples
                stepInEpoch += 1
                let epochDone = stepInEpoch == stepsPerEpoch
                if epochDone {
                    try onEvent(.epochEnded(finishEpoch(epoch)))
                } else {
                    try onEvent(.stepEnded(progress(epoch: epoch, epochs: epochs)))
                }
                if shouldStop() { return history }
                if epochDone { break }
            }
        }
        return history
    }

    private var stepLimitReached: Bool {
        configuration.maxSteps.map { store.step >= $0 } ?? false
    }

    private func progress(epoch: Int, epochs: Int) -> StepProgress {
        StepProgress(
            epoch: epoch, epochs: epochs, stepInEpoch: stepInEpoch, stepsInEpoch: stepsPerEpoch,
            globalStep: store.step,
            loss: epochLossSum / Double(epochExamples), accuracy: Double(epochCorrect) / Double(epochExamples),
            samplesPerSecond: Double(epochExamples) / max(epochSeconds, 1e-9), elapsed: epochSeconds)
    }

    /// Closes the epoch: evaluates the test split, records the metrics and
    /// moves the state to the next epoch's boundary.
    private func finishEpoch(_ epoch: Int) -> EpochRecord {
        let evaluation = test.map { Evaluation(scheduler.evaluate($0), examples: $0.count) }
        let record = EpochRecord(
            epoch: epoch, step: store.step,
            trainLoss: epochLossSum / Double(epochExamples),
            trainAccuracy: Double(epochCorrect) / Double(epochExamples),
            testLoss: evaluation?.loss, testAccuracy: evaluation?.accuracy,
            samplesPerSecond: Double(epochExamples) / max(epochSeconds, 1e-9),
            seconds: epochSeconds, learningRate: configuration.learningRate)
        history.append(record)
        epochsDone += 1
        stepInEpoch = 0
        epochOrder = []
        epochLossSum = 0
        epochCorrect = 0
        epochExamples = 0
        epochSeconds = 0
        return record
    }

    /// Loss and accuracy of the current model on `dataset`.
    public func evaluate(_ dataset: Dataset) throws -> Evaluation {
        try dataset.validate(for: architecture)
        return Evaluation(scheduler.evaluate(dataset), examples: dataset.count)
    }
}
