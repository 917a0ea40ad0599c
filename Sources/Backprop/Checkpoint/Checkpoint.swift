// A checkpoint: the model, the settings that trained it and the metrics so
// far, in one HDF5 file that h5py reads. README documents the layout:
//
//   /                      format = "backprop-checkpoint", format_version
//   /model                 layer_sizes, activations, leaky_slopes, loss (attributes)
//   /model/layer{l}/W      float32 n[l] × n[l-1]     for l = 1 … L
//   /model/layer{l}/b      float32 n[l]
//   /training              the settings (attributes), global_step, epochs_done
//   /history/{metric}      one float64 value per epoch record

import HDF5

/// A model with the training settings and history that produced it.
public struct Checkpoint: Sendable {
    /// The newest layout this version writes and reads.
    public static let formatVersion = 1
    public static let formatName = "backprop-checkpoint"

    public var model: Model
    /// The settings of the run that wrote it, when it came from training.
    public var configuration: TrainingConfiguration?
    public var history: [EpochRecord]
    public var globalStep: Int

    public init(model: Model, configuration: TrainingConfiguration? = nil, history: [EpochRecord] = [], globalStep: Int = 0) {
        self.model = model
        self.configuration = configuration
        self.history = history
        self.globalStep = globalStep
    }
}
