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
    static func edit(_ path: String, _ change: (HDF5File) throws -> Void) throws {
        let file = try HDF5File(path: path, mode: .readWrite)
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
