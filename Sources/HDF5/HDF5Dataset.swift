// A dataset opened for reading: its shape and element class, and reads of all of it
// or of a block of rows, always converted to the caller's Swift element type.

internal import CHDF5

/// A dataset in an open `HDF5File`. Obtain one with `HDF5File.dataset(_:)`.
///
/// Holds its file open; `HDF5File.close()` closes it too, after which reads throw.
public final class HDF5Dataset: @unchecked Sendable {
    /// The path of the file the dataset is in.
    public let file: String
    /// The dataset's path in the file, as it was asked for.
    public let name: String
    /// The dataset's dimensions, row-major; `[]` for a scalar.
    public let shape: [Int]
    /// What the dataset stores.
    public let elementClass: HDF5ElementClass

    /// Number of elements: the product of `shape`.
    public var count: Int { HDF5Dataspace.count(of: shape) }

    /// Keeps the file alive (and so this dataset open) while the dataset is in use.
    let owner: HDF5File
    let id: hid_t

    /// Takes ownership of the open dataset handle `id`.
    init(file: HDF5File, name: String, id: hid_t, site: HDF5Site) throws {
        self.file = file.path
        self.name = name
        self.owner = file
        self.id = id
        do {
            let space = try site.call("H5Dget_space") { H5Dget_space(id) }
            defer { closeHandle(space, H5Sclose) }
            shape = try HDF5Dataspace.shape(of: space, site: site)
            let type = try site.call("H5Dget_type") { H5Dget_type(id) }
            defer { closeHandle(type, H5Tclose) }
            elementClass = try HDF5ElementClass(datatype: type, site: site)
        } catch {
            closeHandle(id, H5Dclose)
            throw error
        }
    }

    deinit {
        // A closed file has closed this dataset already.
        if (try? owner.fileID(site)) != nil {
            closeHandle(id, H5Dclose)
        }
    }

    var site: HDF5Site { HDF5Site(file: file, object: name) }

    /// All elements, row-major, converted by HDF5 from the stored type to `T`
    /// (e.g. float64 or uint8 data read as `Float`).
    ///
    /// - Throws: `HDF5Error` if the dataset holds strings or a non-numeric type.
    ///
    /// - Parameter prepare: called with the new array's memory before anything
    ///   is written to it (to give the kernel advice about its pages, say).
    public func read<T: HDF5Scalar>(
        as type: T.Type, preparing prepare: (UnsafeMutableRawBufferPointer) -> Void = { _ in }
    ) throws -> [T] {
        let count = self.count
        try checkNumeric(T.self, site: site)
        _ = try HDF5Allocation.bytes(count: count, stride: MemoryLayout<T>.stride, what: "\(T.self) values", site: site)
        return try [T](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            prepare(UnsafeMutableRawBufferPointer(buffer))
            try read(into: buffer)
            initializedCount = count
        }
    }

    /// Reads all elements into `buffer`, converting them to `T`.
    ///
    /// - Throws: `HDF5Error` if `buffer.count` differs from `count` (nothing is read),
    ///   or the dataset is not numeric.
    public func read<T: HDF5Scalar>(into buffer: UnsafeMutableBufferPointer<T>) throws {
        let site = self.site
        try checkNumeric(T.self, site: site)
        guard buffer.count == count else {
            throw site.error("buffer holds \(buffer.count) elements but the dataset has \(count) (shape \(shape))")
        }
        _ = try owner.fileID(site)
        guard count > 0 else { return }
        try site.call("H5Dread") {
            H5Dread(id, T.nativeType, CHDF5_S_ALL(), CHDF5_S_ALL(), CHDF5_P_DEFAULT(), buffer.baseAddress!)
        }
    }

    /// Rows `rows` along the first dimension, converted to `T`:
    /// `rows.count × (count / shape[0])` elements, row-major.
    public func read<T: HDF5Scalar>(rows: Range<Int>, as type: T.Type) throws -> [T] {
        guard rows.lowerBound >= 0, rows.upperBound <= (shape.first ?? 0) else {
            throw site.error("rows \(rows.lowerBound)..<\(rows.upperBound) are outside 0..<\(shape.first ?? 0)")
        }
        let count = rows.count * rowLength
        _ = try HDF5Allocation.bytes(count: count, stride: MemoryLayout<T>.stride, what: "\(T.self) values", site: site)
        return try [T](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            try read(rows: rows, into: buffer)
            initializedCount = count
        }
    }

    /// Reads rows `rows` along the first dimension into `buffer`, converting them to
    /// `T`. For loading a dataset block by block without holding all of it.
    ///
    /// - Throws: `HDF5Error` if the dataset is a scalar, `rows` is outside
    ///   `0..<shape[0]`, `buffer.count` differs from `rows.count × (count / shape[0])`,
    ///   or the dataset is not numeric.
    public func read<T: HDF5Scalar>(rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws {
        let site = self.site
        try checkNumeric(T.self, site: site)
        guard let rowCount = shape.first else { throw site.error("a scalar dataset has no rows") }
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount else {
            throw site.error("rows \(rows.lowerBound)..<\(rows.upperBound) are outside 0..<\(rowCount)")
        }
        let expected = rows.count * rowLength
        guard buffer.count == expected else {
            throw site.error("buffer holds \(buffer.count) elements but \(rows.count) rows have \(expected)")
        }
        _ = try owner.fileID(site)
        guard expected > 0 else { return }

        let fileSpace = try site.call("H5Dget_space") { H5Dget_space(id) }
        defer { closeHandle(fileSpace, H5Sclose) }
        let start = [hsize_t(rows.lowerBound)] + shape.dropFirst().map { _ in hsize_t(0) }
        let blockShape = [hsize_t(rows.count)] + shape.dropFirst().map { hsize_t($0) }
        try site.call("H5Sselect_hyperslab") {
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, blockShape, nil)
        }
        // The memory space has the selection's shape, not a flat [expected]: with
        // shapes that differ, HDF5 1.10 maps a chunked read to its chunks element
        // by element (H5S_select_iterate, H5VM_chunk_index_scaled), which
        // profiled at over a third of the CPU of streamed training.
        let memorySpace = try HDF5Dataspace.create(shape: blockShape.map { Int($0) }, site: site)
        defer { closeHandle(memorySpace, H5Sclose) }
        try site.call("H5Dread") {
            H5Dread(id, T.nativeType, memorySpace, fileSpace, CHDF5_P_DEFAULT(), buffer.baseAddress!)
        }
    }

    /// All elements of a string dataset, fixed- or variable-length.
    ///
    /// - Throws: `HDF5Error` if the dataset does not hold strings.
    public func readStrings() throws -> [String] {
        let site = self.site
        guard elementClass == .string else {
            throw site.error("holds \(elementClass) data, not strings")
        }
        _ = try owner.fileID(site)
        let type = try site.call("H5Dget_type") { H5Dget_type(id) }
        defer { closeHandle(type, H5Tclose) }
        return try HDF5Strings.read(count: count, fileType: type, file: owner, site: site, function: "H5Dread") {
            memoryType, buffer in
            H5Dread(id, memoryType, CHDF5_S_ALL(), CHDF5_S_ALL(), CHDF5_P_DEFAULT(), buffer)
        }
    }

    /// The dataset's chunk dimensions, or nil when it is stored contiguously (or compactly).
    public func chunkShape() throws -> [Int]? {
        let site = self.site
        _ = try owner.fileID(site)
        let creation = try site.call("H5Dget_create_plist") { H5Dget_create_plist(id) }
        defer { closeHandle(creation, H5Pclose) }
        let layout = try site.call("H5Pget_layout", failsWhen: { $0 == H5D_LAYOUT_ERROR }) { H5Pget_layout(creation) }
        guard layout == H5D_CHUNKED else { return nil }
        var dims = [hsize_t](repeating: 0, count: 32)
        let rank = try site.call("H5Pget_chunk") { H5Pget_chunk(creation, 32, &dims) }
        return dims.prefix(Int(rank)).map { Int($0) }
    }

    /// The number of filters (deflate, shuffle, …) applied to the dataset's chunks.
    public func filterCount() throws -> Int {
        let site = self.site
        _ = try owner.fileID(site)
        let creation = try site.call("H5Dget_create_plist") { H5Dget_create_plist(id) }
        defer { closeHandle(creation, H5Pclose) }
        return Int(try site.call("H5Pget_nfilters") { H5Pget_nfilters(creation) })
    }

    /// Elements per row: the product of all dimensions after the first.
    private var rowLength: Int { HDF5Dataspace.count(of: Array(shape.dropFirst())) }

    /// HDF5 would refuse to convert strings or compound data to numbers anyway, but
    /// with an obscure message; this one says what the dataset holds.
    private func checkNumeric<T: HDF5Scalar>(_ type: T.Type, site: HDF5Site) throws {
        guard elementClass.isNumeric else {
            throw site.error("holds \(elementClass) data, which cannot be read as \(T.self)")
        }
    }
}
