// Reads one block of a training split's x: C whole rows, aligned to the file's
// chunks, with one hyperslab and one H5Dread, in the file's dtype (float64 is
// converted to Float by HDF5); or, for a deflated x, as its chunks' stored
// bytes, inflated by other threads (StoredChunks.swift). Only the prefetcher's
// I/O thread calls `read` and `readStored`; they count the bytes of rows they
// read, which any thread may look at.

import Foundation
import HDF5
import Synchronization

/// Memory for one block of rows, reused from block to block.
final class BlockBuffer: @unchecked Sendable {
    /// The block it holds (-1: none yet), and its place in the prefetcher's plan.
    var block: Int32 = -1
    var sequence = -1
    /// The prefetcher's buffers are consecutive pieces of one slab.
    private let arena: Slab<UInt8>
    private let offset: Int
    let capacity: Int

    init(capacity: Int, in arena: Slab<UInt8>, at offset: Int) {
        precondition(offset >= 0 && offset + capacity <= arena.count)
        self.capacity = capacity
        self.arena = arena
        self.offset = offset
    }

    /// The block's bytes: rows of uint8, or of Float.
    var bytes: UnsafeMutableRawPointer { UnsafeMutableRawPointer(arena.base + offset) }
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
    /// How x's chunks are stored when they are inflated by `inflaters` threads
    /// beside the I/O thread rather than inside HDF5 (nil: read with H5Dread).
    let storedFormat: StoredChunkFormat?
    let inflaters: Int
    /// Bytes of x's rows (as decoded) read from the file so far (the bound a distributed run keeps).
    private let readCount = Atomic<Int>(0)

    /// Inflater threads for a deflated x: `BACKPROP_INFLATERS` (0: let HDF5
    /// inflate, on the I/O thread), by default 2.
    static let defaultInflaters: Int = {
        let setting = ProcessInfo.processInfo.environment["BACKPROP_INFLATERS"].flatMap { Int($0) }
        return max(0, min(64, setting ?? 2))
    }()

    var bytesRead: Int { readCount.load(ordering: .relaxed) }

    var rowBytes: Int { featureCount * (isBytes ? 1 : 4) }

    /// Opens `split`/x of the file at `path` with a chunk cache sized to hold a
    /// few of its chunks, so that no chunk is read or inflated twice.
    /// A deflated x's chunks are inflated by `inflaters` threads (0: by HDF5).
    init(path: String, split: String, inflaters: Int = BlockReader.defaultInflaters) throws {
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
        self.inflaters = inflaters
        storedFormat = inflaters > 0 ? try StoredChunkFormat(x: x, isBytes: isBytes) : nil
    }

    /// Reads the file's rows `rows` into `buffer`, as bytes or as Float.
    func read(rows: Range<Int>, into buffer: BlockBuffer) throws {
        precondition(rows.count * rowBytes <= buffer.capacity)
        try readRows(rows, into: buffer.bytes)
        countRead(rows)
    }

    /// Reads rows `rows` with one hyperslab into `target`, checking floats are finite.
    func readRows(_ rows: Range<Int>, into target: UnsafeMutableRawPointer) throws {
        let count = rows.count * featureCount
        if isBytes {
            try x.read(rows: rows, into: UnsafeMutableBufferPointer(start: target.assumingMemoryBound(to: UInt8.self), count: count))
        } else {
            let values = UnsafeMutableBufferPointer(start: target.assumingMemoryBound(to: Float.self), count: count)
            try x.read(rows: rows, into: values)
            try DatasetFile.checkFinite(UnsafeBufferPointer(values), rowOffset: rows.lowerBound, x: x, path: path)
        }
    }

    func countRead(_ rows: Range<Int>) {
        readCount.add(rows.count * rowBytes, ordering: .relaxed)
    }

    func close() { file.close() }
}
