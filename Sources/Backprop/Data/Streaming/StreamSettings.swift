// The settings that make a streamed epoch's row order: how many rows a block
// holds and how many blocks are mixed at once. Part of a run's configuration
// (and its checkpoint), since a different block size or mix gives another order.

/// How a training split is streamed from its file instead of held in memory.
public struct StreamSettings: Sendable, Equatable {
    /// C, rows per block: a whole number of the file's chunks, read with one hyperslab.
    public var blockRows: Int
    /// K, blocks resident at once; rows are drawn uniformly from all of them.
    public var slots: Int

    public init(blockRows: Int, slots: Int) {
        self.blockRows = blockRows
        self.slots = slots
    }
}
