// The one place where work is fanned out onto Dispatch's pool.
//
// Every caller hands each iteration disjoint outputs (a worker's own workspace,
// a micro-shard's own gradient slot, a slice of the parameters), which is what
// makes the pointers it captures safe to share; the compiler cannot see that,
// so the claim is made here once instead of at every call site.

import Dispatch

/// Runs `body(i)` for i in 0..<iterations in parallel and returns when all are done.
@inline(__always)
func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
    if iterations == 1 { return body(0) }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: iterations) { body($0) }
    }
}
