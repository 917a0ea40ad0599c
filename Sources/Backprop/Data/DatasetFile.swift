// Reads a dataset file in Backprop's HDF5 layout, and rejects one that does
// not fit it with a message naming the file, the dataset and what was expected.
//
//     train/x  N × D   float32, float64, or uint8 (scaled to [0, 1])
//     train/y  N       integer class labels,  or  N × K float targets
//     test/x, test/y             optional, the same shapes with their own N
//     validation/x, validation/y optional, likewise

import HDF5

/// The splits of one dataset file.
public struct DatasetSplits: Sendable {
    public var train: Dataset
    public var test: Dataset?
    public var validation: Dataset?
}

/// One split as the file declares it, read without its data: enough to decide
/// whether to load it, and to check it against a network.
public struct SplitLayout: Sendable, Equatable {
    /// `train`, `test` or `validation`.
    public let name: String
    /// N.
    public let examples: Int
    /// D.
    public let features: Int
    /// How x is stored: uint8, float32 or float64.
    public let featureType: HDF5ElementClass
    /// `[N]` for class labels, `[N, K]` for target values.
    public let targetShape: [Int]
    /// How y is stored.
    public let targetType: HDF5ElementClass

    /// Whether y holds class labels (rather than rows of target values).
    public var hasClassLabels: Bool {
        if case .integer = targetType, targetShape.count == 1 { return true }
        return false
    }

    /// Bytes that loading this split takes at its peak, or nil if the count
    /// overflows: x as held (uint8 stays uint8, floats become Float), and y as
    /// read (int64 labels, then int32) or as Float targets.
    public var loadBytes: Int? {
        MemoryBudget.sum([featureBytes, targetBytes])
    }

    /// Bytes x takes in memory: 1 per uint8 value, 4 per float.
    public var featureBytes: Int? {
        MemoryBudget.product([examples, features, isBytes ? 1 : 4])
    }

    /// Bytes y takes while loading: int64 labels, then int32; or Float targets.
    public var targetBytes: Int? {
        hasClassLabels ? MemoryBudget.product([examples, 8 + 4]) : MemoryBudget.product(targetShape + [4])
    }

    /// Whether x holds uint8 values, kept as bytes in memory.
    public var isBytes: Bool { featureType == .integer(signed: false, bytes: 1) }
}

/// The splits a dataset file declares, read without their data.
public struct DatasetLayout: Sendable, Equatable {
    public let file: String
    /// `train` first, then `test` and `validation` when the file has them.
    public let splits: [SplitLayout]

    public func split(_ name: String) -> SplitLayout? { splits.first { $0.name == name } }

    /// Bytes that loading every split takes, or nil if the count overflows.
    public var loadBytes: Int? { MemoryBudget.sum(splits.map(\.loadBytes)) }
}

public enum DatasetFile {
    static let splitNames = ["train", "test", "validation"]

    /// Loads every split the file at `path` has; `train` is required.
    ///
    /// Every shape and type is checked, and the memory the splits need compared
    /// with what the machine has, before any data is read.
    ///
    /// - Throws: `DatasetError` naming the file and dataset; `MemoryError` when the
    ///   splits cannot fit in memory (`layout(_:)` says how large they are).
    public static func load(_ path: String) throws -> DatasetSplits {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        let layout = try layout(of: file)
        try MemoryBudget.check(layout.loadBytes, for: "\(path): loading " + layout.splits.map {
            "\($0.name) (\($0.examples) × \($0.features) \($0.featureType))"
        }.joined(separator: ", "))
        var loaded: [String: Dataset] = [:]
        for split in layout.splits {
            loaded[split.name] = try read(split, of: file)
        }
        return DatasetSplits(train: loaded["train"]!, test: loaded["test"], validation: loaded["validation"])
    }

    /// The splits the file at `path` declares, their shapes, types and the memory
    /// loading them takes, without reading any data.
    public static func layout(_ path: String) throws -> DatasetLayout {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        return try layout(of: file)
    }

    static func layout(of file: HDF5File) throws -> DatasetLayout {
        let path = file.path
        let splits = try NewerHDF5.explained(path) { try splitNames.compactMap { try splitLayout($0, of: file) } }
        guard let train = splits.first, train.name == "train" else {
            throw DatasetError(file: path, "no train/x and train/y datasets; expected train/x (N×D features) and train/y (N labels or N×K targets)")
        }
        for other in splits.dropFirst() where other.features != train.features {
            throw DatasetError(file: path, "\(other.name)/x has \(other.features) features per example, train/x has \(train.features)")
        }
        return DatasetLayout(file: path, splits: splits)
    }

    /// Loads one split (`train`, `test`, `validation`), or nil when the file has neither of its datasets.
    public static func split(_ name: String, of file: HDF5File) throws -> Dataset? {
        guard let layout = try splitLayout(name, of: file) else { return nil }
        try MemoryBudget.check(layout.loadBytes, for: "\(file.path): loading \(name) (\(layout.examples) × \(layout.features) \(layout.featureType))")
        return try read(layout, of: file)
    }

    /// Checks one split's shapes and types, or returns nil when the file has neither of its datasets.
    static func splitLayout(_ name: String, of file: HDF5File) throws -> SplitLayout? {
        let path = file.path, xPath = "\(name)/x", yPath = "\(name)/y"
        switch (file.contains(xPath), file.contains(yPath)) {
        case (false, false): return nil
        case (true, false): throw DatasetError(file: path, "has \(xPath) but no \(yPath); expected both")
        case (false, true): throw DatasetError(file: path, "has \(yPath) but no \(xPath); expected both")
        case (true, true): break
        }
        let x = try file.dataset(xPath), y = try file.dataset(yPath)
        guard x.shape.count == 2 else {
            throw DatasetError(file: path, "\(xPath) has shape \(x.shape); expected 2 dimensions, N examples × D features")
        }
        let (count, featureCount) = (x.shape[0], x.shape[1])
        guard y.shape.count == 1 || y.shape.count == 2 else {
            throw DatasetError(file: path, "\(yPath) has shape \(y.shape); expected N labels or N × K targets")
        }
        guard y.shape[0] == count else {
            throw DatasetError(file: path, "\(xPath) has \(count) examples but \(yPath) has \(y.shape[0]); expected the same number")
        }
        guard featureCount > 0 else { throw DatasetError(file: path, "\(xPath) has 0 features per example") }
        switch x.elementClass {
        case .integer(signed: false, bytes: 1), .float: break
        default:
            throw DatasetError(file: path, "\(xPath) holds \(x.elementClass) values; expected float32, float64 or uint8")
        }
        switch y.elementClass {
        case .integer, .float: break
        default:
            throw DatasetError(file: path, "\(yPath) holds \(y.elementClass) values; expected integer labels or float targets")
        }
        if y.shape.count == 2 && y.shape[1] == 0 {
            throw DatasetError(file: path, "\(yPath) has shape \(y.shape); expected at least one target per example")
        }
        return SplitLayout(name: name, examples: count, features: featureCount, featureType: x.elementClass,
                           targetShape: y.shape, targetType: y.elementClass)
    }

    /// Reads the data of a split whose layout has been checked.
    static func read(_ layout: SplitLayout, of file: HDF5File) throws -> Dataset {
        let path = file.path
        let x = try file.dataset("\(layout.name)/x"), y = try file.dataset("\(layout.name)/y")
        // The file is open read-only; a shape that changed since the layout was taken is damage.
        guard x.shape == [layout.examples, layout.features], y.shape == layout.targetShape else {
            throw DatasetError(file: path, "\(layout.name)/x and \(layout.name)/y changed shape while being read")
        }
        let features = try readFeatures(x, path: path)
        let targets = try readTargets(y, path: path)
        return Dataset(name: path, split: layout.name, rows: features, featureCount: layout.features, targets: targets)
    }

    /// The features of `x`, in memory backed by huge pages where the kernel
    /// grants them: minibatches gather their rows at random (see HugePages.swift).
    static func readFeatures(_ x: HDF5Dataset, path: String) throws -> FeatureRows {
        switch x.elementClass {
        case .integer(signed: false, bytes: 1):
            // Pixel intensities 0…255, kept as bytes; gathering makes them 0…1.
            return .uint8(try x.read(as: UInt8.self, preparing: HugePages.advise))
        case .float:
            let values = try x.read(as: Float.self, preparing: HugePages.advise)
            try checkFinite(values, rowOffset: 0, x: x, path: path)
            return .float(values)
        default:
            throw DatasetError(file: path, "\(x.name) holds \(x.elementClass) values; expected float32, float64 or uint8")
        }
    }

    /// Throws naming the first non-finite feature of `values`, rows of `x` from `rowOffset` on.
    static func checkFinite(_ values: UnsafeBufferPointer<Float>, rowOffset: Int, x: HDF5Dataset, path: String) throws {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let width = x.shape[1]
            throw DatasetError(file: path, "\(x.name)[\(rowOffset + bad / width), \(bad % width)] is \(values[bad]); expected finite features")
        }
    }

    static func checkFinite(_ values: [Float], rowOffset: Int, x: HDF5Dataset, path: String) throws {
        try values.withUnsafeBufferPointer { try checkFinite($0, rowOffset: rowOffset, x: x, path: path) }
    }

    /// The targets of `y`, or of its rows `rows` only.
    static func readTargets(_ y: HDF5Dataset, path: String, rows: Range<Int>? = nil) throws -> Targets {
        let offset = rows?.lowerBound ?? 0
        func read<T: HDF5Scalar>(_ type: T.Type) throws -> [T] {
            try rows.map { try y.read(rows: $0, as: type) } ?? y.read(as: type)
        }
        switch (y.elementClass, y.shape.count) {
        case (.integer, 1):
            let labels = try read(Int64.self)
            if let row = labels.firstIndex(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
                throw DatasetError(file: path, "\(y.name)[\(offset + row)] = \(labels[row]); expected class labels 0, 1, 2, …")
            }
            return .classes(labels.map { Int32($0) })
        case (.integer, _), (.float, _):
            let values = try read(Float.self)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                let width = y.shape.count == 1 ? 1 : y.shape[1]
                throw DatasetError(file: path, "\(y.name) element \(offset * width + bad) is \(values[bad]); expected finite targets")
            }
            return .values(values, width: y.shape.count == 1 ? 1 : y.shape[1])
        default:
            throw DatasetError(file: path, "\(y.name) holds \(y.elementClass) values; expected integer labels or float targets")
        }
    }
}
