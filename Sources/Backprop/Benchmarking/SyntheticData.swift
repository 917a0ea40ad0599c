// Training data made up in memory, for measuring speed without a file: what a
// step costs depends on the shapes of the data, not on its values.

extension Dataset {
    /// `count` examples shaped for `architecture`: features uniform in [0, 1)
    /// (like scaled pixels) and uniformly random class labels, drawn from `seed`.
    @_spi(Benchmarking)
    public static func synthetic(for architecture: Architecture, count: Int, seed: UInt64 = 0) -> Dataset {
        precondition(count > 0, "a synthetic dataset needs at least one example")
        var generator = RandomGenerator(seed: seed, stream: RandomStream.syntheticData)
        let width = architecture.inputWidth
        let classes = architecture.outputWidth == 1 ? 2 : architecture.outputWidth
        let features = (0..<count * width).map { _ in Float(generator.nextUnitInterval()) }
        let labels = (0..<count).map { _ in Int32(generator.nextIndex(below: classes)) }
        return Dataset(name: "synthetic", features: features, featureCount: width, targets: .classes(labels))
    }
}

extension RandomStream {
    /// Far from the small stream numbers the trainer uses, and below `shuffleBase`.
    static let syntheticData: UInt64 = 0x5EED_DA7A
}
