// The bounded read-ahead of a streamed split: one I/O thread that makes every
// HDF5 call of training (the library serialises them anyway) and reads blocks,
// in the order the sampler will need them, into a fixed set of buffers while
// the workers compute. The trainer takes each block in that same order; the
// time it waits for one is the run's data wait.

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
    private let condition = NSCondition()
    private var free: [BlockBuffer]
    private var ready: [BlockBuffer] = []
    private var failure: Error?
    private var stopping = false
    private var running = true
    /// Seconds the trainer has spent waiting in `take()`.
    private(set) var waitSeconds = 0.0

    init(reader: BlockReader, blockRows: Int, buffers: Int, plan: Plan) {
        self.reader = reader
        self.blockRows = blockRows
        free = (0..<buffers).map { _ in BlockBuffer(capacity: blockRows * reader.rowBytes) }
        ready.reserveCapacity(buffers)
        let thread = Thread { [self] in run(plan) }
        thread.name = "backprop.prefetch"
        thread.start()
    }

    /// The next block in plan order, waiting for it if it is not read yet.
    func take() throws -> BlockBuffer {
        condition.lock()
        defer { condition.unlock() }
        if ready.isEmpty && failure == nil {
            let start = DispatchTime.now().uptimeNanoseconds
            while ready.isEmpty && failure == nil { condition.wait() }
            waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        if ready.isEmpty, let failure { throw failure }
        return ready.removeFirst()
    }

    /// Gives a buffer whose rows have all been drawn back for reading.
    func recycle(_ buffer: BlockBuffer) {
        condition.lock()
        free.append(buffer)
        condition.signal()
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
            condition.lock()
            while free.isEmpty && !stopping { condition.wait() }
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
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.lock()
            ready.append(buffer)
            condition.signal()
            condition.unlock()
        }
    }
}
