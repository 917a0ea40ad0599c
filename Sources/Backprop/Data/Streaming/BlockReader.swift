// Reads one block of a training split's x: C whole rows, aligned to the file's
// chunks, with one hyperslab and one H5Dread, in the file's dtype (float64 is
// converted to Float by HDF5). Only the prefetcher's I/O thread calls `read`;
// it counts the bytes it reads, which any thread may look at.

import HDF5
import Synchronization

/// Memory for one block of rows, reused from block to block.
final class BlockBuffer: @unchecked Sendable {
    /// The block it holds (-1: none yet).
    var block: Int32 = -1
    private let storage: Slab<UInt8>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        storage = Slab(zeros: capacity)
    }

    /// The block's bytes: rows of uint8, or of Float.
    var bytes: UnsafeMutableRawPointer { UnsafeMutableRawPointer(storage.base) }
}

/// x of one split, opened for block reads.
final class BlockReader: @unchecked Sendable {
    let file: HDF5File
    let x: HDF5Dataset
    let path: String
    let rowCount: Int
    let featureCount: Int
    /// Whether x is uint8 (kept as bytes) rather than float (read as Float).
    let isBytes: Bool
    /// Rows of the file's chunks; nil for a contiguous dataset.
    let chunkRows: Int?
    /// Bytes of x read from the file so far (the bound a distributed run keeps).
    private let readCount = Atomic<Int>(0)

    var bytesRead: Int { readCount.load(ordering: .relaxed) }

    var rowBytes: Int { featureCount * (isBytes ? 1 : 4) }

    /// Opens `split`/x of the file at `path` with a chunk cache sized to hold a
    /// few of its chunks, so that no chunk is read or inflated twice.
    init(path: String, split: String) throws {
        self.path = path
        file = try HDF5File(path: path, mode: .readOnly)
        let probe = try file.dataset("\(split)/x")
        guard probe.shape.count == 2 else { throw DatasetError(file: path, "\(split)/x has shape \(probe.shape); expected N × D") }
        let chunk = try probe.chunkShape()
        let elementBytes = probe.elementClass == .integer(signed: false, bytes: 1) ? 1 : 4
        let chunkBytes = chunk.map { $0.reduce(elementBytes, *) } ?? 0
        x = try file.dataset("\(split)/x", chunkCacheBytes: max(4 << 20, 4 * chunkBytes), chunkCacheSlots: 10007)
        rowCount = x.shape[0]
        featureCount = x.shape[1]
        isBytes = x.elementClass == .integer(signed: false, bytes: 1)
        chunkRows = chunk?.first
    }

    /// Reads the file's rows `rows` into `buffer`, as bytes or as Float.
    func read(rows: Range<Int>, into buffer: BlockBuffer) throws {
        precondition(rows.count * rowBytes <= buffer.capacity)
        let count = rows.count * featureCount
        if isBytes {
            let target = UnsafeMutableBufferPointer(start: buffer.bytes.assumingMemoryBound(to: UInt8.self), count: count)
            try x.read(rows: rows, into: target)
        } else {
            let target = UnsafeMutableBufferPointer(start: buffer.bytes.assumingMemoryBound(to: Float.self), count: count)
            try x.read(rows: rows, into: target)
            try DatasetFile.checkFinite(UnsafeBufferPointer(target), rowOffset: rows.lowerBound, x: x, path: path)
        }
        readCount.add(rows.count * rowBytes, ordering: .relaxed)
    }

    func close() { file.close() }
}
