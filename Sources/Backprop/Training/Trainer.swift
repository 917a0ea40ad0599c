// The training loop: epochs of shuffled minibatches handed to the scheduler,
// the learning rate from its schedule, and at every epoch's end the held-out
// splits evaluated and early stopping decided.
//
// The data order of epoch e is a function of (seed, e) alone (a full
// permutation of a split in memory, the block sampler's draws when streamed), and the state
// between two steps is captured whole by `state`, so a run can stop anywhere
// and continue from a checkpoint to exactly the parameters it would have had.

import Foundation

/// The training split: held in memory, or streamed from its file.
public enum TrainingData: HeldOrStreamed {
    case memory(Dataset)
    case stream(StreamedSplit)

    /// Training examples.
    public var count: Int {
        switch self {
        case .memory(let dataset): dataset.count
        case .stream(let split): split.count
        }
    }

    /// Whether the split is read from its file block by block.
    public var isStreamed: Bool {
        if case .stream = self { true } else { false }
    }
}

/// Trains one model on one dataset.
public final class Trainer {
    public let architecture: Architecture
    public let configuration: TrainingConfiguration
    public let data: TrainingData
    public let validation: HeldOutData?
    public let test: HeldOutData?
    /// The scaling the data given was prepared with, recorded in the model and
    /// its checkpoints; the trainer itself applies none.
    public var inputScaling = InputScaling.identity

    let network: Network
    let store: ParameterStore
    let scheduler: Scheduler
    /// The one record of where the run stands (the step count included), but
    /// for the parameters and optimizer state: the store owns those, and
    /// `parameters` and `optimizerState` here stay empty.
    private var progress: TrainingState

    /// Starts a run from `model`'s parameters, or from a fresh initialisation.
    public convenience init(
        architecture: Architecture, configuration: TrainingConfiguration,
        train: Dataset, validation: Dataset? = nil, test: Dataset? = nil, model: Model? = nil,
        communicator: any Communicator = SingleProcess()
    ) throws {
        try self.init(architecture: architecture, configuration: configuration, data: .memory(train),
                      validation: validation, test: test, model: model, communicator: communicator)
    }

    /// Starts a run on `data`, held in memory or streamed.
    public convenience init(
        architecture: Architecture, configuration: TrainingConfiguration,
        data: TrainingData, validation: Dataset? = nil, test: Dataset? = nil, model: Model? = nil,
        communicator: any Communicator = SingleProcess()
    ) throws {
        try self.init(architecture: architecture, configuration: configuration, data: data,
                      validation: validation.map(HeldOutData.memory), test: test.map(HeldOutData.memory),
                      model: model, communicator: communicator)
    }

    /// Starts a run on `data`, evaluating validation and test splits held in memory or streamed.
    public convenience init(
        architecture: Architecture, configuration: TrainingConfiguration,
        data: TrainingData, validation: HeldOutData?, test: HeldOutData?, model: Model? = nil,
        communicator: any Communicator = SingleProcess()
    ) throws {
        if let model, model.architecture != architecture {
            throw ConfigurationError("the model's architecture \(model.architecture) is not the one to train, \(architecture)")
        }
        let parameters = model?.parameters
            ?? configuration.initialization.parameters(for: architecture, seed: configuration.seed)
        try self.init(architecture: architecture, configuration: configuration, data: data, validation: validation,
                      test: test, state: TrainingState(parameters: parameters, optimizerState: []),
                      communicator: communicator)
    }

    /// Continues a run on a split in memory from `state`.
    public convenience init(
        architecture: Architecture, configuration: TrainingConfiguration,
        train: Dataset, validation: Dataset? = nil, test: Dataset? = nil, state: TrainingState,
        communicator: any Communicator = SingleProcess()
    ) throws {
        try self.init(architecture: architecture, configuration: configuration, data: .memory(train),
                      validation: validation, test: test, state: state, communicator: communicator)
    }

    /// Continues a run on `data` from `state`, with validation and test splits in memory.
    public convenience init(
        architecture: Architecture, configuration: TrainingConfiguration,
        data: TrainingData, validation: Dataset? = nil, test: Dataset? = nil, state: TrainingState,
        communicator: any Communicator = SingleProcess()
    ) throws {
        try self.init(architecture: architecture, configuration: configuration, data: data,
                      validation: validation.map(HeldOutData.memory), test: test.map(HeldOutData.memory),
                      state: state, communicator: communicator)
    }

    /// Continues a run from `state` (e.g. read from a checkpoint). The
    /// configuration may differ from the original run only in `epochs`,
    /// `maxSteps` and `workers`, none of which changes what a step computes:
    /// the schedule keeps the span it was given when the run started
    /// (`scheduleSteps`), so steps past it run at the schedule's end rate.
    /// `configuration.stream` is taken from `data`.
    ///
    /// With a `communicator` of R ranks (under mpirun), every rank makes its
    /// own trainer on the same data and state and calls the same methods in the
    /// same order: each step, a rank computes its share of the micro-shards and
    /// the ranks exchange gradients (Distributed/), so every rank holds the
    /// parameters one process would. Evaluation is split across the ranks too.
    /// (A streamed split's blocks are each read by one rank and sent to the
    /// others: every rank draws the same minibatches and gathers its own
    /// shards' rows from them.)
    public init(
        architecture: Architecture, configuration: TrainingConfiguration,
        data: TrainingData, validation: HeldOutData?, test: HeldOutData?, state: TrainingState,
        communicator: any Communicator = SingleProcess()
    ) throws {
        var configuration = configuration
        if case .stream(let split) = data { configuration.stream = split.settings } else { configuration.stream = nil }
        try configuration.validate()
        if configuration.microBatch == nil {
            configuration.microBatch = TrainingConfiguration.defaultMicroBatch(batchSize: configuration.batchSize)
        }
        if configuration.scheduleSteps == nil {
            let byEpochs = configuration.epochs * Self.stepsPerEpoch(examples: data.count, batchSize: configuration.batchSize)
            configuration.scheduleSteps = configuration.maxSteps.map { min($0, byEpochs) } ?? byEpochs
        }
        for split in [validation, test].compactMap({ $0 }) { try split.validate(for: architecture) }
        switch data {
        case .memory(let train):
            try train.validate(for: architecture)
            guard train.count > 0 else { throw DatasetError(file: train.name, "has no training examples") }
            guard state.epochOrder.isEmpty || state.epochOrder.count == train.count else {
                throw DatasetError(file: train.name, "the run being resumed had \(state.epochOrder.count) training examples; this file has \(train.count)")
            }
        case .stream(let split):
            try split.validate(for: architecture)
            guard split.count > 0 else { throw DatasetError(file: split.name, "has no training examples") }
            guard state.epochOrder.isEmpty else {
                throw DatasetError(file: split.name, "the run being resumed held its data in memory; it cannot continue streamed")
            }
        }
        if configuration.earlyStoppingPatience != nil, validation == nil {
            throw ConfigurationError(
                setting: "earlyStoppingPatience",
                "earlyStoppingPatience needs validation data: a validationSplit above 0, or validation/x and validation/y in the file",
                related: ["validationSplit"])
        }
        try Self.checkEngineMemory(architecture, configuration, examples: data.count)
        self.architecture = architecture
        self.configuration = configuration
        self.data = data
        self.validation = validation
        self.test = test
        network = Network(architecture)
        let optimizer = configuration.optimizer
        store = ParameterStore(layout: network.layout, initial: state.parameters, optimizer: optimizer, l2: Float(configuration.l2))
        let expectedState = optimizer.stateCount * network.layout.count
        if !state.optimizerState.isEmpty || state.globalStep > 0 {
            guard state.optimizerState.count == expectedState else {
                throw ConfigurationError("optimizer state has \(state.optimizerState.count) values; \(optimizer.name) needs \(expectedState)")
            }
            store.restore(parameters: state.parameters, optimizerState: state.optimizerState)
        }
        guard state.bestParameters.isEmpty || state.bestParameters.count == network.layout.count else {
            throw ConfigurationError("the best parameters saved for early stopping do not fit \(architecture)")
        }
        let inMemory = if case .memory = data { true } else { false }
        try Self.checkPosition(
            of: state, stepsPerEpoch: Self.stepsPerEpoch(examples: data.count, batchSize: configuration.batchSize),
            examples: data.count, ordered: inMemory)
        progress = state
        progress.parameters = []
        progress.optimizerState = []
        let batch = min(configuration.batchSize, data.count)
        scheduler = Scheduler(
            architecture: architecture, store: store, workers: configuration.workers,
            microBatch: min(configuration.microBatch!, batch), maxBatch: batch, communicator: communicator)
        if case .stream(let split) = data {
            split.share(over: communicator)
            split.reserve(rows: batch)
        }
    }

    /// Streaming: bytes all ranks had read from the file when the last epoch ended.
    private var bytesReadBefore = 0

    /// The model as it stands.
    public var model: Model { Model(architecture: architecture, parameters: store.values, inputScaling: inputScaling) }

    /// Everything needed to continue this run exactly.
    public var state: TrainingState {
        var state = progress
        state.parameters = store.values
        state.optimizerState = store.optimizerState
        return state
    }

    /// Where this rank's step time went so far (with one process, "exchange"
    /// is the in-process tree sum of the slots).
    public var stepTimings: StepTimings { scheduler.stepTimings }

    /// The records of the epochs finished so far.
    public var history: [EpochRecord] { progress.history }
    /// Completed epochs, and steps taken in the current one.
    public var epochsDone: Int { progress.epochsDone }
    public var stepInEpoch: Int { progress.stepInEpoch }
    /// Optimizer steps taken in all.
    public var globalStep: Int { progress.globalStep }

    /// Steps in one epoch: ⌈N / m⌉.
    public var stepsPerEpoch: Int { Self.stepsPerEpoch(examples: data.count, batchSize: configuration.batchSize) }

    /// Refuses, before the engine is allocated, a run that cannot fit in
    /// memory: per parameter the initial values handed in, the store's weights
    /// and weight mask, the copy a checkpoint takes, the optimizer state and one
    /// gradient slot per micro-shard of a minibatch; per worker a workspace of
    /// micro-batch rows (a[0], z, a and delta of every layer, y).
    static func checkEngineMemory(
        _ architecture: Architecture, _ configuration: TrainingConfiguration, examples: Int
    ) throws {
        let parameters = ParameterLayout(architecture).count
        let batch = min(configuration.batchSize, max(examples, 1))
        let micro = min(configuration.microBatch ?? batch, batch)
        let slots = (batch + micro - 1) / micro
        let perParameter = 4 + configuration.optimizer.stateCount + slots
        let widths = architecture.layerSizes
        let rowWidth = widths[0] + 3 * widths.dropFirst().reduce(0, +) + widths[widths.count - 1]
        let bytes = MemoryBudget.sum([
            MemoryBudget.product([parameters, perParameter, MemoryLayout<Float>.size]),
            MemoryBudget.product([configuration.workers, micro, rowWidth, MemoryLayout<Float>.size]),
        ])
        try MemoryBudget.check(bytes, for: "training \(architecture.layerSizes.map(String.init).joined(separator: ",")) with \(configuration.optimizer.name), \(slots) gradient slots and \(configuration.workers) workers")
    }

    /// Refuses a position that these settings and data could not have reached:
    /// a step past the end of the epoch would never close it (the run would spin
    /// forever), and an epoch order that is not a permutation of the rows would
    /// gather rows that are not there. A split in memory is `ordered`: a run
    /// stopped mid-epoch saved its epoch's order (a streamed one saves the
    /// sampler's position instead, which its sampler checks).
    private static func checkPosition(of state: TrainingState, stepsPerEpoch: Int, examples: Int, ordered: Bool) throws {
        func fail(_ what: String) -> ConfigurationError {
            ConfigurationError("the saved training position does not fit these settings and data: \(what)")
        }
        guard state.globalStep >= 0, state.epochsDone >= 0, state.epochsSinceBest >= 0 else {
            throw fail("negative step or epoch counts")
        }
        guard state.stepInEpoch >= 0 && state.stepInEpoch < stepsPerEpoch else {
            throw fail("step \(state.stepInEpoch) within an epoch of \(stepsPerEpoch) steps")
        }
        guard !ordered || state.stepInEpoch == 0 || !state.epochOrder.isEmpty else {
            throw fail("a run stopped mid-epoch without its epoch order")
        }
        guard state.epochExamples >= 0, state.epochCorrect >= 0, state.epochCorrect <= state.epochExamples else {
            throw fail("\(state.epochCorrect) correct of \(state.epochExamples) examples in the epoch so far")
        }
        var seen = [Bool](repeating: false, count: state.epochOrder.isEmpty ? 0 : examples)
        for row in state.epochOrder {
            let index = Int(row)
            guard index >= 0 && index < examples && !seen[index] else {
                throw fail("the epoch order is not a permutation of the \(examples) training rows (row \(row))")
            }
            seen[index] = true
        }
    }

    static func stepsPerEpoch(examples: Int, batchSize: Int) -> Int { (examples + batchSize - 1) / batchSize }


    /// Whether the run has reached its epoch or step limit, or stopped early.
    public var isFinished: Bool { progress.epochsDone >= configuration.epochs || stepLimitReached || progress.stoppedEarly }

    /// The learning rate of 0-based step `step`.
    public func learningRate(atStep step: Int) -> Double {
        configuration.schedule.rate(
            base: configuration.learningRate, step: step, stepsPerEpoch: stepsPerEpoch,
            totalSteps: configuration.scheduleSteps ?? 0, warmupSteps: configuration.warmupSteps)
    }

    /// The order in which epoch `epoch` (1-based) visits the training rows
    /// held in memory.
    public func order(ofEpoch epoch: Int) -> [Int32] {
        guard configuration.shuffle else { return (0..<Int32(data.count)).map { $0 } }
        var generator = RandomGenerator(seed: configuration.seed, stream: RandomStream.shuffleBase + UInt64(epoch))
        return generator.permutation(count: data.count)
    }

    /// Trains until the run is finished, or until `shouldStop` returns true
    /// after a step, reporting each event to `onEvent` (`trainer.fit { event in … }`). The state is
    /// consistent at every event, so a checkpoint can be taken there.
    ///
    /// A non-finite loss or gradient throws `DivergenceError` before the
    /// step's update: the parameters stay those of the last good step. (An
    /// update that itself overflows Float, from a learning rate near 1e38,
    /// throws after it, with the step counted; a `Checkpointer` never saves
    /// such parameters, so the last checkpoint is the last good state.)
    @discardableResult
    public func fit(
        onEvent: (TrainingEvent) throws -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws -> [EpochRecord] {
        let epochs = configuration.epochs, batchSize = configuration.batchSize
        while !isFinished {
            let epoch = progress.epochsDone + 1
            switch data {
            case .memory: if progress.epochOrder.isEmpty { progress.epochOrder = order(ofEpoch: epoch) }
            case .stream(let split): try split.begin(epoch: epoch, rowsDone: progress.stepInEpoch * batchSize)
            }
            try onEvent(.epochBegan(epoch: epoch, epochs: epochs, steps: stepsPerEpoch))
            while progress.stepInEpoch < stepsPerEpoch, !stepLimitReached {
                let start = DispatchTime.now().uptimeNanoseconds
                let lower = progress.stepInEpoch * batchSize, upper = min(data.count, lower + batchSize)
                let step = progress.globalStep + 1
                let rate = learningRate(atStep: progress.globalStep)
                let result: StepResult
                switch data {
                case .memory(let train):
                    result = try progress.epochOrder.withUnsafeBufferPointer { order in
                        try scheduler.trainStep(
                            train, batch: UnsafeBufferPointer(rebasing: order[lower..<upper]), step: step,
                            learningRate: Float(rate), clipNorm: configuration.clipGradientNorm)
                    }
                case .stream(let split):
                    let waited = split.dataWaitSeconds
                    let batch = try split.next(rows: upper - lower)
                    progress.epochDataWaitSeconds += split.dataWaitSeconds - waited
                    result = try scheduler.trainStep(batch, step: step, learningRate: Float(rate),
                                                     clipNorm: configuration.clipGradientNorm)
                }
                // The update was applied: the step counts, even when it overflowed.
                progress.globalStep = step
                guard result.parametersFinite else {
                    throw DivergenceError(step: step, what: "update (it overflowed Float's range)")
                }
                progress.epochSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                progress.epochLossSum += result.lossSum
                progress.epochCorrect += result.correct
                progress.epochExamples += result.examples
                progress.stepInEpoch += 1
                let epochDone = progress.stepInEpoch == stepsPerEpoch
                if epochDone {
                    try onEvent(.epochEnded(try finishEpoch(epoch, learningRate: rate)))
                    if progress.stoppedEarly, let best = bestEpoch {
                        try onEvent(.stoppedEarly(epoch: epoch, bestEpoch: best))
                    }
                } else {
                    try onEvent(.stepEnded(progress(epoch: epoch, epochs: epochs, learningRate: rate)))
                }
                if shouldStop() {
                    try onEvent(.finished)
                    return history
                }
                if epochDone { break }
            }
        }
        restoreBestParameters()
        try onEvent(.finished)
        return history
    }

    private var stepLimitReached: Bool {
        configuration.maxSteps.map { progress.globalStep >= $0 } ?? false
    }

    /// The epoch whose parameters early stopping keeps.
    private var bestEpoch: Int? {
        guard let best = progress.bestValidationLoss else { return nil }
        return progress.history.last { $0.validationLoss == best }?.epoch
    }

    private func progress(epoch: Int, epochs: Int, learningRate: Double) -> StepProgress {
        let p = progress
        return StepProgress(
            epoch: epoch, epochs: epochs, stepInEpoch: p.stepInEpoch, stepsInEpoch: stepsPerEpoch,
            globalStep: p.globalStep,
            loss: p.epochLossSum / Double(p.epochExamples), accuracy: Double(p.epochCorrect) / Double(p.epochExamples),
            samplesPerSecond: Double(p.epochExamples) / max(p.epochSeconds, 1e-9), learningRate: learningRate,
            elapsed: p.epochSeconds)
    }

    /// Closes the epoch: evaluates the held-out splits, records the metrics,
    /// decides early stopping, and moves the state to the next epoch's boundary.
    private func finishEpoch(_ epoch: Int, learningRate: Double) throws -> EpochRecord {
        let validation = try self.validation.map { Evaluation(try scheduler.evaluate($0), examples: $0.count) }
        let test = try self.test.map { Evaluation(try scheduler.evaluate($0), examples: $0.count) }
        let p = progress
        var record = EpochRecord(
            epoch: epoch, step: p.globalStep,
            trainLoss: p.epochLossSum / Double(p.epochExamples),
            trainAccuracy: Double(p.epochCorrect) / Double(p.epochExamples),
            testLoss: test?.loss, testAccuracy: test?.accuracy,
            samplesPerSecond: Double(p.epochExamples) / max(p.epochSeconds, 1e-9),
            seconds: p.epochSeconds, learningRate: learningRate)
        record.validationLoss = validation?.loss
        record.validationAccuracy = validation?.accuracy
        if case .stream(let split) = data {
            record.dataWaitSeconds = p.epochDataWaitSeconds
            let bytes = split.bytesReadByRank().reduce(0, +)
            record.dataReadBytes = bytes - bytesReadBefore
            bytesReadBefore = bytes
        }
        progress.history.append(record)
        progress.epochsDone += 1
        progress.stepInEpoch = 0
        progress.epochOrder = []
        progress.epochLossSum = 0
        progress.epochCorrect = 0
        progress.epochExamples = 0
        progress.epochSeconds = 0
        progress.epochDataWaitSeconds = 0
        if let patience = configuration.earlyStoppingPatience, let loss = validation?.loss {
            if loss < (progress.bestValidationLoss ?? .infinity) {
                progress.bestValidationLoss = loss
                progress.bestParameters = store.values
                progress.epochsSinceBest = 0
            } else {
                progress.epochsSinceBest += 1
                if progress.epochsSinceBest >= patience {
                    progress.stoppedEarly = true
                    restoreBestParameters()
                }
            }
        }
        return record
    }

    /// With early stopping, the run ends on the parameters with the lowest
    /// validation loss. Idempotent.
    private func restoreBestParameters() {
        guard configuration.earlyStoppingPatience != nil, !progress.bestParameters.isEmpty else { return }
        store.restore(parameters: progress.bestParameters)
    }

    /// Loss and accuracy of the current model on `dataset`.
    public func evaluate(_ dataset: Dataset) throws -> Evaluation {
        try dataset.validate(for: architecture)
        return Evaluation(scheduler.evaluate(dataset), examples: dataset.count)
    }

    /// Loss and accuracy of the current model on a split held in memory or streamed.
    public func evaluate(_ split: HeldOutData) throws -> Evaluation {
        try split.validate(for: architecture)
        return Evaluation(try scheduler.evaluate(split), examples: split.count)
    }
}
