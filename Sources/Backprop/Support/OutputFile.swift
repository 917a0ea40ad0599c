// A file written piece by piece and put in place only when complete: the bytes
// go to a temporary file beside the target, which `commit` flushes and renames
// over it, and which `abandon` (or a failure) removes. So a failed write, a
// full disk or an interrupted command never leaves a half-written output.

import Glibc

/// An output file, in place only after `commit()`.
public final class OutputFile {
    /// The target path.
    public let path: String
    private let temporary: String
    private var descriptor: Int32
    /// Bytes appended so far.
    public private(set) var size = 0

    /// Creates the temporary file (and the target's directory).
    ///
    /// - Throws: `SystemCallError` naming `path`.
    public init(path: String) throws {
        self.path = path
        try SystemCall.makeDirectories(AtomicReplace.split(path).directory)
        temporary = AtomicReplace.temporaryPath(for: path)
        let temporary = temporary
        descriptor = try SystemCall.check("open", path: path) {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
    }

    deinit { abandon() }

    /// Appends `bytes`.
    public func append(_ bytes: [UInt8]) throws {
        try write(bytes, at: size)
        size += bytes.count
    }

    /// Overwrites bytes already written (a header whose counts are known only at the end).
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        precondition(descriptor >= 0, "the file is closed")
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeBytes { buffer in
                try SystemCall.check("write", path: path) {
                    pwrite(descriptor, buffer.baseAddress! + done, bytes.count - done, off_t(offset + done))
                }
            }
            done += n
        }
    }

    /// Flushes the file to disk and renames it over `path`.
    public func commit() throws {
        precondition(descriptor >= 0, "the file is closed")
        do {
            try SystemCall.check("fsync", path: path) { fsync(descriptor) }
            let d = descriptor
            descriptor = -1
            try SystemCall.check("close", path: path) { close(d) }
            let temporary = temporary
            try SystemCall.check("rename", path: path) { rename(temporary, path) }
        } catch {
            abandon()
            throw error
        }
    }

    /// Removes the temporary file; `path` is left as it was.
    public func abandon() {
        if descriptor >= 0 {
            let d = descriptor
            SystemCall.attempt("close", path: path) { close(d) }
            descriptor = -1
        }
        let temporary = temporary
        if access(temporary, F_OK) == 0 { SystemCall.attempt("unlink", path: path) { unlink(temporary) } }
    }

    /// Writes `parts` as the whole new content of `path`, atomically.
    public static func write(_ parts: [[UInt8]], to path: String) throws {
        try SystemCall.makeDirectories(AtomicReplace.split(path).directory)
        try AtomicReplace.write(parts, to: path)
    }
}
