// The training loop: epochs of shuffled minibatches handed to the scheduler,
// with the test split evaluated at every epoch's end.
//
// The data order of epoch e is a function of (seed, e) alone, so any position
// in a run (epoch, step within it) is enough to continue it exactly.

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
    /// Running sums over the current epoch, so a partial epoch reports exactly.
    private var epochLossSum = 0.0, epochCorrect = 0, epochExamples = 0, epochSeconds = 0.0

    /// - Parameter model: start from these parameters instead of a fresh initialisation.
    public init(
        architecture: Architecture, configuration: TrainingConfiguration,
        train: Dataset, test: Dataset? = nil, model: Model? = nil
    ) throws {
        try configuration.validate()
        try train.validate(for: architecture)
        try test?.validate(for: architecture)
        guard train.count > 0 else { throw DatasetError(file: train.name, "has no training examples") }
        if let model, model.architecture != architecture {
            throw ConfigurationError("the model's architecture \(model.architecture) is not the one to train, \(architecture)")
        }
        self.architecture = architecture
        self.configuration = configuration
        self.train = train
        self.test = test
        network = Network(architecture)
        let initial = model?.parameters
            ?? configuration.initialization.parameters(for: architecture, seed: configuration.seed)
        store = ParameterStore(
            layout: network.layout, initial: initial, optimizer: configuration.optimizer, l2: Float(configuration.l2))
        let batch = min(configuration.batchSize, train.count)
        scheduler = Scheduler(
            network: network, store: store, workers: configuration.workers,
            microBatch: min(configuration.microBatch, batch), maxBatch: batch)
    }

    /// The model as it stands.
    public var model: Model { Model(architecture: architecture, parameters: store.values) }

    /// Optimizer steps taken in all.
    public var globalStep: Int { store.step }

    /// Steps in one epoch: ⌈N / m⌉.
    public var stepsPerEpoch: Int { (train.count + configuration.batchSize - 1) / configuration.batchSize }

    /// The order in which epoch `epoch` (1-based) visits the training rows.
    public func order(ofEpoch epoch: Int) -> [Int32] {
        guard configuration.shuffle else { return (0..<Int32(train.count)).map { $0 } }
        var generator = RandomGenerator(seed: configuration.seed, stream: RandomStream.shuffleBase + UInt64(epoch))
        return generator.permutation(count: train.count)
    }

    /// Trains until `configuration.epochs` epochs or `configuration.maxSteps`
    /// steps are done, reporting each event to `onEvent`.
    @discardableResult
    public func fit(onEvent: (TrainingEvent) throws -> Void = { _ in }) throws -> [EpochRecord] {
        let epochs = configuration.epochs, batchSize = configuration.batchSize
        let learningRate = Float(configuration.learningRate)
        while epochsDone < epochs, !stepLimitReached {
            let epoch = epochsDone + 1
            let order = self.order(ofEpoch: epoch)
            try onEvent(.epochBegan(epoch: epoch, epochs: epochs, steps: stepsPerEpoch))
            try order.withUnsafeBufferPointer { order in
                while stepInEpoch < stepsPerEpoch, !stepLimitReached {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let lower = stepInEpoch * batchSize, upper = min(order.count, lower + batchSize)
                    let batch = UnsafeBufferPointer(rebasing: order[lower..<upper])
                    let result = try scheduler.trainStep(train, batch: batch, learningRate: learningRate)
                    epochSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    epochLossSum += result.lossSum
                    epochCorrect += result.correct
                    epochExamples += result.examples
                    stepInEpoch += 1
                    try onEvent(.stepEnded(progress(epoch: epoch, epochs: epochs)))
                }
            }
            guard stepInEpoch > 0 else { break }
            try onEvent(.epochEnded(finishEpoch(epoch, complete: stepInEpoch == stepsPerEpoch)))
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

    private func finishEpoch(_ epoch: Int, complete: Bool) -> EpochRecord {
        let evaluation = test.map { Evaluation(scheduler.evaluate($0), examples: $0.count) }
        let record = EpochRecord(
            epoch: epoch, step: store.step,
            trainLoss: epochLossSum / Double(epochExamples),
            trainAccuracy: Double(epochCorrect) / Double(epochExamples),
            testLoss: evaluation?.loss, testAccuracy: evaluation?.accuracy,
            samplesPerSecond: Double(epochExamples) / max(epochSeconds, 1e-9),
            seconds: epochSeconds, learningRate: configuration.learningRate)
        history.append(record)
        if complete {
            epochsDone += 1
            stepInEpoch = 0
        }
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
