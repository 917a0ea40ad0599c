// A checkpoint: the whole state of a training run (or just a model), in one
// HDF5 file that h5py reads. README documents the layout:
//
//   bytes 0-511                    the header: format, length and CRC-32 of the rest (CheckpointHeader)
//   /                              format = "backprop-checkpoint", format_version
//   /model                         layer_sizes, activations, leaky_slopes, loss, input_factor (attributes)
//   /model/input_mean, input_deviation float32 n[0]: μ and σ of `train --standardize` (InputScaling)
//   /model/layer{l}/W, b           float32 n[l] × n[l-1] and n[l], for l = 1 … L
//   /optimizer                     name, state_names (attributes)
//   /optimizer/{state}/layer{l}/W, b   the optimizer's per-parameter state, same shapes
//   /training                      every setting, the dataset path, the position (attributes)
//   /training/epoch_order          int32: the row order of the epoch under way (empty between epochs)
//   /history/{metric}              float64, one value per completed epoch

/// A model, with the settings and state of the run that trained it when there was one.
public struct Checkpoint: Sendable {
    /// The newest layout this version writes and reads. 3: the model's input
    /// scaling (model/input_factor, input_mean, input_deviation), so that a
    /// backprop that would ignore it refuses the file. 2: a header with the
    /// checksum of every byte (CheckpointHeader). 1: no header. 1 and 2 are still read.
    public static let formatVersion = 3
    public static let formatName = "backprop-checkpoint"

    public var architecture: Architecture
    /// The settings of the run; nil for a checkpoint that holds only a model.
    public var configuration: TrainingConfiguration?
    /// Parameters, optimizer state, position and history.
    public var state: TrainingState
    /// The training data's path, so `resume` can find it.
    public var dataset: String?
    /// The `--log` file of the run, so `resume` continues it.
    public var log: String?
    /// The run's checkpoint policy, so `resume` keeps it.
    public var checkpointEvery: Int?
    public var keep: Int
    /// What raw inputs go through before layer 1 (identity in checkpoints that predate it).
    public var inputScaling: InputScaling

    public init(
        architecture: Architecture, configuration: TrainingConfiguration?, state: TrainingState,
        dataset: String? = nil, log: String? = nil, checkpointEvery: Int? = nil, keep: Int = 0,
        inputScaling: InputScaling = .identity
    ) {
        precondition(state.parameters.count == ParameterLayout(architecture).count)
        self.inputScaling = inputScaling
        self.architecture = architecture
        self.configuration = configuration
        self.state = state
        self.dataset = dataset
        self.log = log
        self.checkpointEvery = checkpointEvery
        self.keep = keep
    }

    /// A checkpoint that holds only `model`.
    public init(model: Model) {
        self.init(architecture: model.architecture, configuration: nil,
                  state: TrainingState(parameters: model.parameters, optimizerState: []), inputScaling: model.inputScaling)
    }

    /// The checkpoint of `trainer`'s run as it stands.
    public init(trainer: Trainer, dataset: String? = nil, log: String? = nil, checkpointEvery: Int? = nil, keep: Int = 0) {
        self.init(architecture: trainer.architecture, configuration: trainer.configuration,
                  state: trainer.state, dataset: dataset, log: log, checkpointEvery: checkpointEvery, keep: keep,
                  inputScaling: trainer.inputScaling)
    }

    public var model: Model { Model(architecture: architecture, parameters: state.parameters, inputScaling: inputScaling) }
}
