// The order of a streamed epoch, as a pure function of (seed, epoch): which
// training row comes next and which block must be read in for it. Integer
// bookkeeping only, no data, so a resumed run replays it cheaply to where the
// checkpoint stood instead of reading the epoch again.
//
// Epoch e visits the file's blocks of C rows in a seeded random order. K blocks
// are resident at once and every row of them waits in a pool; each draw takes
// a uniformly random row of the pool. When a block's last row is drawn, its slot
// takes the next block in the order, whose rows join the pool. Like a sliding
// shuffle buffer fed by shuffled blocks, so a class-sorted file mixes well at a
// few dozen blocks (the note measured a sliding buffer of 64 blocks to match a
// full shuffle, ≤ 4 blocks to train to chance).
//
// The sequence of rows is defined for the whole epoch, independent of workers,
// threads and I/O timing: a minibatch is the next m draws, and a rank of a
// distributed run can take any contiguous slice of it.

/// Rows held out of training (for validation), one bit each.
public struct RowBitmap: Sendable, Equatable {
    private var words: [UInt64]
    public let count: Int

    public init(count: Int, set rows: some Sequence<Int32>) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
        for r in rows { words[Int(r) >> 6] |= 1 << UInt64(Int(r) & 63) }
    }

    public func contains(_ row: Int) -> Bool { words[row >> 6] & (1 << UInt64(row & 63)) != 0 }

    /// Rows set in `range`.
    func count(in range: Range<Int>) -> Int { range.reduce(0) { $0 + (contains($1) ? 1 : 0) } }
}

struct BlockSampler {
    /// N rows in the file, C rows a block, K slots.
    let rowCount: Int
    let settings: StreamSettings
    /// The blocks that hold training rows, in the order this epoch reads them.
    let loadOrder: [Int32]
    private let heldOut: RowBitmap?
    private var generator: RandomGenerator
    /// Rows waiting to be drawn.
    private var pool: [Int32]
    /// Per block: training rows not yet drawn.
    private var remaining: [Int32]
    /// Per slot: the block it holds, or -1; per block: the slot holding it.
    private(set) var resident: [Int32]
    private var slotOfBlock: [Int32]
    /// Blocks of `loadOrder` read in so far.
    private(set) var loaded = 0
    /// Rows drawn so far, and in all.
    private(set) var drawn = 0
    let rowsInEpoch: Int

    var blockRows: Int { settings.blockRows }
    var blockCount: Int { (rowCount + blockRows - 1) / blockRows }

    init(seed: UInt64, epoch: Int, rowCount: Int, settings: StreamSettings, heldOut: RowBitmap?) {
        self.rowCount = rowCount
        self.settings = settings
        self.heldOut = heldOut
        loadOrder = Self.loadOrder(seed: seed, epoch: epoch, rowCount: rowCount, settings: settings, heldOut: heldOut)
        generator = RandomGenerator(seed: seed, stream: RandomStream.streamRowsBase + UInt64(epoch))
        pool = []
        pool.reserveCapacity(settings.slots * settings.blockRows)
        let blocks = (rowCount + settings.blockRows - 1) / settings.blockRows
        remaining = [Int32](repeating: 0, count: blocks)
        resident = [Int32](repeating: -1, count: settings.slots)
        slotOfBlock = [Int32](repeating: -1, count: blocks)
        rowsInEpoch = rowCount - (heldOut.map { $0.count(in: 0..<rowCount) } ?? 0)
        for slot in 0..<settings.slots where loaded < loadOrder.count { load(into: slot) }
    }

    /// The blocks holding at least one training row, permuted by (seed, epoch).
    static func loadOrder(seed: UInt64, epoch: Int, rowCount: Int, settings: StreamSettings, heldOut: RowBitmap?) -> [Int32] {
        let blocks = (rowCount + settings.blockRows - 1) / settings.blockRows
        var generator = RandomGenerator(seed: seed, stream: RandomStream.streamBlocksBase + UInt64(epoch))
        let order = generator.permutation(count: blocks)
        guard let heldOut else { return order }
        return order.filter { b in
            let rows = Int(b) * settings.blockRows..<min(rowCount, (Int(b) + 1) * settings.blockRows)
            return heldOut.count(in: rows) < rows.count
        }
    }

    /// Rows `block` covers in the file.
    func rows(ofBlock block: Int32) -> Range<Int> {
        Int(block) * blockRows..<min(rowCount, (Int(block) + 1) * blockRows)
    }

    /// Whether every training row of the epoch has been drawn.
    var isFinished: Bool { drawn == rowsInEpoch }

    /// The next row: which one, the slot whose block holds it, and whether that
    /// slot then takes the next block of `loadOrder` (true), is left empty
    /// (false, when its block is drained and none are left), or neither (nil).
    mutating func draw() -> (row: Int32, slot: Int, refill: Bool?) {
        precondition(!pool.isEmpty, "drew past the end of the epoch")
        let j = generator.nextIndex(below: pool.count)
        let row = pool[j]
        pool[j] = pool[pool.count - 1]
        pool.removeLast()
        drawn += 1
        let block = Int(row) / blockRows
        remaining[block] -= 1
        let slot = Int(slotOfBlock[block])
        guard remaining[block] == 0 else { return (row, slot, nil) }
        resident[slot] = -1
        guard loaded < loadOrder.count else { return (row, slot, false) }
        load(into: slot)
        return (row, slot, true)
    }

    private mutating func load(into slot: Int) {
        let block = loadOrder[loaded]
        loaded += 1
        resident[slot] = block
        slotOfBlock[Int(block)] = Int32(slot)
        var count: Int32 = 0
        for r in rows(ofBlock: block) where !(heldOut?.contains(r) ?? false) {
            pool.append(Int32(r))
            count += 1
        }
        remaining[Int(block)] = count
    }
}
