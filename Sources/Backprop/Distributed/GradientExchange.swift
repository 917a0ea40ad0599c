// The cross-rank half of a step (see ExchangePlan.swift for the order of the
// additions): after this rank's workers have filled its slots, its nodes are
// summed, chunk q of each goes to rank q, each rank finishes the tree over its
// chunk and turns it into ∂J/∂θ with its block norms, and the chunks and norms
// are gathered everywhere. Every rank then holds ∂J/∂θ in slot 0, bitwise the
// single-process one, and applies the same update to its replica of θ.
//
// Data: a rank reads only the rows of its own shards of each minibatch (the
// scheduler passes the minibatch's rows and `slots(shardCount:)`; a worker
// gathers a shard's rows when it runs it). A split in memory is held whole by
// every rank; a streamed one is read once across the ranks, each block by one
// rank and broadcast to the others (StreamedSplit+Ranks.swift).
//
// Buffers are sized once, for the largest minibatch; the plan of each shard
// count is made the first time it is seen (a full and a partial minibatch in a
// run), so a step allocates nothing after the first of each.

/// Per shard count: the plan and the MPI counts and offsets of this rank.
private final class ExchangeLayout {
    let plan: ExchangePlan
    /// This rank's slots.
    let mine: Range<Int>
    /// This rank's nodes.
    let myNodes: [TreeNode]
    /// All-to-all counts and offsets, in floats.
    let sendCounts: [Int32], sendOffsets: [Int32], receiveCounts: [Int32], receiveOffsets: [Int32]
    /// All-gather of shard results, in bytes.
    let resultCounts: [Int32], resultOffsets: [Int32]

    init(plan: ExchangePlan, rank: Int, chunks: [Range<Int>]) {
        self.plan = plan
        mine = plan.slotRanges[rank]
        let ranks = chunks.indices, myChunk = chunks[rank].count
        let myNodes = plan.nodes[rank]
        self.myNodes = myNodes
        sendCounts = ranks.map { Int32(myNodes.count * chunks[$0].count) }
        receiveCounts = ranks.map { Int32(plan.nodes[$0].count * myChunk) }
        sendOffsets = Self.prefixSums(sendCounts)
        receiveOffsets = Self.prefixSums(receiveCounts)
        let resultSize = MemoryLayout<ShardResult>.stride
        resultCounts = plan.slotRanges.map { Int32($0.count * resultSize) }
        resultOffsets = plan.slotRanges.map { Int32($0.lowerBound * resultSize) }
    }

    static func prefixSums(_ counts: [Int32]) -> [Int32] {
        var offsets: [Int32] = [], total = 0
        for count in counts {
            precondition(total <= Int(Int32.max), "an exchange of more than 2^31 values")
            offsets.append(Int32(total))
            total += Int(count)
        }
        return offsets
    }
}

/// Reduces the slots of all ranks into ∂J/∂θ in slot 0 of every rank.
final class GradientExchange: ParallelTask {
    let communicator: any Communicator
    let slots: GradientSlots
    let store: ParameterStore
    /// Worker w's slice of the whole parameter vector (for summing nodes).
    let slices: [Range<Int>]
    /// Rank q's chunk of the parameter vector, on block boundaries.
    let chunks: [Range<Int>]
    /// Worker w's slice of this rank's chunk (for finishing the tree).
    let chunkSlices: [Range<Int>]
    /// Sum of squares of ∂J/∂θ per block, every block.
    let blockSquares: Slab<Double>
    let blockCounts: [Int32], blockOffsets: [Int32]
    let chunkCounts: [Int32], chunkOffsets: [Int32]

    private let send: Slab<Float>
    private let receive: Slab<Float>
    private var layouts: [ExchangeLayout?]
    private var current: ExchangeLayout?
    private var batchSize = 0
    private var phase = Phase.sumNodes

    private enum Phase { case sumNodes, finishTree }

    init(communicator: any Communicator, slots: GradientSlots, store: ParameterStore, slices: [Range<Int>]) {
        let ranks = communicator.size, rank = communicator.rank, n = store.layout.count
        self.communicator = communicator
        self.slots = slots
        self.store = store
        self.slices = slices
        chunks = Reducer.partition(count: n, parts: ranks)
        let mine = chunks[rank]
        chunkSlices = Reducer.partition(count: mine.count, parts: slices.count).map {
            (mine.lowerBound + $0.lowerBound)..<(mine.lowerBound + $0.upperBound)
        }
        let blockSize = Reducer.blockSize
        blockSquares = Slab(zeros: (n + blockSize - 1) / blockSize)
        blockOffsets = chunks.map { Int32($0.lowerBound / blockSize) }
        blockCounts = chunks.map { Int32(($0.upperBound + blockSize - 1) / blockSize - $0.lowerBound / blockSize) }
        chunkCounts = chunks.map { Int32($0.count) }
        chunkOffsets = chunks.map { Int32($0.lowerBound) }
        // The largest buffers any shard count needs.
        var mostMine = 0, mostAll = 0
        for shardCount in 1...slots.count {
            var all = 0
            for r in 0..<ranks {
                let range = (r * shardCount / ranks)..<((r + 1) * shardCount / ranks)
                let count = ExchangePlan.maximalNodes(in: range, shardCount: shardCount).count
                all += count
                if r == rank { mostMine = max(mostMine, count) }
            }
            mostAll = max(mostAll, all)
        }
        send = Slab(zeros: max(1, mostMine * n))
        receive = Slab(zeros: max(1, mostAll * mine.count))
        layouts = Array(repeating: nil, count: slots.count + 1)
    }

    /// The slots this rank computes for a minibatch of `shardCount` shards.
    func slots(shardCount: Int) -> Range<Int> { layout(shardCount).mine }

    private func layout(_ shardCount: Int) -> ExchangeLayout {
        if let layout = layouts[shardCount] { return layout }
        let layout = ExchangeLayout(
            plan: ExchangePlan(shardCount: shardCount, ranks: communicator.size), rank: communicator.rank, chunks: chunks)
        layouts[shardCount] = layout
        return layout
    }

    /// Gives every rank the loss sum and hits of every shard (each rank filled
    /// those of its own slots in `results`), and sums them in shard order.
    func gatherResults(_ results: Slab<ShardResult>, shardCount: Int, examples: Int) -> StepResult {
        let layout = layout(shardCount)
        layout.resultCounts.withUnsafeBufferPointer { counts in
            layout.resultOffsets.withUnsafeBufferPointer { offsets in
                communicator.allGather(UnsafeMutableRawPointer(results.base), counts: counts.baseAddress!,
                                       offsets: offsets.baseAddress!, type: .byte)
            }
        }
        var total = StepResult(lossSum: 0, correct: 0, examples: examples)
        for shard in 0..<shardCount {
            total.lossSum += results[shard].lossSum
            total.correct += results[shard].correct
        }
        return total
    }

    /// Sums every rank's slots of a minibatch of `batchSize` examples in
    /// `shardCount` shards into ∂J/∂θ in slot 0, and returns its L2 norm.
    func reduce(shardCount: Int, batchSize: Int, on crew: WorkerCrew) -> Double {
        let layout = layout(shardCount)
        current = layout
        self.batchSize = batchSize
        defer { current = nil }

        // This rank's nodes, each packed chunk by chunk for the all-to-all.
        if !layout.myNodes.isEmpty {
            phase = .sumNodes
            crew.run(slices.count, self)
        }
        withCounts(layout.sendCounts, layout.sendOffsets, layout.receiveCounts, layout.receiveOffsets) {
            communicator.allToAll(send: send.base, sendCounts: $0, sendOffsets: $1,
                                  receive: receive.base, receiveCounts: $2, receiveOffsets: $3, type: .float)
        }
        // This rank's chunk: the rest of the tree, then ∂J/∂θ and its block norms.
        phase = .finishTree
        crew.run(chunkSlices.count, self)
        withCounts(chunkCounts, chunkOffsets, blockCounts, blockOffsets) {
            communicator.allGather(slots[0], counts: $0, offsets: $1, type: .float)
            communicator.allGather(blockSquares.base, counts: $2, offsets: $3, type: .double)
        }
        // Summed in block order, as in one process.
        var squares = 0.0
        for block in blockSquares.buffer { squares += block }
        return squares.squareRoot()
    }

    func run(part w: Int) {
        let layout = current!
        switch phase {
        case .sumNodes:
            let slice = slices[w]
            for (j, node) in layout.myNodes.enumerated() {
                Reducer.treeSum(slots, first: node.start, count: node.end - node.start, range: slice)
                // Chunk q of node j goes to send[sendOffsets[q] + j · |chunk q| …].
                let source = slots[node.start]
                for (q, chunk) in chunks.enumerated() {
                    let lower = max(chunk.lowerBound, slice.lowerBound), upper = min(chunk.upperBound, slice.upperBound)
                    guard lower < upper else { continue }
                    let target = send.base + Int(layout.sendOffsets[q]) + j * chunk.count + (lower - chunk.lowerBound)
                    target.update(from: source + lower, count: upper - lower)
                }
            }
        case .finishTree:
            let range = chunkSlices[w]
            guard !range.isEmpty else { return }
            let mine = chunks[communicator.rank]
            // Node k's chunk, indexed by global parameter index.
            let base = receive.base - mine.lowerBound
            layout.plan.finishTree(range: range) { k in base + k * mine.count }
            store.prepareGradient(base, batchSize: batchSize, range: range,
                                  blockSize: Reducer.blockSize, blockSquares: blockSquares.base)
            (slots[0] + range.lowerBound).update(from: base + range.lowerBound, count: range.count)
        }
    }

    private func withCounts(
        _ a: [Int32], _ b: [Int32], _ c: [Int32], _ d: [Int32],
        _ body: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>) -> Void
    ) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeBufferPointer { c in
                    d.withUnsafeBufferPointer { d in body(a.baseAddress!, b.baseAddress!, c.baseAddress!, d.baseAddress!) }
                }
            }
        }
    }
}
