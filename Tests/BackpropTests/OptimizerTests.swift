// The optimizers against their published update rules: each runs three steps
// on a tiny buffer with known gradients and is compared with an independent
// implementation in double precision written here. Then a whole Trainer step
// through the parameter store against a hand computation of ∂J/∂θ with L2, and
// every optimizer's trajectory checked to be the same bits for 1, 2 and 3 workers.

import Foundation
import Testing
@testable import Backprop

// MARK: - Reference implementations, in Double, straight from the papers

/// θ, the three gradients, and which entries are weights (1) or biases (0),
/// interleaved so that an index mix-up shows.
enum TinyProblem {
    static let θ0: [Double] = [0.8, -0.4, 0.3, -1.2, 0.05]
    static let gradients: [[Double]] = [
        [0.5, -1.0, 0.25, 2.0, -0.3],
        [0.3, 0.2, -0.5, 1.0, -0.1],
        [-0.4, -0.6, 0.1, 0.5, 0.7],
    ]
    static let isWeight: [Double] = [1, 0, 1, 0, 1]
}

/// torch.optim.SGD: v ← μ v + g; θ ← θ − α v, or θ ← θ − α (g + μ v) with Nesterov.
func referenceSGD(α: Double, μ: Double, nesterov: Bool) -> [Double] {
    var θ = TinyProblem.θ0, v = [Double](repeating: 0, count: θ.count)
    for g in TinyProblem.gradients {
        for i in θ.indices {
            if μ == 0 { θ[i] -= α * g[i]; continue }
            v[i] = μ * v[i] + g[i]
            θ[i] -= nesterov ? α * (g[i] + μ * v[i]) : α * v[i]
        }
    }
    return θ
}

/// Kingma & Ba, Algorithm 1, with Loshchilov & Hutter's decoupled decay
/// θ ← θ − α λ θ on weights only (λ = 0: Adam).
func referenceAdam(α: Double, β1: Double, β2: Double, ε: Double, λ: Double) -> (θ: [Double], m: [Double], v: [Double]) {
    var θ = TinyProblem.θ0
    var m = [Double](repeating: 0, count: θ.count), v = m
    for (index, g) in TinyProblem.gradients.enumerated() {
        let t = Double(index + 1)
        for i in θ.indices {
            θ[i] -= α * λ * TinyProblem.isWeight[i] * θ[i]
            m[i] = β1 * m[i] + (1 - β1) * g[i]
            v[i] = β2 * v[i] + (1 - β2) * g[i] * g[i]
            let mHat = m[i] / (1 - pow(β1, t)), vHat = v[i] / (1 - pow(β2, t))
            θ[i] -= α * mHat / (vHat.squareRoot() + ε)
        }
    }
    return (θ, m, v)
}

/// torch.optim.RMSprop: v ← ρ v + (1 − ρ) g²; θ ← θ − α g / (√v + ε).
func referenceRMSprop(α: Double, ρ: Double, ε: Double) -> (θ: [Double], v: [Double]) {
    var θ = TinyProblem.θ0, v = [Double](repeating: 0, count: θ.count)
    for g in TinyProblem.gradients {
        for i in θ.indices {
            v[i] = ρ * v[i] + (1 - ρ) * g[i] * g[i]
            θ[i] -= α * g[i] / (v[i].squareRoot() + ε)
        }
    }
    return (θ, v)
}

/// One update of `optimizer` on θ over `range`, its state being `stateCount`
/// buffers of θ.count values back to back in `state`, as the parameter store lays them out.
func update(
    _ optimizer: any Optimizer, θ: inout [Float], gradient g: [Float], state: inout [Float],
    isWeight: [Float], range: Range<Int>, learningRate: Float, step: Int
) {
    let n = θ.count
    θ.withUnsafeMutableBufferPointer { θ in
        state.withUnsafeMutableBufferPointer { state in
            g.withUnsafeBufferPointer { g in
                isWeight.withUnsafeBufferPointer { isWeight in
                    let buffers = (0..<optimizer.stateCount).map { state.baseAddress! + $0 * n }
                    let slice = UpdateSlice(
                        parameters: θ.baseAddress!, gradient: g.baseAddress!, state: buffers,
                        isWeight: isWeight.baseAddress!, range: range)
                    optimizer.rule.update(slice, learningRate: learningRate, step: step)
                }
            }
        }
    }
}

/// Runs `optimizer` for the tiny problem's three steps (t = 1, 2, 3) through
/// `update`, in Float, returning the parameters and the state buffers.
func runTinyProblem(_ optimizer: some Optimizer, learningRate: Float) -> (θ: [Float], state: [Float]) {
    let n = TinyProblem.θ0.count
    var θ = TinyProblem.θ0.map(Float.init)
    var state = [Float](repeating: 0, count: max(1, optimizer.stateCount * n))
    let isWeight = TinyProblem.isWeight.map(Float.init)
    for (index, gradient) in TinyProblem.gradients.enumerated() {
        update(optimizer, θ: &θ, gradient: gradient.map(Float.init), state: &state,
               isWeight: isWeight, range: 0..<n, learningRate: learningRate, step: index + 1)
    }
    return (θ, state)
}

/// The value a Float hyperparameter really has, widened back: the reference
/// then follows the same rule with the same numbers, so only rounding differs.
func float32(_ x: Double) -> Double { Double(Float(x)) }

/// Float results against the double reference: a few float roundings apart at most.
func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 2e-6,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        #expect(abs(Double(a) - e) <= tolerance * max(1, abs(e)), "\(what)[\(i)] = \(a), expected \(e)", sourceLocation: sourceLocation)
    }
}

/// nil when two float arrays hold the same bits (so −0 ≠ 0 and NaN = NaN),
/// else where they first differ: one line for a failure, not two arrays of thousands.
func bitDifference(_ a: [Float], _ b: [Float]) -> String? {
    guard a.count == b.count else { return "\(a.count) values vs \(b.count)" }
    guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return nil }
    let count = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    return "\(count) of \(a.count) differ, first at \(i): \(a[i]) vs \(b[i])"
}

/// Σ_i ∂L_i/∂θ over the examples `rows` of `dataset`, in Double, from the
/// network's backward pass at the (Float) parameters widened to Double.
func referenceGradientSum(_ architecture: Architecture, parameters: [Float], dataset: Dataset, rows: [Int32]) -> [Double] {
    let network = Network(architecture)
    let workspace = Workspace<Double>(architecture: architecture, capacity: rows.count)
    // The rows' features, and their targets as the output layer sees them (one-hot for labels).
    let width = architecture.outputWidth, d = dataset.featureCount
    var x = [Double](), y = [Double]()
    for r in rows.map(Int.init) {
        x += dataset.features[(r * d)..<((r + 1) * d)].map(Double.init)
        switch dataset.targets {
        case .classes(let labels):
            y += width == 1 ? [Double(labels[r])] : (0..<width).map { $0 == Int(labels[r]) ? 1 : 0 }
        case .values(let values, _):
            y += values[(r * width)..<((r + 1) * width)].map(Double.init)
        }
    }
    fill(workspace.input, x)
    fill(workspace.target, y)
    let θ = parameters.map(Double.init)
    var gradient = [Double](repeating: .nan, count: θ.count)
    θ.withUnsafeBufferPointer { θ in
        network.forward(parameters: θ.baseAddress!, workspace: workspace, rows: rows.count)
        gradient.withUnsafeMutableBufferPointer {
            network.backward(parameters: θ.baseAddress!, workspace: workspace, rows: rows.count, gradient: $0.baseAddress!)
        }
    }
    return gradient
}

/// ∂J/∂θ = (Σ_i ∂L_i/∂θ + λ W) / m, with no λ term for biases, in Double.
func referenceObjectiveGradient(_ architecture: Architecture, parameters: [Float], dataset: Dataset, rows: [Int32], l2 λ: Double) -> [Double] {
    let sum = referenceGradientSum(architecture, parameters: parameters, dataset: dataset, rows: rows)
    var isWeight = [Double](repeating: 0, count: parameters.count)
    for range in ParameterLayout(architecture).weightRanges { for i in range { isWeight[i] = 1 } }
    let m = Double(rows.count)
    return parameters.indices.map { i in (sum[i] + λ * isWeight[i] * Double(parameters[i])) / m }
}

/// Parameters with every bias non-zero, so a penalty wrongly applied to biases would show.
func parametersWithBiases(_ architecture: Architecture, seed: UInt64) -> [Float] {
    var θ: [Float] = Initialization.glorot.parameters(for: architecture, seed: seed)
    for layer in ParameterLayout(architecture).layers {
        for (k, i) in layer.biases.enumerated() { θ[i] = 0.1 * Float(k % 5) - 0.25 }
    }
    return θ
}

// MARK: - The update rules

@Suite struct OptimizerUpdateRuleTests {
    @Test func plainSGD() {
        let (θ, _) = runTinyProblem(SGD(), learningRate: 0.1)
        expectClose(θ, referenceSGD(α: float32(0.1), μ: 0, nesterov: false), "θ")
    }

    @Test func sgdWithMomentum() {
        let (θ, velocity) = runTinyProblem(SGD(momentum: 0.9), learningRate: 0.1)
        expectClose(θ, referenceSGD(α: float32(0.1), μ: float32(0.9), nesterov: false), "θ")
        // v after three steps: g3 + μ g2 + μ² g1.
        let g = TinyProblem.gradients
        expectClose(velocity, (0..<5).map { g[2][$0] + 0.9 * g[1][$0] + 0.81 * g[0][$0] }, "velocity")
        // Momentum must matter: the plain trajectory is far from this one.
        let plain = referenceSGD(α: float32(0.1), μ: 0, nesterov: false)
        #expect(zip(θ, plain).contains { abs(Double($0) - $1) > 0.05 })
    }

    @Test func sgdWithNesterovMomentum() {
        let (θ, _) = runTinyProblem(SGD(momentum: 0.9, nesterov: true), learningRate: 0.1)
        expectClose(θ, referenceSGD(α: float32(0.1), μ: float32(0.9), nesterov: true), "θ")
        let classical = referenceSGD(α: float32(0.1), μ: float32(0.9), nesterov: false)
        #expect(zip(θ, classical).contains { abs(Double($0) - $1) > 0.05 })
    }

    @Test func adamWithBiasCorrection() {
        let (θ, state) = runTinyProblem(Adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 0.01)
        let reference = referenceAdam(α: float32(0.01), β1: float32(0.9), β2: float32(0.999), ε: float32(1e-8), λ: 0)
        expectClose(θ, reference.θ, "θ")
        expectClose(Array(state[0..<5]), reference.m, "m")
        expectClose(Array(state[5..<10]), reference.v, tolerance: 1e-9, "v")
    }

    @Test func adamsFirstStepIsTheLearningRateTimesTheSignOfTheGradient() {
        let adam = Adam()
        var θ = TinyProblem.θ0.map(Float.init), state = [Float](repeating: 0, count: 10)
        let g = TinyProblem.gradients[0].map(Float.init), isWeight = TinyProblem.isWeight.map(Float.init)
        update(adam, θ: &θ, gradient: g, state: &state, isWeight: isWeight, range: 0..<5, learningRate: 0.01, step: 1)
        // m̂ = g and v̂ = g² at t = 1, so the step is α g / (|g| + ε): without the
        // correction it would be α · 0.1 / √0.001 ≈ 3.2 α.
        for i in 0..<5 {
            let moved = TinyProblem.θ0[i] - Double(θ[i])
            #expect(abs(moved - 0.01 * (g[i] > 0 ? 1 : -1)) < 1e-6, "entry \(i) moved \(moved)")
        }
    }

    @Test func adamWDecaysWeightsButNotBiases() {
        let λ = 0.2, α = 0.1
        let (decayed, _) = runTinyProblem(Adam(weightDecay: Float(λ)), learningRate: Float(α))
        let (plain, _) = runTinyProblem(Adam(), learningRate: Float(α))
        expectClose(decayed, referenceAdam(α: float32(α), β1: float32(0.9), β2: float32(0.999), ε: float32(1e-8), λ: float32(λ)).θ, "θ")
        for i in 0..<5 {
            if TinyProblem.isWeight[i] == 1 {
                // αλθ ≈ 0.02 θ a step: far above float rounding.
                #expect(abs(decayed[i] - plain[i]) > 1e-3, "weight \(i) was not decayed")
            } else {
                #expect(decayed[i].bitPattern == plain[i].bitPattern, "bias \(i) was decayed: \(decayed[i]) vs \(plain[i])")
            }
        }
        #expect(Adam(weightDecay: 0.2).name == "adamw" && Adam().name == "adam")
    }

    @Test func rmsprop() {
        let (θ, state) = runTinyProblem(RMSprop(rho: 0.9, epsilon: 1e-8), learningRate: 0.01)
        let reference = referenceRMSprop(α: float32(0.01), ρ: float32(0.9), ε: float32(1e-8))
        expectClose(θ, reference.θ, "θ")
        expectClose(state, reference.v, tolerance: 1e-7, "square_average")
    }

    /// Workers update disjoint ranges at once: an update must not touch
    /// parameters or state outside its range.
    @Test(arguments: [
        ("sgd-momentum", SGD(momentum: 0.9) as any Optimizer), ("nesterov", SGD(momentum: 0.5, nesterov: true)),
        ("adam", Adam()), ("adamw", Adam(weightDecay: 0.1)), ("rmsprop", RMSprop()), ("sgd", SGD()),
    ])
    func anUpdateStaysInItsRange(name: String, optimizer: any Optimizer) {
        let n = 5, sentinel: Float = 42
        var θ = [Float](repeating: sentinel, count: n)
        var state = [Float](repeating: sentinel, count: max(1, optimizer.stateCount * n))
        let g = [Float](repeating: 0.5, count: n), isWeight = [Float](repeating: 1, count: n)
        update(optimizer, θ: &θ, gradient: g, state: &state, isWeight: isWeight, range: 1..<3, learningRate: 0.1, step: 1)
        #expect(θ[0] == sentinel && θ[3] == sentinel && θ[4] == sentinel, "\(name): \(θ)")
        #expect(θ[1] != sentinel && θ[2] != sentinel, "\(name) did not update its range: \(θ)")
        for buffer in 0..<optimizer.stateCount {
            for i in [0, 3, 4] {
                #expect(state[buffer * n + i] == sentinel, "\(name): state \(buffer)[\(i)] changed")
            }
        }
    }
}

// MARK: - Through the Trainer

@Suite struct TrainerUpdateTests {
    let architecture = try! Architecture(layerSizes: [3, 4, 2], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)

    /// One SGD step of a Trainer with L2: θ' = θ − α (Σ ∂L/∂θ + λ W) / m, biases without the λ term.
    @Test(arguments: [(1, 1), (3, 2)])  // (examples = m, micro-batch): one example; three split over two shards
    func oneStepWithL2MatchesTheHandComputation(examples: Int, microBatch: Int) throws {
        let data = syntheticClassification(count: examples, features: 3, classes: 2, seed: 31)
        let θ0 = parametersWithBiases(architecture, seed: 8)
        let α = 0.1, λ = 0.5
        var c = TrainingConfiguration()
        c.epochs = 1
        c.batchSize = examples
        c.microBatch = microBatch
        c.learningRate = α
        c.l2 = λ
        c.shuffle = false
        c.workers = 2
        let trainer = try Trainer(architecture: architecture, configuration: c, train: data,
                                  model: Model(architecture: architecture, parameters: θ0))
        try trainer.fit()
        #expect(trainer.globalStep == 1)
        let θ1 = trainer.model.parameters

        let rows = (0..<Int32(examples)).map { $0 }
        let g = referenceObjectiveGradient(architecture, parameters: θ0, dataset: data, rows: rows, l2: λ)
        let expected = θ0.indices.map { Double(θ0[$0]) - α * g[$0] }
        expectClose(θ1, expected, tolerance: 1e-6, "θ after one step")

        // The test can tell: decaying the biases too would move them by α λ b / m, far beyond the tolerance.
        let layout = ParameterLayout(architecture)
        for i in layout.layers.flatMap({ Array($0.biases) }) where θ0[i] != 0 {
            let wrong = expected[i] - α * λ * Double(θ0[i]) / Double(examples)
            #expect(abs(Double(θ1[i]) - wrong) > 1e-4, "bias \(i) looks decayed")
        }
    }

    // MARK: Worker count

    /// Enough parameters (13,699: four reduction blocks of 4096) that 2 and 3
    /// workers really do split the reduction and the update.
    static let wide = try! Architecture(layerSizes: [20, 256, 32, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)

    static let optimizerSettings: [(String, @Sendable (inout TrainingConfiguration) -> Void)] = [
        ("sgd", { $0.optimizerKind = .sgd }),
        ("sgd momentum", { $0.optimizerKind = .sgd; $0.momentum = 0.9 }),
        ("sgd nesterov + clip", { $0.optimizerKind = .sgd; $0.momentum = 0.9; $0.nesterov = true; $0.clipGradientNorm = 0.5 }),
        ("adam", { $0.optimizerKind = .adam; $0.learningRate = 1e-3 }),
        ("adamw + cosine", { $0.optimizerKind = .adamw; $0.learningRate = 1e-3; $0.weightDecay = 0.05; $0.schedule = .cosine(minimum: 1e-4); $0.warmupSteps = 2 }),
        ("rmsprop", { $0.optimizerKind = .rmsprop; $0.learningRate = 1e-3; $0.rho = 0.9 }),
    ]

    @Test(arguments: 0..<optimizerSettings.count)
    func everyOptimizerGivesTheSameBitsForOneTwoAndThreeWorkers(index: Int) throws {
        let (name, apply) = Self.optimizerSettings[index]
        let data = syntheticClassification(count: 100, features: 20, classes: 3, seed: 12)
        func run(workers: Int) throws -> TrainingState {
            var c = TrainingConfiguration()
            c.epochs = 2  // 4 steps an epoch, the last of 4 rows
            c.batchSize = 32
            c.microBatch = 8
            c.learningRate = 0.05
            c.l2 = 0.01
            c.seed = 3
            apply(&c)
            c.workers = workers
            let trainer = try Trainer(architecture: Self.wide, configuration: c, train: data)
            try trainer.fit()
            #expect(trainer.globalStep == 8)
            return trainer.state
        }
        let one = try run(workers: 1), two = try run(workers: 2), three = try run(workers: 3)
        let initial: [Float] = Initialization.auto.parameters(for: Self.wide, seed: 3)
        #expect(bitDifference(one.parameters, initial) != nil, "\(name): training did not move the parameters")
        #expect(one.parameters.allSatisfy { $0.isFinite }, "\(name)")
        for (workers, other) in [(2, two), (3, three)] {
            #expect(bitDifference(other.parameters, one.parameters) == nil, "\(name): \(workers) workers differ from 1")
            #expect(bitDifference(other.optimizerState, one.optimizerState) == nil, "\(name): optimizer state, \(workers) workers")
            #expect(other.history.map(\.trainLoss) == one.history.map(\.trainLoss), "\(name): losses, \(workers) workers")
        }
    }
}
