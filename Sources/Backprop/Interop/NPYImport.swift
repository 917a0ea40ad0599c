// Turns NumPy arrays (.npy) into a Backprop dataset file: X (N × D, uint8
// kept as uint8 so training scales it by 1/255, any other number type as
// float32) and Y (N integer labels, or N or N × K float targets), and the same
// for a test pair. Built in memory and written atomically, or, when the
// features need more than `memory`, streamed to the file block by block.

import Foundation
import HDF5

public enum NPYImport {
    /// Converts `x` and `y` (and `testX`, `testY` when given) to `output`; returns a one-line summary.
    /// Features that need more than `memory` bytes are written block by block
    /// straight to the file, in memory bounded by `memory`, not by the arrays.
    public static func run(x: String, y: String, testX: String? = nil, testY: String? = nil, output: String,
                           memory: Int = 1 << 30) throws -> String {
        if (testX == nil) != (testY == nil) { throw ConfigurationError("the test features and test labels must be given together") }
        var pairs = [(try NPYReader(path: x), try NPYReader(path: y), "train")]
        if let testX, let testY { pairs.append((try NPYReader(path: testX), try NPYReader(path: testY), "test")) }
        // In memory: each array as Float, then converted (8 bytes a value at the peak).
        let values = pairs.reduce(0) { $0 + $1.0.header.count }
        let stream = MemoryBudget.product([values, 8]).map { $0 > memory } ?? true
        var result = ""
        func fill(_ file: HDF5File) throws {
            let train = try write(features: pairs[0].0, targets: pairs[0].1, group: "train", to: file,
                                  blockRows: stream ? blockRows(pairs[0].0, memory: memory) : nil)
            result = "\(train.rows) training"
            if pairs.count == 2 {
                let test = try write(features: pairs[1].0, targets: pairs[1].1, group: "test", to: file,
                                     blockRows: stream ? blockRows(pairs[1].0, memory: memory) : nil)
                guard test.width == train.width else {
                    throw DatasetError(file: pairs[1].0.path, "has \(test.width) features per row; \(x) has \(train.width)")
                }
                result += " and \(test.rows) test"
            }
            try file.setAttribute("format", "backprop-dataset")
            try file.setAttribute("source", [x, y, testX, testY].compactMap { $0 }.joined(separator: ", "))
            result += " examples of \(train.width) features"
        }
        if stream {
            let reserve = ReservedOutput.estimate(rows: pairs.map(\.0.rows), rowBytes: 0)
                + pairs.reduce(0) { $0 + ($1.0.header.count * ($1.0.header.element == .uint8 ? 1 : 4) + $1.1.header.count * 8) / 100 * 101 }
            try ReservedOutput.write(to: output, reserving: reserve, fill)
        } else {
            let file = try HDF5File(inMemoryNamed: output)
            defer { file.close() }
            try fill(file)
            try OutputFile.write([try file.image()], to: output)
        }
        return result
    }

    /// Rows per block when streaming: two copies of a block (as Float, then converted) in `memory`, at most 64 MiB.
    private static func blockRows(_ features: NPYReader, memory: Int) -> Int {
        max(1, min(memory, 128 << 20) / 8 / max(1, features.width))
    }

    /// Converts the arrays named `x`, `y` (and `testX`, `testY` when the archive
    /// has them, or when named) of the .npz at `path`, stored or deflated, to `output`.
    public static func run(npz path: String, x: String = "x_train", y: String = "y_train",
                           testX: String? = nil, testY: String? = nil, output: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError(file: path, "cannot be read") }
        let zip = try ZipReader(bytes: [UInt8](data), name: path)
        func member(_ name: String) throws -> NPYReader {
            let file = name.hasSuffix(".npy") ? name : name + ".npy"
            return try NPYReader(bytes: try zip.contents(of: file), name: "\(path):\(name)")
        }
        // Keras's datasets name their members x_train, y_train, x_test, y_test; the
        // test pair is taken by default only with the default training pair.
        let defaults = x == "x_train" && y == "y_train" && testX == nil && testY == nil
            && zip.entries["x_test.npy"] != nil && zip.entries["y_test.npy"] != nil
        let (testX, testY) = defaults ? ("x_test", "y_test") : (testX, testY)
        if (testX == nil) != (testY == nil) { throw ConfigurationError("the test features and test labels must be given together") }
        let file = try HDF5File(inMemoryNamed: output)
        defer { file.close() }
        let train = try write(features: try member(x), targets: try member(y), group: "train", to: file)
        var summary = "\(train.rows) training"
        if let testX, let testY {
            let test = try write(features: try member(testX), targets: try member(testY), group: "test", to: file)
            guard test.width == train.width else {
                throw DatasetError(file: "\(path):\(testX)", "has \(test.width) features per row; \(x) has \(train.width)")
            }
            summary += " and \(test.rows) test"
        }
        try file.setAttribute("format", "backprop-dataset")
        try file.setAttribute("source", path)
        try OutputFile.write([try file.image()], to: output)
        return summary + " examples of \(train.width) features"
    }

    private static func write(x: String, y: String, group: String, to file: HDF5File) throws -> (rows: Int, width: Int) {
        try write(features: try NPYReader(path: x), targets: try NPYReader(path: y), group: group, to: file)
    }

    /// Writes one pair as `group`/x and `group`/y: x whole, or with `blockRows` a block at a time.
    private static func write(features: NPYReader, targets: NPYReader, group: String, to file: HDF5File,
                              blockRows: Int? = nil) throws -> (rows: Int, width: Int) {
        let (x, y) = (features.path, targets.path)
        guard features.header.shape.count == 2 else {
            throw DatasetError(file: x, "has shape \(features.header.shape); expected N rows × D features")
        }
        guard targets.rows == features.rows else {
            throw DatasetError(file: y, "has \(targets.rows) rows; \(x) has \(features.rows)")
        }
        if let blockRows {
            try stream(features, group: group, to: file, blockRows: blockRows)
        } else {
            try MemoryBudget.check(MemoryBudget.product([features.rows, features.width, 8]), for: "\(x): importing \(features.header.shape)")
            let values = try features.read(rows: features.rows)
            try checkFinite(values, firstRow: 0, features)
            if features.header.element == .uint8 {
                try file.write(values.map { UInt8($0) }, shape: [features.rows, features.width], to: "\(group)/x")
            } else {
                try file.write(values, shape: [features.rows, features.width], to: "\(group)/x")
            }
        }
        let labels = try targets.read(rows: targets.rows)
        switch targets.header.element {
        case .float32, .float64:
            if let bad = labels.firstIndex(where: { !$0.isFinite }) {
                throw DatasetError(file: y, "element \(bad) is \(labels[bad]); expected finite targets")
            }
            try file.write(labels, shape: [targets.rows, targets.width], to: "\(group)/y")
        default:
            guard targets.header.shape.count == 1 else {
                throw DatasetError(file: y, "holds integers of shape \(targets.header.shape); expected N class labels")
            }
            if let bad = labels.firstIndex(where: { $0 < 0 }) {
                throw DatasetError(file: y, "element \(bad) is \(Int(labels[bad])); expected class labels 0, 1, 2, …")
            }
            try file.write(labels.map { Int64($0) }, shape: [targets.rows], to: "\(group)/y")
        }
        return (features.rows, features.width)
    }

    private static func checkFinite(_ values: [Float], firstRow: Int, _ features: NPYReader) throws {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError(file: features.path, "row \(firstRow + bad / features.width), column \(bad % features.width) is \(values[bad]); expected finite features")
        }
    }

    /// x read and written `blockRows` rows at a time, in chunks of whole rows; uint8 stays uint8.
    private static func stream(_ features: NPYReader, group: String, to file: HDF5File, blockRows: Int) throws {
        let (n, d) = (features.rows, features.width)
        let bytes = features.header.element == .uint8
        let chunkRows = min(RechunkOptions.defaultChunkRows(rowBytes: d * (bytes ? 1 : 4)), blockRows)
        let block = max(chunkRows, blockRows / chunkRows * chunkRows)
        func each(_ write: ([Float], Range<Int>) throws -> Void) throws {
            var start = 0
            while start < n {
                let values = try features.read(rows: block)
                let count = values.count / d
                precondition(count > 0)
                try checkFinite(values, firstRow: start, features)
                try write(values, start..<start + count)
                start += count
            }
        }
        if bytes {
            let writer = try file.createRowDataset("\(group)/x", of: UInt8.self, rows: n, columns: d, chunkRows: n > 0 ? chunkRows : nil)
            defer { writer.close() }
            try each { values, rows in try values.map { UInt8($0) }.withUnsafeBufferPointer { try writer.write($0, rows: rows) } }
        } else {
            let writer = try file.createRowDataset("\(group)/x", of: Float.self, rows: n, columns: d, chunkRows: n > 0 ? chunkRows : nil)
            defer { writer.close() }
            try each { values, rows in try values.withUnsafeBufferPointer { try writer.write($0, rows: rows) } }
        }
    }
}
