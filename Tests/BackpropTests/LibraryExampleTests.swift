// The README's library example, run as written (on the small committed
// dataset, for fewer epochs), so the documented API cannot drift from the code.

import Foundation
import Testing
import Backprop

@Suite struct LibraryExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theReadmeProgramTrainsAndEvaluates() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID())")
        defer { try? FileManager.default.removeItem(at: runs) }

        let data = try DatasetFile.load(Self.repository.appendingPathComponent("datasets/fashion-mnist-small.h5").path)
            .holdingOut(fraction: 0.1, seed: 1)
        let architecture = try Architecture(
            layerSizes: [784, 256, 128, 10], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        var settings = TrainingConfiguration()
        settings.optimizerKind = .adam
        settings.learningRate = 1e-3
        settings.schedule = .cosine(minimum: 0)
        settings.batchSize = 128
        settings.epochs = 3
        settings.seed = 1

        let trainer = try Trainer(architecture: architecture, configuration: settings,
                                  train: data.train, validation: data.validation, test: data.test)
        let checkpointer = Checkpointer(path: runs.appendingPathComponent("fmnist.h5").path)
        var validationLosses: [Double] = []
        try trainer.fit { event in
            if case .epochEnded(let record) = event { validationLosses.append(record.validationLoss!) }
            try checkpointer.handle(event, trainer: trainer)
        }
        let result = try trainer.model.evaluate(on: data.test!)
        let scores = trainer.model.predict(Array(data.test!.features.prefix(784)))

        #expect(data.train.count == 1800 && data.validation?.count == 200)
        #expect(validationLosses.count == 3 && validationLosses.last! < validationLosses.first!)
        #expect(result.accuracy > 0.7)
        #expect(scores.count == 10 && abs(scores.reduce(0, +) - 1) < 1e-5)
        #expect(try Checkpoint.read(from: checkpointer.path).state.globalStep == trainer.globalStep)
    }
}
