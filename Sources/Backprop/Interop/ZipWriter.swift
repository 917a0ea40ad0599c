// A zip archive of stored (uncompressed) entries, written by hand: per entry a
// local header and the bytes, then the central directory and its end record
// (PKWARE APPNOTE 4.3). Enough for a .keras file; no ZIP64, so an archive and
// each entry stay under 4 GiB.

import CZlib

struct ZipWriter {
    private(set) var bytes: [UInt8] = []
    private var directory: [UInt8] = []
    private var entries = 0

    /// The zip's fixed timestamp, 1980-01-01 00:00 in MS-DOS form: the same model gives the same bytes.
    private static let dosTime: UInt16 = 0, dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    private static func le16(_ v: UInt16, _ out: inout [UInt8]) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32, _ out: inout [UInt8]) { for s in [0, 8, 16, 24] { out.append(UInt8((v >> UInt32(s)) & 0xFF)) } }

    /// Appends a stored entry.
    mutating func add(_ name: String, _ content: [UInt8]) throws {
        guard content.count < Int(UInt32.max), bytes.count + content.count < Int(UInt32.max) - 65_536 else {
            throw ConfigurationError("the archive entry \(name) would take the file past 4 GiB, which a zip without ZIP64 cannot hold")
        }
        let crc = content.withUnsafeBufferPointer { UInt32(crc32_z(0, $0.baseAddress, $0.count)) }
        let name = Array(name.utf8), offset = UInt32(bytes.count), size = UInt32(content.count)
        // Local file header.
        Self.le32(0x0403_4B50, &bytes)
        for v: UInt16 in [20, 0, 0, Self.dosTime, Self.dosDate] { Self.le16(v, &bytes) }  // version, flags, stored, time, date
        for v in [crc, size, size] { Self.le32(v, &bytes) }
        Self.le16(UInt16(name.count), &bytes); Self.le16(0, &bytes)
        bytes += name
        bytes += content
        // Its central directory record.
        Self.le32(0x0201_4B50, &directory)
        for v: UInt16 in [20, 20, 0, 0, Self.dosTime, Self.dosDate] { Self.le16(v, &directory) }  // made by, needed, flags, stored, time, date
        for v in [crc, size, size] { Self.le32(v, &directory) }
        for v: UInt16 in [UInt16(name.count), 0, 0, 0, 0] { Self.le16(v, &directory) }  // name, extra, comment, disk, internal
        Self.le32(0, &directory)  // external attributes
        Self.le32(offset, &directory)
        directory += name
        entries += 1
    }

    /// The whole archive.
    func finished() -> [UInt8] {
        var out = bytes + directory
        Self.le32(0x0605_4B50, &out)
        for v: UInt16 in [0, 0, UInt16(entries), UInt16(entries)] { Self.le16(v, &out) }
        Self.le32(UInt32(directory.count), &out)
        Self.le32(UInt32(bytes.count), &out)
        Self.le16(0, &out)  // comment length
        return out
    }
}
