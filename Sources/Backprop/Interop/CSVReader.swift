// A streaming CSV reader (RFC 4180): comma-separated fields, fields in double
// quotes may hold commas, newlines and doubled quotes (""), records end at LF
// or CRLF. It reads 1 MiB at a time, so a file of any size is read in bounded
// memory, and hands out one record at a time from one reused buffer.

import Foundation
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
            if let value = Self.simpleDecimal(bytes, first, last) { return value }
            let begin = UnsafeMutableRawPointer(mutating: bytes.baseAddress! + first).assumingMemoryBound(to: CChar.self)
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(begin, &stop)
            guard let stop, stop == begin + (last - first), value.isFinite else { return nil }
            return value
        }
    }

    /// Powers of ten that Double holds exactly.
    private static let exactPowers: [Double] = (0...22).map { pow(10, Double($0)) }

    /// A plain decimal ([-+]digits[.digits]) with at most 15 significant digits,
    /// read as mantissa ÷ 10^k: both exact in Double, so the one division rounds
    /// correctly, the value strtod gives (Clinger's fast path). Anything else
    /// (exponents, long mantissas, inf, nan, hex) is left to strtod.
    @inline(__always)
    private static func simpleDecimal(_ bytes: UnsafeBufferPointer<UInt8>, _ first: Int, _ last: Int) -> Double? {
        var i = first, negative = false
        if bytes[i] == 0x2D { negative = true; i += 1 } else if bytes[i] == 0x2B { i += 1 }
        var mantissa: UInt64 = 0, digits = 0, fraction = 0, seenPoint = false
        guard i < last else { return nil }
        while i < last {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 {
                mantissa = mantissa &* 10 &+ UInt64(c - 0x30)
                digits += 1
                if seenPoint { fraction += 1 }
            } else if c == 0x2E && !seenPoint {
                seenPoint = true
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0, digits <= 15 else { return nil }
        let value = Double(mantissa) / exactPowers[fraction]
        return negative ? -value : value
    }

    /// Moves to the next record; false at the end of the input. A blank line is skipped.
    ///
    /// The bytes of the buffer are scanned through a pointer, with the state
    /// (in quotes, a quote just seen inside quotes, a CR just seen) carried
    /// across refills, so a record may straddle two reads.
    public func next() throws -> Bool {
        // Worked on as locals: appending to a class's stored arrays byte by byte
        // pays an exclusivity check per byte.
        var storage: [UInt8] = [], ends: [Int] = []
        swap(&storage, &self.storage)
        swap(&ends, &self.ends)
        defer {
            swap(&storage, &self.storage)
            swap(&ends, &self.ends)
        }
        while true {
            storage.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            guard try peek() != nil else { return false }
            recordNumber += 1
            var quoted = false, fieldStarted = false, quoteInQuotes = false, sawCR = false, ended = false
            while !ended {
                if position == filled { guard try peek() != nil else { break } }
                let consumed = buffer.withUnsafeBufferPointer { buf -> Int in
                    var i = position
                    while i < filled {
                        let byte = buf[i]
                        if sawCR {  // CRLF: the LF belongs to the record the CR ended
                            if byte == 0x0A { i += 1 }
                            ended = true
                            return i
                        }
                        i += 1
                        if quoted {
                            if quoteInQuotes {
                                quoteInQuotes = false
                                if byte == 0x22 { storage.append(0x22); continue }  // "" is a quote
                                quoted = false  // the quote closed the field; this byte is outside
                            } else if byte == 0x22 {
                                quoteInQuotes = true
                                continue
                            } else {
                                storage.append(byte)
                                continue
                            }
                        }
                        switch byte {
                        case 0x22 where !fieldStarted: quoted = true; fieldStarted = true
                        case 0x2C: ends.append(storage.count); storage.append(0); fieldStarted = false
                        case 0x0A: ended = true; return i
                        case 0x0D: sawCR = true
                        default: storage.append(byte); fieldStarted = true
                        }
                    }
                    return i
                }
                position = consumed
            }
            if quoteInQuotes { quoted = false }  // a closing quote at the very end of the input
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
