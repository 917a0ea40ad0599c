// The one place where work is fanned out across cores.
//
// A scheduler owns a crew (its evaluator runs on the same one): W − 1
// long-lived helpers on Dispatch queues plus the calling thread. A fan-out
// hands the task to the helpers it needs, runs part 0 itself, and waits for the
// others. Nothing is allocated per fan-out: DispatchQueue.concurrentPerform
// copies its closure into a heap block on every call (4 mallocs, measured), and
// even dispatch_apply_f allocates continuations once its threads really run in
// parallel (1 malloc a call, measured).
//
// A step makes three fan-outs a few microseconds apart (gradients, reduce,
// update), so between them a helper spins for a while on its own counter
// before it parks on its semaphore, and the caller spins likewise before it
// sleeps waiting for the helpers: waking a parked thread costs a futex call and
// a trip through the kernel's scheduler on both sides, tens of microseconds
// that a step at batch 32 cannot spare. Spinning only pays while every thread
// has a core of its own, so a crew larger than the cores this process may run
// on parks at once.
//
// A task is an object with a `run(part:)` method rather than a closure, for the
// same reason; the step's tasks are in Passes.swift. Every caller hands each
// part disjoint outputs (a worker's own workspace, a micro-shard's own gradient
// slot, a slice of the parameters), which is what makes the shared state safe
// without locks; the counters' release and acquire order each part's writes
// before the caller's reads.

import CLinux
import Dispatch
import Synchronization

/// Work split into parts that may run at the same time.
protocol ParallelTask: AnyObject {
    /// Does part `part`; called once for each part, on any thread.
    func run(part: Int)
}

/// The calling thread and `size − 1` helpers. The helpers leave when the crew
/// is released.
final class WorkerCrew: @unchecked Sendable {
    let size: Int
    private let board: Board

    /// How long a thread spins before it parks.
    static let spinNanoseconds: UInt64 = 50_000

    /// One side of a hand-over between threads: a counter the waiting thread
    /// spins on, and a semaphore it parks on once the spin is over. `parked`
    /// says which, so that the other side signals only a thread that sleeps.
    private final class Signal: @unchecked Sendable {
        let count = Atomic<Int>(0)
        let parked = Atomic<Bool>(false)
        let semaphore = DispatchSemaphore(value: 0)

        /// Adds `amount` to the count and wakes the waiting thread if it parked.
        func post(_ amount: Int = 1) {
            count.add(amount, ordering: .sequentiallyConsistent)
            if parked.exchange(false, ordering: .sequentiallyConsistent) { semaphore.signal() }
        }

        /// Returns once the count is `target` or more: spinning for up to
        /// `spin` nanoseconds, then parked.
        func wait(until target: Int, spin: UInt64) {
            if spin > 0 {
                let deadline = DispatchTime.now().uptimeNanoseconds + spin
                var rounds = 0
                while count.load(ordering: .acquiring) < target {
                    CLinux_spin_pause()
                    rounds += 1
                    if rounds & 63 == 0 && DispatchTime.now().uptimeNanoseconds > deadline { break }
                }
            }
            while count.load(ordering: .acquiring) < target {
                // Say so before the last look: a poster that then sees `parked`
                // signals, one that does not has already counted.
                parked.store(true, ordering: .sequentiallyConsistent)
                if count.load(ordering: .sequentiallyConsistent) >= target {
                    // The count arrived meanwhile. If a poster also took `parked`
                    // back, its signal is on the way: take it, so none is left over.
                    if !parked.exchange(false, ordering: .sequentiallyConsistent) { semaphore.wait() }
                    return
                }
                semaphore.wait()
            }
        }
    }

    /// What the helpers share with the crew. The helpers hold this, not the
    /// crew, so that releasing the crew is what dismisses them.
    private final class Board: @unchecked Sendable {
        /// One per helper: how many fan-outs it has been handed.
        let start: [Signal]
        /// Parts finished by helpers, over the crew's life.
        let done = Signal()
        let spin: UInt64
        /// The task of the fan-out under way, read by the helpers after their start signal.
        var task: (any ParallelTask)?
        var stopping = false

        init(helpers: Int, spin: UInt64) {
            start = (0..<helpers).map { _ in Signal() }
            self.spin = spin
        }
    }

    init(size: Int) {
        precondition(size > 0)
        self.size = size
        let board = Board(helpers: size - 1, spin: size <= CPUMask.allowedCores ? Self.spinNanoseconds : 0)
        self.board = board
        for helper in 1..<size {
            // A private queue of its own: private queues overcommit, so each helper
            // gets a thread even when there are more workers than cores, where the
            // global queues would hold a parked helper back until a thread frees.
            DispatchQueue(label: "backprop.worker.\(helper)", qos: .userInitiated).async {
                let signal = board.start[helper - 1]
                var handed = 0
                while true {
                    handed += 1
                    signal.wait(until: handed, spin: board.spin)
                    if board.stopping { return }
                    board.task!.run(part: helper)
                    board.done.post()
                }
            }
        }
    }

    deinit {
        board.stopping = true
        for signal in board.start { signal.post() }
    }

    /// Parts finished by helpers before the fan-out under way.
    private var helperPartsDone = 0

    /// Calls `task.run(part:)` for every part in 0..<parts (at most `size`),
    /// in parallel, and returns when all are done.
    func run(_ parts: Int, _ task: any ParallelTask) {
        precondition(parts >= 1 && parts <= size, "\(parts) parts for a crew of \(size)")
        if parts == 1 { return task.run(part: 0) }
        board.task = task
        for helper in 1..<parts { board.start[helper - 1].post() }
        task.run(part: 0)
        helperPartsDone += parts - 1
        board.done.wait(until: helperPartsDone, spin: board.spin)
        board.task = nil
    }
}

/// Runs `body(i)` for i in 0..<iterations in parallel and returns when all
/// are done. Starts a crew per call: for set-up and measurement code, not for
/// the training step.
func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        final class ClosureTask: ParallelTask {
            let body: (Int) -> Void
            init(_ body: @escaping (Int) -> Void) { self.body = body }
            func run(part: Int) { body(part) }
        }
        WorkerCrew(size: iterations).run(iterations, ClosureTask(body))
    }
}
