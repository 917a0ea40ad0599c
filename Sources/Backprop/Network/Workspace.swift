// The activations of one batch: a[0] (the input), and z[l], a[l], delta[l] for
// every layer, plus the targets y. One slab, sized once for a row capacity;
// a larger batch is a programming error, not a reallocation.

/// Per-batch buffers for the forward and backward passes, row-major (rows × n[l]).
public final class Workspace<S: BLASScalar>: @unchecked Sendable {
    public let architecture: Architecture
    /// The most rows a pass may use.
    public let capacity: Int

    private let slab: UnsafeMutableBufferPointer<S>
    /// a[0] = x: capacity × n[0].
    public let input: UnsafeMutablePointer<S>
    /// z[l], a[l], delta[l] for l = 1 … L (index l − 1): capacity × n[l] each.
    public let z: [UnsafeMutablePointer<S>]
    public let a: [UnsafeMutablePointer<S>]
    public let delta: [UnsafeMutablePointer<S>]
    /// y: capacity × n[L].
    public let target: UnsafeMutablePointer<S>

    public init(architecture: Architecture, capacity: Int) {
        precondition(capacity > 0)
        self.architecture = architecture
        self.capacity = capacity
        let widths = architecture.layerSizes
        let hidden = widths.dropFirst().reduce(0, +)
        let total = capacity * (widths[0] + 3 * hidden + widths[widths.count - 1])
        slab = .allocate(capacity: total)
        slab.initialize(repeating: 0)
        var cursor = slab.baseAddress!
        func take(_ width: Int) -> UnsafeMutablePointer<S> {
            defer { cursor += capacity * width }
            return cursor
        }
        input = take(widths[0])
        var z: [UnsafeMutablePointer<S>] = [], a: [UnsafeMutablePointer<S>] = [], delta: [UnsafeMutablePointer<S>] = []
        for width in widths.dropFirst() {
            z.append(take(width))
            a.append(take(width))
            delta.append(take(width))
        }
        self.z = z
        self.a = a
        self.delta = delta
        target = take(widths[widths.count - 1])
    }

    deinit { slab.deallocate() }

    /// a[L], the network's output.
    public var output: UnsafeMutablePointer<S> { a[a.count - 1] }
}
