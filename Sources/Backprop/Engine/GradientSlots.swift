// One gradient accumulator per micro-shard of a minibatch, in one slab.
//
// Giving every micro-shard its own slot (rather than every worker its own
// accumulator) is what makes training bitwise independent of the worker count:
// which worker computed a shard does not change what lands in its slot, and the
// reducer then adds the slots in a fixed tree order.

/// `count` gradient buffers of `parameterCount` values each.
final class GradientSlots: @unchecked Sendable {
    let count: Int
    let parameterCount: Int
    /// Slot stride in elements, padded to a whole number of cache lines so that
    /// two workers writing neighbouring slots never share a line.
    let stride: Int
    private let slab: Slab<Float>

    init(count: Int, parameterCount: Int) {
        precondition(count > 0 && parameterCount > 0)
        self.count = count
        self.parameterCount = parameterCount
        self.stride = (parameterCount + 15) / 16 * 16
        slab = Slab(zeros: count * stride)
    }

    subscript(slot: Int) -> UnsafeMutablePointer<Float> {
        precondition(slot >= 0 && slot < count)
        return slab.base + slot * stride
    }
}
