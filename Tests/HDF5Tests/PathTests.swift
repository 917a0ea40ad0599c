// Object paths: contains() on nested and missing paths, group creation, and use of
// one file from several threads.

@testable import HDF5
import Testing
import TestSupport

@Suite struct PathTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    @Test func containsFollowsEveryLinkWithoutThrowing() throws {
        let file = try HDF5File(path: directory.path("paths.h5"), mode: .truncate)
        try file.write([UInt8(1)], shape: [1], to: "train/x")
        try file.createGroup("validation")
        #expect(file.contains("/"))
        #expect(file.contains(""))
        #expect(file.contains("train"))
        #expect(file.contains("/train/"))
        #expect(file.contains("train/x"))
        #expect(file.contains("/train/x"))
        #expect(file.contains("validation"))
        #expect(!file.contains("train/y"))
        #expect(!file.contains("test/x"))
        #expect(!file.contains("test/x/deeper"))
        #expect(!file.contains("train/x/below-a-dataset"))
    }

    @Test func createGroupMakesIntermediatesAndIsIdempotent() throws {
        let path = directory.path("groups.h5")
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.createGroup("a/b/c")
            try file.createGroup("a/b/c")
            try file.createGroup("a")
            try file.createGroup("/")
            try file.write([Float(2)], shape: [1], to: "a/b/d/e")
        }
        let file = try HDF5File(path: path)
        #expect(file.contains("a/b/c"))
        #expect(try file.dataset("a/b/d/e").read(as: Float.self) == [2])
    }

    @Test func linkedLibraryIsThreadSafe() {
        // HDF5File and HDF5Dataset claim Sendable on this basis.
        #expect(HDF5Library.isThreadSafe)
    }

    @Test func concurrentReadsOfOneDatasetAgree() async throws {
        let path = directory.path("shared.h5")
        let values = (0..<20_000).map { Float($0) }
        do {
            try HDF5File(path: path, mode: .truncate).write(values, shape: [200, 100], to: "x", compressionLevel: 1)
        }
        let file = try HDF5File(path: path)
        let dataset = try file.dataset("x")
        let blocks = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for block in 0..<8 {
                group.addTask { (block, try dataset.read(rows: (block * 25)..<((block + 1) * 25), as: Float.self)) }
            }
            var blocks = [[Float]](repeating: [], count: 8)
            for try await (block, rows) in group { blocks[block] = rows }
            return blocks
        }
        #expect(Array(blocks.joined()) == values)
    }
}
