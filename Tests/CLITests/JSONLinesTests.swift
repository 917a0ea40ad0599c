// The test helpers read `--log` lines back exactly: every figure the library
// writes parses to the very Double it wrote, as Python's json module reads it.
// (JSONSerialization on Linux does not: it reads 0.5651720133048838 as
// 0.5651720133048836, which once made a correct run look wrong.)

import Backprop
import Foundation
import Testing
import TestSupport

@Suite struct JSONLinesTests {
    /// Values whose shortest decimal text is hard to read back: the nearest
    /// Double is close to a tie, or at the ends of the range.
    static let awkward: [Double] = [
        0.5651720133048838, 0.5651720133048836, 0.1 + 0.2, 123456.78901234567, 1e23, 8.98846567431158e307,
        .greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude, -0.0,
    ]

    @Test(arguments: awkward)
    func aLoggedFigureReadsBackExactly(_ x: Double) throws {
        var record = EpochRecord(epoch: 1, step: 10, trainLoss: x, trainAccuracy: 0.25, testLoss: x, testAccuracy: nil,
                                 samplesPerSecond: x, seconds: 1.5, learningRate: x)
        record.validationLoss = x
        let directory = try TestDirectory()
        let log = directory.path("metrics.jsonl")
        try Fixtures.writeText(record.jsonLine() + "\n" + record.jsonLine() + "\n", to: log)
        let records = try readJSONLines(log)
        try #require(records.count == 2)
        for key in ["train_loss", "test_loss", "validation_loss", "samples_per_second", "learning_rate"] {
            let read = try #require(number(records[1][key]), "\(key): \(records[1])")
            #expect(read.bitPattern == x.bitPattern, "\(key): wrote \(x), read \(read)")
        }
        #expect(number(records[0]["train_accuracy"]) == 0.25)
        #expect(records[0]["test_accuracy"] is NSNull, "\(records[0])")
        #expect(number(records[0]["epoch"]) == 1 && number(records[0]["step"]) == 10)
    }

    /// Beyond the chosen cases: random finite Doubles, written as Swift prints
    /// them, parse to what Swift's own correctly rounded `Double(String)` gives.
    @Test func numbersParseAsSwiftParsesThem() throws {
        var generator = SplitMix64(seed: 42)
        var mismatches: [String] = []
        for _ in 0..<20_000 {
            let x = Double(bitPattern: generator.next())
            guard x.isFinite else { continue }
            let text = "\(x)"
            let read = number(try parseJSONObject("{\"x\": \(text), \"y\": [1, \"z\", true]}")["x"])
            if read != Double(text) || read != x { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) read differently, e.g. \(mismatches.prefix(5))")
    }

    @Test func valuesOtherThanNumbersKeepTheirTypes() throws {
        let object = try parseJSONObject(#"{"s": "NaN", "b": false, "n": null, "a": [1.5, "x"], "o": {"k": 2}}"#)
        #expect(object["s"] as? String == "NaN" && number(object["s"]) == nil)
        #expect(object["b"] as? Bool == false)
        #expect(object["n"] is NSNull)
        let array = try #require(object["a"] as? [Any])
        #expect(array.count == 2 && number(array[0]) == 1.5 && array[1] as? String == "x")
        #expect(number((object["o"] as? [String: Any])?["k"]) == 2)
    }
}
