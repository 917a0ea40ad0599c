// Editing a checkpoint on purpose, to reach the reader's checks of what an
// intact file could still get wrong: the edit is made with HDF5 and the header
// then rewritten for the new bytes, as if backprop had written them.

import Foundation
import Glibc
import HDF5
@testable import Backprop

enum CheckpointTestEditing {
    /// Opens the checkpoint at `path` for writing, applies `change`, closes it,
    /// and reseals it (a new header for the edited bytes, same format).
    ///
    /// HDF5 opens files without close-on-exec and flocks them, so a child
    /// process that another test spawns (an exit test, the CLI) while this
    /// file is open inherits the lock for its short life; opening for writing
    /// is retried for a few seconds rather than failing on that.
    static func edit(_ path: String, _ change: (HDF5File) throws -> Void) throws {
        var attempts = 0
        let file: HDF5File
        while true {
            do {
                file = try HDF5File(path: path, mode: .readWrite)
                break
            } catch let error as HDF5Error where error.message.contains("unable to lock file") && attempts < 100 {
                attempts += 1
                usleep(50_000)
            }
        }
        try change(file)
        file.close()
        try reseal(path)
    }

    /// Rewrites the header of the checkpoint at `path` to match its bytes.
    static func reseal(_ path: String) throws {
        let contents = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard case .success(let old) = CheckpointHeader.parse(contents, newestFormat: .max) else { return }
        let body = Array(contents.dropFirst(CheckpointHeader.size))
        let header = CheckpointHeader(format: old.format, sealing: body)
        try Data(header.bytes + body).write(to: URL(fileURLWithPath: path))
    }
}
