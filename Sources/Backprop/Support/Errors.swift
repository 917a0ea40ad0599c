// The typed errors a user can cause. Each prints as one line that names the file
// or setting at fault and what was expected; broken internal invariants are
// preconditions instead.

/// A setting that cannot work: an impossible architecture, a bad option value.
///
/// The message speaks the library's language: a setting is named by its
/// property, as in "batchSize must be positive, got 0". `setting` names the one
/// at fault and `relatedSettings` any others the message mentions, so that a
/// front end can put its own names on them (the `backprop` CLI prints
/// "--batch-size must be positive, got 0").
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The property at fault, e.g. "batchSize" or "schedule.gamma"; nil when the
    /// problem is not one setting's.
    public let setting: String?
    /// Other settings the message names, e.g. "momentum" in "nesterov needs momentum above 0".
    public let relatedSettings: [String]
    public let message: String

    /// An error that is not about one setting.
    public init(_ message: String) {
        setting = nil
        relatedSettings = []
        self.message = message
    }

    /// An error about `setting`, whose `message` names it (and any `relatedSettings`) as written.
    public init(setting: String, _ message: String, related relatedSettings: [String] = []) {
        self.setting = setting
        self.relatedSettings = relatedSettings
        self.message = message
    }

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
