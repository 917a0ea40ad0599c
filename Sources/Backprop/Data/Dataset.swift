// A dataset in memory: N examples of D features (Float, row-major) and their
// targets, either class labels or rows of K target values.

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

/// Examples and targets, ready to be gathered into batches.
public struct Dataset: Sendable {
    /// Where it came from, for messages: a file, and the split within it (`train`, `test`, …).
    public let name: String
    public let split: String
    /// N × D features, row-major.
    public let features: [Float]
    /// D.
    public let featureCount: Int
    public let targets: Targets

    public init(name: String, split: String = "train", features: [Float], featureCount: Int, targets: Targets) {
        precondition(featureCount > 0 && features.count % featureCount == 0)
        precondition(features.count / featureCount == targets.count, "features and targets differ in length")
        self.name = name
        self.split = split
        self.features = features
        self.featureCount = featureCount
        self.targets = targets
    }

    /// N.
    public var count: Int { features.count / featureCount }

    /// The examples at `rows`, in that order, as a new dataset.
    public func subset(_ rows: [Int32], split: String? = nil) -> Dataset {
        var x = [Float]()
        x.reserveCapacity(rows.count * featureCount)
        for r in rows {
            let start = Int(r) * featureCount
            x.append(contentsOf: features[start..<start + featureCount])
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
        return Dataset(name: name, split: split ?? self.split, features: x, featureCount: featureCount, targets: targets)
    }

    /// Checks that this data fits a network with `architecture`: the feature
    /// count is the input width, labels index an output, target rows are as
    /// wide as the output.
    public func validate(for architecture: Architecture) throws {
        guard featureCount == architecture.inputWidth else {
            throw DatasetError(file: name, "\(split)/x has \(featureCount) features per example, but the network's input width is \(architecture.inputWidth)")
        }
        let width = architecture.outputWidth
        switch targets {
        case .classes(let labels):
            let limit = width == 1 ? 2 : width
            if let (row, label) = labels.enumerated().first(where: { $0.element < 0 || Int($0.element) >= limit }) {
                throw DatasetError(file: name, "\(split)/y[\(row)] = \(label) is outside the \(limit) classes of the output layer (0…\(limit - 1))")
            }
        case .values(_, let targetWidth):
            guard targetWidth == width else {
                throw DatasetError(file: name, "\(split)/y has \(targetWidth) values per example, but the network has \(width) outputs")
            }
        }
    }

    /// Copies the examples `rows` into `x` (rows × D) and their targets into
    /// `y` (rows × outputWidth). Allocation free: this runs in the workers' loop.
    func gather(
        rows: UnsafeBufferPointer<Int32>, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, outputWidth: Int
    ) {
        features.withUnsafeBufferPointer { source in
            let base = source.baseAddress!
            for (i, r) in rows.enumerated() {
                (x + i * featureCount).update(from: base + Int(r) * featureCount, count: featureCount)
            }
        }
        switch targets {
        case .classes(let labels):
            y.update(repeating: 0, count: rows.count * outputWidth)
            labels.withUnsafeBufferPointer { labels in
                for (i, r) in rows.enumerated() {
                    let label = Int(labels[Int(r)])
                    if outputWidth == 1 { y[i] = Float(label) } else { y[i * outputWidth + label] = 1 }
                }
            }
        case .values(let values, let width):
            values.withUnsafeBufferPointer { source in
                for (i, r) in rows.enumerated() {
                    (y + i * width).update(from: source.baseAddress! + Int(r) * width, count: width)
                }
            }
        }
    }
}
