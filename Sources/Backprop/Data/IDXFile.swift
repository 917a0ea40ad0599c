// Reading IDX files, the format MNIST and Fashion-MNIST are distributed in, whether
// gzip-compressed (as distributed) or plain.
//
// Layout: a 4-byte magic number `00 00 TT NN` (TT the element type, NN the number
// of dimensions), NN big-endian uint32 dimensions, then the elements row-major.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// An IDX array of unsigned bytes: images (N × rows × columns) or labels (N).
public struct IDXFile: Sendable, Equatable {
    /// The dimensions, outermost first; `shape[0]` counts the items.
    public let shape: [Int]
    /// The elements, row-major.
    public let bytes: [UInt8]

    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) == bytes.count, "\(bytes.count) bytes do not fill shape \(shape)")
        self.shape = shape
        self.bytes = bytes
    }

    /// Reads the IDX file at `path`, gzip-compressed or not.
    ///
    /// - Throws: `DatasetError` naming the file: no such file, bad magic number,
    ///   unsupported element type, truncated or trailing data, corrupt gzip data.
    public static func read(path: String) throws -> IDXFile {
        try read(path: path, limit: nil)
    }

    /// Reads the first `limit` items (all of them if `nil` or more than there are)
    /// of the IDX file at `path`. The rest of the file is not read, so it is not
    /// checked either.
    public static func read(path: String, limit: Int?) throws -> IDXFile {
        precondition(limit.map { $0 >= 0 } ?? true, "negative limit")
        let reader = try Reader(path: path)
        defer { reader.close() }
        let fullShape = try reader.readHeader()
        let itemCount = min(fullShape[0], limit ?? fullShape[0])
        let shape = [itemCount] + fullShape.dropFirst()
        let byteCount = try reader.byteCount(of: shape)
        let bytes = try reader.readData(count: byteCount)
        if itemCount == fullShape[0] {
            try reader.expectEnd(afterDataOf: byteCount)
        }
        return IDXFile(shape: shape, bytes: bytes)
    }

    /// The dimensions declared in the header of the IDX file at `path`, read
    /// without its data, to check files against each other before the real work.
    public static func readShape(path: String) throws -> [Int] {
        let reader = try Reader(path: path)
        defer { reader.close() }
        let shape = try reader.readHeader()
        _ = try reader.byteCount(of: shape)
        return shape
    }
}

extension IDXFile {
    /// IDX element type codes; only unsigned bytes are read here.
    fileprivate static let typeNames: [UInt8: String] = [
        0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
    ]
    fileprivate static let unsignedByte: UInt8 = 0x08

    /// Sequential reads of a file through zlib, which inflates gzip input (it
    /// recognises the 1f 8b magic itself) and passes anything else through as is.
    fileprivate final class Reader {
        let path: String
        private var file: gzFile?

        init(path: String) throws {
            self.path = path
            var status = stat()
            if stat(path, &status) != 0 {
                throw DatasetError(file: path, errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
            }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                throw DatasetError(file: path, "is a directory, not an IDX file")
            }
            guard let file = gzopen(path, "rb") else {
                throw DatasetError(file: path, "cannot open: \(String(cString: strerror(errno)))")
            }
            self.file = file
            // Larger than zlib's 8 KiB default: these files are tens of megabytes.
            gzbuffer(file, 1 << 17)
        }

        func close() {
            if let file { gzclose(file) }
            file = nil
        }

        private var isCompressed: Bool {
            file.map { gzdirect($0) == 0 } ?? false
        }

        /// Reads up to `buffer.count` bytes; fewer only at the end of the input.
        private func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard let file else { preconditionFailure("read after close") }
            var total = 0
            while total < buffer.count {
                // gzread takes an `unsigned` count and returns an `int`.
                let request = UInt32(min(buffer.count - total, 1 << 30))
                let got = gzread(file, buffer.baseAddress! + total, request)
                try checkStream()
                if got <= 0 { break }
                total += Int(got)
            }
            return total
        }

        /// Turns zlib's sticky error state into a DatasetError.
        private func checkStream() throws {
            guard let file else { return }
            var code: Int32 = Z_OK
            var message = gzerror(file, &code).map { String(cString: $0) } ?? ""
            // zlib puts the path in front of its message; the error names the file already.
            if message.hasPrefix("\(path): ") { message.removeFirst(path.count + 2) }
            switch code {
            case Z_OK:
                return
            case Z_BUF_ERROR:
                throw DatasetError(file: path, "truncated: the gzip stream ends early")
            case Z_ERRNO:
                throw DatasetError(file: path, "read error: \(String(cString: strerror(errno)))")
            default:
                throw DatasetError(file: path, "corrupt gzip data: \(message)")
            }
        }

        /// Reads and checks the magic number and dimensions.
        func readHeader() throws -> [Int] {
            var magic = [UInt8](repeating: 0, count: 4)
            let got = try magic.withUnsafeMutableBytes { try read(into: $0) }
            guard got == 4 else {
                throw DatasetError(file: path, "not an IDX file: expected a 4-byte magic number, found \(got) bytes")
            }
            guard magic[0] == 0, magic[1] == 0, magic[3] > 0, let typeName = IDXFile.typeNames[magic[2]] else {
                let hex = magic.map { String($0, radix: 16).leftPadded(to: 2, with: "0") }.joined(separator: " ")
                throw DatasetError(file: path, "not an IDX file: bad magic number \(hex) (expected 00 00, a type code, a dimension count)")
            }
            guard magic[2] == IDXFile.unsignedByte else {
                throw DatasetError(file: path, "unsupported element type 0x\(String(magic[2], radix: 16, uppercase: true)) (\(typeName)): only 0x08 (unsigned byte) can be imported")
            }
            let rank = Int(magic[3])
            var dimensions = [UInt8](repeating: 0, count: 4 * rank)
            let gotDimensions = try dimensions.withUnsafeMutableBytes { try read(into: $0) }
            guard gotDimensions == dimensions.count else {
                throw DatasetError(file: path, "truncated: expected \(rank) dimensions in the header, found \(gotDimensions / 4)")
            }
            return (0..<rank).map { axis in
                dimensions[(4 * axis)..<(4 * axis + 4)].reduce(0) { $0 << 8 | Int($1) }
            }
        }

        /// Bytes of data in an array of `shape`, or an error if that cannot be addressed.
        func byteCount(of shape: [Int]) throws -> Int {
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw DatasetError(file: path, "dimensions \(shape) are too large") }
                count = product
            }
            return count
        }

        /// Reads exactly `count` bytes of data.
        func readData(count: Int) throws -> [UInt8] {
            // Grown a block at a time so that a header declaring absurd dimensions
            // fails as truncated rather than allocating all it claims up front.
            let block = 1 << 26
            var bytes = [UInt8]()
            while bytes.count < count {
                let start = bytes.count
                let wanted = min(block, count - start)
                bytes.append(contentsOf: repeatElement(0, count: wanted))
                let got = try bytes.withUnsafeMutableBytes { all in
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + wanted)]))
                }
                if got < wanted {
                    let what = isCompressed ? "bytes of data after decompression" : "bytes of data"
                    throw DatasetError(file: path, "truncated: expected \(count) \(what), found \(start + got)")
                }
            }
            return bytes
        }

        /// Checks that nothing follows the data, which would mean the header is wrong.
        func expectEnd(afterDataOf count: Int) throws {
            var extra: UInt8 = 0
            let got = try withUnsafeMutableBytes(of: &extra) { try read(into: $0) }
            if got > 0 {
                throw DatasetError(file: path, "more data than the header declares: expected \(count) bytes")
            }
        }
    }
}
