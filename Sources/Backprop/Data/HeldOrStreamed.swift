// A split held in memory or streamed from its file, as a run names it: the
// training split (`TrainingData`) and a validation or test split (`HeldOutData`).

public protocol HeldOrStreamed {
    /// Whether the split is read from its file block by block.
    var isStreamed: Bool { get }
}

extension HeldOrStreamed {
    /// "memory" or "stream", as `-v`, the log and the checkpoint name the mode.
    public var mode: String { isStreamed ? "stream" : "memory" }
}
