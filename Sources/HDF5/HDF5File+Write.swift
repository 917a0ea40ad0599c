// Writing datasets: numeric arrays of any shape (optionally compressed) and
// one-dimensional string arrays.

internal import CHDF5

extension HDF5File {
    /// Writes `values`, row-major, as the dataset `objectPath` of `shape`, stored with
    /// `T`'s own type. Creates missing groups on the path and replaces a dataset
    /// already there.
    ///
    /// - Parameter compressionLevel: `nil` stores the data contiguously; 0...9 stores
    ///   it in chunks compressed with deflate (gzip) at that level.
    /// - Precondition: `values.count` is the product of `shape`.
    public func write<T: HDF5Scalar>(
        _ values: [T], shape: [Int], to objectPath: String, compressionLevel: Int? = nil
    ) throws {
        try values.withUnsafeBufferPointer { buffer in
            try write(buffer, shape: shape, to: objectPath, compressionLevel: compressionLevel)
        }
    }

    /// Writes `values`, row-major, as the dataset `objectPath` of `shape`; see the
    /// array version.
    public func write<T: HDF5Scalar>(
        _ values: UnsafeBufferPointer<T>, shape: [Int], to objectPath: String, compressionLevel: Int? = nil
    ) throws {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(values.count == HDF5Dataspace.count(of: shape),
                     "\(values.count) values do not fill shape \(shape)")
        if let level = compressionLevel {
            precondition((0...9).contains(level), "deflate level \(level) is not in 0...9")
        }
        let site = HDF5Site(file: path, object: objectPath)
        let memoryType = T.nativeType
        try createDataset(objectPath, shape: shape, type: memoryType, elementSize: MemoryLayout<T>.size,
                          compressionLevel: compressionLevel, site: site) { dataset in
            guard let base = values.baseAddress, !values.isEmpty else { return }
            try site.call("H5Dwrite") {
                H5Dwrite(dataset, memoryType, CHDF5_S_ALL(), CHDF5_S_ALL(), CHDF5_P_DEFAULT(), base)
            }
        }
    }

    /// Writes `values` as the one-dimensional dataset `objectPath` of variable-length
    /// UTF-8 strings. Creates missing groups and replaces a dataset already there.
    ///
    /// - Throws: `HDF5Error` if a string contains a NUL character.
    public func writeStrings(_ values: [String], to objectPath: String) throws {
        let site = HDF5Site(file: path, object: objectPath)
        let type = try HDF5Strings.makeVariableLengthType(site: site)
        defer { closeHandle(type, H5Tclose) }
        try HDF5Strings.withCStringArray(values, site: site) { pointers in
            try createDataset(objectPath, shape: [values.count], type: type,
                              elementSize: MemoryLayout<UnsafeRawPointer>.size,
                              compressionLevel: nil, site: site) { dataset in
                guard let pointers else { return }
                try site.call("H5Dwrite") {
                    H5Dwrite(dataset, type, CHDF5_S_ALL(), CHDF5_S_ALL(), CHDF5_P_DEFAULT(), pointers)
                }
            }
        }
    }

    /// Creates the dataset `objectPath` (replacing an existing dataset) and passes its
    /// handle to `fill`.
    private func createDataset(
        _ objectPath: String, shape: [Int], type: hid_t, elementSize: Int, compressionLevel: Int?,
        site: HDF5Site, fill: (hid_t) throws -> Void
    ) throws {
        let id = try fileID(site)
        if contains(objectPath) {
            let kind = try objectKind(objectPath, site: site)
            guard kind == .dataset else { throw site.error("is \(kind); only a dataset can be replaced") }
            try site.call("H5Ldelete") { H5Ldelete(id, objectPath, CHDF5_P_DEFAULT()) }
        }
        let space = try HDF5Dataspace.create(shape: shape, site: site)
        defer { closeHandle(space, H5Sclose) }
        let linkCreation = try makeLinkCreationList(site: site)
        defer { closeHandle(linkCreation, H5Pclose) }
        let creation = try site.call("H5Pcreate") { H5Pcreate(CHDF5_P_DATASET_CREATE()) }
        defer { closeHandle(creation, H5Pclose) }
        // Chunking needs every dimension non-zero, and a scalar cannot be chunked; both
        // are tiny, so they are stored uncompressed.
        if let level = compressionLevel, !shape.isEmpty, !shape.contains(0) {
            let chunk = Self.chunkShape(for: shape, elementSize: elementSize).map { hsize_t($0) }
            try site.call("H5Pset_chunk") { H5Pset_chunk(creation, Int32(chunk.count), chunk) }
            // Grouping the bytes of multi-byte numbers by significance makes them far
            // more compressible (exponents repeat, mantissas do not).
            if elementSize > 1 {
                try site.call("H5Pset_shuffle") { H5Pset_shuffle(creation) }
            }
            try site.call("H5Pset_deflate") { H5Pset_deflate(creation, UInt32(level)) }
        }
        let dataset = try site.call("H5Dcreate2") {
            H5Dcreate2(id, objectPath, type, space, linkCreation, creation, CHDF5_P_DEFAULT())
        }
        defer { closeHandle(dataset, H5Dclose) }
        try fill(dataset)
    }

    /// Chunks of whole trailing rows, about 256 KiB each.
    ///
    /// Small enough that several fit in HDF5's default 1 MiB chunk cache, so reading
    /// a dataset block by block decompresses each chunk once; big enough for deflate
    /// to do well. Dimensions are taken whole from the last one inward until the
    /// budget runs out; the dimension where it does gets what is left.
    static func chunkShape(for shape: [Int], elementSize: Int, targetBytes: Int = 256 << 10) -> [Int] {
        var chunk = [Int](repeating: 1, count: shape.count)
        var chunkBytes = elementSize
        for axis in shape.indices.reversed() {
            let fits = max(1, targetBytes / chunkBytes)
            if shape[axis] <= fits {
                chunk[axis] = shape[axis]
                chunkBytes *= shape[axis]
            } else {
                chunk[axis] = fits
                break
            }
        }
        return chunk
    }
}
