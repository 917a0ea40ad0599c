// Small IDX files written to a scratch directory for the IDX tests, plain or
// gzip-compressed through zlib, well-formed or deliberately broken.

import CZlib
import Foundation
import TestSupport
import Testing

final class IDXFixtures {
    let scratch: TestDirectory
    var directory: URL { scratch.url }

    init() throws {
        scratch = try TestDirectory(prefix: "IDXTests")
    }

    func path(_ name: String) -> String {
        scratch.path(name)
    }

    /// The bytes of an IDX file: magic `00 00 type rank`, big-endian dimensions, data.
    static func idx(type: UInt8 = 0x08, shape: [Int], data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
        for dimension in shape {
            bytes += withUnsafeBytes(of: UInt32(dimension).bigEndian, Array.init)
        }
        return bytes + data
    }

    /// Writes `bytes` to `name`, gzip-compressed if `gzip`; returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8], gzip: Bool = false) throws -> String {
        let path = self.path(name)
        if gzip {
            let file = try #require(gzopen(path, "wb"))
            let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
            gzclose(file)
            try #require(Int(written) == bytes.count)
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return path
    }

    /// `count` images of `rows`×`columns` whose pixels encode image, row and column,
    /// so any reordering or offset shows, and labels `i % classes`.
    func writeImagesAndLabels(
        prefix: String, count: Int, rows: Int = 4, columns: Int = 3, classes: Int = 10, gzip: Bool = false
    ) throws -> (images: String, labels: String, pixels: [UInt8], labelBytes: [UInt8]) {
        let pixels = (0..<(count * rows * columns)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 13) }
        let labels = (0..<count).map { UInt8($0 % classes) }
        let suffix = gzip ? ".gz" : ""
        let imagesPath = try write("\(prefix)-images-idx3-ubyte\(suffix)",
                                   Self.idx(shape: [count, rows, columns], data: pixels), gzip: gzip)
        let labelsPath = try write("\(prefix)-labels-idx1-ubyte\(suffix)", Self.idx(shape: [count], data: labels), gzip: gzip)
        return (imagesPath, labelsPath, pixels, labels)
    }
}
