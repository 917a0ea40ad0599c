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
        let (held, kept) = try Self.heldOutRows(of: train.count, fraction: fraction, seed: seed, file: train.name)
        return DatasetSplits(
            train: train.subset(Array(kept)),
            test: test,
            validation: train.subset(Array(held), split: "validation"))
    }

    /// The rows `holdingOut` moves to validation and those it keeps, each in
    /// file order: the same for a split in memory and a streamed one.
    static func heldOutRows(of rows: Int, fraction: Double, seed: UInt64, file: String) throws -> (held: [Int32], kept: [Int32]) {
        let count = Int((Double(rows) * fraction).rounded())
        guard count >= 1, count < rows else {
            throw DatasetError(file: file, "--validation-split \(fraction) of \(rows) training rows leaves \(count) for validation and \(rows - count) for training; both need at least one")
        }
        var generator = RandomGenerator(seed: seed, stream: RandomStream.validationSplit)
        let order = generator.permutation(count: rows)
        return (order.prefix(count).sorted(), order.dropFirst(count).sorted())
    }
}
