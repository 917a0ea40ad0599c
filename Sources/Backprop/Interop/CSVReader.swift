// A streaming CSV reader (RFC 4180): comma-separated fields, fields in double
// quotes may hold commas, newlines and doubled quotes (""), records end at LF
// or CRLF. It reads 1 MiB at a time, so a file of any size is read in bounded
// memory, and hands out one record at a time from one reused buffer.

import Glibc

/// Reads the records of a CSV file (or standard input) one at a time.
public final class CSVReader {
    /// The file's name for messages (`-` for standard input is "standard input").
    public let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var position = 0
    private var filled = 0
    private var atEnd = false
    /// The fields of the current record, each followed by a NUL (for strtof).
    private var storage: [UInt8] = []
    private var ends: [Int] = []
    /// 1-based number of the current record (a header counts), for messages.
    public private(set) var recordNumber = 0

    /// Opens `path`; `-` reads standard input.
    public init(path: String) throws {
        if path == "-" {
            name = "standard input"
            descriptor = 0
            ownsDescriptor = false
        } else {
            name = path
            descriptor = try SystemCall.check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
            ownsDescriptor = true
        }
    }

    deinit { if ownsDescriptor { _ = close(descriptor) } }

    /// Fields in the current record.
    public var fieldCount: Int { ends.count }

    /// Field `i` of the current record as text.
    public func field(_ i: Int) -> String {
        let start = i == 0 ? 0 : ends[i - 1] + 1
        return String(decoding: storage[start..<ends[i]], as: UTF8.self)
    }

    /// Field `i` as a finite number, or nil when it is empty or not a number.
    public func number(_ i: Int) -> Double? {
        let start = i == 0 ? 0 : ends[i - 1] + 1
        var first = start, last = ends[i]
        while first < last, storage[first] == 0x20 || storage[first] == 0x09 { first += 1 }
        while last > first, storage[last - 1] == 0x20 || storage[last - 1] == 0x09 { last -= 1 }
        guard first < last else { return nil }
        return storage.withUnsafeBufferPointer { bytes -> Double? in
            let begin = UnsafeMutableRawPointer(mutating: bytes.baseAddress! + first).assumingMemoryBound(to: CChar.self)
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(begin, &stop)
            guard let stop, stop == begin + (last - first), value.isFinite else { return nil }
            return value
        }
    }

    /// Moves to the next record; false at the end of the input. A blank line is skipped.
    public func next() throws -> Bool {
        while true {
            storage.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            guard try peek() != nil else { return false }
            recordNumber += 1
            var quoted = false, fieldStarted = false
            record: while let byte = try peek() {
                position += 1
                if quoted {
                    if byte == 0x22 {  // "
                        if try peek() == 0x22 { position += 1; storage.append(0x22) } else { quoted = false }
                    } else {
                        storage.append(byte)
                    }
                    continue
                }
                switch byte {
                case 0x22 where !fieldStarted: quoted = true; fieldStarted = true
                case 0x2C:  // ,
                    ends.append(storage.count); storage.append(0); fieldStarted = false
                case 0x0A: break record
                case 0x0D: if try peek() == 0x0A { position += 1 }; break record
                default: storage.append(byte); fieldStarted = true
                }
            }
            if quoted { throw DatasetError(file: name, "record \(recordNumber) has a quoted field that is never closed") }
            ends.append(storage.count)
            storage.append(0)
            if ends.count == 1 && ends[0] == 0 { recordNumber -= 1; continue }  // blank line
            return true
        }
    }

    private func peek() throws -> UInt8? {
        if position == filled {
            guard !atEnd else { return nil }
            let n = try buffer.withUnsafeMutableBytes { raw in
                try SystemCall.check("read", path: name) { read(descriptor, raw.baseAddress!, raw.count) }
            }
            position = 0
            filled = n
            if n == 0 { atEnd = true; return nil }
        }
        return buffer[position]
    }
}
