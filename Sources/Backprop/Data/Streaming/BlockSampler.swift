// The order of a streamed epoch, as a pure function of (seed, epoch): which
// training row comes next and which block must be read in for it. Integer
// bookkeeping only, no data, so a resumed run replays it cheaply to where the
// checkpoint stood instead of reading the epoch again.
//
// Epoch e visits the file's blocks of C rows in a seeded random order. K blocks
// are resident at once, one per slot. Each draw picks a slot uniformly among
// those holding rows, then a uniformly random row not yet drawn from it; when
// a slot's block runs out, it takes the next block in the order. (In the
// epoch's tail, once every block has been loaded, draws are uniform over the
// rows left instead; see `draw`.) So every
// minibatch mixes rows of all K resident blocks in about equal numbers, and
// blocks enter and leave one at a time (a sliding window of blocks).
//
// Staggered drains: the K blocks of the first fill enter together, and drawn
// at the same pace they would drain together, about K·C draws in, asking the
// I/O thread for K blocks at once (simulated, 1M rows, C = 1024, K = 315: 192
// drains within 16·C draws, against a read-ahead of 16 blocks), and again every
// K·C draws. So the first block of slot i also holds i·C/K "phantom" rows:
// drawing one draws nothing and the draw is made again. Slot i's first block
// then lasts about (C + i·C/K)·K draws, the drains of the first fill come one
// every C draws, and so do the refills after them (same simulation: at most 33
// drains within 16·C draws). It costs K·C/2 extra random draws an epoch, no
// data, and leaves the first fill's blocks drawn at 1/2 to 1× the pace of the
// others for one generation. On a
// class-sorted file this is what matters: the note measured mixing ≤ 4 blocks
// to train to chance, and a sliding buffer of 64 blocks to match a full shuffle.
//
// The sequence of rows is defined for the whole epoch, independent of workers,
// threads and I/O timing: a minibatch is the next m draws, and a rank of a
// distributed run can take any contiguous slice of it.

import CLinux

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
    /// Per slot: the rows of its block not yet drawn, in `slotRows[slot·C ..< slot·C + slotCount[slot]]`.
    private var slotRows: [Int32]
    private var slotCount: [Int32]
    /// Per slot: phantom rows left in its block (first fill only; see above).
    private var slotPhantoms: [Int32]
    /// The slots holding rows, in no particular (but deterministic) order.
    private var active: [Int32]
    /// Per slot: the block it holds, or -1.
    private(set) var resident: [Int32]
    /// Blocks of `loadOrder` read in so far.
    private(set) var loaded = 0
    /// Scratch of `draw(upTo:)`: two places in `slotRows` per draw.
    private var picks: [Int32] = []
    /// In the epoch's tail: the rows left in the slot at each place of
    /// `active`, as a Fenwick tree (built when the tail begins).
    private var tail = RowsLeft()
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
        slotRows = [Int32](repeating: 0, count: settings.slots * settings.blockRows)
        slotCount = [Int32](repeating: 0, count: settings.slots)
        slotPhantoms = [Int32](repeating: 0, count: settings.slots)
        active = []
        active.reserveCapacity(settings.slots)
        resident = [Int32](repeating: -1, count: settings.slots)
        rowsInEpoch = rowCount - (heldOut.map { $0.count(in: 0..<rowCount) } ?? 0)
        for slot in 0..<settings.slots where loaded < loadOrder.count {
            load(into: slot)
            active.append(Int32(slot))
            slotPhantoms[slot] = Int32(slot * settings.blockRows / settings.slots)
        }
    }

    /// The blocks holding at least one training row, in a stratified random
    /// order drawn from (seed, epoch): the file's blocks are cut into K strata of
    /// consecutive blocks, each stratum's blocks are permuted, and the order
    /// takes one block from every stratum, strata in a fresh random order, round
    /// after round. So any K consecutive blocks span the whole file: on a file
    /// sorted by class, the K resident blocks hold every class in about its
    /// share, where K blocks drawn at random would over- and under-represent some.
    static func loadOrder(seed: UInt64, epoch: Int, rowCount: Int, settings: StreamSettings, heldOut: RowBitmap?) -> [Int32] {
        let blocks = (rowCount + settings.blockRows - 1) / settings.blockRows
        var generator = RandomGenerator(seed: seed, stream: RandomStream.streamBlocksBase + UInt64(epoch))
        let strata = max(1, min(settings.slots, blocks))
        // Stratum s holds blocks s·B/S ..< (s+1)·B/S, in a random order.
        let members: [[Int32]] = (0..<strata).map { s in
            let lower = s * blocks / strata, upper = (s + 1) * blocks / strata
            return generator.permutation(count: upper - lower).map { Int32(lower) + $0 }
        }
        var order: [Int32] = []
        order.reserveCapacity(blocks)
        for round in 0..<(members.map(\.count).max() ?? 0) {
            for s in generator.permutation(count: strata) where round < members[Int(s)].count {
                order.append(members[Int(s)][round])
            }
        }
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
        var row: Int32 = 0, slot: Int32 = 0
        let (_, refill) = draw(upTo: 1, rows: &row, slots: &slot)
        return (row, Int(slot), refill)
    }

    /// The next rows, up to `limit` of them, into `rows` (and the slot of
    /// each into `slots`), stopping after the first draw that drains its
    /// block; returns how many were drawn and, for that last draw, what
    /// `draw()` says of the refill (nil: no block drained).
    ///
    /// The same rows as `limit` calls of `draw()`, drawn in two passes: the
    /// random choices first (slot and place in its row list, from counts that
    /// stay in L1), then the reads and swaps in the row lists, each a cache
    /// miss in K·C row ids that are prefetched a few draws ahead.
    mutating func draw(upTo limit: Int, rows: UnsafeMutablePointer<Int32>, slots: UnsafeMutablePointer<Int32>) -> (count: Int, refill: Bool?) {
        precondition(limit > 0 && !active.isEmpty, "drew past the end of the epoch")
        if picks.count < 2 * limit { picks = [Int32](repeating: 0, count: 2 * limit) }
        // Pass 1: which slot, and which of its rows (as places in slotRows).
        var count = 0, drainedAt = -1
        while count < limit {
            let a = pickSlot()
            let slot = Int(active[a]), left = Int(slotCount[slot]), base = slot * blockRows
            let j = generator.nextIndex(below: left)
            picks[2 * count] = Int32(base + j)
            picks[2 * count + 1] = Int32(base + left - 1)
            slots[count] = Int32(slot)
            slotCount[slot] -= 1
            if tail.isBuilt { tail.add(-1, at: a) }
            drawn += 1
            count += 1
            if left == 1 {
                drainedAt = a
                break
            }
        }
        // Pass 2: take each picked row and move the slot's last row into its place.
        slotRows.withUnsafeMutableBufferPointer { list in
            picks.withUnsafeBufferPointer { picks in
                for i in 0..<count {
                    if i + Self.prefetchDistance < count {
                        CLinux_prefetch(list.baseAddress! + Int(picks[2 * (i + Self.prefetchDistance)]))
                        CLinux_prefetch(list.baseAddress! + Int(picks[2 * (i + Self.prefetchDistance) + 1]))
                    }
                    let place = Int(picks[2 * i]), last = Int(picks[2 * i + 1])
                    rows[i] = list[place]
                    list[place] = list[last]
                }
            }
        }
        guard drainedAt >= 0 else { return (count, nil) }
        let slot = Int(slots[count - 1])
        resident[slot] = -1
        slotPhantoms[slot] = 0
        guard loaded < loadOrder.count else {
            // The tail: the last place's slot moves into the drained one's.
            let last = active.count - 1
            if tail.isBuilt, drainedAt != last {
                let moved = Int(slotCount[Int(active[last])])
                tail.add(moved, at: drainedAt)
                tail.add(-moved, at: last)
            }
            active[drainedAt] = active[last]
            active.removeLast()
            return (count, false)
        }
        load(into: slot)
        return (count, true)
    }

    /// Draws ahead whose row-list entries are prefetched.
    private static let prefetchDistance = 8

    /// The index in `active` of the slot the next row comes from.
    private mutating func pickSlot() -> Int {
        if loaded < loadOrder.count {
            while true {
                let a = generator.nextIndex(below: active.count)
                let slot = Int(active[a]), phantoms = Int(slotPhantoms[slot])
                guard phantoms > 0 else { return a }
                let count = Int(slotCount[slot])
                // A phantom row: draw again.
                guard generator.nextIndex(below: count + phantoms) < count else {
                    slotPhantoms[slot] -= 1
                    continue
                }
                return a
            }
        }
        // The epoch's tail, no blocks left to load: draw uniformly over the rows
        // left, so the last K blocks drain together and the epoch's last
        // minibatches still mix them all (uniform over slots would end on the
        // one or two blocks with the most rows left).
        // The place in `active` where the running sum of rows left passes r,
        // found in the tree in log K steps rather than by a scan of K slots.
        if !tail.isBuilt { tail = RowsLeft(active.map { Int(slotCount[Int($0)]) }) }
        return tail.place(of: generator.nextIndex(below: rowsInEpoch - drawn))
    }

    private mutating func load(into slot: Int) {
        let block = loadOrder[loaded]
        loaded += 1
        resident[slot] = block
        var count = 0
        for r in rows(ofBlock: block) where !(heldOut?.contains(r) ?? false) {
            slotRows[slot * blockRows + count] = Int32(r)
            count += 1
        }
        slotCount[slot] = Int32(count)
    }
}

/// Counts at places 0..<n with sums of any prefix and the place where the
/// running sum passes a value, each in O(log n) (a Fenwick tree).
struct RowsLeft {
    /// tree[i] holds the sum of the i & -i counts ending at place i - 1 (1-based).
    private var tree: [Int]

    init() { tree = [] }

    init(_ counts: [Int]) {
        tree = [0] + counts
        for i in 1..<tree.count {
            let parent = i + (i & -i)
            if parent < tree.count { tree[parent] += tree[i] }
        }
    }

    var isBuilt: Bool { !tree.isEmpty }

    mutating func add(_ delta: Int, at place: Int) {
        var i = place + 1
        while i < tree.count {
            tree[i] += delta
            i += i & -i
        }
    }

    /// The first place whose running sum (its count included) exceeds `value`,
    /// as a scan from place 0 would find it; `value` < the sum of all counts.
    func place(of value: Int) -> Int {
        var place = 0, left = value, step = 1
        while step * 2 < tree.count { step *= 2 }
        while step > 0 {
            if place + step < tree.count, tree[place + step] <= left {
                place += step
                left -= tree[place]
            }
            step /= 2
        }
        return place
    }
}
