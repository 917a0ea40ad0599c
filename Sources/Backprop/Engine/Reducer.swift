// Sums the micro-shards' gradient slots into slot 0 in a fixed binary-tree
// order: at level s = 1, 2, 4, …, slot i += slot i + s for every i that is a
// multiple of 2s. Each element is therefore summed in the same order whatever
// the number of workers, so the sum is bitwise reproducible; and the work on
// different index ranges is independent, so workers reduce disjoint slices in
// parallel with no locks.

enum Reducer {
    /// Elements per block: the tree runs over one block at a time so the block
    /// of every slot stays in cache while it is summed.
    static let blockSize = 4096

    /// slots[0][range] = Σ_{i < shardCount} slots[i][range], summed in tree order.
    static func treeSum(_ slots: GradientSlots, shardCount: Int, range: Range<Int>) {
        treeSum(slots, first: 0, count: shardCount, range: range)
    }

    /// slots[first][range] = Σ_{first ≤ i < first + count} slots[i][range], in
    /// tree order over the indices relative to `first`. When `first` is a
    /// multiple of the smallest power of two ≥ `count`, this is exactly the
    /// subtree of the whole minibatch's tree rooted at `first`
    /// (Distributed/ExchangePlan.swift).
    static func treeSum(_ slots: GradientSlots, first: Int, count shardCount: Int, range: Range<Int>) {
        precondition(shardCount >= 1 && first >= 0 && first + shardCount <= slots.count)
        guard shardCount > 1 else { return }
        var blockStart = range.lowerBound
        while blockStart < range.upperBound {
            let blockEnd = min(blockStart + blockSize, range.upperBound)
            var s = 1
            while s < shardCount {
                var i = 0
                while i + s < shardCount {
                    let target = slots[first + i], source = slots[first + i + s]
                    for e in blockStart..<blockEnd { target[e] += source[e] }
                    i += 2 * s
                }
                s *= 2
            }
            blockStart = blockEnd
        }
    }

    /// Splits 0..<count into `parts` contiguous ranges that start on
    /// `blockSize` boundaries, for parallel work: a block is then always
    /// handled whole by one worker.
    static func partition(count: Int, parts: Int, blockSize: Int = blockSize) -> [Range<Int>] {
        precondition(parts > 0)
        let blocks = (count + blockSize - 1) / blockSize
        return (0..<parts).map { p in
            let lower = min(count, blocks * p / parts * blockSize)
            let upper = min(count, blocks * (p + 1) / parts * blockSize)
            return lower..<upper
        }
    }
}
