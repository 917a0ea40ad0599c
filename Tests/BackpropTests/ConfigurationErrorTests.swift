// TrainingConfiguration.validate() speaks the library's language: its errors
// name the property at fault, not a command-line flag.

import Backprop
import Testing

@Suite struct ConfigurationErrorTests {
    func error(_ change: (inout TrainingConfiguration) -> Void) -> ConfigurationError? {
        var c = TrainingConfiguration()
        c.workers = 2
        change(&c)
        return #expect(throws: ConfigurationError.self) { try c.validate() }
    }

    @Test func aBadSettingIsNamedByItsProperty() {
        let batch = error { $0.batchSize = 0 }
        #expect(batch?.setting == "batchSize")
        #expect(batch?.message == "batchSize must be positive, got 0")
        #expect(batch?.description == "batchSize must be positive, got 0")

        let workers = error { $0.workers = 2000 }
        #expect(workers?.setting == "workers")
        #expect(workers?.message == "workers must be between 1 and 1024, got 2000")

        let steps = error { $0.maxSteps = -1 }
        #expect(steps?.setting == "maxSteps" && steps?.message.hasPrefix("maxSteps must be 0 or more") == true)
    }

    @Test func aScheduleParameterIsNamedByItsPath() {
        let gamma = error { $0.schedule = .exponential(gamma: 0) }
        #expect(gamma?.setting == "schedule.gamma" && gamma?.message == "schedule.gamma must be positive, got 0.0")
        let minimum = error { $0.schedule = .cosine(minimum: 0.5) }
        #expect(minimum?.setting == "schedule.minimum")
        #expect(minimum?.relatedSettings == ["learningRate"])
        #expect(minimum?.message == "schedule.minimum must be in [0, learningRate], got 0.5")
    }

    @Test func settingsTheMessageAlsoNamesAreListed() {
        let nesterov = error { $0.nesterov = true }
        #expect(nesterov?.setting == "nesterov" && nesterov?.relatedSettings == ["momentum"])
        let adam = error { $0.optimizerKind = .adam; $0.momentum = 0.9 }
        #expect(adam?.setting == "momentum" && adam?.relatedSettings == ["nesterov", "optimizerKind"])
        #expect(adam?.message == "momentum and nesterov are for optimizerKind sgd")
    }

    /// No message mentions a flag.
    @Test func noMessageNamesAFlag() {
        let broken: [(inout TrainingConfiguration) -> Void] = [
            { $0.epochs = -1 }, { $0.microBatch = 0 }, { $0.learningRate = -1 }, { $0.momentum = 2 }, { $0.beta1 = 1 },
            { $0.beta2 = 1 }, { $0.epsilon = 0 }, { $0.weightDecay = -1 }, { $0.rho = 1 },
            { $0.schedule = .step(everyEpochs: 0, gamma: 0.1) }, { $0.warmupSteps = -1 }, { $0.scheduleSteps = -1 },
            { $0.l2 = -1 }, { $0.clipGradientNorm = -1 }, { $0.validationSplit = 1 }, { $0.earlyStoppingPatience = 0 },
        ]
        for change in broken {
            let message = error(change)?.message ?? "--no error"
            #expect(!message.contains("--"), "\(message)")
        }
    }

    /// An error that is about no one setting keeps its old form.
    @Test func anErrorWithoutASetting() {
        let error = ConfigurationError("test images and test labels must be given together")
        #expect(error.setting == nil && error.relatedSettings.isEmpty)
        #expect(error == ConfigurationError("test images and test labels must be given together"))
        #expect(error != ConfigurationError(setting: "testImages", "test images and test labels must be given together"))
    }
}
