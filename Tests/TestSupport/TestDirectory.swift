// A scratch directory on disk for one test, removed when the test is done.
// Every test target uses this one type, so what "a fresh directory" means
// (unique, under the system's temporary directory, gone afterwards) is said once.

import Foundation

public final class TestDirectory {
    public let url: URL

    /// A new empty directory named `prefix-UUID`.
    public init(prefix: String = "BackpropTests") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// The names of the files in the directory, hidden ones included, sorted.
    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}
