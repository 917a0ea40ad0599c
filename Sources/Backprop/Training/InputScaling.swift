// How a model's raw inputs become what the network was trained on, recorded
// with the model so that evaluate, predict and export apply exactly what
// training applied:
//
//     x' = (x · factor − μ) / σ      per feature; factor = 1/255 for uint8 data, else 1
//
// μ and σ (present only after `train --standardize`) are the mean and standard
// deviation of each feature over the training split, after the factor.

import HDF5

/// The scaling from raw features to network inputs.
public struct InputScaling: Sendable, Equatable {
    /// Multiplies every raw feature first: 1/255 for uint8 pixels, 1 otherwise.
    public var factor: Float
    /// Per-feature μ and σ; both empty when the model is not standardised.
    public var mean: [Float]
    public var deviation: [Float]

    public init(factor: Float = 1, mean: [Float] = [], deviation: [Float] = []) {
        precondition(mean.count == deviation.count, "mean and deviation differ in length")
        precondition(deviation.allSatisfy { $0 > 0 && $0.isFinite }, "standard deviations must be positive")
        self.factor = factor
        self.mean = mean
        self.deviation = deviation
    }

    /// No scaling at all: what a checkpoint written before scaling was recorded holds.
    public static let identity = InputScaling()

    /// The factor DatasetFile applies to uint8 features as it loads them.
    public static let pixelFactor: Float = 1 / 255

    public var isStandardized: Bool { !mean.isEmpty }

    /// The scaling that standardises the features of `dataset` (already multiplied
    /// by `factor`, as DatasetFile loads them): μ and σ per feature, accumulated in
    /// Double in row order, so they do not depend on anything but the data. A
    /// constant feature gets σ = 1 (it becomes 0, not NaN).
    public static func standardizing(_ dataset: Dataset, factor: Float) -> InputScaling {
        let d = dataset.featureCount, n = dataset.count
        let features = dataset.features
        return features.withUnsafeBufferPointer { x in
            standardizing(features: d, rows: n, factor: factor) { visit in
                for r in 0..<n { visit(x.baseAddress! + r * d) }
            }
        }
    }

    /// μ and σ of `rows` rows of `features` values, which `forEachRow` hands to
    /// its argument one row at a time, in the same order on each of its two
    /// calls: whether the rows are in memory or read from a file, the same rows
    /// in the same order give bitwise the same μ and σ.
    static func standardizing(
        features d: Int, rows n: Int, factor: Float,
        forEachRow: ((UnsafePointer<Float>) -> Void) throws -> Void
    ) rethrows -> InputScaling {
        var sum = [Double](repeating: 0, count: d)
        try forEachRow { x in for j in 0..<d { sum[j] += Double(x[j]) } }
        let mean = sum.map { n == 0 ? 0 : $0 / Double(n) }
        // Two passes: Σ (x − μ)² does not cancel as Σ x² − nμ² does.
        var squares = [Double](repeating: 0, count: d)
        try forEachRow { x in for j in 0..<d { let e = Double(x[j]) - mean[j]; squares[j] += e * e } }
        let deviation = squares.map { n == 0 ? 1 : ($0 / Double(n)).squareRoot() }
        return InputScaling(
            factor: factor, mean: mean.map(Float.init),
            deviation: deviation.map { let s = Float($0); return s > 0 && s.isFinite ? s : 1 })
    }

    /// Scales `count` raw values in place, rows of `mean.count` features (when standardised).
    public func applyToRaw(_ x: UnsafeMutableBufferPointer<Float>) {
        if factor != 1 { for i in x.indices { x[i] *= factor } }
        standardize(x)
    }

    /// (x − μ) / σ in place, for features that already carry the factor (as DatasetFile loads them).
    public func standardize(_ x: UnsafeMutableBufferPointer<Float>) {
        guard isStandardized else { return }
        let d = mean.count
        precondition(x.count % d == 0, "x must hold whole rows of \(d) features")
        mean.withUnsafeBufferPointer { mu in
            deviation.withUnsafeBufferPointer { sigma in
                var i = 0
                while i < x.count {
                    for j in 0..<d { x[i + j] = (x[i + j] - mu[j]) / sigma[j] }
                    i += d
                }
            }
        }
    }

    /// `dataset` with its features standardised (DatasetFile has applied the factor).
    public func standardize(_ dataset: Dataset) -> Dataset {
        guard isStandardized else { return dataset }
        var x = dataset.features
        x.withUnsafeMutableBufferPointer { standardize($0) }
        return Dataset(name: dataset.name, split: dataset.split, features: x, featureCount: dataset.featureCount, targets: dataset.targets)
    }
}

extension DatasetSplits {
    /// Every split standardised with `scaling` (identity leaves them as they are).
    public func standardized(with scaling: InputScaling) -> DatasetSplits {
        DatasetSplits(train: scaling.standardize(train), test: test.map(scaling.standardize),
                      validation: validation.map(scaling.standardize))
    }
}

extension InputScaling {
    /// The scaling of a run on `splits`, loaded from a file whose train/x is
    /// `featureType`: the uint8 factor when the file holds pixels, and μ and σ of
    /// the training split (after any validation hold-out) when `standardize`.
    public static func forTraining(_ splits: DatasetSplits, featureType: HDF5ElementClass, standardize: Bool) -> InputScaling {
        let factor: Float = featureType == .integer(signed: false, bytes: 1) ? pixelFactor : 1
        return standardize ? .standardizing(splits.train, factor: factor) : InputScaling(factor: factor)
    }
}
