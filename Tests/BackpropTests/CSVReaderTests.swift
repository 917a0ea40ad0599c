// The CSV reader against a file larger than its 1 MiB buffer, whose quoted
// fields, doubled quotes and CRLF line ends fall across buffer boundaries, and
// its fast decimal path against strtod.

import Foundation
import Testing
@testable import Backprop

@Suite struct CSVReaderTests {
    func temporary(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID()).csv").path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test func recordsThatStraddleReadsComeBackWhole() throws {
        // Record r: r, "a ""quoted"",<newline>field r", -r.5, then CRLF or LF.
        var text = ""
        let count = 60_000
        for r in 0..<count {
            text += "\(r),\"a \"\"quoted\"\",\nfield \(r)\",-\(r).5" + (r % 3 == 0 ? "\r\n" : "\n")
        }
        let path = try temporary(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(text.utf8.count > 2 << 20)
        let reader = try CSVReader(path: path)
        var r = 0
        while try reader.next() {
            guard reader.fieldCount == 3, reader.number(0) == Double(r), reader.field(1) == "a \"quoted\",\nfield \(r)",
                  reader.number(2) == -(Double(r) + 0.5) else {
                Issue.record("record \(r): \((0..<reader.fieldCount).map(reader.field))")
                return
            }
            r += 1
        }
        #expect(r == count)
    }

    @Test func blankLinesAreSkippedAndAnUnclosedQuoteIsRefused() throws {
        let path = try temporary("1,2\n\n3,\"4\"\n\"5,6\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try CSVReader(path: path)
        #expect(try reader.next() && reader.field(1) == "2")
        #expect(try reader.next() && reader.field(1) == "4" && reader.recordNumber == 2)
        #expect(throws: DatasetError.self) { try reader.next() }
    }

    @Test func numbersReadAsStrtodReadsThem() throws {
        let texts = ["0", "-0.1", "+3.25", "123456789012345", "0.000001234", "1e-3", "2.5E+10", " 7 ", "12345678901234567890",
                     "0.1234567890123456789", "inf", "nan", "x", "1.2.3", "-", "", "0x1p3"]
        let path = try temporary(texts.joined(separator: ",") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try CSVReader(path: path)
        #expect(try reader.next())
        for (i, text) in texts.enumerated() {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            var stop: UnsafeMutablePointer<CChar>?
            let expected: Double? = trimmed.withCString { begin in
                let v = strtod(begin, &stop)
                return !trimmed.isEmpty && stop == UnsafeMutablePointer(mutating: begin) + trimmed.utf8.count && v.isFinite ? v : nil
            }
            #expect(reader.number(i).map(\.bitPattern) == expected.map(\.bitPattern), "'\(text)'")
        }
    }
}
