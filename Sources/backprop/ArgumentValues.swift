// The named values flags take, parsed by ArgumentParser as
// `ExpressibleByArgument` so that `--help` lists them and an unknown one is a
// usage error naming the flag and the value. Library enums that are plain
// names conform here (the library does not depend on ArgumentParser; being in
// the same package, these conformances are not retroactive in Swift's sense).
// Library enums with payloads (activations, schedules) get a name enum of
// their own.

import ArgumentParser
import Backprop

extension OptimizerKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension Initialization: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension Loss: ExpressibleByArgument {
    /// Also takes the library's aliases (`mse`, `bce`, `cross-entropy`); help lists the canonical names.
    public init?(argument: String) { self.init(name: argument) }
}

/// The activations of `--activation`: softmax is for the output layer only.
enum HiddenActivationName: String, CaseIterable, ExpressibleByArgument {
    case identity, sigmoid, tanh, relu, leakyReLU = "leaky-relu"

    /// Also takes the library's aliases (`linear`, `leaky_relu`).
    init?(argument: String) {
        guard let activation = Activation(name: argument) else { return nil }
        self.init(rawValue: activation.name)
    }

    func activation(leakySlope: Double) -> Activation { Activation(name: rawValue, leakySlope: leakySlope)! }
}

/// The activations of `--output-activation`.
enum OutputActivationName: String, CaseIterable, ExpressibleByArgument {
    case identity, sigmoid, tanh, relu, leakyReLU = "leaky-relu", softmax

    init?(argument: String) {
        guard let activation = Activation(name: argument) else { return nil }
        self.init(rawValue: activation.name)
    }

    func activation(leakySlope: Double) -> Activation { Activation(name: rawValue, leakySlope: leakySlope)! }
}

/// The schedules of `--schedule`; their parameters come from their own flags.
enum ScheduleName: String, CaseIterable, ExpressibleByArgument {
    case constant, step, exponential, cosine

    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// The dataset splits `evaluate --split` can read.
enum SplitName: String, CaseIterable, ExpressibleByArgument {
    case train, test, validation
}

/// A memory size on the command line (`512M`, `2G`, `1.5G`; K, M, G, T suffixes),
/// parsed once, by the argument parser, for every flag that takes one.
struct ByteSize: ExpressibleByArgument {
    let bytes: Int
    private let text: String

    init?(argument: String) {
        guard let bytes = DataMemory.parse(argument) else { return nil }
        self.bytes = bytes
        text = argument
    }

    /// One gibibyte, the default of the import and rechunk commands.
    static let gibibyte = ByteSize(argument: "1G")!

    var defaultValueDescription: String { text }
}
