// Learning-rate schedules against their formulas at the points that define
// them, and the rate a Trainer reports for each epoch against the schedule.

import Foundation
import Testing
@testable import Backprop

/// |a − b| within a few double roundings of b.
func nearlyEqual(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
    abs(a - b) <= tolerance * max(abs(b), 1e-300)
}

@Suite struct LearningRateScheduleTests {
    let α = 0.1

    func rate(_ schedule: LearningRateSchedule, _ t: Int, perEpoch: Int = 5, total: Int = 50, warmup: Int = 0) -> Double {
        schedule.rate(base: α, step: t, stepsPerEpoch: perEpoch, totalSteps: total, warmupSteps: warmup)
    }

    @Test func constantIsTheBaseRateAtEveryStep() {
        for t in 0..<50 { #expect(rate(.constant, t) == α, "step \(t)") }
    }

    /// α · γ^⌊epoch / k⌋: γ = 0.5 every 2 epochs of 5 steps.
    @Test func stepDecaysByGammaEveryKEpochs() {
        let schedule = LearningRateSchedule.step(everyEpochs: 2, gamma: 0.5)
        for t in 0..<10 { #expect(rate(schedule, t) == α, "step \(t)") }
        for t in 10..<20 { #expect(nearlyEqual(rate(schedule, t), α / 2), "step \(t): \(rate(schedule, t))") }
        for t in 20..<30 { #expect(nearlyEqual(rate(schedule, t), α / 4), "step \(t): \(rate(schedule, t))") }
        #expect(nearlyEqual(rate(schedule, 49), α / 16))
    }

    /// α · γ^epoch, constant within an epoch.
    @Test func exponentialDecaysByGammaEveryEpoch() {
        let schedule = LearningRateSchedule.exponential(gamma: 0.9)
        for t in 0..<50 {
            let epoch = t / 5
            var expected = α
            for _ in 0..<epoch { expected *= 0.9 }
            #expect(nearlyEqual(rate(schedule, t), expected), "step \(t): \(rate(schedule, t)) vs \(expected)")
        }
    }

    /// Half a cosine from α at the first step after warm-up to α_min at the run's
    /// last step (0-based step T − 1), and half-way between them midway.
    @Test(arguments: [(0, 21), (5, 26), (3, 5)])
    func cosineRunsFromTheBaseRateToTheMinimumOverTheRun(warmup: Int, total: Int) {
        let minimum = 0.001
        let schedule = LearningRateSchedule.cosine(minimum: minimum)
        func r(_ t: Int) -> Double { rate(schedule, t, perEpoch: 7, total: total, warmup: warmup) }
        let last = total - 1
        #expect(nearlyEqual(r(warmup), α), "first step after warm-up: \(r(warmup))")
        #expect(nearlyEqual(r(last), minimum), "last step \(last) of \(total): \(r(last)), expected α_min = \(minimum)")
        if (last - warmup) % 2 == 0 {
            let middle = (warmup + last) / 2
            #expect(nearlyEqual(r(middle), minimum + (α - minimum) / 2), "midway, step \(middle): \(r(middle))")
        }
        for t in warmup..<last { #expect(r(t + 1) <= r(t), "the rate rises from step \(t) to \(t + 1)") }
        // Warm-up: linear up to the cosine's start.
        for t in 0..<warmup { #expect(nearlyEqual(r(t), α * Double(t + 1) / Double(warmup)), "warm-up step \(t): \(r(t))") }
    }

    /// α_schedule · (t + 1) / n for t < n: α/n at the first step, α at the n-th.
    @Test func warmUpRisesLinearlyFromAlphaOverNToAlpha() {
        let n = 4
        let rates = (0..<8).map { rate(.constant, $0, warmup: n) }
        #expect(nearlyEqual(rates[0], α / 4))
        #expect(nearlyEqual(rates[1], α / 2))
        #expect(nearlyEqual(rates[2], 3 * α / 4))
        #expect(nearlyEqual(rates[3], α))
        for t in n..<8 { #expect(rates[t] == α, "after warm-up, step \(t): \(rates[t])") }
    }

    /// Warm-up scales an epoch schedule too, and leaves it alone afterwards.
    @Test func warmUpScalesTheScheduledRate() {
        let schedule = LearningRateSchedule.exponential(gamma: 0.5)
        // Warm-up of 8 steps spans epoch 0 (steps 0–4) and part of epoch 1 (5–9).
        #expect(nearlyEqual(rate(schedule, 2, warmup: 8), α * 3 / 8))
        #expect(nearlyEqual(rate(schedule, 6, warmup: 8), α / 2 * 7 / 8))
        #expect(nearlyEqual(rate(schedule, 8, warmup: 8), α / 2))
        #expect(nearlyEqual(rate(schedule, 12, warmup: 8), α / 4))
    }
}

@Suite struct TrainerLearningRateTests {
    let data = syntheticClassification(count: 50, features: 6, classes: 3, seed: 4)
    let architecture = try! Architecture(layerSizes: [6, 8, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)

    static let schedules: [LearningRateSchedule] = [
        .constant, .step(everyEpochs: 1, gamma: 0.3), .exponential(gamma: 0.7), .cosine(minimum: 0.002),
    ]

    /// Each epoch's record carries the rate of its last step, and each step
    /// reports the rate it used: 50 rows in batches of 16 are 4 steps an epoch.
    @Test(arguments: schedules, [nil, 10])
    func eachEpochRecordsTheRateOfItsLastStep(schedule: LearningRateSchedule, maxSteps: Int?) throws {
        var c = TrainingConfiguration()
        c.epochs = 4
        c.maxSteps = maxSteps
        c.batchSize = 16
        c.microBatch = 8
        c.learningRate = 0.05
        c.schedule = schedule
        c.warmupSteps = 3
        c.workers = 2
        let trainer = try Trainer(architecture: architecture, configuration: c, train: data)
        #expect(trainer.stepsPerEpoch == 4)
        // The run's length, which cosine spans: the step limit when it comes first.
        let total = maxSteps ?? 16
        func expected(_ t: Int) -> Double {
            schedule.rate(base: 0.05, step: t, stepsPerEpoch: 4, totalSteps: total, warmupSteps: 3)
        }
        var stepRates: [(Int, Double)] = []
        try trainer.fit(onEvent: { event in
            if case .stepEnded(let p) = event { stepRates.append((p.globalStep, p.learningRate)) }
        })
        let history = trainer.history
        #expect(history.count == (maxSteps == nil ? 4 : 2))
        for record in history {
            #expect(record.step == 4 * record.epoch)
            #expect(record.learningRate == expected(4 * record.epoch - 1),
                    "epoch \(record.epoch): \(record.learningRate), expected \(expected(4 * record.epoch - 1))")
        }
        for (step, rate) in stepRates {
            #expect(rate == expected(step - 1), "step \(step) reported \(rate), expected \(expected(step - 1))")
        }
        if schedule != .constant {
            // Every schedule here changes the rate from one epoch to the next.
            #expect(Set(history.map(\.learningRate)).count == history.count, "\(history.map(\.learningRate))")
        }
    }
}
