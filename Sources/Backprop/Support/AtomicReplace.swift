// Crash-safe file replacement: write a temporary file beside the target, flush
// it to disk, rename it over the target, and flush the directory. At every
// instant the target is either the old complete file or the new complete one,
// and a failed write leaves the old file as it was.

import Foundation
import Glibc

enum AtomicReplace {
    /// Calls `write` with a temporary path in the target's directory, then
    /// moves the result into place. If `write` throws, the temporary file is
    /// removed and `path` is untouched.
    static func write(to path: String, _ write: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = "\(directory)/.\(url.lastPathComponent).tmp-\(getpid())"
        do {
            try write(temporary)
            try syncFile(temporary)
            guard rename(temporary, path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "rename failed: \(String(cString: strerror(errno)))"])
            }
        } catch {
            unlink(temporary)
            throw error
        }
        // The rename itself is durable only once the directory entry is on disk.
        try? syncFile(directory)
    }

    private static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "fsync failed"])
        }
    }
}
