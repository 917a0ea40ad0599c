// Reading a checkpoint once for all ranks: rank 0 reads the file, every rank
// gets its bytes and checks and parses them as rank 0 would the file. No other
// rank needs to see the checkpoint's file system, and no two processes open
// the file.

import Foundation

extension Checkpoint {
    /// The checkpoint at `path` as rank 0 of `communicator` reads it; a
    /// collective call. With one process, `read(from:)`.
    ///
    /// - Throws: on rank 0, what `read(from:)` throws for an unreadable file
    ///   (the caller then ends the run); on every rank, what parsing throws.
    public static func read(from path: String, over communicator: any Communicator) throws -> Checkpoint {
        guard communicator.size > 1 else { return try read(from: path) }
        var bytes: [UInt8] = []
        if communicator.isRoot {
            guard let data = FileManager.default.contents(atPath: path) else {
                _ = try read(from: path)  // the reader's own one-line error for this file
                throw CheckpointError(file: path, "cannot be read")
            }
            bytes = [UInt8](data)
        }
        communicator.broadcast(&bytes)
        return try read(contents: bytes, path: path)
    }
}
