// Turns NumPy arrays (.npy) into a Backprop dataset file: X (N × D, uint8
// kept as uint8 so training scales it by 1/255, any other number type as
// float32) and Y (N integer labels, or N or N × K float targets), and the same
// for a test pair. Built in memory and written atomically.

import Foundation
import HDF5

public enum NPYImport {
    /// Converts `x` and `y` (and `testX`, `testY` when given) to `output`; returns a one-line summary.
    public static func run(x: String, y: String, testX: String? = nil, testY: String? = nil, output: String) throws -> String {
        if (testX == nil) != (testY == nil) { throw ConfigurationError("the test features and test labels must be given together") }
        let file = try HDF5File(inMemoryNamed: output)
        defer { file.close() }
        let train = try write(x: x, y: y, group: "train", to: file)
        var summary = "\(train.rows) training"
        if let testX, let testY {
            let test = try write(x: testX, y: testY, group: "test", to: file)
            guard test.width == train.width else {
                throw DatasetError(file: testX, "has \(test.width) features per row; \(x) has \(train.width)")
            }
            summary += " and \(test.rows) test"
        }
        try file.setAttribute("format", "backprop-dataset")
        try file.setAttribute("source", [x, y, testX, testY].compactMap { $0 }.joined(separator: ", "))
        try OutputFile.write([try file.image()], to: output)
        return summary + " examples of \(train.width) features"
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

    private static func write(features: NPYReader, targets: NPYReader, group: String, to file: HDF5File) throws -> (rows: Int, width: Int) {
        let (x, y) = (features.path, targets.path)
        guard features.header.shape.count == 2 else {
            throw DatasetError(file: x, "has shape \(features.header.shape); expected N rows × D features")
        }
        guard targets.rows == features.rows else {
            throw DatasetError(file: y, "has \(targets.rows) rows; \(x) has \(features.rows)")
        }
        try MemoryBudget.check(MemoryBudget.product([features.rows, features.width, 8]), for: "\(x): importing \(features.header.shape)")
        let values = try features.read(rows: features.rows)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError(file: x, "row \(bad / features.width), column \(bad % features.width) is \(values[bad]); expected finite features")
        }
        if features.header.element == .uint8 {
            try file.write(values.map { UInt8($0) }, shape: [features.rows, features.width], to: "\(group)/x")
        } else {
            try file.write(values, shape: [features.rows, features.width], to: "\(group)/x")
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
}
