// The activations of one batch: a[0] (the input), and z[l], a[l], delta[l] for
// every layer, plus the targets y. One slab, sized once for a row capacity;
// a larger batch is a programming error, not a reallocation.

/// Per-batch buffers for the forward and backward passes, row-major (rows × n[l]).
final class Workspace<S: BLASScalar>: @unchecked Sendable {
    let architecture: Architecture
    /// The most rows a pass may use.
    let capacity: Int

    private let slab: Slab<S>
    /// a[0] = x: capacity × n[0].
    let input: UnsafeMutablePointer<S>
    /// z[l], a[l], delta[l] for l = 1 … L, stored at index l − 1: capacity × n[l] each.
    let z: [UnsafeMutablePointer<S>]
    let a: [UnsafeMutablePointer<S>]
    let delta: [UnsafeMutablePointer<S>]
    /// y: capacity × n[L].
    let target: UnsafeMutablePointer<S>

    init(architecture: Architecture, capacity: Int) {
        precondition(capacity > 0)
        self.architecture = architecture
        self.capacity = capacity
        let widths = architecture.layerSizes
        let hidden = widths.dropFirst().reduce(0, +)
        let slab = Slab<S>(zeros: capacity * (widths[0] + 3 * hidden + widths[widths.count - 1]))
        self.slab = slab
        var offset = 0
        func take(_ width: Int) -> UnsafeMutablePointer<S> {
            defer { offset += capacity * width }
            return slab.view(offset..<(offset + capacity * width)).baseAddress!
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

    /// a[L], the network's output.
    var output: UnsafeMutablePointer<S> { a[a.count - 1] }
}
