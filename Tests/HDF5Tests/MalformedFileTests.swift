// Files damaged the ways the fuzzer damages them, each made by writing a real file
// and changing its bytes: every read must throw an HDF5Error, never crash, hang
// or try to allocate what a damaged size asks for.

import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct MalformedFileTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    /// The byte offset of the only global heap collection ("GCOL") in `bytes`.
    func heapCollection(in bytes: [UInt8]) throws -> Int {
        let signature = Array("GCOL".utf8)
        let offsets = bytes.indices.dropLast(3).filter { Array(bytes[$0..<($0 + 4)]) == signature }
        return try #require(offsets.count == 1 ? offsets.first : nil, "expected one global heap collection")
    }

    func patch(_ path: String, at offset: Int, littleEndian value: UInt64, width: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Where a global heap collection is damaged, and what the error must say.
    enum HeapDamage: CaseIterable, CustomTestStringConvertible {
        /// The first object's size far past the collection (H5HG_read would memcpy it).
        case objectSize
        /// The first object's index changed, so the string refers to a missing object.
        case objectIndex
        /// The collection's own size past the end of the file.
        case collectionSize
        /// The signature gone.
        case signature

        var testDescription: String { "\(self)" }

        /// (offset from the collection's start, value, width, a fragment of the error)
        var change: (offset: Int, value: UInt64, width: Int, mentions: String) {
            switch self {
            case .objectSize: (24, 0x7FFF_FFFF_FFFF_FF00, 8, "past the collection's end")
            case .objectIndex: (16, 999, 2, "no such object")
            case .collectionSize: (8, 1 << 40, 8, "declares")
            case .signature: (0, 0, 4, "no global heap collection")
            }
        }
    }

    @Test(arguments: HeapDamage.allCases)
    func aDamagedGlobalHeapIsAnErrorForAttributes(_ damage: HeapDamage) throws {
        let path = directory.path("attribute.h5")
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.setAttribute("activations", ["relu", "softmax"])
        }
        #expect(try HDF5File(path: path).stringsAttribute("activations") == ["relu", "softmax"])
        let collection = try heapCollection(in: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        let change = damage.change
        try patch(path, at: collection + change.offset, littleEndian: change.value, width: change.width)

        let file = try HDF5File(path: path)
        let error = try #require(throws: HDF5Error.self) { try file.stringsAttribute("activations") }
        #expect(error.message.contains(change.mentions), "\(error)")
        #expect(error.object == "attribute \"activations\" of /")
    }

    @Test(arguments: HeapDamage.allCases)
    func aDamagedGlobalHeapIsAnErrorForStringDatasets(_ damage: HeapDamage) throws {
        let path = directory.path("strings.h5")
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.writeStrings(["T-shirt/top", "Trouser", "Pullover"], to: "classes")
        }
        #expect(try HDF5File(path: path).dataset("classes").readStrings() == ["T-shirt/top", "Trouser", "Pullover"])
        let collection = try heapCollection(in: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        let change = damage.change
        try patch(path, at: collection + change.offset, littleEndian: change.value, width: change.width)

        let file = try HDF5File(path: path)
        let error = try #require(throws: HDF5Error.self) { try file.dataset("classes").readStrings() }
        #expect(error.message.contains(change.mentions), "\(error)")
    }

    @Test func aStringLengthThatDisagreesWithItsHeapObjectIsAnError() throws {
        let path = directory.path("length.h5")
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.setAttribute("loss", "softmax-cross-entropy")
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let collection = try heapCollection(in: bytes)
        // The attribute stores {length 21, collection address, index 1}; find that reference.
        let reference: [UInt8] = [21, 0, 0, 0] + (0..<8).map { UInt8(truncatingIfNeeded: collection >> (8 * $0)) }
        let at = try #require(bytes.indices.dropLast(12).first { Array(bytes[$0..<($0 + 12)]) == reference })
        try patch(path, at: at, littleEndian: 4000, width: 4)

        let error = try #require(throws: HDF5Error.self) { try HDF5File(path: path).stringAttribute("loss") }
        #expect(error.message.contains("4000 bytes long"), "\(error)")
    }

    /// A chunked float32 dataset of `rows` × 784 whose extent is then changed to
    /// `declaredRows` in the file: a dataset that claims far more than it holds.
    func declaring(_ declaredRows: UInt64, name: String) throws -> String {
        let path = directory.path(name)
        let rows = 4
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.write([Float](repeating: 0.5, count: rows * 784), shape: [rows, 784], to: "train/x", compressionLevel: 1)
        }
        // The dataspace message holds the dimensions as 8-byte integers, 4 and 784,
        // and right after them the same again as the maximum dimensions.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let dims: [UInt8] = [4, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x03, 0, 0, 0, 0, 0, 0]
        let offsets = bytes.indices.dropLast(16).filter { Array(bytes[$0..<($0 + 16)]) == dims }
        let at = try #require(offsets.first, "expected a dataspace of 4 × 784")
        try patch(path, at: at, littleEndian: declaredRows, width: 8)
        if offsets.contains(at + 16) {
            try patch(path, at: at + 16, littleEndian: declaredRows, width: 8)
        }
        return path
    }

    @Test func aHugeDeclaredExtentIsRefusedBeforeAllocating() throws {
        let path = try declaring(10_000_000_000, name: "huge.h5")
        let dataset = try HDF5File(path: path).dataset("train/x")
        #expect(dataset.shape == [10_000_000_000, 784])
        let error = try #require(throws: HDF5Error.self) { try dataset.read(as: Float.self) }
        #expect(error.message.contains("31360000000000 bytes"), "\(error)")
        #expect(error.message.contains("physical memory"), "\(error)")
        // Reading a few rows of it still works: only the size of what is read matters.
        #expect(try dataset.read(rows: 0..<2, as: Float.self) == [Float](repeating: 0.5, count: 2 * 784))
    }

    @Test(arguments: [UInt64(1) << 63, UInt64.max - 1, UInt64(1) << 62])
    func anExtentPastInt64OrWhoseElementCountOverflowsIsAnError(_ rows: UInt64) throws {
        let path = try declaring(rows, name: "overflow-\(rows).h5")
        // HDF5 may refuse the extent itself; if it does not, the wrapper must.
        #expect(throws: HDF5Error.self) {
            let dataset = try HDF5File(path: path).dataset("train/x")
            _ = try dataset.read(as: Float.self)
        }
    }
}
