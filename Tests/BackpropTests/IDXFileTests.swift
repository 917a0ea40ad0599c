// Parsing IDX files: plain and gzipped, limited reads, and every way a file can be
// broken producing a one-line error that names it.

import Backprop
import Foundation
import Testing

@Suite struct IDXFileTests {
    let fixtures: IDXFixtures
    init() throws { fixtures = try IDXFixtures() }

    @Test(arguments: [false, true])
    func readsImagesAndLabels(gzip: Bool) throws {
        let files = try fixtures.writeImagesAndLabels(prefix: "train", count: 5, gzip: gzip)
        let images = try IDXFile.read(path: files.images)
        #expect(images.shape == [5, 4, 3])
        #expect(images.bytes == files.pixels)
        #expect(try IDXFile.read(path: files.labels) == IDXFile(shape: [5], bytes: files.labelBytes))
        #expect(try IDXFile.readShape(path: files.images) == [5, 4, 3])
    }

    @Test(arguments: [false, true])
    func limitKeepsTheFirstItems(gzip: Bool) throws {
        let files = try fixtures.writeImagesAndLabels(prefix: "train", count: 6, gzip: gzip)
        let first = try IDXFile.read(path: files.images, limit: 2)
        #expect(first.shape == [2, 4, 3])
        #expect(first.bytes == Array(files.pixels.prefix(24)))
        #expect(try IDXFile.read(path: files.images, limit: 100).shape == [6, 4, 3])
        #expect(try IDXFile.read(path: files.labels, limit: 0) == IDXFile(shape: [0], bytes: []))
    }

    @Test func emptyArraysAndLargeDimensionsParse() throws {
        let empty = try fixtures.write("empty", IDXFixtures.idx(shape: [0, 28, 28], data: []))
        #expect(try IDXFile.read(path: empty) == IDXFile(shape: [0, 28, 28], bytes: []))
        // A dimension above 2^24 checks all four big-endian bytes.
        let wide = try fixtures.write("wide", IDXFixtures.idx(shape: [0, 0x0102_0304], data: []), gzip: true)
        #expect(try IDXFile.readShape(path: wide) == [0, 0x0102_0304])
    }

    @Test func missingFile() {
        let path = fixtures.path("nothing.gz")
        #expect(throws: DatasetError(file: path, "no such file")) { try IDXFile.read(path: path) }
    }

    @Test func badMagicNumber() throws {
        let text = try fixtures.write("notes.txt", Array("hello, world".utf8))
        let error = #expect(throws: DatasetError.self) { try IDXFile.read(path: text) }
        #expect(error?.description == "\(text): not an IDX file: bad magic number 68 65 6c 6c (expected 00 00, a type code, a dimension count)")

        let noDimensions = try fixtures.write("rank0", [0, 0, 8, 0])
        #expect(throws: DatasetError.self) { try IDXFile.read(path: noDimensions) }

        let short = try fixtures.write("short", [0, 0], gzip: true)
        #expect(throws: DatasetError(file: short, "not an IDX file: expected a 4-byte magic number, found 2 bytes")) {
            try IDXFile.read(path: short)
        }
    }

    @Test func unsupportedElementType() throws {
        let floats = try fixtures.write("floats", IDXFixtures.idx(type: 0x0D, shape: [1], data: [0, 0, 0, 0]))
        #expect(throws: DatasetError(file: floats, "unsupported element type 0xD (float32): only 0x08 (unsigned byte) can be imported")) {
            try IDXFile.read(path: floats)
        }
    }

    @Test(arguments: [false, true])
    func truncatedData(gzip: Bool) throws {
        let bytes = IDXFixtures.idx(shape: [10, 2, 2], data: [UInt8](repeating: 9, count: 40))
        let path = try fixtures.write("cut", Array(bytes.dropLast(15)), gzip: gzip)
        let what = gzip ? "bytes of data after decompression" : "bytes of data"
        #expect(throws: DatasetError(file: path, "truncated: expected 40 \(what), found 25")) {
            try IDXFile.read(path: path)
        }
        // The items before the cut are still readable.
        #expect(try IDXFile.read(path: path, limit: 6).bytes == [UInt8](repeating: 9, count: 24))

        let header = try fixtures.write("cut-header", Array(bytes.prefix(9)), gzip: gzip)
        #expect(throws: DatasetError(file: header, "truncated: expected 3 dimensions in the header, found 1")) {
            try IDXFile.read(path: header)
        }
    }

    @Test func truncatedGzipStream() throws {
        let bytes = IDXFixtures.idx(shape: [200, 10], data: (0..<2000).map { UInt8(truncatingIfNeeded: $0 * 31) })
        let whole = try fixtures.write("whole.gz", bytes, gzip: true)
        let compressed = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = try fixtures.write("cut.gz", Array(compressed.prefix(compressed.count / 2)))
        let error = #expect(throws: DatasetError.self) { try IDXFile.read(path: cut) }
        #expect(error?.message.hasPrefix("truncated") == true, "\(String(describing: error))")
    }

    @Test func corruptGzipStream() throws {
        let bytes = IDXFixtures.idx(shape: [200, 10], data: (0..<2000).map { UInt8(truncatingIfNeeded: $0 * 31) })
        let whole = try fixtures.write("whole.gz", bytes, gzip: true)
        var compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole)))
        for index in stride(from: 12, to: compressed.count - 8, by: 3) { compressed[index] ^= 0x5A }
        let corrupt = try fixtures.write("corrupt.gz", compressed)
        let error = #expect(throws: DatasetError.self) { try IDXFile.read(path: corrupt) }
        #expect(error?.file == corrupt)
        // zlib's message starts with the path; the error names the file once, in front.
        #expect(error?.message.contains(corrupt) == false, "\(String(describing: error))")
    }

    @Test func trailingDataMeansTheHeaderIsWrong() throws {
        let path = try fixtures.write("long", IDXFixtures.idx(shape: [2], data: [1, 2, 3]))
        #expect(throws: DatasetError(file: path, "more data than the header declares: expected 2 bytes")) {
            try IDXFile.read(path: path)
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.testLabels)))
    func debiansFashionMNISTParses() throws {
        let labels = try IDXFile.read(path: FashionMNIST.testLabels)
        #expect(labels.shape == [10000])
        #expect(Set(labels.bytes) == Set(0..<10))
        let images = try IDXFile.read(path: FashionMNIST.testImages, limit: 3)
        #expect(images.shape == [3, 28, 28])
        #expect(try IDXFile.readShape(path: FashionMNIST.testImages) == [10000, 28, 28])
    }
}

/// Debian's dataset-fashion-mnist package, where installed.
enum FashionMNIST {
    static let directory = "/usr/share/datasets/fashion-mnist"
    static let testImages = "\(directory)/t10k-images-idx3-ubyte.gz"
    static let testLabels = "\(directory)/t10k-labels-idx1-ubyte.gz"
}
