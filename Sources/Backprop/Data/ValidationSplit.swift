// Holding out part of the training rows for validation: a fixed fraction,
// chosen from the seed, so the same seed always holds out the same rows (and a
// resumed run holds out the ones the original run did).

extension DatasetSplits {
    /// These splits with `fraction` of the training rows moved to a validation
    /// split. The rows are drawn from `seed`; both parts keep the file's order.
    ///
    /// A file that has its own validation split keeps it; asking for a fraction
    /// as well is an error, since it is unclear which one is meant.
    public func holdingOut(fraction: Double, seed: UInt64) throws -> DatasetSplits {
        guard fraction > 0 else { return self }
        if validation != nil {
            throw DatasetError(file: train.name, "has its own validation/x and validation/y; drop --validation-split")
        }
        let count = Int((Double(train.count) * fraction).rounded())
        guard count >= 1, count < train.count else {
            throw DatasetError(file: train.name, "--validation-split \(fraction) of \(train.count) training rows leaves \(count) for validation and \(train.count - count) for training; both need at least one")
        }
        var generator = RandomGenerator(seed: seed, stream: RandomStream.validationSplit)
        let order = generator.permutation(count: train.count)
        let held = order.prefix(count).sorted(), kept = order.dropFirst(count).sorted()
        return DatasetSplits(
            train: train.subset(Array(kept)),
            test: test,
            validation: train.subset(Array(held), split: "validation"))
    }
}
