// Writing a large two-dimensional dataset block of rows by block of rows, so a
// file bigger than memory can be written: the dataset is created chunked in
// whole rows (optionally deflate-compressed), then each block is one hyperslab.

internal import CHDF5

/// An N × D dataset being written in blocks of rows. Obtain one with
/// `HDF5File.createRowDataset`.
public final class HDF5RowWriter<T: HDF5Scalar>: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    private let owner: HDF5File
    private let id: hid_t
    private let site: HDF5Site

    init(file: HDF5File, id: hid_t, rows: Int, columns: Int, site: HDF5Site) {
        owner = file
        self.id = id
        self.rows = rows
        self.columns = columns
        self.site = site
    }

    deinit { close() }

    private var closed = false

    /// Closes the dataset; later writes trap.
    public func close() {
        guard !closed else { return }
        closed = true
        if (try? owner.fileID(site)) != nil { closeHandle(id, H5Dclose) }
    }

    /// Writes `values` (`range.count × columns`, row-major) as rows `range`.
    public func write(_ values: UnsafeBufferPointer<T>, rows range: Range<Int>) throws {
        precondition(!closed, "write after close")
        precondition(range.lowerBound >= 0 && range.upperBound <= rows && values.count == range.count * columns)
        guard !range.isEmpty else { return }
        _ = try owner.fileID(site)
        let fileSpace = try site.call("H5Dget_space") { H5Dget_space(id) }
        defer { closeHandle(fileSpace, H5Sclose) }
        let start: [hsize_t] = [hsize_t(range.lowerBound), 0], count: [hsize_t] = [hsize_t(range.count), hsize_t(columns)]
        try site.call("H5Sselect_hyperslab") { H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, count, nil) }
        let memorySpace = try HDF5Dataspace.create(shape: [values.count], site: site)
        defer { closeHandle(memorySpace, H5Sclose) }
        try site.call("H5Dwrite") { H5Dwrite(id, T.nativeType, memorySpace, fileSpace, CHDF5_P_DEFAULT(), values.baseAddress!) }
    }
}

extension HDF5File {
    /// Creates the `rows × columns` dataset `objectPath` of `T`, stored in
    /// chunks of `chunkRows` whole rows (nil: contiguous), deflate-compressed
    /// at `deflate` (nil: not compressed; never with the shuffle filter, which
    /// makes pixel-like data compress worse). Rows are written with the writer.
    public func createRowDataset<T: HDF5Scalar>(
        _ objectPath: String, of type: T.Type, rows: Int, columns: Int, chunkRows: Int?, deflate: Int? = nil
    ) throws -> HDF5RowWriter<T> {
        precondition(rows >= 0 && columns > 0)
        precondition(deflate == nil || chunkRows != nil, "compression needs chunks")
        let site = HDF5Site(file: path, object: objectPath)
        let id = try fileID(site)
        let space = try HDF5Dataspace.create(shape: [rows, columns], site: site)
        defer { closeHandle(space, H5Sclose) }
        let linkCreation = try makeLinkCreationList(site: site)
        defer { closeHandle(linkCreation, H5Pclose) }
        let creation = try site.call("H5Pcreate") { H5Pcreate(CHDF5_P_DATASET_CREATE()) }
        defer { closeHandle(creation, H5Pclose) }
        if let chunkRows, rows > 0 {
            let chunk: [hsize_t] = [hsize_t(min(chunkRows, rows)), hsize_t(columns)]
            try site.call("H5Pset_chunk") { H5Pset_chunk(creation, 2, chunk) }
            if let deflate { try site.call("H5Pset_deflate") { H5Pset_deflate(creation, UInt32(deflate)) } }
        }
        let dataset = try site.call("H5Dcreate2") {
            H5Dcreate2(id, objectPath, T.nativeType, space, linkCreation, creation, CHDF5_P_DEFAULT())
        }
        return HDF5RowWriter(file: self, id: dataset, rows: rows, columns: columns, site: site)
    }
}
