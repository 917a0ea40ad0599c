// NumPy's .npy format: the magic "\x93NUMPY", a version, a header length, and
// a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }
// padded with spaces to a multiple of 64 bytes, then the array in C order.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

import Foundation

/// The header of a .npy array.
public struct NPYHeader: Sendable, Equatable {
    /// The element types read: little-endian floats and integers, and bytes.
    public enum Element: String, Sendable {
        case float32 = "<f4", float64 = "<f8", uint8 = "|u1", int8 = "|i1", int32 = "<i4", int64 = "<i8", uint16 = "<u2", int16 = "<i2"

        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .uint16, .int16: 2
            case .float32, .int32: 4
            case .float64, .int64: 8
            }
        }
    }

    public var element: Element
    public var shape: [Int]
    /// Where the data starts.
    public var dataOffset: Int

    public var count: Int { shape.reduce(1, *) }

    /// Parses the header at the start of `bytes` (the first 64 KiB of the file are enough).
    /// - Throws: `DatasetError` naming `file` and what was expected.
    public static func parse(_ bytes: [UInt8], file: String) throws -> NPYHeader {
        func fail(_ message: String) -> DatasetError { DatasetError(file: file, message) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, bytes.starts(with: magic) else { throw fail("not a .npy file (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let (length, start): (Int, Int)
        switch major {
        case 1: (length, start) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            (length, start) = (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12)
        default: throw fail(".npy version \(major) is not one this reads (1, 2, 3)")
        }
        guard bytes.count >= start + length else { throw fail("truncated .npy header") }
        let text = String(decoding: bytes[start..<start + length], as: UTF8.self)
        func value(_ key: String) -> Substring? {
            guard let range = text.range(of: "'\(key)':") else { return nil }
            return text[range.upperBound...].drop { $0 == " " }
        }
        guard let descrText = value("descr"), descrText.first == "'",
              let end = descrText.dropFirst().firstIndex(of: "'") else { throw fail("the .npy header has no 'descr'") }
        var descr = String(descrText[descrText.index(after: descrText.startIndex)..<end])
        if descr == "<u1" || descr == "=u1" { descr = "|u1" }
        if descr == "<i1" { descr = "|i1" }
        guard let element = Element(rawValue: descr) else {
            throw fail("holds '\(descr)' values; expected float32 (<f4), float64 (<f8), or integers (|u1, <i4, <i8, …), little-endian")
        }
        guard let fortran = value("fortran_order") else { throw fail("the .npy header has no 'fortran_order'") }
        guard fortran.hasPrefix("False") else { throw fail("is stored in Fortran order; save it with np.ascontiguousarray first") }
        guard let shapeText = value("shape"), shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
            throw fail("the .npy header has no 'shape'")
        }
        let shape = try shapeText[shapeText.index(after: shapeText.startIndex)..<close]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { part -> Int in
                guard let n = Int(part), n >= 0 else { throw fail("the .npy shape has '\(part)'; expected whole numbers") }
                return n
            }
        return NPYHeader(element: element, shape: shape, dataOffset: start + length)
    }

    /// The header bytes for a C-order little-endian array of `shape` (rank 1 or
    /// 2): always 128 bytes, so a header written before the row count is known
    /// can be rewritten in place at the end.
    public static func encode(_ element: Element, shape: [Int]) -> [UInt8] {
        precondition(shape.count == 1 || shape.count == 2)
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var dict = "{'descr': '\(element.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        dict += String(repeating: " ", count: 128 - 10 - 1 - dict.utf8.count) + "\n"
        let length = dict.utf8.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
    }
}

/// Reads the rows of a 1- or 2-dimensional .npy file (or an .npz member) in blocks, as Float.
public final class NPYReader {
    public let path: String
    public let header: NPYHeader
    private let handle: FileHandle?
    /// An array held in memory (an .npz member), and where its next row starts.
    private var memory: [UInt8] = []
    private var memoryPosition = 0
    /// N, and the values per row (1 for a 1-D array).
    public let rows: Int
    public let width: Int
    private var next = 0

    public init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetError(file: path, "cannot be opened for reading")
        }
        self.handle = handle
        let head = (try? handle.read(upToCount: 65_536)).flatMap { $0 }.map { [UInt8]($0) } ?? []
        header = try NPYHeader.parse(head, file: path)
        (rows, width) = try Self.rowsAndWidth(header, path: path)
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        guard size >= header.dataOffset + header.count * header.element.size else {
            throw DatasetError(file: path, "is truncated: shape \(header.shape) needs \(header.count * header.element.size) bytes of data, the file has \(max(0, size - header.dataOffset))")
        }
        try handle.seek(toOffset: UInt64(header.dataOffset))
    }

    /// Reads the array in `bytes` (a whole .npy, e.g. an .npz member); `name` names it in errors.
    public init(bytes: [UInt8], name: String) throws {
        path = name
        handle = nil
        header = try NPYHeader.parse(Array(bytes.prefix(65_536)), file: name)
        (rows, width) = try Self.rowsAndWidth(header, path: name)
        guard bytes.count >= header.dataOffset + header.count * header.element.size else {
            throw DatasetError(file: name, "is truncated: shape \(header.shape) needs \(header.count * header.element.size) bytes of data")
        }
        memory = bytes
        memoryPosition = header.dataOffset
    }

    private static func rowsAndWidth(_ header: NPYHeader, path: String) throws -> (Int, Int) {
        guard header.shape.count == 1 || header.shape.count == 2 else {
            throw DatasetError(file: path, "has shape \(header.shape); expected 1 or 2 dimensions")
        }
        return (header.shape[0], header.shape.count == 2 ? header.shape[1] : 1)
    }

    deinit { try? handle?.close() }

    /// The next up to `count` rows (fewer at the end, none when done), as Float.
    public func read(rows count: Int) throws -> [Float] {
        let n = min(count, rows - next)
        guard n > 0 else { return [] }
        let bytes = n * width * header.element.size
        let data: Data
        if let handle {
            guard let read = try handle.read(upToCount: bytes), read.count == bytes else {
                throw DatasetError(file: path, "is truncated at row \(next)")
            }
            data = read
        } else {
            data = Data(memory[memoryPosition..<(memoryPosition + bytes)])
            memoryPosition += bytes
        }
        next += n
        return data.withUnsafeBytes { raw -> [Float] in
            func load<T>(_: T.Type, _ convert: (T) -> Float) -> [Float] {
                (0..<(n * width)).map { convert(raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
            }
            switch header.element {
            case .float32: return load(Float.self) { $0 }
            case .float64: return load(Double.self) { Float($0) }
            case .uint8: return load(UInt8.self) { Float($0) }
            case .int8: return load(Int8.self) { Float($0) }
            case .uint16: return load(UInt16.self) { Float($0) }
            case .int16: return load(Int16.self) { Float($0) }
            case .int32: return load(Int32.self) { Float($0) }
            case .int64: return load(Int64.self) { Float($0) }
            }
        }
    }
}
