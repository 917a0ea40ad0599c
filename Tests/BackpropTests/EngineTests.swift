// The engine's pieces on their own: the slab that owns every buffer, the
// crew that fans work out, and the forward-only evaluator against the
// scheduler it was split from.

import Foundation
import Testing
@_spi(Benchmarking) @testable import Backprop

@Suite struct SlabTests {
    @Test func aSlabStartsAtZeroAndViewsAliasIt() {
        let slab = Slab<Float>(zeros: 10)
        #expect(slab.count == 10 && slab.copy() == [Float](repeating: 0, count: 10))
        let view = slab.view(3..<6)
        view[0] = 7
        view[2] = 9
        #expect(slab[3] == 7 && slab[5] == 9, "a view writes into the slab")
        slab.update(from: [1, 2], at: 8)
        #expect(slab.copy(7..<10) == [0, 1, 2])
        #expect(Slab(copying: [Float(4), 5]).copy() == [4, 5])
        #expect(Slab<Int>(zeros: 0).copy().isEmpty)
    }

    /// Asked for huge pages, a slab starts on a 2 MiB boundary and holds its
    /// values to its last element, whether or not the kernel grants the pages.
    @Test(arguments: [1, 5 << 20, (3 << 20) + 7])
    func aHugePageSlabIsAlignedAndHoldsEveryElement(count: Int) {
        let slab = Slab<UInt8>(count: count, repeating: 3, hugePages: true)
        #expect(UInt(bitPattern: slab.base) % UInt(2 << 20) == 0)
        #expect(slab.buffer.allSatisfy { $0 == 3 })
        slab[count - 1] = 9
        #expect(slab[count - 1] == 9 && slab[0] == (count == 1 ? 9 : 3))
    }

    /// The slab deinitialises its elements when it goes: a reference it holds is released.
    @Test func aSlabReleasesWhatItHolds() {
        final class Token {}
        weak var watched: Token?
        do {
            let token = Token()
            watched = token
            let slab = Slab<Token?>(count: 3, repeating: nil)
            slab[1] = token
            #expect(watched != nil)
        }
        #expect(watched == nil, "the slab kept its element alive")
    }
}

@Suite struct CrewTests {
    final class Recorder: ParallelTask {
        let seen: Slab<Int>
        init(parts: Int) { seen = Slab(zeros: parts) }
        func run(part: Int) { seen[part] += part + 1 }
    }

    /// Every part runs exactly once per fan-out, on a crew reused across fan-outs.
    @Test(arguments: [1, 2, 3, 5])
    func everyPartRunsOncePerFanOut(size: Int) {
        let crew = WorkerCrew(size: size)
        let recorder = Recorder(parts: size)
        for _ in 0..<4 { crew.run(size, recorder) }
        crew.run(1, recorder)
        #expect(recorder.seen.copy() == (0..<size).map { 4 * ($0 + 1) + ($0 == 0 ? 1 : 0) })
    }

    /// A released crew lets its helpers go: nothing but the caller keeps it alive.
    @Test func aCrewIsReleasedWhenItsOwnerLetsGo() {
        weak var watched: WorkerCrew?
        do {
            let crew = WorkerCrew(size: 3)
            watched = crew
            crew.run(3, Recorder(parts: 3))
        }
        #expect(watched == nil, "the helpers keep the crew alive")
    }
}

@Suite struct EvaluatorTests {
    let architecture = try! Architecture(layerSizes: [12, 16, 4], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)
    let data = syntheticClassification(count: 75, features: 12, classes: 4, seed: 3)

    /// Evaluation needs no store and no optimizer, and gives the bits the
    /// scheduler gives over the same parameters, whatever the worker count.
    @Test func theEvaluatorMatchesTheSchedulerForAnyWorkerCount() throws {
        let parameters = parametersWithBiases(architecture, seed: 5)
        let store = ParameterStore(layout: ParameterLayout(architecture), initial: parameters, optimizer: Adam(), l2: 0.1)
        let scheduled = Scheduler(architecture: architecture, store: store, workers: 2, microBatch: 8, maxBatch: 16)
            .evaluate(data)
        #expect(scheduled.examples == 75 && scheduled.lossSum > 0 && scheduled.lossSum.isFinite)
        for workers in [1, 2, 3] {
            let evaluator = Evaluator(network: Network(architecture), workers: workers, microBatch: 8)
            let result = parameters.withUnsafeBufferPointer { evaluator.evaluate(data, parameters: $0.baseAddress!) }
            #expect(result.lossSum.bitPattern == scheduled.lossSum.bitPattern, "workers=\(workers)")
            #expect(result.correct == scheduled.correct && result.examples == 75)
        }
        let model = Model(architecture: architecture, parameters: parameters)
        let evaluation = try model.evaluate(on: data, workers: 3, microBatch: 8)
        #expect(evaluation.loss == scheduled.lossSum / 75)
        #expect(evaluation.accuracy == Double(scheduled.correct) / 75)
    }

    /// The forward pass's loss sum is the sum of the per-example losses of `predict`.
    @Test func theEvaluatorsLossIsThatOfThePredictions() throws {
        let model = Model(architecture: architecture, parameters: parametersWithBiases(architecture, seed: 6))
        let outputs = model.predict(data.features)
        guard case .classes(let labels) = data.targets else { Issue.record("labels expected"); return }
        var loss = 0.0
        for (r, label) in labels.enumerated() { loss -= log(Double(outputs[r * 4 + Int(label)])) }
        let evaluation = try model.evaluate(on: data, workers: 2, microBatch: 16)
        #expect(abs(evaluation.loss - loss / 75) < 1e-5)
    }
}

@Suite struct StepCountTests {
    /// The trainer's step count is one number: what `globalStep`, `state`,
    /// the events and the epoch records report, and what resuming continues from.
    @Test func theStepCountIsOneNumber() throws {
        let architecture = try Architecture(layerSizes: [12, 8, 4], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        let data = syntheticClassification(count: 40, features: 12, classes: 4)
        var configuration = TrainingConfiguration()
        configuration.epochs = 2
        configuration.batchSize = 16  // 3 steps an epoch
        configuration.optimizerKind = .adam
        configuration.workers = 2
        let trainer = try Trainer(architecture: architecture, configuration: configuration, train: data)
        var reported: [Int] = []
        try trainer.fit { event in
            switch event {
            case .stepEnded(let progress): reported.append(progress.globalStep)
            case .epochEnded(let record): reported.append(record.step)
            default: break
            }
        }
        #expect(reported == [1, 2, 3, 4, 5, 6])
        #expect(trainer.globalStep == 6 && trainer.state.globalStep == 6)

        var more = configuration
        more.epochs = 3
        let resumed = try Trainer(architecture: architecture, configuration: more, train: data, state: trainer.state)
        #expect(resumed.globalStep == 6)
        try resumed.fit()
        #expect(resumed.globalStep == 9 && resumed.history.last?.step == 9)
    }
}
