// A dataset in memory: N examples of D features (row-major, Float or the file's
// uint8) and their targets, either class labels or rows of K target values.

import CLinux

/// What the network should output for each example.
public enum Targets: Sendable, Equatable {
    /// One class index per example, turned into a one-hot row (or, for a single
    /// output, the value 0 or 1).
    case classes([Int32])
    /// `width` target values per example, row-major.
    case values([Float], width: Int)

    public var count: Int {
        switch self {
        case .classes(let labels): labels.count
        case .values(let values, let width): width == 0 ? 0 : values.count / width
        }
    }
}

/// N × D features, row-major, in the type the file stores them in: uint8
/// pixels stay bytes (a quarter of the memory) and become Float when gathered.
public enum FeatureRows: Sendable {
    case float([Float])
    /// 0…255, read as `Float(u) * (1 / 255)`, exactly as loading converted them before.
    case uint8([UInt8])

    /// Elements stored (N × D).
    public var count: Int {
        switch self {
        case .float(let x): x.count
        case .uint8(let x): x.count
        }
    }

    /// Bytes per element.
    public var elementBytes: Int {
        switch self {
        case .float: 4
        case .uint8: 1
        }
    }

    /// The Float a byte value stands for: `Float(u) * (1 / 255)`, the same
    /// bits wherever a row is converted (loading, gathering, rechunking).
    static func unitScaled(_ byte: UInt8) -> Float { Float(byte) * (1 / 255) }

    /// to[i] = unitScaled(from[i]) for i < count. A plain loop over the bytes
    /// vectorises (widen, convert, multiply); the 256-entry table it replaces
    /// was one scalar load an element, 6% of a 784-256-128-10 step.
    static func unitScale(_ from: UnsafePointer<UInt8>, to: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { to[i] = unitScaled(from[i]) }
    }
}

/// Examples and targets, ready to be gathered into batches.
public struct Dataset: Sendable {
    /// Where it came from, for messages: a file, and the split within it (`train`, `test`, …).
    public let name: String
    public let split: String
    /// N × D features, row-major, as stored.
    public let rows: FeatureRows
    /// D.
    public let featureCount: Int
    public let targets: Targets

    public init(name: String, split: String = "train", features: [Float], featureCount: Int, targets: Targets) {
        self.init(name: name, split: split, rows: .float(features), featureCount: featureCount, targets: targets)
    }

    public init(name: String, split: String = "train", rows: FeatureRows, featureCount: Int, targets: Targets) {
        precondition(featureCount > 0 && rows.count % featureCount == 0)
        precondition(rows.count / featureCount == targets.count, "features and targets differ in length")
        self.name = name
        self.split = split
        self.rows = rows
        self.featureCount = featureCount
        self.targets = targets
    }

    /// N × D features as Float (a converted copy when they are stored as bytes).
    public var features: [Float] {
        switch rows {
        case .float(let x): x
        case .uint8(let x): x.map(FeatureRows.unitScaled)
        }
    }

    /// N.
    public var count: Int { rows.count / featureCount }

    /// The examples at `rows`, in that order, as a new dataset.
    public func subset(_ rows: [Int32], split: String? = nil) -> Dataset {
        let d = featureCount
        func pick<T>(_ source: [T]) -> [T] {
            var x = [T]()
            x.reserveCapacity(rows.count * d)
            for r in rows { x.append(contentsOf: source[Int(r) * d..<(Int(r) + 1) * d]) }
            return x
        }
        let picked: FeatureRows = switch self.rows {
        case .float(let x): .float(pick(x))
        case .uint8(let x): .uint8(pick(x))
        }
        let targets: Targets
        switch self.targets {
        case .classes(let labels): targets = .classes(rows.map { labels[Int($0)] })
        case .values(let values, let width):
            var y = [Float]()
            y.reserveCapacity(rows.count * width)
            for r in rows { y.append(contentsOf: values[Int(r) * width..<(Int(r) + 1) * width]) }
            targets = .values(y, width: width)
        }
        return Dataset(name: name, split: split ?? self.split, rows: picked, featureCount: featureCount, targets: targets)
    }

    /// Checks that this data fits a network with `architecture`: the feature
    /// count is the input width, labels index an output, target rows are as
    /// wide as the output.
    public func validate(for architecture: Architecture) throws {
        guard featureCount == architecture.inputWidth else {
            throw DatasetError(file: name, "\(split)/x has \(featureCount) features per example, but the network's input width is \(architecture.inputWidth)")
        }
        try Self.validate(targets, file: name, split: split, for: architecture)
    }

    /// Checks that `targets` fit the output of `architecture`; they are the
    /// split's rows from `rowOffset` on (for messages).
    static func validate(_ targets: Targets, file name: String, split: String, for architecture: Architecture, rowOffset: Int = 0) throws {
        let width = architecture.outputWidth
        switch targets {
        case .classes(let labels):
            let limit = width == 1 ? 2 : width
            if let (row, label) = labels.enumerated().first(where: { $0.element < 0 || Int($0.element) >= limit }) {
                throw DatasetError(file: name, "\(split)/y[\(rowOffset + row)] = \(label) is outside the \(limit) classes of the output layer (0…\(limit - 1))")
            }
        case .values(_, let targetWidth):
            guard targetWidth == width else {
                throw DatasetError(file: name, "\(split)/y has \(targetWidth) values per example, but the network has \(width) outputs")
            }
        }
    }

    /// Rows gathered ahead of the one being copied: far enough for its cache
    /// lines to arrive from memory in time, near enough to stay in L1.
    static let prefetchDistance = 4

    /// Starts loading row `rows[i + prefetchDistance]`, if there is one. The rows
    /// of a minibatch are scattered over the split, so each is a fresh miss, and
    /// the hardware prefetcher only catches on within a row: perf put 85% of the
    /// gather of a 47 MB uint8 split on the first load of each row.
    @inline(__always)
    static func prefetch(_ rows: UnsafeBufferPointer<Int32>, after i: Int, base: UnsafeRawPointer, rowBytes: Int) {
        guard i + prefetchDistance < rows.count else { return }
        prefetch(base + Int(rows[i + prefetchDistance]) * rowBytes, bytes: rowBytes)
    }

    /// Starts loading the cache lines of `bytes` bytes at `start`.
    @inline(__always)
    static func prefetch(_ start: UnsafeRawPointer, bytes: Int) {
        var line = 0
        while line < bytes {
            CLinux_prefetch(start + line)
            line += 64
        }
    }

    /// Copies the examples `rows` into `x` (rows × D) and their targets into
    /// `y` (rows × outputWidth). Allocation free: this runs in the workers' loop.
    func gather(
        rows: UnsafeBufferPointer<Int32>, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, outputWidth: Int
    ) {
        let d = featureCount
        switch self.rows {
        case .float(let features):
            features.withUnsafeBufferPointer { source in
                let base = source.baseAddress!
                for (i, r) in rows.enumerated() {
                    Self.prefetch(rows, after: i, base: UnsafeRawPointer(base), rowBytes: d * 4)
                    (x + i * d).update(from: base + Int(r) * d, count: d)
                }
            }
        case .uint8(let bytes):
            bytes.withUnsafeBufferPointer { source in
                let base = source.baseAddress!
                for (i, r) in rows.enumerated() {
                    Self.prefetch(rows, after: i, base: UnsafeRawPointer(base), rowBytes: d)
                    FeatureRows.unitScale(base + Int(r) * d, to: x + i * d, count: d)
                }
            }
        }
        targets.gather(count: rows.count, y: y, outputWidth: outputWidth) { Int(rows[$0]) }
    }
}

extension Targets {
    /// Writes the targets of rows `row(0)`, `row(1)`, … `row(count - 1)` into
    /// rows 0..<count of `y` (count × outputWidth): a one-hot row per class
    /// label (its index itself for a single output), or the target values.
    @inline(__always)
    func gather(count: Int, y: UnsafeMutablePointer<Float>, outputWidth: Int, row: (Int) -> Int) {
        switch self {
        case .classes(let labels):
            y.update(repeating: 0, count: count * outputWidth)
            labels.withUnsafeBufferPointer { labels in
                for i in 0..<count {
                    let label = Int(labels[row(i)])
                    if outputWidth == 1 { y[i] = Float(label) } else { y[i * outputWidth + label] = 1 }
                }
            }
        case .values(let values, let width):
            values.withUnsafeBufferPointer { source in
                for i in 0..<count {
                    (y + i * width).update(from: source.baseAddress! + row(i) * width, count: width)
                }
            }
        }
    }

    /// Calls `body` with the address of the first row's targets and the bytes
    /// of one row's (a label, or `width` values), for prefetching.
    func withRowStorage<R>(_ body: (UnsafeRawPointer, Int) -> R) -> R {
        switch self {
        case .classes(let labels): labels.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 4)!, 4) }
        case .values(let values, let width): values.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 4)!, 4 * width) }
        }
    }
}
