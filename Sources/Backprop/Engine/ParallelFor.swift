// The one place where work is fanned out onto Dispatch's pool.
//
// A task is an object with a `run(part:)` method rather than a closure:
// DispatchQueue.concurrentPerform copies its closure into a heap block on every
// call, while dispatch_apply_f takes a context pointer and a C function, so a
// step's three fan-outs allocate nothing. Every caller hands each part disjoint
// outputs (a worker's own workspace, a micro-shard's own gradient slot, a slice
// of the parameters), which is what makes the shared state safe without locks.

import CDispatchApply

/// Work split into parts that may run at the same time.
protocol ParallelTask: AnyObject {
    /// Does part `part`; called once for each part, on any thread.
    func run(part: Int)
}

/// Runs `task` on Dispatch's pool. The existential is kept in a buffer made
/// once, so that handing it to C needs no allocation per call.
final class ParallelRunner {
    private let slot: UnsafeMutablePointer<(any ParallelTask)?>

    init() {
        slot = .allocate(capacity: 1)
        slot.initialize(to: nil)
    }

    deinit {
        slot.deinitialize(count: 1)
        slot.deallocate()
    }

    /// Calls `task.run(part:)` for every part in 0..<parts, in parallel, and
    /// returns when all are done.
    func run(_ parts: Int, _ task: any ParallelTask) {
        if parts == 1 { return task.run(part: 0) }
        slot.pointee = task
        defer { slot.pointee = nil }
        CDispatchApply_parallel(parts, UnsafeMutableRawPointer(slot)) { context, part in
            context!.assumingMemoryBound(to: (any ParallelTask)?.self).pointee!.run(part: part)
        }
    }
}

/// Runs `body(i)` for i in 0..<iterations in parallel and returns when all
/// are done. Allocates a little per call: for set-up and measurement code, not
/// for the training step.
func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        final class ClosureTask: ParallelTask {
            let body: (Int) -> Void
            init(_ body: @escaping (Int) -> Void) { self.body = body }
            func run(part: Int) { body(part) }
        }
        ParallelRunner().run(iterations, ClosureTask(body))
    }
}
