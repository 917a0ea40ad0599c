// Crash-safe file replacement: write a temporary file beside the target, flush
// it to disk, rename it over the target, and flush the directory. At every
// instant the target is either the old complete file or the new complete one,
// and a failed write leaves the old file as it was and no temporary behind.
// Every POSIX call goes through `SystemCall`, so a failure is one line naming
// the target and the C library's reason.

import Glibc

enum AtomicReplace {
    /// The temporary file beside `path` that this process writes:
    /// `dir/.name.tmp-<pid>`. Only one writer per path is expected (a
    /// checkpoint's lock sees to it), so the pid only tells whose it was.
    static func temporaryPath(for path: String) -> String {
        let (directory, name) = split(path)
        return "\(directory)/.\(name).tmp-\(getpid())"
    }

    /// The prefix every temporary file of `path` starts with, for clearing
    /// those a killed writer left.
    static func temporaryPrefix(for path: String) -> String { ".\(split(path).name).tmp-" }

    /// `runs/x.h5` → (`runs`, `x.h5`); `x.h5` → (`.`, `x.h5`).
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Calls `write` with a temporary path in the target's directory (created
    /// first if missing), then moves the result into place. If anything fails,
    /// the temporary file is removed and `path` is untouched.
    ///
    /// - Throws: what `write` throws, or `SystemCallError` naming `path`.
    static func write(to path: String, _ write: (String) throws -> Void) throws {
        try SystemCall.makeDirectories(split(path).directory)
        try replace(path) { temporary in
            try write(temporary)
            try syncFile(temporary, reportingAs: path)
        }
    }

    /// Writes `parts`, one after another, as the new content of `path`, through
    /// a temporary file beside it. The directory must exist: a checkpoint
    /// directory that vanished during a run is an error, not recreated.
    ///
    /// - Throws: `SystemCallError` naming `path` (open, write, fsync, close or
    ///   rename failed); the temporary file is removed and `path` untouched.
    static func write(_ parts: [[UInt8]], to path: String) throws {
        try replace(path) { temporary in
            let descriptor = try SystemCall.check("open", path: path) {
                open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            }
            do {
                for part in parts { try writeAll(part, to: descriptor, path: path) }
                try SystemCall.check("fsync", path: path) { fsync(descriptor) }
            } catch {
                SystemCall.attempt("close", path: path) { close(descriptor) }
                throw error
            }
            // close reports errors of delayed writes (NFS), so it is checked too.
            try SystemCall.check("close", path: path) { close(descriptor) }
        }
    }

    /// Has `fill` write the complete, synced new content of `path` to the
    /// temporary file it is given, then renames it over `path`. If anything
    /// fails, the temporary file is removed and `path` is untouched.
    private static func replace(_ path: String, _ fill: (String) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        do {
            try fill(temporary)
            try SystemCall.check("rename", path: path) { rename(temporary, path) }
        } catch {
            SystemCall.attempt("unlink", path: temporary) { unlink(temporary) }
            throw error
        }
        // The rename is durable only once the directory entry is on disk. The
        // new file is already in place, so a failure here is not a failed write.
        let directory = split(path).directory
        _ = try? syncFile(directory, reportingAs: directory)
    }

    /// Writes every byte of `bytes`, continuing after short writes (a signal,
    /// a file size limit reached part-way, after which the next write fails).
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var written = 0
        while written < bytes.count {
            written += try bytes.withUnsafeBytes { buffer in
                try SystemCall.check("write", path: path) {
                    Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                }
            }
        }
    }

    private static func syncFile(_ path: String, reportingAs name: String) throws(SystemCallError) {
        let descriptor = try SystemCall.check("open", path: name) { open(path, O_RDONLY | O_CLOEXEC) }
        do {
            try SystemCall.check("fsync", path: name) { fsync(descriptor) }
        } catch {
            SystemCall.attempt("close", path: name) { close(descriptor) }
            throw error
        }
        try SystemCall.check("close", path: name) { close(descriptor) }
    }
}
