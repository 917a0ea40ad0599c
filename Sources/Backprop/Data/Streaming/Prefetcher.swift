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
    private var ready: [BlockBuffer] = []
    private var failure: Error?
    private var stopping = false
    private var running = true
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
        free = (0..<buffers).map { _ in BlockBuffer(capacity: blockRows * reader.rowBytes) }
        ready.reserveCapacity(buffers)
        let thread = Thread { [self] in run(plan) }
        thread.name = "backprop.prefetch"
        thread.start()
    }

    /// The next block in plan order and the rank that reads it. When that is
    /// this rank, the buffer holds the block, waited for if it is not read yet;
    /// otherwise it is a free buffer to receive the block into.
    func take() throws -> (buffer: BlockBuffer, readBy: Int) {
        condition.lock()
        defer { condition.unlock() }
        let owner = taken % ranks
        taken += 1
        if owner != rank {
            // Never waits in practice: this thread leaves a buffer free (see above).
            while free.isEmpty { condition.wait() }
            return (free.removeLast(), owner)
        }
        if ready.isEmpty && failure == nil {
            let start = DispatchTime.now().uptimeNanoseconds
            while ready.isEmpty && failure == nil { condition.wait() }
            waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        if ready.isEmpty, let failure { throw failure }
        let buffer = ready.removeFirst()
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

    /// Stops reading and waits for the I/O thread to finish.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func run(_ plan: Plan) {
        defer {
            condition.lock()
            running = false
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
            condition.lock()
            while (free.isEmpty || ready.count >= ownLimit) && !stopping { condition.wait() }
            if stopping { condition.unlock(); return }
            let buffer = free.removeLast()
            condition.unlock()

            let rows = Int(block) * blockRows..<min(reader.rowCount, (Int(block) + 1) * blockRows)
            do {
                try reader.read(rows: rows, into: buffer)
                buffer.block = block
            } catch {
                condition.lock()
                failure = error
                // Still free for blocks received from other ranks before this one's turn.
                free.append(buffer)
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.lock()
            ready.append(buffer)
            condition.broadcast()
            condition.unlock()
        }
    }
}
