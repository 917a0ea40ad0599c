// Who computes and who sums what, for one minibatch of S micro-shards over R
// ranks, so that every element of ∂J/∂θ is summed in exactly the order of the
// single-process tree (Reducer.treeSum).
//
// The tree: at level s = 1, 2, 4, …, slot i += slot i + s for every i that is a
// multiple of 2s with i + s < S. Node (i, k), for i a multiple of 2^k, is the sum
// of slots [i, min(i + 2^k, S)) in that order; node (i, k) = node (i, k − 1) +
// node (i + 2^(k−1), k − 1), the right one only if it exists (an absent operand
// is skipped, never added as 0: −0 + +0 is +0).
//
// Rank r owns slots [⌊rS/R⌋, ⌊(r+1)S/R⌋) and sums them into the largest nodes
// that fit inside its range (one node when S/R is a power of two and ranges are
// aligned; about 2·log₂(S/R) otherwise). The parameter vector is cut into R
// chunks on block boundaries; rank q receives chunk q of every node of every
// rank (all-to-all), finishes the tree over them, and the summed chunks are
// gathered everywhere. Each rank sends (R−1)/R of its nodes' values and then
// (R−1)/R of ∂J/∂θ: 2(R−1)/R of the gradient when a rank has one node, as a
// ring allreduce.

/// A node of the summation tree: slots `start..<end`, summed in tree order.
struct TreeNode: Equatable {
    let start: Int
    let end: Int
}

/// The exchange of one minibatch's gradient: slot ranges, nodes and MPI counts.
final class ExchangePlan {
    let shardCount: Int
    let ranks: Int
    /// Slots of each rank.
    let slotRanges: [Range<Int>]
    /// Each rank's nodes, in slot order; concatenated in rank order they tile 0..<shardCount.
    let nodes: [[TreeNode]]
    /// For each slot, the index in the concatenated node list of the node starting there, or −1.
    let nodeStartingAt: [Int]
    let nodeEnds: [Int]

    init(shardCount: Int, ranks: Int) {
        precondition(shardCount > 0 && ranks > 0)
        self.shardCount = shardCount
        self.ranks = ranks
        slotRanges = (0..<ranks).map { r in (r * shardCount / ranks)..<((r + 1) * shardCount / ranks) }
        nodes = slotRanges.map { Self.maximalNodes(in: $0, shardCount: shardCount) }
        var starting = [Int](repeating: -1, count: shardCount)
        var ends: [Int] = []
        for node in nodes.joined() {
            starting[node.start] = ends.count
            ends.append(node.end)
        }
        nodeStartingAt = starting
        nodeEnds = ends
    }

    /// The largest tree nodes, left to right, whose slots lie inside `range`.
    static func maximalNodes(in range: Range<Int>, shardCount: Int) -> [TreeNode] {
        var nodes: [TreeNode] = [], i = range.lowerBound
        while i < range.upperBound {
            var size = 1
            // Grow while the doubled node starts at i (i is a multiple of it) and
            // still ends inside the range, and doubling still adds slots.
            while i % (2 * size) == 0, i + size < shardCount, min(i + 2 * size, shardCount) <= range.upperBound {
                size *= 2
            }
            let end = min(i + size, shardCount)
            nodes.append(TreeNode(start: i, end: end))
            i = end
        }
        return nodes
    }

    /// Total nodes over all ranks.
    var nodeCount: Int { nodeEnds.count }

    /// Finishes the tree over node partials: `node(k)` points at the partial
    /// sum of the k-th node (concatenated order) over `range`, and the root's
    /// value ends up in node 0's buffer. The additions are those of the
    /// single-process tree that the nodes did not already do, in its order.
    func finishTree(range: Range<Int>, node: (Int) -> UnsafeMutablePointer<Float>) {
        var top = 1
        while top < shardCount { top *= 2 }
        _ = combine(start: 0, size: top, range: range, node: node)
    }

    /// Sums subtree (start, size) into the buffer of the node starting at
    /// `start`, and returns that node's index.
    private func combine(start: Int, size: Int, range: Range<Int>, node: (Int) -> UnsafeMutablePointer<Float>) -> Int {
        let index = nodeStartingAt[start]
        if index >= 0, nodeEnds[index] == min(start + size, shardCount) { return index }
        precondition(size > 1, "the nodes do not tile the tree at slot \(start)")
        let half = size / 2
        let left = combine(start: start, size: half, range: range, node: node)
        if start + half < shardCount {
            let right = combine(start: start + half, size: half, range: range, node: node)
            let target = node(left), source = node(right)
            for e in range { target[e] += source[e] }
        }
        return left
    }
}
