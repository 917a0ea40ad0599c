// The typed errors a user can cause. Each prints as one line that names the file
// or setting at fault and what was expected; broken internal invariants are
// preconditions instead.

/// A setting that cannot work: an impossible architecture, a bad option value.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A dataset file that does not fit the documented layout.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let message: String
    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }
    public var description: String { "\(file): \(message)" }
}

/// A checkpoint file that cannot be read or does not fit what it is used with.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let message: String
    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }
    public var description: String { "\(file): \(message)" }
}

/// Training stopped because the loss or a gradient stopped being a finite number.
public struct DivergenceError: Error, CustomStringConvertible, Equatable {
    public let step: Int
    public let what: String
    public init(step: Int, what: String) {
        self.step = step
        self.what = what
    }
    public var description: String {
        "training diverged at step \(step): the \(what) is not finite; try a lower learning rate"
    }
}
