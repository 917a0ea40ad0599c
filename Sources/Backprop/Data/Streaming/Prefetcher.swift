// The bounded read-ahead of a streamed split: one I/O thread that makes every
// HDF5 call of training (the library serialises them anyway) and reads blocks,
// in the order the sampler will need them, into a fixed set of buffers while
// the workers compute. The trainer takes each block in that same order; the
// time it waits for one is the run's data wait.
//
// Under mpirun the plan's blocks are dealt out: the n-th block of the plan is
// read by rank n mod R only, and sent to the others by the trainer's thread
// (StreamedSplit+Ranks.swift), so the file is read once, not R times. This
// thread then reads only its own rank's blocks, and holds at most `readAhead`
// of them, so that a free buffer is always left to receive another rank's
// block into: the trainer holds at most K − 1 buffers when it takes one.
//
// A deflated x is read as its chunks' stored bytes (BlockReader.readStored)
// into one of a few staging areas, and inflated into the block's buffer by a
// small pool of inflater threads, in parallel and outside HDF5's lock. Blocks
// may then finish out of order; each carries its place in the plan, and the
// trainer still takes them in plan order.

import Foundation

final class Prefetcher: @unchecked Sendable {
    /// The blocks to read, in order: a finite prologue, then epoch after epoch.
    struct Plan: Sendable {
        var prologue: [Int32]
        /// Epoch and index in its load order to continue from after the prologue.
        var epoch: Int
        var position: Int
        /// The load order of an epoch. An empty one ends the plan: the I/O thread
        /// stops once it has read the blocks before it (a finite plan, as an
        /// evaluation pass reads; training's epochs always hold a block).
        var loadOrder: @Sendable (Int) -> [Int32]
    }

    private let reader: BlockReader
    private let blockRows: Int
    /// This rank and the number of ranks the plan's blocks are dealt to.
    private let rank: Int, ranks: Int
    /// Buffers this thread may hold read or being read.
    private let ownLimit: Int
    /// Blocks of the plan taken so far by the trainer.
    private var taken = 0
    private let condition = NSCondition()
    private var free: [BlockBuffer]
    /// Blocks read (and inflated), in any order; `take()` picks by `sequence`.
    private var ready: [BlockBuffer] = []
    /// Stored chunks waiting for an inflater, the staging areas free to read
    /// them into, and the blocks read but not yet inflated.
    private var inflating: [(buffer: BlockBuffer, stored: StoredBlock)] = []
    private var staging: [StoredBlock]
    /// Inflater threads (0: blocks are read with H5Dread, which inflates).
    private let inflaters: Int
    private var pending = 0
    /// The first failure, and the place in the plan of the block it is about:
    /// blocks before it are still delivered.
    private var failure: (sequence: Int, error: Error)?
    private var stopping = false
    /// The I/O thread and the inflaters still running.
    private var running: Int
    /// Seconds the trainer has spent waiting in `take()`.
    private(set) var waitSeconds = 0.0

    /// Reads the blocks of `plan` that fall to `rank` of `ranks` (every block
    /// with one rank) into `buffers` buffers, at most `readAhead` of them ahead
    /// when there are several ranks.
    init(reader: BlockReader, blockRows: Int, buffers: Int, readAhead: Int, plan: Plan, rank: Int = 0, ranks: Int = 1) {
        precondition(ranks == 1 || (readAhead >= 1 && readAhead < buffers))
        self.reader = reader
        self.blockRows = blockRows
        self.rank = rank
        self.ranks = ranks
        ownLimit = ranks == 1 ? buffers : readAhead
        // One slab backed by huge pages: the workers read rows at random places in it.
        let capacity = blockRows * reader.rowBytes
        let arena = Slab<UInt8>(count: buffers * capacity, repeating: 0, hugePages: true)
        free = (0..<buffers).map { BlockBuffer(capacity: capacity, in: arena, at: $0 * capacity) }
        ready.reserveCapacity(buffers)
        inflaters = reader.storedFormat == nil ? 0 : min(reader.inflaters, buffers)
        // One staging area more than inflaters lets the I/O thread read while all inflate.
        staging = (0..<(inflaters > 0 ? inflaters + 1 : 0)).map { _ in StoredBlock() }
        running = 1 + inflaters
        let thread = Thread { [self] in run(plan) }
        thread.name = "backprop.prefetch"
        thread.start()
        if let format = reader.storedFormat {
            for _ in 0..<inflaters {
                let inflater = Thread { [self] in inflate(format) }
                inflater.name = "backprop.inflate"
                inflater.start()
            }
        }
    }

    /// The next block in plan order and the rank that reads it. When that is
    /// this rank, the buffer holds the block, waited for if it is not read yet;
    /// otherwise it is a free buffer to receive the block into.
    func take() throws -> (buffer: BlockBuffer, readBy: Int) {
        condition.lock()
        defer { condition.unlock() }
        let owner = taken % ranks, wanted = taken
        taken += 1
        if owner != rank {
            // Never waits in practice: this thread leaves a buffer free (see above).
            while free.isEmpty { condition.wait() }
            return (free.removeLast(), owner)
        }
        func found() -> Int? { ready.firstIndex { $0.sequence == wanted } }
        func failed() -> Bool { failure.map { $0.sequence <= wanted } ?? false }
        if found() == nil && !failed() {
            let start = DispatchTime.now().uptimeNanoseconds
            while found() == nil && !failed() { condition.wait() }
            waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        guard let index = found() else { throw failure!.error }
        let buffer = ready.remove(at: index)
        condition.broadcast()
        return (buffer, owner)
    }

    /// Counts `seconds` spent receiving a block from another rank as data wait.
    func addWait(_ seconds: Double) {
        condition.lock()
        waitSeconds += seconds
        condition.unlock()
    }

    /// Gives a buffer whose rows have all been drawn back for reading.
    func recycle(_ buffer: BlockBuffer) {
        condition.lock()
        free.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops reading and waits for the I/O thread and the inflaters to finish.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// Records `error` about the block at `sequence` in the plan; the earliest is kept. Called locked.
    private func fail(_ sequence: Int, _ error: Error) {
        if failure == nil || sequence < failure!.sequence { failure = (sequence, error) }
    }

    private func run(_ plan: Plan) {
        defer {
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
        var epoch = plan.epoch, position = plan.position
        var order = plan.loadOrder(epoch)
        var prologue = plan.prologue[...]
        var sequence = 0
        while true {
            let block: Int32
            if let next = prologue.popFirst() {
                block = next
            } else {
                while position >= order.count {
                    epoch += 1
                    position = 0
                    order = plan.loadOrder(epoch)
                    if order.isEmpty { return }
                }
                block = order[position]
                position += 1
            }
            defer { sequence += 1 }
            guard sequence % ranks == rank else { continue }
            let inflates = inflaters > 0
            condition.lock()
            while (free.isEmpty || ready.count + pending >= ownLimit || (inflates && staging.isEmpty)) && !stopping {
                condition.wait()
            }
            if stopping { condition.unlock(); return }
            let buffer = free.removeLast()
            let stored = inflates ? staging.removeLast() : nil
            condition.unlock()

            let rows = Int(block) * blockRows..<min(reader.rowCount, (Int(block) + 1) * blockRows)
            do {
                if let stored, let format = reader.storedFormat {
                    try reader.readStored(rows: rows, format: format, into: stored, buffer: buffer)
                } else {
                    try reader.read(rows: rows, into: buffer)
                }
                buffer.block = block
                buffer.sequence = sequence
            } catch {
                condition.lock()
                fail(sequence, error)
                // Still free for blocks received from other ranks before this one's turn.
                free.append(buffer)
                if let stored { staging.append(stored) }
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.lock()
            if let stored {
                inflating.append((buffer, stored))
                pending += 1
            } else {
                ready.append(buffer)
            }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// An inflater thread: inflates blocks of stored chunks into their buffers until stopped.
    private func inflate(_ format: StoredChunkFormat) {
        var scratch: [UInt8] = []
        condition.lock()
        while true {
            while inflating.isEmpty && !stopping { condition.wait() }
            if stopping { break }
            let (buffer, stored) = inflating.removeFirst()
            condition.unlock()
            var error: Error?
            do { try reader.inflate(stored, format: format, into: buffer, scratch: &scratch) } catch let e { error = e }
            condition.lock()
            staging.append(stored)
            pending -= 1
            if let error {
                fail(buffer.sequence, error)
                free.append(buffer)
            } else {
                ready.append(buffer)
            }
            condition.broadcast()
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
