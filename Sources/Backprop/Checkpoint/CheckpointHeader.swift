// The 512 bytes that open a checkpoint from format 2 on, in the space HDF5
// reserves for an application (the user block): what the file is, and a
// checksum of every byte after it. Text, so `head -c 120 run.h5` shows it:
//
//   backprop checkpoint
//   format 2
//   length 183296
//   crc32 9a3c41f7
//   (NUL bytes to offset 512)
//
// `length` counts the bytes after the header, `crc32` is zlib's CRC-32 of them
// (Python: `zlib.crc32(data[512:])`). The reader checks all of it before HDF5
// parses a single byte, so a damaged file never reaches HDF5's parser, and
// whatever HDF5 then reads is exactly what was written.
//
// Why the whole file and not each value: one checksum covers metadata and data
// alike, needs no canonical form of HDF5's structures, and can be checked
// outside Backprop. (HDF5's own metadata checksums, superblock v2/v3, would add
// nothing on top; and libhdf5 1.10's H5Fget_file_image, which the writer uses,
// clears a v2/v3 superblock's status flags without updating its checksum, so
// such images do not open. Checkpoints keep the default superblock v0.)

import CZlib

struct CheckpointHeader: Equatable {
    /// Bytes before the HDF5 data: HDF5's smallest user block.
    static let size = 512
    static let magic = "backprop checkpoint\n"

    var format: Int
    /// Bytes after the header.
    var length: Int
    var crc32: UInt32

    /// The header for `body`, the bytes that follow it.
    init(format: Int, sealing body: [UInt8]) {
        self.format = format
        length = body.count
        crc32 = Self.checksum(body[...])
    }

    init(format: Int, length: Int, crc32: UInt32) {
        self.format = format
        self.length = length
        self.crc32 = crc32
    }

    /// zlib's CRC-32.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32_z(0, buffer.baseAddress, buffer.count))
        }
    }

    /// The header as stored: its lines, then NUL bytes up to `size`.
    var bytes: [UInt8] {
        let crc = String(crc32, radix: 16).leftPadded(to: 8, with: "0")
        let text = Array("\(Self.magic)format \(format)\nlength \(length)\ncrc32 \(crc)\n".utf8)
        precondition(text.count <= Self.size)
        return text + [UInt8](repeating: 0, count: Self.size - text.count)
    }

    /// Whether `file` starts the way a header does (before any checking).
    static func isPresent(in file: [UInt8]) -> Bool {
        file.starts(with: magic.utf8)
    }

    /// What is wrong with a header that cannot be trusted.
    enum Damage: Error, Equatable {
        /// The format line names a format newer than this reader's; the rest is not looked at.
        case newerFormat(Int)
        /// Not the exact bytes a writer produces.
        case malformed
    }

    /// Parses the first `size` bytes of `file`: exactly the bytes `bytes` renders,
    /// or a `Damage`.
    static func parse(_ file: [UInt8], newestFormat: Int) -> Result<CheckpointHeader, Damage> {
        guard file.count >= size, isPresent(in: file) else { return .failure(.malformed) }
        let block = file.prefix(size)
        let textEnd = block.firstIndex(of: 0) ?? size
        let lines = String(decoding: block[..<textEnd], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        func field(_ index: Int, _ name: String) -> Substring? {
            guard lines.count > index, lines[index].hasPrefix(name + " ") else { return nil }
            return lines[index].dropFirst(name.count + 1)
        }
        guard let formatText = field(1, "format"), let format = Int(formatText) else { return .failure(.malformed) }
        if format > newestFormat { return .failure(.newerFormat(format)) }
        guard let lengthText = field(2, "length"), let length = Int(lengthText),
              let crcText = field(3, "crc32"), let crc = UInt32(crcText, radix: 16) else {
            return .failure(.malformed)
        }
        let header = CheckpointHeader(format: format, length: length, crc32: crc)
        // Canonical or nothing: a changed digit, letter case, padding byte or
        // leading zero is damage too.
        guard header.bytes[...] == block else { return .failure(.malformed) }
        return .success(header)
    }
}
