// Numeric datasets written and read back through real files: every scalar type, the
// shapes that are easy to get wrong, HDF5's type conversion on read, compression,
// and block-of-rows reads.

import Foundation
@testable import HDF5
import Testing
import TestSupport

@Suite struct RoundTripTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    /// Writes `values` as `shape`, reopens the file read-only, and reads them back as `T`.
    private func roundTrip<T: HDF5Scalar & Equatable>(_ values: [T], shape: [Int], compression: Int? = nil) throws {
        let path = directory.path("\(T.self).h5")
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.write(values, shape: shape, to: "data", compressionLevel: compression)
        }
        let file = try HDF5File(path: path)
        let dataset = try file.dataset("data")
        #expect(dataset.shape == shape)
        #expect(dataset.count == values.count)
        #expect(dataset.elementClass == T.hdf5ElementClass)
        #expect(try dataset.read(as: T.self) == values)
    }

    @Test func everyScalarTypeRoundTripsWithItsExtremes() throws {
        try roundTrip([Float(-1.5), 0, .pi, .greatestFiniteMagnitude, .leastNonzeroMagnitude], shape: [5])
        try roundTrip([-1.5, 0, Double.pi, .greatestFiniteMagnitude], shape: [4])
        try roundTrip([UInt8.min, 1, UInt8.max], shape: [3])
        try roundTrip([Int8.min, -1, Int8.max], shape: [3])
        try roundTrip([Int16.min, -1, Int16.max], shape: [3])
        try roundTrip([UInt16.min, 1, UInt16.max], shape: [3])
        try roundTrip([Int32.min, -1, Int32.max], shape: [3])
        try roundTrip([UInt32.min, 1, UInt32.max], shape: [3])
        try roundTrip([Int64.min, -1, Int64.max], shape: [3])
        try roundTrip([UInt64.min, 1, UInt64.max], shape: [3])
        try roundTrip([Int.min, -1, Int.max], shape: [3])
    }

    @Test func intIsStoredAsInt64() throws {
        let path = directory.path("int.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.write([1, 2, 3], shape: [3], to: "y")
        #expect(try file.dataset("y").elementClass == .integer(signed: true, bytes: 8))
    }

    @Test func shapesKeepRowMajorOrder() throws {
        let values = (0..<24).map { Float($0) }
        try roundTrip(values, shape: [2, 3, 4])
        try roundTrip(values, shape: [24, 1])
        try roundTrip([Float(7)], shape: [])
        try roundTrip([Float](), shape: [0])
        try roundTrip([Double](), shape: [3, 0])
        try roundTrip([Int32](), shape: [0, 5], compression: 4)
    }

    @Test func threeDimensionalRowsReadBackInOrder() throws {
        let path = directory.path("rows3d.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        let values = (0..<60).map { Int16($0) }
        try file.write(values, shape: [5, 3, 4], to: "t")
        let dataset = try file.dataset("t")
        #expect(try dataset.read(rows: 1..<3, as: Int16.self) == Array(values[12..<36]))
        #expect(try dataset.read(rows: 4..<5, as: Int16.self) == Array(values[48..<60]))
        #expect(try dataset.read(rows: 2..<2, as: Int16.self) == [])
    }

    @Test func float64DataReadAsFloat() throws {
        let path = directory.path("f64.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        let values: [Double] = [0.1, -2.5, 1e30, 3]
        try file.write(values, shape: [2, 2], to: "x")
        let dataset = try file.dataset("x")
        #expect(dataset.elementClass == .float(bytes: 8))
        #expect(try dataset.read(as: Float.self) == values.map { Float($0) })
    }

    @Test func uint8DataReadAsFloatAndAsInt() throws {
        let path = directory.path("u8.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        let values: [UInt8] = [0, 1, 127, 128, 255, 42]
        try file.write(values, shape: [3, 2], to: "train/x")
        let dataset = try file.dataset("train/x")
        #expect(dataset.elementClass == .integer(signed: false, bytes: 1))
        #expect(try dataset.read(as: Float.self) == values.map { Float($0) })
        #expect(try dataset.read(as: Int.self) == values.map { Int($0) })
        #expect(try dataset.read(rows: 1..<3, as: Double.self) == [127, 128, 255, 42])
    }

    @Test func readIntoAnExactlySizedBuffer() throws {
        let path = directory.path("buffer.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.write([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], shape: [3, 2], to: "x")
        let dataset = try file.dataset("x")
        var buffer = [Float](repeating: -1, count: 6)
        try buffer.withUnsafeMutableBufferPointer { try dataset.read(into: $0) }
        #expect(buffer == [1, 2, 3, 4, 5, 6])
        var rows = [Float](repeating: -1, count: 4)
        try rows.withUnsafeMutableBufferPointer { try dataset.read(rows: 1..<3, into: $0) }
        #expect(rows == [3, 4, 5, 6])
    }

    @Test func writeFromAnUnsafeBuffer() throws {
        let path = directory.path("unsafe.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        // A slice of a larger buffer, as a checkpoint writer would pass one layer's parameters.
        try values.withUnsafeBufferPointer { all in
            try file.write(UnsafeBufferPointer(rebasing: all[2..<6]), shape: [2, 2], to: "layers/0/W")
        }
        #expect(try file.dataset("layers/0/W").read(as: Float.self) == [3, 4, 5, 6])
    }

    @Test func compressedDataRoundTripsAndShrinks() throws {
        // Highly repetitive, as image data with empty borders is.
        let rows = 2000, columns = 784
        let values = (0..<(rows * columns)).map { UInt8(($0 % columns) < 600 ? 0 : $0 % 251) }
        let plainPath = directory.path("plain.h5")
        let compressedPath = directory.path("compressed.h5")
        do {
            try HDF5File(path: plainPath, mode: .truncate).write(values, shape: [rows, columns], to: "x")
            let file = try HDF5File(path: compressedPath, mode: .truncate)
            try file.write(values, shape: [rows, columns], to: "x", compressionLevel: 4)
            try file.write((0..<5000).map { Float($0 % 10) }, shape: [50, 100], to: "f", compressionLevel: 9)
        }
        let file = try HDF5File(path: compressedPath)
        #expect(try file.dataset("x").read(as: UInt8.self) == values)
        #expect(try file.dataset("x").read(rows: 1500..<1502, as: UInt8.self)
                == Array(values[(1500 * columns)..<(1502 * columns)]))
        #expect(try file.dataset("f").read(as: Float.self) == (0..<5000).map { Float($0 % 10) })
        let plainSize = try fileSize(plainPath), compressedSize = try fileSize(compressedPath)
        #expect(compressedSize * 4 < plainSize, "compressed \(compressedSize) bytes vs plain \(plainSize)")
    }

    @Test func rewritingADatasetReplacesIt() throws {
        let path = directory.path("replace.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.write([Float(1), 2, 3], shape: [3], to: "w")
        try file.write([Double(4), 5], shape: [1, 2], to: "w")
        let dataset = try file.dataset("w")
        #expect(dataset.shape == [1, 2])
        #expect(try dataset.read(as: Double.self) == [4, 5])
    }

    @Test func readWriteModeAddsToAnExistingFile() throws {
        let path = directory.path("append.h5")
        do {
            try HDF5File(path: path, mode: .truncate).write([UInt8(1)], shape: [1], to: "a")
        }
        do {
            let file = try HDF5File(path: path, mode: .readWrite)
            try file.write([UInt8(2)], shape: [1], to: "b/c")
            try file.flush()
        }
        let file = try HDF5File(path: path)
        #expect(try file.dataset("a").read(as: UInt8.self) == [1])
        #expect(try file.dataset("b/c").read(as: UInt8.self) == [2])
    }

    @Test func chunksAreWholeTrailingRowsOfAboutAQuarterMebibyte() {
        #expect(HDF5File.chunkShape(for: [60000, 784], elementSize: 1) == [334, 784])
        #expect(HDF5File.chunkShape(for: [10, 784], elementSize: 4) == [10, 784])
        #expect(HDF5File.chunkShape(for: [4, 1000, 1000], elementSize: 4) == [1, 65, 1000])
        #expect(HDF5File.chunkShape(for: [100_000_000], elementSize: 8) == [32768])
    }

    private func fileSize(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    }
}
