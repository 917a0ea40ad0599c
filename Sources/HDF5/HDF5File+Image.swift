// HDF5 files held in memory: one built there and taken out as bytes, and one
// opened, read-only, from bytes the caller has read (and checked) itself. Both
// use HDF5's "core" driver without a backing store, so HDF5 does no file I/O:
// the caller writes and reads the disk file, and owns every error that can
// happen there.

import Synchronization
internal import CHDF5

extension HDF5File {
    /// Creates an empty HDF5 file in memory; `image()` gives its bytes. `name`
    /// only names it in errors; nothing is created on disk.
    ///
    /// - Parameter userBlockSize: bytes reserved before the HDF5 data (0, or a
    ///   power of two from 512) for the application's own header. `image()`
    ///   leaves them out: the caller writes its header and then the image.
    public convenience init(inMemoryNamed name: String, userBlockSize: Int = 0) throws {
        precondition(userBlockSize == 0 || (userBlockSize >= 512 && userBlockSize & (userBlockSize - 1) == 0),
                     "a user block is 0 bytes or a power of two from 512, not \(userBlockSize)")
        let site = HDF5Site(file: name)
        let access = try Self.makeMemoryAccessList(site: site)
        defer { closeHandle(access, H5Pclose) }
        let creation = try site.call("H5Pcreate") { H5Pcreate(CHDF5_P_FILE_CREATE()) }
        defer { closeHandle(creation, H5Pclose) }
        if userBlockSize > 0 {
            try site.call("H5Pset_userblock") { H5Pset_userblock(creation, hsize_t(userBlockSize)) }
        }
        let id = try site.call("H5Fcreate") {
            H5Fcreate(Self.memoryFileName(), CHDF5_F_ACC_TRUNC(), creation, access)
        }
        self.init(path: name, mode: .truncate, adopting: id)
    }

    /// Opens, read-only, the HDF5 file whose bytes are `image`: a whole file as
    /// it is on disk, user block included. `name` names it in errors.
    ///
    /// - Throws: `HDF5Error`, e.g. "file signature not found" for bytes that
    ///   are not HDF5.
    public convenience init(image: [UInt8], name: String) throws {
        let site = HDF5Site(file: name)
        guard !image.isEmpty else { throw site.error("not an HDF5 file (no bytes)") }
        let access = try Self.makeMemoryAccessList(site: site)
        defer { closeHandle(access, H5Pclose) }
        // HDF5 copies the bytes into the property list.
        try image.withUnsafeBytes { bytes in
            _ = try site.call("H5Pset_file_image") { H5Pset_file_image(access, UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count) }
        }
        let id = try site.call("H5Fopen") { H5Fopen(Self.memoryFileName(), CHDF5_F_ACC_RDONLY(), access) }
        self.init(path: name, mode: .readOnly, adopting: id)
    }

    /// The bytes of this file as HDF5 would store them, after its user block
    /// (which the caller fills). For a file made by `init(inMemoryNamed:)`.
    public func image() throws -> [UInt8] {
        let site = HDF5Site(file: path)
        let id = try fileID(site)
        try site.call("H5Fflush") { H5Fflush(id, H5F_SCOPE_GLOBAL) }
        let size = try site.call("H5Fget_file_image") { H5Fget_file_image(id, nil, 0) }
        return try [UInt8](unsafeUninitializedCapacity: Int(size)) { buffer, count in
            let copied = try site.call("H5Fget_file_image") { H5Fget_file_image(id, buffer.baseAddress, Int(size)) }
            guard copied == size else { throw site.error("H5Fget_file_image gave \(copied) bytes of \(size)") }
            count = Int(size)
        }
    }

    /// A file-access list for the core driver with no backing store. The caller closes it.
    private static func makeMemoryAccessList(site: HDF5Site) throws -> hid_t {
        let access = try site.call("H5Pcreate") { H5Pcreate(CHDF5_P_FILE_ACCESS()) }
        do {
            // Grows 1 MiB at a time; never written to disk.
            try site.call("H5Pset_fapl_core") { H5Pset_fapl_core(access, 1 << 20, false) }
            try site.call("H5Pset_fclose_degree") { H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) }
        } catch {
            closeHandle(access, H5Pclose)
            throw error
        }
        return access
    }

    /// The name HDF5 knows an in-memory file by. It must be unique among open
    /// files, and opening an image fails if a file of that name exists, so it
    /// is a path under /dev/null, which can never exist.
    private static func memoryFileName() -> String {
        "/dev/null/hdf5-memory-\(memoryFileCounter.add(1, ordering: .relaxed).newValue)"
    }

    private static let memoryFileCounter = Atomic<Int>(0)
}
