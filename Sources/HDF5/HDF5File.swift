// An open HDF5 file: opening and closing it, and finding and creating objects by path.
// Reading and writing datasets and attributes live in the extensions beside this file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
internal import CHDF5

/// An HDF5 file, open until `close()` or until the last reference goes away.
///
/// Object paths are slash-separated and relative to the root group: `"train/x"` and
/// `"/train/x"` name the same dataset; `"/"` is the root group.
///
/// Safe to use from several threads: the linked HDF5 is built thread-safe, so every
/// C call is serialised by the library's global lock (which also means concurrent
/// reads gain nothing: read large contiguous blocks from one thread instead), and
/// this object's only mutable state, the file handle, is behind a mutex.
public final class HDF5File: @unchecked Sendable {
    /// How to open a file.
    public enum Mode: Sendable {
        /// Read an existing file.
        case readOnly
        /// Read and write an existing file.
        case readWrite
        /// Create the file, replacing any file already at the path.
        case truncate
    }

    /// The path the file was opened with.
    public let path: String
    /// The mode the file was opened in.
    public let mode: Mode

    /// The HDF5 file handle; -1 once closed.
    private let handle: Mutex<hid_t>

    /// Whether `path` names a readable HDF5 file (it exists and has the HDF5 signature).
    public static func isHDF5(_ path: String) -> Bool {
        HDF5Library.prepareThread()
        return H5Fis_hdf5(path) > 0
    }

    /// Opens or creates the HDF5 file at `path`.
    ///
    /// - Throws: `HDF5Error` with "no such file" or "not an HDF5 file" for those
    ///   common mistakes, HDF5's own diagnosis (e.g. "truncated file") otherwise.
    public init(path: String, mode: Mode = .readOnly) throws {
        self.path = path
        self.mode = mode
        let site = HDF5Site(file: path)
        let access = try site.call("H5Pcreate") { H5Pcreate(CHDF5_P_FILE_ACCESS()) }
        defer { closeHandle(access, H5Pclose) }
        // Strong: closing the file closes every dataset opened from it, so after
        // `close()` the file really is closed and can be renamed, reopened or replaced.
        try site.call("H5Pset_fclose_degree") { H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) }

        let id: hid_t
        switch mode {
        case .truncate:
            id = try site.call("H5Fcreate") {
                H5Fcreate(path, CHDF5_F_ACC_TRUNC(), CHDF5_P_DEFAULT(), access)
            }
        case .readOnly, .readWrite:
            try Self.checkIsHDF5(path, site: site)
            let flags = mode == .readOnly ? CHDF5_F_ACC_RDONLY() : CHDF5_F_ACC_RDWR()
            id = try site.call("H5Fopen") { H5Fopen(path, flags, access) }
        }
        Self.markCloseOnExec(id)
        handle = Mutex(id)
    }

    /// HDF5 opens its files without O_CLOEXEC. A process started while a file
    /// is open would inherit the descriptor, and with it HDF5's flock on the
    /// file, for its whole life: opening the file again, here or in another
    /// process, then fails with "unable to lock file" until that process ends.
    /// Marking the descriptor close-on-exec keeps the lock with this process.
    private static func markCloseOnExec(_ id: hid_t) {
        var vfdHandle: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(id, CHDF5_P_DEFAULT(), &vfdHandle) >= 0, let vfdHandle else { return }
        // The sec2 driver's handle is its file descriptor.
        let descriptor = vfdHandle.assumingMemoryBound(to: Int32.self).pointee
        let flags = fcntl(descriptor, F_GETFD)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
    }

    /// Takes ownership of the open file handle `id`; `path` names the file in errors.
    init(path: String, mode: Mode, adopting id: hid_t) {
        self.path = path
        self.mode = mode
        handle = Mutex(id)
    }

    deinit {
        close()
    }

    /// Turns the two most common mistakes into plain messages before HDF5 sees them.
    private static func checkIsHDF5(_ path: String, site: HDF5Site) throws {
        var status = stat()
        if stat(path, &status) != 0 {
            let code = errno
            throw site.error(code == ENOENT ? "no such file" : String(cString: strerror(code)))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw site.error("is a directory, not an HDF5 file")
        }
        let isHDF5 = try site.call("H5Fis_hdf5") { H5Fis_hdf5(path) }
        if isHDF5 == 0 {
            throw site.error("not an HDF5 file")
        }
    }

    /// Closes the file and every dataset opened from it. Later operations on this
    /// file or those datasets throw "file is closed". Calling it again does nothing.
    public func close() {
        let id = handle.withLock { id in
            defer { id = -1 }
            return id
        }
        closeHandle(id, H5Fclose)
    }

    /// Closes the file as `close()` does, but throws when HDF5 could not: its
    /// last writes (metadata, chunk index) failed. The file is then still open
    /// inside the library; see `skipCleanupAtExit()`.
    public func closeChecked() throws {
        let id = handle.withLock { id in
            defer { id = -1 }
            return id
        }
        guard id >= 0 else { return }
        try HDF5Site(file: path).call("H5Fclose") { H5Fclose(id) }
    }

    /// Stops HDF5 from closing, at process exit, files it failed to close:
    /// after a failed write, libhdf5 1.10.8's atexit handler crashes doing so
    /// (see CheckpointWriter). Call it before any other HDF5 call, in a
    /// process that closes every file it writes and removes a failed one.
    public static func skipCleanupAtExit() {
        _ = H5dont_atexit()
    }

    /// Writes everything buffered for this file to disk.
    public func flush() throws {
        let site = HDF5Site(file: path)
        let id = try fileID(site)
        try site.call("H5Fflush") { H5Fflush(id, H5F_SCOPE_GLOBAL) }
    }

    /// Whether every link on `objectPath` exists and the last resolves to an object.
    /// A missing intermediate group (`"test/x"` with no `"test"`) gives false, not an error.
    public func contains(_ objectPath: String) -> Bool {
        guard let id = try? fileID(HDF5Site(file: path)) else { return false }
        HDF5Library.prepareThread()
        // H5Lexists fails rather than answering false when an intermediate link is
        // missing, so the path is checked one link at a time.
        var prefix = ""
        for component in objectPath.split(separator: "/") {
            prefix += "/" + component
            if H5Lexists(id, prefix, CHDF5_P_DEFAULT()) <= 0 {
                return false
            }
        }
        if prefix.isEmpty { return true }
        return H5Oexists_by_name(id, prefix, CHDF5_P_DEFAULT()) > 0
    }

    /// The dataset at `objectPath`, opened for reading.
    ///
    /// - Throws: `HDF5Error` naming the object: "no such dataset", or "is a group,
    ///   not a dataset" and the like.
    public func dataset(_ objectPath: String) throws -> HDF5Dataset {
        let site = HDF5Site(file: path, object: objectPath)
        let id = try fileID(site)
        guard contains(objectPath) else { throw site.error("no such dataset") }
        let kind = try objectKind(objectPath, site: site)
        guard kind == .dataset else { throw site.error("is \(kind), not a dataset") }
        let datasetID = try site.call("H5Dopen2") { H5Dopen2(id, objectPath, CHDF5_P_DEFAULT()) }
        return try HDF5Dataset(file: self, name: objectPath, id: datasetID, site: site)
    }

    /// The dataset at `objectPath`, opened for reading with a chunk cache of
    /// `chunkCacheBytes` over `chunkCacheSlots` hash slots (a prime well above
    /// the chunks it holds), instead of the library default (1 MiB and 521 slots
    /// in HDF5 1.10), which re-reads, and re-inflates, any chunk larger than it.
    public func dataset(_ objectPath: String, chunkCacheBytes: Int, chunkCacheSlots: Int) throws -> HDF5Dataset {
        let site = HDF5Site(file: path, object: objectPath)
        let id = try fileID(site)
        guard contains(objectPath) else { throw site.error("no such dataset") }
        let kind = try objectKind(objectPath, site: site)
        guard kind == .dataset else { throw site.error("is \(kind), not a dataset") }
        let access = try site.call("H5Pcreate") { H5Pcreate(CHDF5_P_DATASET_ACCESS()) }
        defer { closeHandle(access, H5Pclose) }
        // w0 = 1: a chunk read whole is evicted first; blocks are read once an epoch.
        try site.call("H5Pset_chunk_cache") { H5Pset_chunk_cache(access, chunkCacheSlots, chunkCacheBytes, 1) }
        let datasetID = try site.call("H5Dopen2") { H5Dopen2(id, objectPath, access) }
        return try HDF5Dataset(file: self, name: objectPath, id: datasetID, site: site)
    }

    /// Creates the group at `objectPath` and any missing groups above it. Does
    /// nothing if the group already exists.
    public func createGroup(_ objectPath: String) throws {
        let site = HDF5Site(file: path, object: objectPath)
        let id = try fileID(site)
        if contains(objectPath) {
            let kind = try objectKind(objectPath, site: site)
            guard kind == .group else { throw site.error("is \(kind), not a group") }
            return
        }
        let linkCreation = try makeLinkCreationList(site: site)
        defer { closeHandle(linkCreation, H5Pclose) }
        let group = try site.call("H5Gcreate2") {
            H5Gcreate2(id, objectPath, linkCreation, CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT())
        }
        closeHandle(group, H5Gclose)
    }
}

// MARK: - Shared by the extensions

extension HDF5File {
    /// The open file handle, or "file is closed".
    func fileID(_ site: HDF5Site) throws -> hid_t {
        let id = handle.withLock { $0 }
        guard id >= 0 else { throw site.error("file is closed") }
        return id
    }

    /// What an existing object is, for messages and for refusing to replace a group.
    enum ObjectKind: CustomStringConvertible {
        case group, dataset, other

        var description: String {
            switch self {
            case .group: return "a group"
            case .dataset: return "a dataset"
            case .other: return "a named datatype or other object"
            }
        }
    }

    /// The kind of the object at `objectPath`, which must exist.
    func objectKind(_ objectPath: String, site: HDF5Site) throws -> ObjectKind {
        let id = try fileID(site)
        var info = H5O_info_t()
        try site.call("H5Oget_info_by_name2") {
            H5Oget_info_by_name2(id, objectPath, &info, UInt32(H5O_INFO_BASIC), CHDF5_P_DEFAULT())
        }
        switch info.type {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        default: return .other
        }
    }

    /// A link-creation property list that creates missing intermediate groups.
    /// The caller closes it.
    func makeLinkCreationList(site: HDF5Site) throws -> hid_t {
        let list = try site.call("H5Pcreate") { H5Pcreate(CHDF5_P_LINK_CREATE()) }
        do {
            try site.call("H5Pset_create_intermediate_group") { H5Pset_create_intermediate_group(list, 1) }
        } catch {
            closeHandle(list, H5Pclose)
            throw error
        }
        return list
    }
}
