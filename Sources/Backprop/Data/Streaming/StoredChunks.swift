// Deflate-compressed chunks read as they are stored and inflated off the I/O
// thread. An H5Dread of a deflated dataset inflates every chunk inside HDF5,
// under its global lock, on the one thread that reads; here the I/O thread only
// copies each chunk's stored bytes (H5Dread_chunk, about 15 GB/s from page
// cache) and inflater threads run zlib on them in parallel. The rows are
// byte for byte what H5Dread gives: zlib's inflate is HDF5's deflate filter
// backwards, and the shuffle filter's inverse is the transpose below.
//
// Only a dataset chunked in whole rows, whose filters are deflate alone or
// shuffle then deflate, and stored in the memory type (uint8, or little-endian
// float32), is read this way; anything else is read with H5Dread as before.

import CZlib
import HDF5

/// How x's chunks are stored, when they can be inflated off the I/O thread.
struct StoredChunkFormat: Sendable {
    /// R, rows a chunk (a chunk holds whole rows).
    let chunkRows: Int
    /// Bytes a row in memory, and an element.
    let rowBytes: Int
    let elementBytes: Int
    /// Whether HDF5's shuffle filter ran before deflate.
    let shuffled: Bool

    /// Bytes of a chunk inflated: every chunk, an edge chunk too, stores R whole rows.
    var chunkBytes: Int { chunkRows * rowBytes }
    /// The most bytes deflate makes of a chunk (zlib's bound); a larger stored
    /// size is corrupt, and is refused before anything is allocated for it.
    var maxStoredBytes: Int { Int(compressBound(uLong(chunkBytes))) }

    /// The format of `x` (N × D, read as bytes or as Float), or nil when its
    /// chunks have to be read with H5Dread.
    init?(x: HDF5Dataset, isBytes: Bool) throws {
        guard x.shape.count == 2, x.shape[0] > 0, x.shape[1] > 0,
              let chunk = try x.chunkShape(), chunk.count == 2, chunk[1] == x.shape[1],
              try isBytes ? x.storesNative(UInt8.self) : x.storesNative(Float.self)
        else { return nil }
        switch try x.filters() {
        case [.deflate]: shuffled = false
        case [.shuffle, .deflate]: shuffled = true
        default: return nil
        }
        chunkRows = chunk[0]
        elementBytes = isBytes ? 1 : 4
        rowBytes = x.shape[1] * elementBytes
    }
}

/// A block's chunks as stored in the file, read by the I/O thread and waiting
/// to be inflated into its buffer. Reused from block to block.
final class StoredBlock: @unchecked Sendable {
    struct Chunk {
        /// The chunk's first row in the file, and the rows of it the block takes.
        let start: Int
        let rows: Range<Int>
        /// Where its stored bytes are in `bytes`, how many there are, and the
        /// filters HDF5 skipped for it (bit 0: the first filter of the pipeline).
        let offset: Int
        let count: Int
        let filterMask: UInt32
    }

    /// The file rows of the block.
    var rows: Range<Int> = 0..<0
    var chunks: [Chunk] = []
    /// The chunks' stored bytes, one after the other; grown, never shrunk.
    var bytes: [UInt8] = []
}

extension BlockReader {
    /// Reads the stored chunks of rows `rows` into `stored`, on the I/O thread.
    /// Chunks never written (stored size 0) hold the fill value: those rows are
    /// read with H5Dread into `buffer` here, and the rest are left to `inflate`.
    func readStored(rows: Range<Int>, format: StoredChunkFormat, into stored: StoredBlock, buffer: BlockBuffer) throws {
        precondition(rows.count * rowBytes <= buffer.capacity)
        stored.rows = rows
        stored.chunks.removeAll(keepingCapacity: true)
        var chunkSizes: [(start: Int, rows: Range<Int>, size: Int)] = []
        var start = rows.lowerBound / format.chunkRows * format.chunkRows
        while start < rows.upperBound {
            let taken = max(start, rows.lowerBound)..<min(start + format.chunkRows, rows.upperBound)
            let size = try x.storedChunkBytes(atRow: start)
            guard size <= format.maxStoredBytes else {
                throw DatasetError(file: path, "\(x.name): the chunk at rows \(start)..<\(start + format.chunkRows) stores \(size) bytes, more than deflate makes of its \(format.chunkBytes); the file is corrupt")
            }
            if size == 0 {
                try readRows(taken, into: buffer.bytes + (taken.lowerBound - rows.lowerBound) * rowBytes)
            } else {
                chunkSizes.append((start, taken, size))
            }
            start += format.chunkRows
        }
        let total = chunkSizes.reduce(0) { $0 + $1.size }
        if stored.bytes.count < total { stored.bytes = [UInt8](repeating: 0, count: total) }
        var offset = 0
        try stored.bytes.withUnsafeMutableBytes { bytes in
            for chunk in chunkSizes {
                let target = UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<offset + chunk.size])
                let (count, mask) = try x.readStoredChunk(atRow: chunk.start, into: target)
                stored.chunks.append(.init(start: chunk.start, rows: chunk.rows, offset: offset, count: count, filterMask: mask))
                offset += count
            }
        }
        countRead(rows)
    }

    /// Inflates the chunks of `stored` into `buffer`, on any thread: zlib, then
    /// the shuffle filter undone, as HDF5's pipeline would. `scratch` (any size;
    /// grown to a chunk) holds a chunk that cannot be inflated in place.
    ///
    /// - Throws: `DatasetError` naming the file, x and the chunk, for a stream
    ///   zlib rejects or one that inflates to a size other than a chunk's.
    func inflate(_ stored: StoredBlock, format: StoredChunkFormat, into buffer: BlockBuffer, scratch: inout [UInt8]) throws {
        // Bit i of a chunk's filter mask: filter i of the pipeline was skipped.
        let deflateBit: UInt32 = format.shuffled ? 2 : 1, shuffleBit: UInt32 = format.shuffled ? 1 : 0
        let chunkBytes = format.chunkBytes
        if scratch.count < chunkBytes { scratch = [UInt8](repeating: 0, count: chunkBytes) }
        try stored.bytes.withUnsafeBytes { source in
            try scratch.withUnsafeMutableBytes { scratch in
                for chunk in stored.chunks {
                    let target = buffer.bytes + (chunk.rows.lowerBound - stored.rows.lowerBound) * rowBytes
                    let input = UnsafeRawBufferPointer(rebasing: source[chunk.offset..<chunk.offset + chunk.count])
                    let unshuffle = chunk.filterMask & shuffleBit == 0 && format.shuffled && format.elementBytes > 1
                    let whole = chunk.rows.count == format.chunkRows
                    // Straight into the block when nothing is left to do after zlib.
                    let output = whole && !unshuffle ? UnsafeMutableRawBufferPointer(start: target, count: chunkBytes) : scratch
                    let name = "\(x.name): the chunk at rows \(chunk.start)..<\(chunk.start + format.chunkRows)"
                    if chunk.filterMask & deflateBit == 0 {
                        var length = uLong(chunkBytes)
                        let status = uncompress(output.baseAddress!.assumingMemoryBound(to: Bytef.self), &length,
                                                input.baseAddress!.assumingMemoryBound(to: Bytef.self), uLong(input.count))
                        switch status {
                        case Z_OK where Int(length) == chunkBytes: break
                        case Z_OK: throw DatasetError(file: path, "\(name) inflates to \(length) bytes, not the chunk's \(chunkBytes); the file is corrupt")
                        case Z_BUF_ERROR: throw DatasetError(file: path, "\(name) does not inflate: it ends early or holds more than the chunk's \(chunkBytes) bytes; the file is corrupt")
                        default: throw DatasetError(file: path, "\(name) does not inflate (zlib: \(Self.zlibMessage(status))); the file is corrupt")
                        }
                    } else {
                        // Deflate was skipped for this chunk (HDF5 does when it fails to compress): stored as is.
                        guard input.count == chunkBytes else {
                            throw DatasetError(file: path, "\(name) is stored uncompressed in \(input.count) bytes, not the chunk's \(chunkBytes); the file is corrupt")
                        }
                        output.copyMemory(from: input)
                    }
                    let taken = (chunk.rows.lowerBound - chunk.start) * rowBytes..<(chunk.rows.upperBound - chunk.start) * rowBytes
                    if unshuffle {
                        Self.unshuffle(UnsafeRawBufferPointer(output), elementBytes: format.elementBytes, bytes: taken, into: target)
                    } else if output.baseAddress != target {
                        target.copyMemory(from: output.baseAddress! + taken.lowerBound, byteCount: taken.count)
                    }
                }
            }
        }
        if !isBytes {
            let count = stored.rows.count * featureCount
            let values = UnsafeBufferPointer(start: buffer.bytes.assumingMemoryBound(to: Float.self), count: count)
            try DatasetFile.checkFinite(values, rowOffset: stored.rows.lowerBound, x: x, path: path)
        }
    }

    /// Undoes HDF5's shuffle filter for the bytes `bytes` of an unshuffled
    /// chunk, written to `target`. A shuffled chunk of n elements of s bytes
    /// holds byte j of element i at j·n + i (H5Zshuffle.c); no bytes are left
    /// over, since a chunk is whole rows of whole elements.
    static func unshuffle(_ shuffled: UnsafeRawBufferPointer, elementBytes s: Int, bytes: Range<Int>, into target: UnsafeMutableRawPointer) {
        let n = shuffled.count / s
        let from = shuffled.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let to = target.assumingMemoryBound(to: UInt8.self)
        let first = bytes.lowerBound / s
        for i in first..<bytes.upperBound / s {
            for j in 0..<s { to[(i - first) * s + j] = from[j * n + i] }
        }
    }

    private static func zlibMessage(_ status: Int32) -> String {
        switch status {
        case Z_DATA_ERROR: "invalid or incomplete deflate data"
        case Z_MEM_ERROR: "out of memory"
        default: "error \(status)"
        }
    }
}
