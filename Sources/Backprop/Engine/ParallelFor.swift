// The one place where work is fanned out across cores.
//
// A scheduler owns a crew (its evaluator runs on the same one): W − 1
// long-lived work items on Dispatch queues, each parked on its own semaphore,
// plus the calling thread. A fan-out signals the helpers it needs, runs part 0
// itself, and waits for the others. The helpers leave when the crew is released.
// Nothing is allocated per fan-out: DispatchQueue.concurrentPerform copies its
// closure into a heap block on every call (4 mallocs, measured), and even
// dispatch_apply_f allocates continuations once its threads really run in
// parallel (1 malloc a call, measured); semaphores made once allocate nothing.
//
// A task is an object with a `run(part:)` method rather than a closure, for the
// same reason; the step's tasks are in Passes.swift. Every caller hands each part disjoint outputs (a worker's own
// workspace, a micro-shard's own gradient slot, a slice of the parameters),
// which is what makes the shared state safe without locks; the semaphores
// order each part's writes before the caller's reads.

import Dispatch

/// Work split into parts that may run at the same time.
protocol ParallelTask: AnyObject {
    /// Does part `part`; called once for each part, on any thread.
    func run(part: Int)
}

/// The calling thread and `size − 1` parked helpers. The helpers leave when
/// the crew is released.
final class WorkerCrew: @unchecked Sendable {
    let size: Int
    private let board: Board

    /// What the helpers share with the crew. The helpers hold this, not the
    /// crew, so that releasing the crew is what dismisses them.
    private final class Board: @unchecked Sendable {
        let start: [DispatchSemaphore]
        let done = DispatchSemaphore(value: 0)
        /// The task of the fan-out under way, read by the helpers after their start signal.
        var task: (any ParallelTask)?
        var stopping = false

        init(helpers: Int) {
            start = (0..<helpers).map { _ in DispatchSemaphore(value: 0) }
        }
    }

    init(size: Int) {
        precondition(size > 0)
        self.size = size
        let board = Board(helpers: size - 1)
        self.board = board
        for helper in 1..<size {
            // A private queue of its own: private queues overcommit, so each helper
            // gets a thread even when there are more workers than cores, where the
            // global queues would hold a parked helper back until a thread frees.
            DispatchQueue(label: "backprop.worker.\(helper)", qos: .userInitiated).async {
                while true {
                    board.start[helper - 1].wait()
                    if board.stopping { return }
                    board.task!.run(part: helper)
                    board.done.signal()
                }
            }
        }
    }

    deinit {
        board.stopping = true
        for semaphore in board.start { semaphore.signal() }
    }

    /// Calls `task.run(part:)` for every part in 0..<parts (at most `size`),
    /// in parallel, and returns when all are done.
    func run(_ parts: Int, _ task: any ParallelTask) {
        precondition(parts >= 1 && parts <= size, "\(parts) parts for a crew of \(size)")
        if parts == 1 { return task.run(part: 0) }
        board.task = task
        for helper in 1..<parts { board.start[helper - 1].signal() }
        task.run(part: 0)
        for _ in 1..<parts { board.done.wait() }
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
