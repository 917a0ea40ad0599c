// SplitMix64: a tiny seeded generator for test fixtures and fuzzing. It is
// spelled out here, independent of the library under test, so fixtures and
// mutants stay the same whatever Backprop's own generator does, and a seed
// names one fixture or one mutant for good on every platform.

public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 24 random bits.
    public mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
