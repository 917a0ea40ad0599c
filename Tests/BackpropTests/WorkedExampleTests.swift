// The 2-2-2 example of backprop-math.md, reproduced to its printed digits in
// double precision, and its update reproduced through the real training engine.

import Testing
@testable import Backprop

@Suite struct WorkedExampleTests {
    let architecture = try! Architecture(
        layerSizes: [2, 2, 2], activations: [.sigmoid, .sigmoid], loss: .halfSquaredError)
    // W[1], b[1], W[2], b[2] in the flat layout.
    let parameters: [Double] = [0.15, 0.20, 0.25, 0.30, 0.35, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.60]
    let x: [Double] = [0.05, 0.10]
    let y: [Double] = [0.01, 0.99]

    func expectClose(_ actual: [Double], _ expected: [Double], _ what: String) {
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) {
            // The page prints nine decimals: agree to half a unit in the last place.
            #expect(abs(a - e) <= 5e-10, "\(what): \(a) vs \(e)")
        }
    }

    @Test func forwardPassAndErrorMatchThePage() {
        let network = Network(architecture)
        let workspace = Workspace<Double>(architecture: architecture, capacity: 1)
        fill(workspace.input, x)
        fill(workspace.target, y)
        parameters.withUnsafeBufferPointer { network.forward(parameters: $0.baseAddress!, workspace: workspace, rows: 1) }
        expectClose(array(workspace.a[0], 2), [0.593269992, 0.596884378], "a[1]")
        expectClose(array(workspace.a[1], 2), [0.751365070, 0.772928465], "a[2]")
        expectClose([network.lossSum(workspace: workspace, rows: 1)], [0.298371109], "E")
    }

    @Test func gradientsMatchThePage() {
        let network = Network(architecture)
        let workspace = Workspace<Double>(architecture: architecture, capacity: 1)
        fill(workspace.input, x)
        fill(workspace.target, y)
        var gradient = [Double](repeating: .nan, count: parameters.count)
        parameters.withUnsafeBufferPointer { p in
            network.forward(parameters: p.baseAddress!, workspace: workspace, rows: 1)
            gradient.withUnsafeMutableBufferPointer {
                network.backward(parameters: p.baseAddress!, workspace: workspace, rows: 1, gradient: $0.baseAddress!)
            }
        }
        let layout = network.layout
        expectClose(Array(gradient[layout.layers[1].weights]), [0.082167041, 0.082667628, -0.022602540, -0.022740242], "dE/dW[2]")
        expectClose(Array(gradient[layout.layers[1].biases]), [0.138498562, -0.038098237], "dE/db[2]")
        expectClose(Array(gradient[layout.layers[0].weights]), [0.000438568, 0.000877135, 0.000497713, 0.000995425], "dE/dW[1]")
        expectClose(Array(gradient[layout.layers[0].biases]), [0.008771355, 0.009954255], "dE/db[1]")
    }

    /// One step with α = 0.5 through the trainer, the scheduler and the
    /// parameter store, in single precision: agreement to float's 7 digits.
    @Test(arguments: [1, 2])
    func oneTrainingStepMatchesThePage(workers: Int) throws {
        let dataset = Dataset(name: "worked-example", features: x.map(Float.init), featureCount: 2,
                              targets: .values(y.map(Float.init), width: 2))
        var configuration = TrainingConfiguration()
        configuration.batchSize = 1
        configuration.learningRate = 0.5
        configuration.maxSteps = 1
        configuration.shuffle = false
        configuration.workers = workers
        let model = Model(architecture: architecture, parameters: parameters.map(Float.init))
        let trainer = try Trainer(architecture: architecture, configuration: configuration, train: dataset, model: model)
        try trainer.fit()
        let after = trainer.model
        let expectedW2: [Float] = [0.358916480, 0.408666186, 0.511301270, 0.561370121]
        let expectedW1: [Float] = [0.149780716, 0.199561432, 0.249751144, 0.299502287]
        for (a, e) in zip(after.weights(layer: 2), expectedW2) { #expect(abs(a - e) <= 1e-6, "W[2]: \(a) vs \(e)") }
        for (a, e) in zip(after.weights(layer: 1), expectedW1) { #expect(abs(a - e) <= 1e-6, "W[1]: \(a) vs \(e)") }
    }
}
