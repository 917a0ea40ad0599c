// The table between the library's setting names and the CLI's flags: every
// setting TrainingConfiguration.validate() can name has a flag that `train`
// accepts, and rendering swaps whole names only.

import Backprop
import Foundation
import Testing
@testable import backprop

@Suite struct SettingFlagsTests {
    /// One configuration per check in `validate()`, each breaking only that check.
    static let broken: [(String, @Sendable (inout TrainingConfiguration) -> Void)] = [
        ("epochs", { $0.epochs = -1 }), ("maxSteps", { $0.maxSteps = -1 }), ("batchSize", { $0.batchSize = 0 }),
        ("microBatch", { $0.microBatch = 0 }), ("learningRate", { $0.learningRate = 0 }), ("momentum", { $0.momentum = 1 }),
        ("nesterov", { $0.nesterov = true }), ("momentum", { $0.optimizerKind = .adam; $0.momentum = 0.5 }),
        ("beta1", { $0.beta1 = 1 }), ("beta2", { $0.beta2 = -1 }), ("epsilon", { $0.epsilon = 0 }),
        ("weightDecay", { $0.weightDecay = -1 }), ("rho", { $0.rho = 1 }),
        ("schedule.everyEpochs", { $0.schedule = .step(everyEpochs: 0, gamma: 0.5) }),
        ("schedule.gamma", { $0.schedule = .step(everyEpochs: 1, gamma: 0) }),
        ("schedule.gamma", { $0.schedule = .exponential(gamma: .infinity) }),
        ("schedule.minimum", { $0.schedule = .cosine(minimum: 1) }), ("warmupSteps", { $0.warmupSteps = -1 }),
        ("l2", { $0.l2 = -1 }), ("clipGradientNorm", { $0.clipGradientNorm = 0 }),
        ("validationSplit", { $0.validationSplit = 1 }), ("earlyStoppingPatience", { $0.earlyStoppingPatience = 0 }),
        ("workers", { $0.workers = 1025 }),
    ]

    @Test func everySettingTheLibraryNamesHasAFlagThatTrainAccepts() throws {
        let help = try BackpropCLI.run(["train", "--help"])
        try #require(help.succeeded, "\(help)")
        for (setting, breakIt) in Self.broken {
            var c = TrainingConfiguration()
            c.workers = 2
            breakIt(&c)
            let error = try #require(#expect(throws: ConfigurationError.self) { try c.validate() }, "\(setting)")
            #expect(error.setting == setting, "\(error)")
            for name in [setting] + error.relatedSettings {
                let flag = try #require(SettingFlags.flags[name], "no flag for \(name)")
                #expect(help.stdout.contains(" \(flag) ") || help.stdout.contains(" \(flag),"), "train --help lacks \(flag)")
            }
            let rendered = SettingFlags.render(error)
            #expect(rendered.hasPrefix(SettingFlags.flags[setting]!), "\(rendered)")
        }
    }

    @Test func renderingSwapsWholeNamesOnly() {
        let error = ConfigurationError(setting: "schedule.minimum", "schedule.minimum must be in [0, learningRate], got 2.0",
                                       related: ["learningRate"])
        #expect(SettingFlags.render(error) == "--min-learning-rate must be in [0, --learning-rate], got 2.0")
        // Part of a longer name, or a name not declared by the error: left alone.
        #expect(SettingFlags.replacingWord("rate", with: "--rate", in: "learningRate and rate.x and rate.") == "learningRate and rate.x and --rate.")
        #expect(SettingFlags.render(ConfigurationError(setting: "epochs", "epochs must exceed maxSteps")) == "--epochs must exceed maxSteps")
        // An error about no setting prints as written; a setting without a flag too.
        #expect(SettingFlags.render(ConfigurationError("batchSize is odd")) == "batchSize is odd")
        #expect(SettingFlags.render(ConfigurationError(setting: "scheduleSteps", "scheduleSteps must be 0 or more")) == "scheduleSteps must be 0 or more")
    }

    /// Architecture errors can name "layers" (the robust helper's Architecture decides whether they do).
    @Test func anArchitectureSettingRendersAsItsFlag() {
        let error = ConfigurationError(setting: "layers", "layers: every width must be positive; got 8,0,3")
        #expect(SettingFlags.render(error) == "--layers: every width must be positive; got 8,0,3")
        #expect(SettingFlags.render(ConfigurationError(setting: "leakySlope", "leakySlope must be in [0, 1), got 2.0"))
                    == "--leaky-slope must be in [0, 1), got 2.0")
    }
}
