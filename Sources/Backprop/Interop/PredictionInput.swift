// Where `predict` reads raw features from, a block of rows at a time: a split
// of a Backprop dataset file, any 2-D HDF5 dataset (FILE.h5:/path), a .npy
// array, or a numeric CSV (a header line is recognised and skipped).

import HDF5

/// A source of rows of raw features, read in blocks.
public final class PredictionInput {
    /// For messages: the file, and the dataset within it.
    public let name: String
    /// D, the features per row.
    public let width: Int
    /// N when known in advance (not for CSV).
    public let rows: Int?
    /// Whether the rows come out already scaled as DatasetFile loads them (uint8
    /// ÷ 255), so that only standardisation remains; raw otherwise.
    public let loadedAsDataset: Bool
    private var source: Source
    private var next = 0

    private enum Source {
        case hdf5(HDF5File, HDF5Dataset, pixels: Bool)
        case npy(NPYReader)
        case csv(CSVReader, pending: [Float]?)
    }

    /// Opens a split of a dataset file.
    public init(datasetFile path: String, split: String) throws {
        let file = try HDF5File(path: path, mode: .readOnly)
        guard let layout = try DatasetFile.splitLayout(split, of: file) else {
            file.close()
            throw DatasetError(file: path, "has no \(split)/x and \(split)/y datasets")
        }
        name = path
        width = layout.features
        rows = layout.examples
        loadedAsDataset = true
        source = .hdf5(file, try file.dataset("\(split)/x"), pixels: layout.featureType == .integer(signed: false, bytes: 1))
    }

    /// Opens the 2-D dataset `object` of the HDF5 file at `path`.
    public init(hdf5 path: String, object: String) throws {
        let file = try HDF5File(path: path, mode: .readOnly)
        guard file.contains(object) else {
            file.close()
            throw DatasetError(file: path, "has no dataset \(object)")
        }
        let x = try file.dataset(object)
        guard x.shape.count == 2, x.shape[1] > 0 else {
            file.close()
            throw DatasetError(file: path, "\(object) has shape \(x.shape); expected N rows × D features")
        }
        switch x.elementClass {
        case .integer, .float: break
        default:
            file.close()
            throw DatasetError(file: path, "\(object) holds \(x.elementClass) values; expected numbers")
        }
        name = "\(path):\(object)"
        width = x.shape[1]
        rows = x.shape[0]
        loadedAsDataset = false
        source = .hdf5(file, x, pixels: false)
    }

    /// Opens a .npy file of N × D (or N) numbers.
    public init(npy path: String) throws {
        let reader = try NPYReader(path: path)
        name = path
        width = reader.width
        rows = reader.rows
        loadedAsDataset = false
        source = .npy(reader)
    }

    /// Opens a CSV file (`-` for standard input) of numbers, with an optional header line.
    public init(csv path: String) throws {
        let reader = try CSVReader(path: path)
        name = reader.name
        guard try reader.next() else { throw DatasetError(file: reader.name, "is empty; expected rows of numbers") }
        width = reader.fieldCount
        rows = nil
        loadedAsDataset = false
        // A first record that is not all numbers is a header.
        let first = (0..<reader.fieldCount).map { reader.number($0) }
        let pending: [Float]? = first.contains(where: { $0 == nil }) ? nil : first.map { Float($0!) }
        source = .csv(reader, pending: pending)
    }

    deinit {
        if case .hdf5(let file, _, _) = source { file.close() }
    }

    /// The next up to `count` rows (rows × width), or an empty array at the end.
    public func read(rows count: Int) throws -> [Float] {
        switch source {
        case .hdf5(_, let x, let pixels):
            let n = min(count, rows! - next)
            guard n > 0 else { return [] }
            var block = try x.read(rows: next..<(next + n), as: Float.self)
            next += n
            // As DatasetFile loads pixels: Float(v) · (1/255), the same bits.
            if pixels { for i in block.indices { block[i] *= InputScaling.pixelFactor } }
            if let bad = block.firstIndex(where: { !$0.isFinite }) {
                throw DatasetError(file: name, "row \(next - n + bad / width), column \(bad % width) is \(block[bad]); expected finite features")
            }
            return block
        case .npy(let reader):
            let block = try reader.read(rows: count)
            if let bad = block.firstIndex(where: { !$0.isFinite }) {
                throw DatasetError(file: name, "row \(next + bad / width), column \(bad % width) is \(block[bad]); expected finite features")
            }
            next += block.count / width
            return block
        case .csv(let reader, let pending):
            var block: [Float] = []
            block.reserveCapacity(count * width)
            if let pending {
                block.append(contentsOf: pending)
                source = .csv(reader, pending: nil)
            }
            while block.count < count * width, try reader.next() {
                guard reader.fieldCount == width else {
                    throw DatasetError(file: name, "row \(reader.recordNumber) has \(reader.fieldCount) fields; the first has \(width)")
                }
                for j in 0..<width {
                    guard let value = reader.number(j) else {
                        let text = reader.field(j)
                        throw DatasetError(file: name, "row \(reader.recordNumber), column \(j + 1): \(text.isEmpty ? "missing value" : "'\(text)' is not a number")")
                    }
                    block.append(Float(value))
                }
            }
            return block
        }
    }
}
