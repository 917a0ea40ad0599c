// `--log FILE`: one JSON object per line per epoch, flushed as each epoch ends,
// so a run that dies keeps every line it finished.

import Backprop
import Foundation

final class MetricsLog {
    private let handle: FileHandle
    let path: String

    /// Opens `path` for writing, truncating it (`resume` rewrites a run's log
    /// from its checkpoint rather than appending to it).
    init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ConfigurationError("--log \(path): cannot create the file")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    deinit { try? handle.close() }

    func append(_ record: EpochRecord) throws {
        try handle.write(contentsOf: Data((record.jsonLine() + "\n").utf8))
        try handle.synchronize()
    }
}
