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

public enum DatasetFile {
    /// Loads every split the file at `path` has; `train` is required.
    public static func load(_ path: String) throws -> DatasetSplits {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        guard let train = try split("train", of: file) else {
            throw DatasetError(file: path, "no train/x and train/y datasets; expected train/x (N×D features) and train/y (N labels or N×K targets)")
        }
        let test = try split("test", of: file)
        let validation = try split("validation", of: file)
        for other in [test, validation].compactMap({ $0 }) where other.featureCount != train.featureCount {
            throw DatasetError(file: path, "\(other.split)/x has \(other.featureCount) features per example, train/x has \(train.featureCount)")
        }
        return DatasetSplits(train: train, test: test, validation: validation)
    }

    /// Loads one split (`train`, `test`, `validation`), or nil when the file has neither of its datasets.
    public static func split(_ name: String, of file: HDF5File) throws -> Dataset? {
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
        let features = try readFeatures(x, path: path)
        let targets = try readTargets(y, path: path)
        return Dataset(name: path, split: name, features: features, featureCount: featureCount, targets: targets)
    }

    static func readFeatures(_ x: HDF5Dataset, path: String) throws -> [Float] {
        switch x.elementClass {
        case .integer(signed: false, bytes: 1):
            // Pixel intensities: 0…255 become 0…1.
            return try x.read(as: UInt8.self).map { Float($0) * (1 / 255) }
        case .float:
            let values = try x.read(as: Float.self)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                let width = x.shape[1]
                throw DatasetError(file: path, "\(x.name)[\(bad / width), \(bad % width)] is \(values[bad]); expected finite features")
            }
            return values
        default:
            throw DatasetError(file: path, "\(x.name) holds \(x.elementClass) values; expected float32, float64 or uint8")
        }
    }

    static func readTargets(_ y: HDF5Dataset, path: String) throws -> Targets {
        switch (y.elementClass, y.shape.count) {
        case (.integer, 1):
            let labels = try y.read(as: Int64.self)
            if let row = labels.firstIndex(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
                throw DatasetError(file: path, "\(y.name)[\(row)] = \(labels[row]); expected class labels 0, 1, 2, …")
            }
            return .classes(labels.map { Int32($0) })
        case (.integer, _), (.float, _):
            let values = try y.read(as: Float.self)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw DatasetError(file: path, "\(y.name) element \(bad) is \(values[bad]); expected finite targets")
            }
            return .values(values, width: y.shape.count == 1 ? 1 : y.shape[1])
        default:
            throw DatasetError(file: path, "\(y.name) holds \(y.elementClass) values; expected integer labels or float targets")
        }
    }
}
