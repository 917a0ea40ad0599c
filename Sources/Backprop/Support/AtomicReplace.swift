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
        let temporary = temporaryPath(for: path)
        do {
            try write(temporary)
            try syncFile(temporary, reportingAs: path)
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
