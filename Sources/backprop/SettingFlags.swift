// The library names a setting by its property ("batchSize must be positive");
// the CLI user knows it by its flag. This is the one table between the two,
// used whenever a `ConfigurationError` reaches the user.

import Backprop

enum SettingFlags {
    /// Property (as `ConfigurationError.setting` names it) → flag.
    static let flags: [String: String] = [
        // TrainingConfiguration
        "epochs": "--epochs",
        "maxSteps": "--steps",
        "batchSize": "--batch-size",
        "microBatch": "--micro-batch",
        "optimizerKind": "--optimizer",
        "learningRate": "--learning-rate",
        "momentum": "--momentum",
        "nesterov": "--nesterov",
        "beta1": "--beta1",
        "beta2": "--beta2",
        "epsilon": "--epsilon",
        "weightDecay": "--weight-decay",
        "rho": "--rho",
        "schedule": "--schedule",
        "schedule.everyEpochs": "--decay-epochs",
        "schedule.gamma": "--gamma",
        "schedule.minimum": "--min-learning-rate",
        "warmupSteps": "--warmup-steps",
        "l2": "--l2",
        "clipGradientNorm": "--clip-grad-norm",
        "validationSplit": "--validation-split",
        "earlyStoppingPatience": "--early-stopping",
        "seed": "--seed",
        "workers": "--workers",
        "initialization": "--initialization",
        // Architecture
        "layers": "--layers",
        "layerSizes": "--layers",
        "hiddenActivation": "--activation",
        "outputActivation": "--output-activation",
        "leakySlope": "--leaky-slope",
        "loss": "--loss",
    ]

    /// The error's message with each setting it names (the one at fault and the
    /// related ones) written as its flag: "batchSize must be positive, got 0"
    /// → "--batch-size must be positive, got 0". Settings without a flag, and
    /// errors about no setting, print as the library wrote them.
    static func render(_ error: ConfigurationError) -> String {
        var message = error.message
        for setting in [error.setting].compactMap({ $0 }) + error.relatedSettings {
            if let flag = flags[setting] { message = replacingWord(setting, with: flag, in: message) }
        }
        return message
    }

    /// `text` with every occurrence of `word` that stands alone (not part of a
    /// longer identifier or a dotted path) replaced by `replacement`.
    static func replacingWord(_ word: String, with replacement: String, in text: String) -> String {
        func isIdentifier(_ c: Character?) -> Bool {
            guard let c else { return false }
            return c.isLetter || c.isNumber || c == "_" || c == "." || c == "-"
        }
        var result = ""
        var rest = text[...]
        while let range = rest.range(of: word) {
            let before = range.lowerBound == rest.startIndex ? result.last : rest[rest.index(before: range.lowerBound)]
            let after = range.upperBound == rest.endIndex ? nil : rest[range.upperBound]
            // A trailing full stop ends a sentence, not a path.
            let afterIsPath = isIdentifier(after) && !(after == "." && rest[range.upperBound...].dropFirst().first.map { !isIdentifier($0) } ?? true)
            result += rest[..<range.lowerBound]
            result += isIdentifier(before) || afterIsPath ? word : replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
