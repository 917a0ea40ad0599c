// A chunked dataset's chunks as they are stored: its filter pipeline, each
// chunk's stored size, and the stored (still compressed) bytes themselves, so
// that a caller can decompress them on threads of its own rather than inside
// HDF5, whose global lock serialises every filter it runs.

internal import CHDF5

/// One filter of a chunked dataset's pipeline, in the order they are applied when writing.
public enum HDF5Filter: Equatable, Sendable {
    /// zlib's deflate (gzip), at a level 0...9.
    case deflate
    /// HDF5's byte shuffle: the i-th bytes of all elements of a chunk stored together.
    case shuffle
    /// Any other filter (Fletcher-32, szip, n-bit, a plugin), by its HDF5 filter id.
    case other(id: Int)
}

/// A chunk's location in the file: what `H5Dget_chunk_info_by_coord` reports.
public struct HDF5ChunkLocation: Equatable, Sendable {
    /// Byte offset of the stored chunk in the file.
    public let fileOffset: Int
    /// Bytes stored.
    public let storedBytes: Int
    /// Filters skipped for this chunk: bit i set when filter i of the pipeline was not applied.
    public let filterMask: UInt32
}

extension HDF5Dataset {
    /// The filters applied to the dataset's chunks, in pipeline order (empty
    /// for a contiguous dataset or chunks stored as they are).
    public func filters() throws -> [HDF5Filter] {
        let site = self.site
        _ = try owner.fileID(site)
        let creation = try site.call("H5Dget_create_plist") { H5Dget_create_plist(id) }
        defer { closeHandle(creation, H5Pclose) }
        let count = try site.call("H5Pget_nfilters") { H5Pget_nfilters(creation) }
        return try (0..<UInt32(count)).map { index in
            var flags: UInt32 = 0, valueCount = 0, configuration: UInt32 = 0
            let filter = try site.call("H5Pget_filter2") {
                H5Pget_filter2(creation, index, &flags, &valueCount, nil, 0, nil, &configuration)
            }
            switch filter {
            case H5Z_FILTER_DEFLATE: return .deflate
            case H5Z_FILTER_SHUFFLE: return .shuffle
            default: return .other(id: Int(filter))
            }
        }
    }

    /// Whether the file stores each element exactly as `T` is laid out in memory
    /// (same size, byte order and format), so stored bytes can be used as `T`s.
    public func storesNative<T: HDF5Scalar>(_ type: T.Type) throws -> Bool {
        let site = self.site
        _ = try owner.fileID(site)
        let fileType = try site.call("H5Dget_type") { H5Dget_type(id) }
        defer { closeHandle(fileType, H5Tclose) }
        return try site.call("H5Tequal") { H5Tequal(fileType, T.nativeType) } > 0
    }

    /// Bytes stored for the chunk whose first row is `row` (the chunk's first
    /// element is at row `row`, column 0...): 0 when it was never written, and
    /// reads give the fill value. (HDF5 1.10's H5Dget_chunk_storage_size fails
    /// on such a chunk; H5Dget_chunk_info_by_coord reports it.)
    public func storedChunkBytes(atRow row: Int) throws -> Int {
        try chunkLocation(atRow: row)?.storedBytes ?? 0
    }

    /// Reads the stored bytes of the chunk whose first row is `row`, as they are
    /// in the file (still filtered), into the start of `buffer`, and returns
    /// their count and the chunk's filter mask (bit i set: filter i skipped).
    ///
    /// - Throws: `HDF5Error` if the chunk was never written or `buffer` is
    ///   smaller than what is stored (nothing is read then).
    public func readStoredChunk(atRow row: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> (bytes: Int, filterMask: UInt32) {
        let site = self.site
        let stored = try storedChunkBytes(atRow: row)
        guard stored > 0 else { throw site.error("the chunk at row \(row) was never written") }
        guard stored <= buffer.count, let base = buffer.baseAddress else {
            throw site.error("the chunk at row \(row) stores \(stored) bytes, more than the \(buffer.count) given for it")
        }
        let offset = chunkOffset(row)
        var mask: UInt32 = 0
        try site.call("H5Dread_chunk") { H5Dread_chunk(id, CHDF5_P_DEFAULT(), offset, &mask, base) }
        return (stored, mask)
    }

    /// Where the chunk whose first row is `row` is stored in the file; nil when
    /// it was never written.
    public func chunkLocation(atRow row: Int) throws -> HDF5ChunkLocation? {
        let site = self.site
        _ = try owner.fileID(site)
        let offset = chunkOffset(row)
        var mask: UInt32 = 0, address: haddr_t = 0, size: hsize_t = 0
        try site.call("H5Dget_chunk_info_by_coord") { H5Dget_chunk_info_by_coord(id, offset, &mask, &address, &size) }
        guard address != CHDF5_HADDR_UNDEF(), size > 0 else { return nil }
        return HDF5ChunkLocation(fileOffset: Int(address), storedBytes: Int(size), filterMask: mask)
    }

    /// The logical coordinates of the chunk that starts at `row`: [row, 0, ...].
    private func chunkOffset(_ row: Int) -> [hsize_t] {
        precondition(!shape.isEmpty && row >= 0 && row < shape[0], "row \(row) is outside the dataset's \(shape.first ?? 0) rows")
        return [hsize_t(row)] + shape.dropFirst().map { _ in hsize_t(0) }
    }
}
