// The files the CLI tests run on, made fresh in a temporary directory for each
// test: small learnable datasets in Backprop's HDF5 layout, and helpers that read
// results back.

import Foundation
import HDF5
import TestSupport
import Testing

/// A classification problem a small network learns in a few epochs: 8 features
/// in [0, 1), and the class is which of the pairs (x0+x1, x2+x3, x4+x5) is largest
/// (x6 and x7 are noise).
struct Synthetic {
    static let features = 8
    static let classes = 3

    /// N × 8 features, row-major.
    var x: [Float]
    /// N labels in 0..<3.
    var y: [Int64]
    var count: Int { y.count }

    init(count: Int, seed: UInt64) {
        (x, y) = Self.generate(count: count, seed: seed, draw: { $0.unit() }, value: { $0 })
    }

    /// `count` rows of `features` values drawn by `draw`, each labelled by the
    /// rule applied to the row's values as `value` reads them.
    static func generate<T, V: BinaryFloatingPoint>(
        count: Int, seed: UInt64, draw: (inout SplitMix64) -> T, value: (T) -> V
    ) -> (x: [T], y: [Int64]) {
        var generator = SplitMix64(seed: seed)
        var x: [T] = [], y: [Int64] = []
        for _ in 0..<count {
            let row = (0..<features).map { _ in draw(&generator) }
            x += row
            y.append(Int64(label(row.map(value))))
        }
        return (x, y)
    }

    static func label<T: BinaryFloatingPoint>(_ row: [T]) -> Int {
        let scores = (0..<classes).map { row[2 * $0] + row[2 * $0 + 1] }
        return scores.indices.max { scores[$0] < scores[$1] }!
    }
}

/// Pixel-like data: the Synthetic rule on uint8 features 0…255.
struct SyntheticBytes {
    var x: [UInt8]
    var y: [Int64]
    var count: Int { y.count }

    init(count: Int, seed: UInt64) {
        (x, y) = Synthetic.generate(
            count: count, seed: seed, draw: { UInt8(truncatingIfNeeded: $0.next() >> 56) }, value: { Double($0) })
    }
}

enum Fixtures {
    static let trainCount = 300
    static let testCount = 100

    /// The everyday dataset: float32 train/x 300 × 8, int64 train/y, and a
    /// 100-row test split.
    @discardableResult
    static func writeDataset(_ path: String, trainCount: Int = trainCount, testCount: Int = testCount) throws -> String {
        let train = Synthetic(count: trainCount, seed: 1), test = Synthetic(count: testCount, seed: 2)
        let file = try HDF5File(path: path, mode: .truncate)
        defer { file.close() }
        try file.write(train.x, shape: [train.count, Synthetic.features], to: "train/x")
        try file.write(train.y, shape: [train.count], to: "train/y")
        if testCount > 0 {
            try file.write(test.x, shape: [test.count, Synthetic.features], to: "test/x")
            try file.write(test.y, shape: [test.count], to: "test/y")
        }
        return path
    }

    /// Writes a file holding exactly the datasets `body` writes.
    @discardableResult
    static func writeFile(_ path: String, _ body: (HDF5File) throws -> Void) throws -> String {
        let file = try HDF5File(path: path, mode: .truncate)
        defer { file.close() }
        try body(file)
        return path
    }

    /// Reads a whole dataset of a file as `T`.
    static func read<T: HDF5Scalar>(_ object: String, of path: String, as type: T.Type = Float.self) throws -> [T] {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        return try file.dataset(object).read(as: type)
    }

    /// Trains `backprop train data --checkpoint reference arguments…` uninterrupted,
    /// for a crash test to compare against: its final parameters, as bits, and
    /// how long it took (so kills can be spread over a run's life).
    static func referenceRun(_ data: String, checkpoint reference: String, _ arguments: [String],
                             sourceLocation: SourceLocation = #_sourceLocation) throws -> (bits: [String: [UInt32]], seconds: Double) {
        let started = Date()
        let run = try BackpropCLI.run(["train", data, "--checkpoint", reference] + arguments, sourceLocation: sourceLocation)
        #expect(run.succeeded, "\(run)", sourceLocation: sourceLocation)
        return (try parameterBits(of: reference), Date().timeIntervalSince(started))
    }

    /// The parameters of every layer of a checkpoint, W then b, as bit patterns so
    /// that comparisons are exact (and NaN-safe).
    static func parameterBits(of checkpoint: String) throws -> [String: [UInt32]] {
        let file = try HDF5File(path: checkpoint, mode: .readOnly)
        defer { file.close() }
        let sizes = try file.intsAttribute("layer_sizes", of: "model")
        var result: [String: [UInt32]] = [:]
        for layer in 1..<sizes.count {
            for name in ["W", "b"] {
                let object = "model/layer\(layer)/\(name)"
                result[object] = try file.dataset(object).read(as: Float.self).map(\.bitPattern)
            }
        }
        return result
    }

    static func bytes(of path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func writeText(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}

/// The lines of a `--log` file, each parsed as a JSON object.
func readJSONLines(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    let text = String(decoding: try Fixtures.bytes(of: path), as: UTF8.self)
    return try text.split(separator: "\n").map { try parseJSONObject(String($0), sourceLocation: sourceLocation) }
}

/// One JSON object, with its numbers as `Double`, strings as `String`, true and
/// false as `Bool`, null as `NSNull`, arrays as `[Any]` and objects as `[String: Any]`.
func parseJSONObject(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    return try #require(value.object, "not a JSON object: \(text)", sourceLocation: sourceLocation)
}

/// A JSON document read with JSONDecoder, not JSONSerialization: on Linux,
/// JSONSerialization does not round decimal text to the nearest Double (it reads
/// 0.5651720133048838 as 0.5651720133048836), while JSONDecoder does, as
/// `JSONLinesTests` checks, so a logged figure reads back exactly as written.
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var any: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .number(let value): value
        case .string(let value): value
        case .array(let values): values.map(\.any)
        case .object(let members): members.mapValues(\.any)
        }
    }

    var object: [String: Any]? {
        if case .object(let members) = self { return members.mapValues(\.any) }
        return nil
    }
}

/// A JSON number as a Double; nil for anything else (a string such as "NaN" included).
func number(_ value: Any?) -> Double? {
    value as? Double
}

/// `x` printed as the CLI prints its figures.
func fourDigits(_ x: Double) -> String { String(format: "%.4f", x) }

/// The number printed right after `label`, as text: `figure(after: "test_loss: ",
/// in: "… - test_loss: 0.4321 - …")` is "0.4321".
func figure(after label: String, in line: String) -> String? {
    guard let range = line.range(of: label) else { return nil }
    let number = line[range.upperBound...].prefix { $0.isNumber || $0 == "." || $0.isLetter }
    return number.isEmpty ? nil : String(number)
}
