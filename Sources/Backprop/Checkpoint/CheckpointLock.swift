// One run per checkpoint: a run holds an exclusive flock on `FILE.lock` beside
// its checkpoint for as long as it may write it, and the lock file says which
// process that is. A second run on the same path fails at once, naming the
// holder. The kernel drops a flock when its process dies, however it dies, so
// a lock file left by a killed run never blocks the next one; it is only a
// name on disk, rewritten by whoever locks it next.

import Glibc

/// Exclusive use of a checkpoint path, until `release()` or deinit.
public final class CheckpointLock {
    /// The checkpoint path this lock is for.
    public let checkpoint: String
    /// `checkpoint` + ".lock".
    public let path: String
    private var descriptor: Int32 = -1

    /// Takes the lock of `checkpoint`, creating the lock file (and with
    /// `creatingDirectory`, the checkpoint's directory) if missing.
    ///
    /// - Throws: `CheckpointError` naming the process that holds the lock;
    ///   `SystemCallError` when the lock file cannot be made.
    public init(checkpoint: String, creatingDirectory: Bool = true) throws {
        self.checkpoint = checkpoint
        path = checkpoint + ".lock"
        if creatingDirectory { try SystemCall.makeDirectories(AtomicReplace.split(checkpoint).directory) }
        // A holder that releases removes the lock file; if that happens between
        // this open and the flock, the lock taken would be on a removed file, so
        // it is taken again on the file now at the path.
        for _ in 0..<100 {
            // Read-only: flock needs no write access, and a descriptor open for
            // writing would keep the file system from being remounted read-only.
            let descriptor = try SystemCall.check("open", path: path) { open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644) }
            if let error = SystemCall.attempt("flock", path: path, { flock(descriptor, LOCK_EX | LOCK_NB) }) {
                let holder = error.code == EWOULDBLOCK ? Self.holder(readingFrom: descriptor) : nil
                SystemCall.attempt("close", path: path) { close(descriptor) }
                guard error.code == EWOULDBLOCK else { throw error }
                throw CheckpointError(file: checkpoint, "in use by \(holder ?? "another process"); one run per checkpoint: wait for it to end or stop it")
            }
            if Self.isStillAtPath(descriptor, path) {
                self.descriptor = descriptor
                break
            }
            SystemCall.attempt("close", path: path) { close(descriptor) }
        }
        guard descriptor >= 0 else {
            throw CheckpointError(file: checkpoint, "cannot lock \(path): it keeps being replaced")
        }
        do {
            // Who holds it, for the message a second run prints.
            let line = Array("\(getpid())\n".utf8)
            let writer = try SystemCall.check("open", path: path) { open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) }
            defer { SystemCall.attempt("close", path: path) { close(writer) } }
            try SystemCall.check("write", path: path) { write(writer, line, line.count) }
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    /// Removes the lock file and lets the lock go. Removing it while still
    /// holding the lock is what makes the check after `flock` above sound.
    public func release() {
        guard descriptor >= 0 else { return }
        SystemCall.attempt("unlink", path: path) { unlink(path) }
        SystemCall.attempt("close", path: path) { close(descriptor) }
        descriptor = -1
    }

    private static func isStillAtPath(_ descriptor: Int32, _ path: String) -> Bool {
        var open = stat(), named = stat()
        guard SystemCall.attempt("fstat", path: path, { fstat(descriptor, &open) }) == nil,
              SystemCall.attempt("stat", path: path, { stat(path, &named) }) == nil else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// "process 4242 (backprop train data.h5 …)", from the pid the holder wrote
    /// and, while it runs, its command line.
    private static func holder(readingFrom descriptor: Int32) -> String? {
        let text = String(decoding: readAll(descriptor, path: "lock file", limit: 32), as: UTF8.self)
        guard let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) else { return nil }
        guard let command = commandLine(of: pid) else { return "process \(pid)" }
        return "process \(pid) (\(command))"
    }

    /// The command line of process `pid` from /proc, on one line of at most
    /// 100 characters; nil if it cannot be read.
    private static func commandLine(of pid: Int32) -> String? {
        let file = "/proc/\(pid)/cmdline"
        guard let descriptor = try? SystemCall.check("open", path: file, { open(file, O_RDONLY | O_CLOEXEC) }) else { return nil }
        defer { SystemCall.attempt("close", path: file) { close(descriptor) } }
        var words = readAll(descriptor, path: file, limit: 4096).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let program = words.first else { return nil }
        words[0] = AtomicReplace.split(program).name
        let line = words.joined(separator: " ")
        return line.count > 100 ? String(line.prefix(99)) + "…" : line
    }

    /// Up to `limit` bytes from the start of the file, or none if it cannot be read.
    private static func readAll(_ descriptor: Int32, path: String, limit: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = (try? SystemCall.check("pread", path: path) { pread(descriptor, &buffer, limit, 0) }) ?? 0
        return Array(buffer.prefix(count))
    }
}
