// The input scaling of a run, for the data `train` and `resume` load: the
// uint8 factor (applied as the rows are gathered) and, with --standardize, each
// feature's μ and σ over the training split, applied to every split before
// training. Standardising needs the training split in memory: its statistics
// are computed in one fixed order over the rows held there.

import Backprop

extension LoadedData {
    /// The scaling a new run on this data records in its model.
    func trainingScaling(file: String, standardize: Bool) throws -> InputScaling {
        let featureType = layout.split("train")?.featureType
        let factor: Float = featureType == .integer(signed: false, bytes: 1) ? InputScaling.pixelFactor : 1
        guard standardize else { return InputScaling(factor: factor) }
        guard case .memory(let train) = train else {
            throw DatasetError(file: file, "is streamed (its training split does not fit --data-memory, or --stream was given); --standardize needs it in memory")
        }
        return .standardizing(train, factor: factor)
    }

    /// The data with `scaling`'s standardisation applied to every split (the
    /// factor is applied as rows are gathered, so it changes nothing here).
    func standardized(with scaling: InputScaling, file: String) throws -> LoadedData {
        guard scaling.isStandardized else { return self }
        guard case .memory(let rows) = train else {
            throw DatasetError(file: file, "is streamed, but the run standardizes its inputs, which needs the training split in memory; give a larger --data-memory")
        }
        var result = self
        result.train = .memory(scaling.standardize(rows))
        result.validation = validation.map(scaling.standardize)
        result.test = test.map(scaling.standardize)
        return result
    }
}
