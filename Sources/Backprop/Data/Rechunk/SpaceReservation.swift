// Reserving a file's disk space before HDF5 writes it. HDF5 cannot recover from
// a write that fails for lack of space (its close then fails, and its exit
// handler crashes), so the space is claimed first with fallocate, leaving the
// file's size alone: a full disk or a file size limit is then one failed
// system call before any data is written, and HDF5's writes land in blocks
// already allocated. Blocks the file does not use are released afterwards.

import CLinux
import Glibc

enum SpaceReservation {
    /// Reserves `bytes` for the file at `path` (which exists).
    ///
    /// - Throws: `SystemCallError` naming `reportAs`: ENOSPC, EFBIG, EDQUOT.
    ///   A file system without fallocate is checked with statvfs instead.
    static func reserve(_ bytes: Int, for path: String, reportAs name: String) throws {
        // fallocate leaves the size alone, so a file size limit must be checked here.
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(bytes) {
            throw SystemCallError(function: "write", path: name, code: EFBIG)
        }
        let descriptor = try SystemCall.check("open", path: name) { open(path, O_WRONLY | O_CLOEXEC) }
        defer { close(descriptor) }
        let result = CLinux_reserve(descriptor, off_t(bytes))
        if result == 0 { return }
        let code = errno
        guard code == EOPNOTSUPP || code == ENOSYS else {
            throw SystemCallError(function: "fallocate", path: name, code: code)
        }
        var status = statvfs()
        try SystemCall.check("statvfs", path: name) { statvfs(path, &status) }
        let free = Int(status.f_bavail) * Int(status.f_frsize)
        if free < bytes { throw SystemCallError(function: "statvfs", path: name, code: ENOSPC) }
    }

    /// Gives back the reserved blocks past the end of the file at `path`.
    static func release(_ path: String) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0 { _ = ftruncate(descriptor, status.st_size) }
    }
}
