// A streamed split under mpirun, read once rather than once per rank.
//
// Every rank replays the same block sampler, so every rank needs every block
// in the same order: the sampler's load order, a function of (seed, epoch)
// alone. The n-th block of that order is read from the file by rank n mod R
// only (its prefetcher reads its own blocks ahead), and when the sampler takes
// it the trainer's thread broadcasts it from that rank to the others. Every
// rank's K resident blocks are then the same bytes one process would hold, the
// minibatches are the same rows, and the bits do not depend on R; across the
// ranks the file is read once per epoch, plus the resident blocks again when
// a run resumes (one buffer, split among the ranks).
//
// The broadcast is made on the trainer's thread between steps, never on the
// I/O thread: MPI is initialised MPI_THREAD_SERIALIZED, and the trainer's
// thread makes the gradient exchange's calls, so only it may call MPI. A rank
// whose read fails throws before the broadcast; the others wait in it until
// that rank's MPI_Abort ends them (Ranks.fail), so nothing hangs.

import Dispatch

extension StreamedSplit {
    /// Shares the blocks among `communicator`'s ranks. Call it on every rank,
    /// before the first epoch begins.
    public func share(over communicator: any Communicator) {
        precondition(prefetcher == nil, "the blocks are shared before streaming starts")
        self.communicator = communicator
    }

    /// Gives every rank the bytes of `block`, which rank `readBy` read into its
    /// `buffer`; the others' `buffer` is a free one to receive it into.
    func share(_ buffer: BlockBuffer, block: Int32, readBy: Int, prefetcher: Prefetcher) {
        let rows = Int(block) * settings.blockRows..<min(rowCount, (Int(block) + 1) * settings.blockRows)
        let start = DispatchTime.now().uptimeNanoseconds
        communicator.broadcast(buffer.bytes, count: rows.count * reader.rowBytes, root: readBy)
        buffer.block = block
        // Waiting for another rank's block is waiting for data, as a read is.
        if readBy != communicator.rank {
            prefetcher.addWait(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }

    /// Bytes of the split's x as read (float64 as Float): what one read of
    /// every block comes to.
    public var storedBytes: Int { rowCount * reader.rowBytes }

    /// Bytes of x each rank has read from the file so far, in rank order; a
    /// collective call.
    public func bytesReadByRank() -> [Int] {
        var counts = [Int64](repeating: 0, count: communicator.size)
        counts[communicator.rank] = Int64(reader.bytesRead)
        let sizes = [Int32](repeating: 8, count: counts.count)
        let offsets = (0..<Int32(counts.count)).map { $0 * 8 }
        counts.withUnsafeMutableBytes { raw in
            sizes.withUnsafeBufferPointer { sizes in
                offsets.withUnsafeBufferPointer { offsets in
                    communicator.allGather(raw.baseAddress!, counts: sizes.baseAddress!, offsets: offsets.baseAddress!,
                                           type: .byte)
                }
            }
        }
        return counts.map(Int.init)
    }
}
