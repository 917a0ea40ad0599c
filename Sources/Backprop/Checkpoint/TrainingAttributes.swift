// The attributes of a checkpoint's /training group, in one table that the
// writer and the reader both walk: each row names an attribute, its stored type,
// how to take its value from a run and how to put it back. A setting added to
// TrainingConfiguration needs one row here and nothing else in either direction.

/// What /training describes: a run's settings, its position and early
/// stopping's memory, and what `resume` needs to carry on (paths, policy).
/// Parameters, optimizer state, the epoch's row order and the history are
/// datasets, read and written beside the table.
struct TrainingRecord {
    var configuration = TrainingConfiguration()
    var state = TrainingState(parameters: [], optimizerState: [])
    var dataset: String?
    var log: String?
    var checkpointEvery: Int?
    var keep = 0
}

/// One attribute of /training.
struct TrainingAttribute: Sendable {
    enum Value: Equatable {
        case int(Int), double(Double), string(String)
    }

    enum Kind: Sendable {
        case int, double, string
    }

    let name: String
    let kind: Kind
    /// Whether a checkpoint that holds only a model stores it too.
    let storedWithModel: Bool
    /// Whether checkpoints written before the row existed may lack it; the
    /// record's default then stands (a split in memory, no data wait).
    var optionalInOlderCheckpoints = false
    /// The value to store, or nil when this record stores none: the parameter of
    /// another schedule, a path that was not given.
    let value: @Sendable (TrainingRecord) -> Value?
    /// Puts a stored value back, or throws `TrainingAttribute.Invalid` for one that cannot be right.
    let restore: @Sendable (inout TrainingRecord, Value) throws(Invalid) -> Void

    /// A stored value that no run could have written.
    struct Invalid: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}

extension TrainingAttribute {
    /// Every attribute of /training, in the order written and read. A row's
    /// `value` may depend on rows above it (the schedule's parameters on
    /// `schedule`): the reader restores in this order, and an attribute is
    /// required exactly when the record restored so far would store it.
    static let all: [TrainingAttribute] = [
        // The settings.
        string("optimizer", { $0.configuration.optimizerKind.rawValue }) { record, name throws(Invalid) in
            guard let kind = OptimizerKind(rawValue: name) else { throw Invalid("unknown optimizer '\(name)'") }
            record.configuration.optimizerKind = kind
        },
        double("learning_rate", \.configuration.learningRate),
        double("momentum", \.configuration.momentum),
        flag("nesterov", \.configuration.nesterov),
        double("beta1", \.configuration.beta1),
        double("beta2", \.configuration.beta2),
        double("epsilon", \.configuration.epsilon),
        double("weight_decay", \.configuration.weightDecay),
        double("rho", \.configuration.rho),
        // The schedule's name, then the parameters that schedule has: the name
        // restores a schedule with placeholder parameters, which the rows
        // below it overwrite.
        string("schedule", { $0.configuration.schedule.name }) { record, name throws(Invalid) in
            switch name {
            case "constant": record.configuration.schedule = .constant
            case "step": record.configuration.schedule = .step(everyEpochs: 1, gamma: 1)
            case "exponential": record.configuration.schedule = .exponential(gamma: 1)
            case "cosine": record.configuration.schedule = .cosine(minimum: 0)
            default: throw Invalid("unknown learning-rate schedule '\(name)'")
            }
        },
        int("decay_epochs", { record in
            if case .step(let every, _) = record.configuration.schedule { return every }
            return nil
        }) { record, every in
            if case .step(_, let gamma) = record.configuration.schedule {
                record.configuration.schedule = .step(everyEpochs: every, gamma: gamma)
            }
        },
        double("gamma", { record in
            switch record.configuration.schedule {
            case .step(_, let gamma), .exponential(let gamma): return gamma
            case .constant, .cosine: return nil
            }
        }) { record, gamma in
            switch record.configuration.schedule {
            case .step(let every, _): record.configuration.schedule = .step(everyEpochs: every, gamma: gamma)
            case .exponential: record.configuration.schedule = .exponential(gamma: gamma)
            case .constant, .cosine: break
            }
        },
        double("min_learning_rate", { record in
            if case .cosine(let minimum) = record.configuration.schedule { return minimum }
            return nil
        }) { record, minimum in
            if case .cosine = record.configuration.schedule { record.configuration.schedule = .cosine(minimum: minimum) }
        },
        int("warmup_steps", \.configuration.warmupSteps),
        int("schedule_steps", \.configuration.scheduleSteps, none: -1),
        double("l2", \.configuration.l2),
        double("clip_grad_norm", { $0.configuration.clipGradientNorm ?? 0 }) { record, clip in
            record.configuration.clipGradientNorm = clip == 0 ? nil : clip
        },
        double("validation_split", \.configuration.validationSplit),
        int("early_stopping", \.configuration.earlyStoppingPatience, none: 0),
        int("batch_size", \.configuration.batchSize),
        // Fixed when a run starts; a configuration that leaves it to the default stores the default.
        int("micro_batch", { record in
            record.configuration.microBatch ?? TrainingConfiguration.defaultMicroBatch(batchSize: record.configuration.batchSize)
        }) { record, rows in
            record.configuration.microBatch = rows
        },
        int("epochs", \.configuration.epochs),
        int("max_steps", \.configuration.maxSteps, none: -1),
        // Text: the seed is a UInt64, and attributes here are int64.
        string("seed", { String($0.configuration.seed) }) { record, text throws(Invalid) in
            guard let seed = UInt64(text) else { throw Invalid("seed '\(text)' is not an unsigned integer") }
            record.configuration.seed = seed
        },
        flag("shuffle", \.configuration.shuffle),
        string("initialization", { $0.configuration.initialization.rawValue }) { record, name throws(Invalid) in
            guard let initialization = Initialization(rawValue: name) else { throw Invalid("unknown initialization '\(name)'") }
            record.configuration.initialization = initialization
        },
        int("workers", \.configuration.workers),
        // How the training split was read: "memory" (a full permutation an epoch)
        // or "stream" (blocks of stream_block_rows, stream_slots mixed at once).
        string("data_mode", { $0.configuration.stream == nil ? "memory" : "stream" }) { record, mode throws(Invalid) in
            switch mode {
            case "memory": record.configuration.stream = nil
            case "stream": record.configuration.stream = StreamSettings(blockRows: 0, slots: 0)
            default: throw Invalid("unknown data_mode '\(mode)'; expected memory or stream")
            }
        }.addedLater(),
        int("stream_block_rows", { $0.configuration.stream?.blockRows }) { record, rows throws(Invalid) in
            guard rows > 0 else { throw Invalid("stream_block_rows is \(rows); expected a positive number of rows") }
            record.configuration.stream?.blockRows = rows
        },
        int("stream_slots", { $0.configuration.stream?.slots }) { record, slots throws(Invalid) in
            guard slots > 0 else { throw Invalid("stream_slots is \(slots); expected a positive number of blocks") }
            record.configuration.stream?.slots = slots
        },

        // What `resume` needs to carry on as the run did.
        string("dataset", { $0.dataset }) { record, path in record.dataset = path },
        string("log", { $0.log }) { record, path in record.log = path },
        int("checkpoint_every", { $0.checkpointEvery ?? 0 }) { record, every throws(Invalid) in
            guard every >= 0 else { throw Invalid("checkpoint_every is \(every); expected 0 (none) or a number of steps") }
            record.checkpointEvery = every == 0 ? nil : every
        },
        int("keep", { $0.keep }) { record, keep throws(Invalid) in
            guard keep >= 0 else { throw Invalid("keep is \(keep); expected 0 or more") }
            record.keep = keep
        },

        // The position within the run, and the running sums of the epoch under way.
        int("global_step", \.state.globalStep, storedWithModel: true),
        int("epochs_done", \.state.epochsDone),
        int("step_in_epoch", \.state.stepInEpoch),
        // A streamed run's position in its epoch's row sequence: with the seed and
        // the epoch, all a resume needs to read the K blocks resident there.
        int("stream_rows_done", { record in
            record.configuration.stream.map { _ in record.state.stepInEpoch * record.configuration.batchSize }
        }) { record, rows throws(Invalid) in
            guard rows == record.state.stepInEpoch * record.configuration.batchSize else {
                throw Invalid("stream_rows_done is \(rows); step_in_epoch \(record.state.stepInEpoch) of batch_size \(record.configuration.batchSize) makes \(record.state.stepInEpoch * record.configuration.batchSize)")
            }
        },
        double("epoch_loss_sum", \.state.epochLossSum),
        int("epoch_correct", \.state.epochCorrect),
        int("epoch_examples", \.state.epochExamples),
        double("epoch_seconds", \.state.epochSeconds),
        double("epoch_data_wait_seconds", \.state.epochDataWaitSeconds).addedLater(),

        // Early stopping's memory (its best parameters are a dataset group).
        double("best_validation_loss", { $0.state.bestValidationLoss ?? .nan }) { record, loss in
            record.state.bestValidationLoss = loss.isNaN ? nil : loss
        },
        int("epochs_since_best", \.state.epochsSinceBest),
        flag("stopped_early", \.state.stoppedEarly),
    ]

    /// The row whose presence marks a checkpoint that holds a run, not only a model.
    static let marksTrainingRun = "optimizer"
}

// MARK: - Row makers

extension TrainingAttribute {
    /// This row, optional when reading checkpoints older than it.
    func addedLater() -> TrainingAttribute {
        var row = self
        row.optionalInOlderCheckpoints = true
        return row
    }

    static func int(
        _ name: String, storedWithModel: Bool = false, _ value: @escaping @Sendable (TrainingRecord) -> Int?,
        restore: @escaping @Sendable (inout TrainingRecord, Int) throws(Invalid) -> Void
    ) -> TrainingAttribute {
        TrainingAttribute(name: name, kind: .int, storedWithModel: storedWithModel,
                          value: { value($0).map(Value.int) }) { record, stored throws(Invalid) in
            guard case .int(let x) = stored else { preconditionFailure("\(name) is read as an int") }
            try restore(&record, x)
        }
    }

    static func double(
        _ name: String, _ value: @escaping @Sendable (TrainingRecord) -> Double?,
        restore: @escaping @Sendable (inout TrainingRecord, Double) throws(Invalid) -> Void
    ) -> TrainingAttribute {
        TrainingAttribute(name: name, kind: .double, storedWithModel: false,
                          value: { value($0).map(Value.double) }) { record, stored throws(Invalid) in
            guard case .double(let x) = stored else { preconditionFailure("\(name) is read as a double") }
            try restore(&record, x)
        }
    }

    static func string(
        _ name: String, _ value: @escaping @Sendable (TrainingRecord) -> String?,
        restore: @escaping @Sendable (inout TrainingRecord, String) throws(Invalid) -> Void
    ) -> TrainingAttribute {
        TrainingAttribute(name: name, kind: .string, storedWithModel: false,
                          value: { value($0).map(Value.string) }) { record, stored throws(Invalid) in
            guard case .string(let x) = stored else { preconditionFailure("\(name) is read as a string") }
            try restore(&record, x)
        }
    }

    static func int(_ name: String, _ path: WritableKeyPath<TrainingRecord, Int> & Sendable,
                    storedWithModel: Bool = false) -> TrainingAttribute {
        int(name, storedWithModel: storedWithModel, { $0[keyPath: path] }) { record, x in record[keyPath: path] = x }
    }

    /// An optional count stored with `none` for nil.
    static func int(_ name: String, _ path: WritableKeyPath<TrainingRecord, Int?> & Sendable, none: Int) -> TrainingAttribute {
        int(name, { $0[keyPath: path] ?? none }) { record, x in record[keyPath: path] = x == none ? nil : x }
    }

    static func double(_ name: String, _ path: WritableKeyPath<TrainingRecord, Double> & Sendable) -> TrainingAttribute {
        double(name, { $0[keyPath: path] }) { record, x in record[keyPath: path] = x }
    }

    /// A Bool, stored as int64 0 or 1 (HDF5 has no boolean type that h5py and C agree on).
    static func flag(_ name: String, _ path: WritableKeyPath<TrainingRecord, Bool> & Sendable) -> TrainingAttribute {
        int(name, { $0[keyPath: path] ? 1 : 0 }) { record, x throws(Invalid) in
            guard x == 0 || x == 1 else { throw Invalid("\(name) is \(x); expected 0 or 1") }
            record[keyPath: path] = x == 1
        }
    }
}
