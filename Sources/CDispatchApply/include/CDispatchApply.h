// dispatch_apply_f, the function-pointer form of Dispatch's parallel loop.
//
// Swift's DispatchQueue.concurrentPerform wraps its closure in a heap-allocated
// block on every call (four mallocs, measured); the scheduler calls it three
// times a step, and training must not allocate in its steady state. The C form
// takes a context pointer and a plain function instead. Swift's Dispatch module
// does not export it on Linux, so it is declared here; libdispatch itself comes
// with the Swift runtime. The queue argument NULL is DISPATCH_APPLY_AUTO.
#ifndef CDISPATCHAPPLY_H
#define CDISPATCHAPPLY_H

#include <stddef.h>

extern void dispatch_apply_f(size_t iterations, void *queue, void *context, void (*work)(void *context, size_t iteration));

/// Runs work(context, i) for i in 0..<iterations on Dispatch's pool, and returns when all are done.
static inline void CDispatchApply_parallel(size_t iterations, void *context, void (*work)(void *, size_t)) {
    dispatch_apply_f(iterations, NULL, context, work);
}

#endif
