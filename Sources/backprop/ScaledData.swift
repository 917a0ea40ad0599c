// The input scaling of a run, for the data `train` and `resume` load: the
// uint8 factor (applied as the rows are gathered) and, with --standardize, each
// feature's μ and σ over the training split, applied to every split before
// training. The statistics are computed in one fixed order over the training
// rows, held in memory or read from the file block by block, with the same
// bits either way; a streamed split applies μ and σ to each row it stages.

import Backprop

extension LoadedData {
    /// The scaling a new run on this data records in its model.
    func trainingScaling(standardize: Bool) throws -> InputScaling {
        let featureType = layout.split("train")?.featureType
        let factor: Float = featureType == .integer(signed: false, bytes: 1) ? InputScaling.pixelFactor : 1
        guard standardize else { return InputScaling(factor: factor) }
        switch train {
        case .memory(let rows): return .standardizing(rows, factor: factor)
        case .stream(let split): return try .standardizing(split, factor: factor)
        }
    }

    /// The data with `scaling`'s standardisation applied to every split (the
    /// factor is applied as rows are gathered, so it changes nothing here).
    func standardized(with scaling: InputScaling) -> LoadedData {
        guard scaling.isStandardized else { return self }
        var result = self
        switch train {
        case .memory(let rows): result.train = .memory(scaling.standardize(rows))
        case .stream(let split): split.standardization = scaling
        }
        result.validation = validation?.standardized(with: scaling)
        result.test = test?.standardized(with: scaling)
        return result
    }
}
