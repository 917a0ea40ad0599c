// Reads the members of a zip archive held in memory (an .npz): the end record,
// the central directory (with the ZIP64 extra field that numpy's savez writes
// for every member), each local header, then the bytes: stored as they are, or
// deflated, inflated by zlib. PKWARE APPNOTE 4.3.

import CZlib

struct ZipReader {
    let name: String
    let bytes: [UInt8]
    /// Member name → (method, compressed size, uncompressed size, local header offset).
    private(set) var entries: [String: (method: Int, compressed: Int, size: Int, offset: Int)] = [:]

    private func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    private func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    private func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }

    init(bytes: [UInt8], name: String) throws {
        self.name = name
        self.bytes = bytes
        func fail(_ message: String) -> DatasetError { DatasetError(file: name, message) }
        // The end record is within the last 22 + 65535 bytes (its comment is at most 65535).
        var end = bytes.count - 22
        while end >= max(0, bytes.count - 22 - 65_535), !(end >= 0 && bytes[end] == 0x50 && bytes[end + 1] == 0x4B && bytes[end + 2] == 5 && bytes[end + 3] == 6) {
            end -= 1
        }
        guard end >= 0, bytes.count >= 22 else { throw fail("not a zip archive (.npz): no end of central directory") }
        var count = u16(end + 10), position = u32(end + 16)
        if position == 0xFFFF_FFFF || count == 0xFFFF {
            // ZIP64: the locator sits just before the end record and points at the ZIP64 end record.
            let locator = end - 20
            guard locator >= 0, u32(locator) == 0x0706_4B50 else { throw fail("damaged zip archive: no ZIP64 locator") }
            let record = u64(locator + 8)
            guard record + 56 <= bytes.count, u32(record) == 0x0606_4B50 else { throw fail("damaged zip archive: bad ZIP64 end record") }
            count = u64(record + 32)
            position = u64(record + 48)
        }
        for _ in 0..<count {
            guard position + 46 <= bytes.count, u32(position) == 0x0201_4B50 else { throw fail("damaged zip archive: bad central directory") }
            let method = u16(position + 10)
            var compressed = u32(position + 20), size = u32(position + 24), offset = u32(position + 42)
            let nameLength = u16(position + 28), extraLength = u16(position + 30), commentLength = u16(position + 32)
            guard position + 46 + nameLength + extraLength <= bytes.count else { throw fail("damaged zip archive: truncated directory") }
            let member = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field (id 1): the 8-byte values of the fields that read 0xFFFFFFFF, in this order.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), length = u16(extra + 2)
                if id == 1 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF { size = u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = u64(field); field += 8 }
                    if offset == 0xFFFF_FFFF { offset = u64(field) }
                }
                extra += 4 + length
            }
            entries[member] = (method, compressed, size, offset)
            position = extraEnd + commentLength
        }
    }

    /// The uncompressed bytes of `member`.
    func contents(of member: String) throws -> [UInt8] {
        func fail(_ message: String) -> DatasetError { DatasetError(file: name, message) }
        guard let entry = entries[member] else { throw fail("has no member \(member) (it has \(entries.keys.sorted().joined(separator: ", ")))") }
        guard entry.offset + 30 <= bytes.count, u32(entry.offset) == 0x0403_4B50 else { throw fail("damaged zip archive: bad local header of \(member)") }
        let start = entry.offset + 30 + u16(entry.offset + 26) + u16(entry.offset + 28)
        guard start + entry.compressed <= bytes.count else { throw fail("\(member) is truncated") }
        let data = Array(bytes[start..<(start + entry.compressed)])
        switch entry.method {
        case 0: return data
        case 8: return try inflate(data, size: entry.size, member: member)
        default: throw fail("\(member) is compressed with method \(entry.method); expected stored (0) or deflated (8)")
        }
    }

    private func inflate(_ data: [UInt8], size: Int, member: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        // −15: raw deflate, as zip stores it (no zlib header).
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file: name, "cannot inflate \(member): zlib failed to start")
        }
        defer { inflateEnd(&stream) }
        var input = data
        let status = input.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                stream.next_in = input.baseAddress
                stream.avail_in = UInt32(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = UInt32(output.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw DatasetError(file: name, "\(member) is damaged: it does not inflate to its \(size) bytes")
        }
        return output
    }
}
