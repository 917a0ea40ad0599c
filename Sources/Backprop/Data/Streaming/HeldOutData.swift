// A validation or test split as a run evaluates it: held in memory, or
// streamed from its file block by block. Both give bitwise the same figures.

public enum HeldOutData: HeldOrStreamed, Sendable {
    case memory(Dataset)
    case stream(HeldOutStream)

    /// Examples evaluated.
    public var count: Int {
        switch self {
        case .memory(let dataset): dataset.count
        case .stream(let split): split.count
        }
    }

    /// Whether the split is read from its file block by block.
    public var isStreamed: Bool {
        if case .stream = self { true } else { false }
    }

    /// Checks the split against a network, as `Dataset.validate(for:)` does.
    public func validate(for architecture: Architecture) throws {
        switch self {
        case .memory(let dataset): try dataset.validate(for: architecture)
        case .stream(let split): try split.validate(for: architecture)
        }
    }

    /// The split with `scaling`'s μ and σ applied (in memory: a standardised
    /// copy; streamed: applied to each row as it is staged).
    public func standardized(with scaling: InputScaling) -> HeldOutData {
        switch self {
        case .memory(let dataset): return .memory(scaling.standardize(dataset))
        case .stream(let split):
            split.standardization = scaling
            return self
        }
    }
}
