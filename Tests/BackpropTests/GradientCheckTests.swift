// Central-difference gradient checks, in double precision, for every hidden
// activation × output activation × loss that the CLI accepts, with and
// without L2: the test that tells a correct backward pass from one that merely trains.

import Testing
@_spi(Benchmarking) @testable import Backprop

/// J(θ) = (1/m) Σ_i L(a_i, y_i) + (λ / 2m) Σ_l ‖W[l]‖², and its analytic gradient.
struct GradientChecker {
    let architecture: Architecture
    let network: Network
    let x: [Double]
    let y: [Double]
    let rows: Int
    let l2: Double

    init(architecture: Architecture, rows: Int, l2: Double, seed: UInt64) {
        self.architecture = architecture
        self.network = Network(architecture)
        self.rows = rows
        self.l2 = l2
        var generator = RandomGenerator(seed: seed, stream: 5)
        x = (0..<rows * architecture.inputWidth).map { _ in generator.nextUniform(limit: 1.5) }
        let width = architecture.outputWidth
        var y = [Double]()
        for _ in 0..<rows {
            switch architecture.loss {
            case .halfSquaredError:
                y += (0..<width).map { _ in generator.nextUniform(limit: 1) }
            case .binaryCrossEntropy:
                y += (0..<width).map { _ in generator.nextUnitInterval() }
            case .softmaxCrossEntropy:
                // A soft target distribution exercises more than a one-hot row.
                let raw = (0..<width).map { _ in generator.nextUnitInterval() + 0.1 }
                let total = raw.reduce(0, +)
                y += raw.map { $0 / total }
            }
        }
        self.y = y
    }

    func cost(_ parameters: [Double]) -> Double {
        let workspace = Workspace<Double>(architecture: architecture, capacity: rows)
        fill(workspace.input, x)
        fill(workspace.target, y)
        let lossSum = parameters.withUnsafeBufferPointer { p -> Double in
            network.forward(parameters: p.baseAddress!, workspace: workspace, rows: rows)
            return network.lossSum(workspace: workspace, rows: rows)
        }
        let squaredWeights = network.layout.weightRanges.reduce(0.0) { total, range in
            total + parameters[range].reduce(0.0) { $0 + $1 * $1 }
        }
        return lossSum / Double(rows) + l2 / (2 * Double(rows)) * squaredWeights
    }

    /// ∂J/∂θ = (1/m)(Σ_i ∂L_i/∂θ + λ W), the same scaling the parameter store applies.
    func analyticGradient(_ parameters: [Double]) -> [Double] {
        let workspace = Workspace<Double>(architecture: architecture, capacity: rows)
        fill(workspace.input, x)
        fill(workspace.target, y)
        var gradient = [Double](repeating: .nan, count: parameters.count)
        parameters.withUnsafeBufferPointer { p in
            network.forward(parameters: p.baseAddress!, workspace: workspace, rows: rows)
            gradient.withUnsafeMutableBufferPointer {
                network.backward(parameters: p.baseAddress!, workspace: workspace, rows: rows, gradient: $0.baseAddress!)
            }
        }
        var isWeight = [Bool](repeating: false, count: parameters.count)
        for range in network.layout.weightRanges { for i in range { isWeight[i] = true } }
        return (0..<parameters.count).map { i in
            (gradient[i] + (isWeight[i] ? l2 * parameters[i] : 0)) / Double(rows)
        }
    }

    /// ‖g_analytic − g_numeric‖ / (‖g_analytic‖ + ‖g_numeric‖) over all parameters.
    ///
    /// A norm over the whole vector, rather than element by element, because an
    /// element whose gradient is ~1e-9 has a central difference dominated by the
    /// rounding of J (~1e-16 / ε); the norm weighs each element by its size.
    func relativeError(at parameters: [Double], analytic: [Double]? = nil, epsilon: Double = 1e-6) -> Double {
        let analytic = analytic ?? analyticGradient(parameters)
        var difference = 0.0, analyticNorm = 0.0, numericNorm = 0.0
        for i in parameters.indices {
            var plus = parameters, minus = parameters
            plus[i] += epsilon
            minus[i] -= epsilon
            let numeric = (cost(plus) - cost(minus)) / (2 * epsilon)
            difference += (analytic[i] - numeric) * (analytic[i] - numeric)
            analyticNorm += analytic[i] * analytic[i]
            numericNorm += numeric * numeric
        }
        return difference.squareRoot() / max(analyticNorm.squareRoot() + numericNorm.squareRoot(), 1e-300)
    }
}

/// Every (hidden, output, loss) triple the CLI accepts.
let acceptedCombinations: [(Activation, Activation, Loss)] = {
    let hidden: [Activation] = [.identity, .sigmoid, .tanh, .relu, .leakyReLU(slope: 0.1)]
    let output = hidden + [.softmax]
    var combinations: [(Activation, Activation, Loss)] = []
    for h in hidden {
        for o in output {
            for loss in Loss.allCases where loss.accepts(outputActivation: o) {
                combinations.append((h, o, loss))
            }
        }
    }
    return combinations
}()

@Suite struct GradientCheckTests {
    @Test func everyAcceptedCombinationIsCovered() {
        // 5 hidden × (6 outputs for half-SE + 2 each for the two log losses).
        #expect(acceptedCombinations.count == 5 * (6 + 2 + 2))
    }

    @Test(arguments: [0.0, 0.3])
    func analyticGradientMatchesCentralDifferences(l2: Double) throws {
        for (index, (hidden, output, loss)) in acceptedCombinations.enumerated() {
            let architecture = try Architecture(
                layerSizes: [4, 5, 3, 3], hiddenActivation: hidden, outputActivation: output, loss: loss)
            let checker = GradientChecker(architecture: architecture, rows: 3, l2: l2, seed: UInt64(index))
            let parameters: [Double] = Initialization.glorot.parameters(for: architecture, seed: UInt64(index) + 11)
                .enumerated().map { $0.element + 0.01 * Double($0.offset % 7) }  // non-zero biases too
            let error = checker.relativeError(at: parameters)
            #expect(error < 1e-8, "\(hidden) → \(output), \(loss), λ=\(l2): relative error \(error)")
        }
    }

    @Test func aSingleOutputBinaryClassifierChecksToo() throws {
        let architecture = try Architecture(layerSizes: [3, 4, 1], hiddenActivation: .tanh, loss: .binaryCrossEntropy)
        let checker = GradientChecker(architecture: architecture, rows: 5, l2: 0.1, seed: 3)
        let parameters: [Double] = Initialization.auto.parameters(for: architecture, seed: 4)
        #expect(checker.relativeError(at: parameters) < 1e-8)
    }

    /// The check must be able to fail: a gradient off by 1% in a single weight is caught.
    @Test func theCheckCatchesAWrongGradient() throws {
        let architecture = try Architecture(layerSizes: [3, 4, 2], hiddenActivation: .tanh, loss: .halfSquaredError)
        let checker = GradientChecker(architecture: architecture, rows: 2, l2: 0, seed: 1)
        let parameters: [Double] = Initialization.auto.parameters(for: architecture, seed: 2)
        var wrong = checker.analyticGradient(parameters)
        let largest = wrong.indices.max { abs(wrong[$0]) < abs(wrong[$1]) }!
        wrong[largest] *= 1.01
        #expect(checker.relativeError(at: parameters) < 1e-8)
        #expect(checker.relativeError(at: parameters, analytic: wrong) > 1e-4)
    }
}

@Suite struct OutputDeltaShortcutTests {
    /// For the three matching pairs, delta[L] = a − y equals the general
    /// ∂L/∂a ⊙ g'(z) (the softmax one through its full Jacobian).
    @Test(arguments: [(Activation.identity, Loss.halfSquaredError), (.sigmoid, .binaryCrossEntropy), (.softmax, .softmaxCrossEntropy)])
    func shortcutEqualsTheChainRule(activation: Activation, loss: Loss) {
        #expect(loss.hasShortcut(with: activation))
        let rows = 4, width = 3
        var generator = RandomGenerator(seed: 21)
        let z = (0..<rows * width).map { _ in generator.nextUniform(limit: 3) }
        var y = (0..<rows * width).map { _ in generator.nextUnitInterval() }
        if loss == .softmaxCrossEntropy {
            for r in 0..<rows {
                let total = y[r * width..<(r + 1) * width].reduce(0, +)
                for k in 0..<width { y[r * width + k] /= total }
            }
        }
        var a = [Double](repeating: 0, count: z.count)
        var shortcut = a, general = a
        z.withUnsafeBufferPointer { z in
            a.withUnsafeMutableBufferPointer { activation.forward(z: z.baseAddress!, a: $0.baseAddress!, rows: rows, width: width) }
            a.withUnsafeBufferPointer { a in
                y.withUnsafeBufferPointer { y in
                    shortcut.withUnsafeMutableBufferPointer {
                        loss.outputDelta(a: a.baseAddress!, z: z.baseAddress!, y: y.baseAddress!, delta: $0.baseAddress!,
                                         rows: rows, width: width, outputActivation: activation)
                    }
                    general.withUnsafeMutableBufferPointer {
                        loss.gradient(a: a.baseAddress!, y: y.baseAddress!, gradient: $0.baseAddress!, count: rows * width)
                        activation.backward(delta: $0.baseAddress!, z: z.baseAddress!, a: a.baseAddress!, rows: rows, width: width)
                    }
                }
            }
        }
        for i in 0..<rows * width {
            #expect(abs(shortcut[i] - (a[i] - y[i])) < 1e-15)
            #expect(abs(shortcut[i] - general[i]) < 1e-9, "\(activation)/\(loss) at \(i): \(shortcut[i]) vs \(general[i])")
        }
    }
}
