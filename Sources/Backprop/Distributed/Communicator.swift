// How the ranks of a run talk to each other. The engine moves bytes through
// this and nothing else: every addition of gradients is Backprop's own, in the
// single-process tree order (ExchangePlan.swift), so MPI's reductions, which may
// re-associate, are never used for numbers that reach the parameters. The one
// reduction offered, `agree`, takes the maximum of small integer flags (stop
// requests, failures), where order cannot matter.
//
// Collectives must be called by every rank in the same order. A rank that fails
// must not throw past one: it reports and calls `abort`, which ends every rank.

import Glibc

/// The element type of a collective's buffers.
public enum CommunicatorElement: Sendable {
    case byte, float, double

    var size: Int {
        switch self {
        case .byte: 1
        case .float: 4
        case .double: 8
        }
    }
}

/// The ranks of one run: `size` processes, this one is `rank`.
public protocol Communicator: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }

    /// Personalised all-to-all: `sendCounts[q]` elements from `send + sendOffsets[q]`
    /// go to rank q, and rank p's part for this rank lands at
    /// `receive + receiveOffsets[p]` (`receiveCounts[p]` elements). Counts and
    /// offsets are in elements of `type`.
    func allToAll(
        send: UnsafeRawPointer, sendCounts: UnsafePointer<Int32>, sendOffsets: UnsafePointer<Int32>,
        receive: UnsafeMutableRawPointer, receiveCounts: UnsafePointer<Int32>, receiveOffsets: UnsafePointer<Int32>,
        type: CommunicatorElement)

    /// In-place all-gather: rank p's `counts[p]` elements already sit at
    /// `buffer + offsets[p]` on rank p; afterwards every rank has all of them.
    func allGather(
        _ buffer: UnsafeMutableRawPointer, counts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>,
        type: CommunicatorElement)

    /// Rank `root`'s `count` bytes at `buffer` overwrite every other rank's.
    func broadcast(_ buffer: UnsafeMutableRawPointer, count: Int, root: Int)

    /// Every rank's `flags`, replaced by their element-wise maximum over the ranks.
    func agree(_ flags: UnsafeMutablePointer<Int32>, count: Int)

    /// The first `count` ranks as a communicator of their own, numbered as
    /// here; nil on the other ranks. Every rank of this one must call it.
    func leading(_ count: Int) -> (any Communicator)?

    /// Returns once every rank has called it, waiting without keeping a core
    /// busy (MPI's blocking collectives poll): for a benchmark, whose idle ranks
    /// share the machine with the ranks it times.
    func quietBarrier()

    /// Ends every rank of the run with exit status `code`. Call it after
    /// printing why; it does not return.
    func abort(code: Int32) -> Never

    /// Leaves the run cleanly (MPI_Finalize); call once, at the very end.
    func finish()
}

extension Communicator {
    /// Whether this is the rank that prints, logs and writes checkpoints.
    public var isRoot: Bool { rank == 0 }

    /// Broadcasts a byte array of any length from `root`.
    public func broadcast(_ bytes: inout [UInt8], root: Int = 0) {
        var count = Int64(bytes.count)
        withUnsafeMutableBytes(of: &count) { broadcast($0.baseAddress!, count: 8, root: root) }
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(count)) }
        // Broadcast in pieces below 2 GB: MPI counts are 32-bit.
        let piece = 1 << 30
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = min(piece, raw.count - offset)
                broadcast(raw.baseAddress! + offset, count: n, root: root)
                offset += n
            }
        }
    }

    /// Whether any rank passed true.
    public func any(_ flag: Bool) -> Bool {
        var value: Int32 = flag ? 1 : 0
        agree(&value, count: 1)
        return value != 0
    }
}

/// One process, no MPI: every collective is a local copy or nothing.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func allToAll(
        send: UnsafeRawPointer, sendCounts: UnsafePointer<Int32>, sendOffsets: UnsafePointer<Int32>,
        receive: UnsafeMutableRawPointer, receiveCounts: UnsafePointer<Int32>, receiveOffsets: UnsafePointer<Int32>,
        type: CommunicatorElement
    ) {
        precondition(sendCounts[0] == receiveCounts[0])
        (receive + Int(receiveOffsets[0]) * type.size)
            .copyMemory(from: send + Int(sendOffsets[0]) * type.size, byteCount: Int(sendCounts[0]) * type.size)
    }

    public func allGather(
        _ buffer: UnsafeMutableRawPointer, counts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>,
        type: CommunicatorElement
    ) {}

    public func broadcast(_ buffer: UnsafeMutableRawPointer, count: Int, root: Int) {}

    public func agree(_ flags: UnsafeMutablePointer<Int32>, count: Int) {}

    public func leading(_ count: Int) -> (any Communicator)? {
        precondition(count == 1)
        return self
    }

    public func quietBarrier() {}

    public func abort(code: Int32) -> Never { exit(code) }

    public func finish() {}
}
