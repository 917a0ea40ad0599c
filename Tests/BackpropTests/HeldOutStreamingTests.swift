// Validation and test splits evaluated from the file block by block: the
// figures are bitwise those of the same rows in memory on any worker count
// (rows held out of train picked by the bitmap, uint8 and float files,
// standardised or not); the evaluation holds no more than its budget; and
// `--standardize` computes bitwise the in-memory μ and σ from a streamed
// split. Real HDF5 files on disk.

@_spi(Benchmarking) @testable import Backprop
import Foundation
import HDF5
import Testing

@Suite struct HeldOutStreamingTests {
    let architecture = StreamingTests.architecture

    func configuration(workers: Int) -> TrainingConfiguration {
        var c = StreamingTests.configuration(workers: workers)
        c.validationSplit = 0.2
        return c
    }

    /// Streams 900 rows of 12 features (uint8, or float32): blocks of 25 or 50 rows, stages of 16 or 48 (micro-batch 16).
    static func budget(float: Bool) -> Int { float ? 9000 : 6000 }

    @Test(arguments: [false, true])
    func streamedValidationGivesBitwiseTheInMemoryFiguresOnAnyWorkerCount(float: Bool) throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 900, float: float)
        let inMemory = try TrainingDataLoader.load(file.path, budget: 1 << 30, validationSplit: 0.2, seed: 42)
        let streamed = try TrainingDataLoader.load(file.path, budget: Self.budget(float: float), forceStream: true,
                                                   validationSplit: 0.2, seed: 42, microBatch: 16)
        guard case .stream(let held) = streamed.validation, case .stream(let test) = streamed.test,
              case .memory = inMemory.validation, case .memory = inMemory.test else {
            Issue.record("--stream streams the held-out splits, a big budget holds them: \(String(describing: streamed.validation?.mode))")
            return
        }
        #expect(held.count == 180 && held.source == "train" && held.split == "validation")
        #expect(held.settings.blockRows < 900 && held.settings.stageRows < held.count, "several blocks and stages: \(held.settings)")
        var histories: [[UInt64]] = []
        for workers in [1, 2, 3] {
            // The same training rows in memory; validation and test in memory, then streamed.
            let a = try Trainer(architecture: architecture, configuration: configuration(workers: workers),
                                data: inMemory.train, validation: inMemory.validation, test: inMemory.test)
            let b = try Trainer(architecture: architecture, configuration: configuration(workers: workers),
                                data: inMemory.train, validation: streamed.validation, test: streamed.test)
            try a.fit()
            try b.fit()
            func bits(_ t: Trainer) -> [UInt64] {
                t.history.flatMap { [$0.validationLoss!.bitPattern, $0.validationAccuracy!.bitPattern,
                                     $0.testLoss!.bitPattern, $0.testAccuracy!.bitPattern] }
            }
            #expect(bits(a) == bits(b), "\(workers) workers")
            #expect(b.history.last!.validationAccuracy! > 0.8, "it learns: \(b.history.last!)")
            histories.append(bits(b))
        }
        #expect(histories[0] == histories[1] && histories[1] == histories[2])
        #expect(test.count == 20)
    }

    @Test func aStreamedSplitEvaluatesAStandardisedModelBitwiseAsInMemory() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 700)
        let train = try DatasetFile.load(file.path).train
        let scaling = InputScaling.standardizing(train, factor: InputScaling.pixelFactor)
        let model = Model(architecture: architecture,
                          parameters: Initialization.auto.parameters(for: architecture, seed: 3), inputScaling: scaling)
        for workers in [1, 2, 3] {
            let inMemory = try model.evaluate(on: .memory(train), workers: workers, microBatch: 16)
            let split = try #require(try TrainingDataLoader.load(split: "train", of: file.path, budget: 4000, microBatch: 16))
            guard case .stream(let stream) = split else { Issue.record("4000 bytes cannot hold 700 × 12"); return }
            #expect(stream.settings.stageRows < 700)
            let streamed = try model.evaluate(on: split, workers: workers, microBatch: 16)
            #expect(streamed.loss.bitPattern == inMemory.loss.bitPattern && streamed.accuracy == inMemory.accuracy,
                    "\(workers) workers: \(streamed) vs \(inMemory)")
            #expect(streamed.examples == 700)
        }
    }

    @Test func theEvaluationHoldsNoMoreThanItsBudget() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 2000, chunkRows: 10)
        let layout = try #require(try DatasetFile.layout(file.path).split("train"))
        for budget in [10_000, 20_000, 40_000, 1 << 30] {
            let stream = try HeldOutStream(path: file.path, layout: layout, as: "test", selection: .all,
                                           microBatch: 16, budget: budget)
            #expect(stream.memoryBytes <= budget, "\(stream.memoryBytes) bytes held under a budget of \(budget)")
            #expect(stream.settings.blockRows % 10 == 0, "blocks are whole chunks")
            // What the pass allocates: the block buffers, the stage and the targets.
            let held = stream.settings.buffers * stream.settings.blockRows * 12 + stream.settings.stageRows * (12 * 4 + 4 + 4) + 2000 * 4
            #expect(held <= stream.memoryBytes)
            let result = try Model(architecture: architecture, seed: 1).evaluate(on: .stream(stream), workers: 2, microBatch: 16)
            #expect(result.examples == 2000 && result.loss.isFinite)
        }
        #expect {
            _ = try HeldOutStream(path: file.path, layout: layout, as: "test", selection: .all, microBatch: 16, budget: 9000)
        } throws: { error in
            let text = "\(error)"
            return text.contains(file.path) && text.contains("evaluating test") && text.contains("over --data-memory")
                && !text.contains("\n")
        }
    }

    @Test(arguments: [false, true])
    func standardisingAStreamedSplitGivesBitwiseTheInMemoryStatistics(float: Bool) throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 900, float: float)
        let factor: Float = float ? 1 : InputScaling.pixelFactor
        let inMemory = try TrainingDataLoader.load(file.path, budget: 1 << 30, validationSplit: 0.25, seed: 5)
        let streamed = try TrainingDataLoader.load(file.path, budget: 9000, forceStream: true, validationSplit: 0.25,
                                                   seed: 5, microBatch: 16)
        guard case .memory(let rows) = inMemory.train, case .stream(let split) = streamed.train else {
            Issue.record("expected memory and stream")
            return
        }
        let expected = InputScaling.standardizing(rows, factor: factor)
        let actual = try InputScaling.standardizing(split, factor: factor)
        #expect(actual.mean.map(\.bitPattern) == expected.mean.map(\.bitPattern))
        #expect(actual.deviation.map(\.bitPattern) == expected.deviation.map(\.bitPattern))
        #expect(actual.factor == factor)

        // A standardised streamed run draws rows standardised as in memory: it trains.
        split.standardization = actual
        var c = configuration(workers: 2)
        c.validationSplit = 0.25
        c.seed = 5
        let trainer = try Trainer(architecture: architecture, configuration: c, data: streamed.train,
                                  validation: streamed.validation?.standardized(with: actual), test: nil)
        try trainer.fit()
        #expect(trainer.history.last!.validationAccuracy! > 0.8, "\(trainer.history.last!)")
    }

    @Test func aNonFiniteFeatureInAStreamedTestSplitIsOneLineNamingIt() throws {
        let file = TemporaryDataFile()
        let handle = try HDF5File(path: file.path, mode: .truncate)
        var x = [Float](repeating: 0.5, count: 300 * 12)
        x[217 * 12 + 4] = .nan
        try handle.write([Float](repeating: 0.5, count: 30 * 12), shape: [30, 12], to: "train/x")
        try handle.write([Int64](repeating: 1, count: 30), shape: [30], to: "train/y")
        try handle.write(x, shape: [300, 12], to: "test/x")
        try handle.write([Int64](repeating: 1, count: 300), shape: [300], to: "test/y")
        handle.close()
        let split = try #require(try TrainingDataLoader.load(split: "test", of: file.path, budget: 5000, microBatch: 16))
        #expect(split.mode == "stream")
        #expect {
            _ = try Model(architecture: architecture, seed: 1).evaluate(on: split, workers: 2, microBatch: 16)
        } throws: { error in
            "\(error)".contains(file.path) && "\(error)".contains("test/x[217, 4] is nan") && !"\(error)".contains("\n")
        }
    }
}
