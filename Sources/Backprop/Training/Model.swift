// A trained (or freshly initialised) network: its architecture and parameters.
// What a checkpoint holds at the least, and what `evaluate` and `predict` use.

import Foundation

/// Loss and accuracy of a model on a dataset.
public struct Evaluation: Sendable, Equatable {
    /// Mean loss per example (the L2 penalty not included).
    public var loss: Double
    public var accuracy: Double
    public var examples: Int

    public init(loss: Double, accuracy: Double, examples: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.examples = examples
    }
}

/// An architecture, its parameters laid out by `ParameterLayout`, and the
/// scaling its raw inputs get before the first layer.
public struct Model: Sendable, Equatable {
    public let architecture: Architecture
    public let parameters: [Float]
    /// Applied to raw features before layer 1 (DatasetFile applies the uint8 factor as it loads).
    public let inputScaling: InputScaling

    public init(architecture: Architecture, parameters: [Float], inputScaling: InputScaling = .identity) {
        precondition(parameters.count == ParameterLayout(architecture).count, "parameter count does not match the architecture")
        precondition(!inputScaling.isStandardized || inputScaling.mean.count == architecture.inputWidth,
                     "the input scaling has \(inputScaling.mean.count) features; the network takes \(architecture.inputWidth)")
        self.architecture = architecture
        self.parameters = parameters
        self.inputScaling = inputScaling
    }

    /// A freshly initialised model.
    public init(architecture: Architecture, seed: UInt64, initialization: Initialization = .auto) {
        self.init(architecture: architecture, parameters: initialization.parameters(for: architecture, seed: seed))
    }

    /// W[l] (n[l] × n[l-1], row-major) for l = 1 … L.
    public func weights(layer l: Int) -> ArraySlice<Float> {
        parameters[ParameterLayout(architecture).layers[l - 1].weights]
    }

    /// b[l] for l = 1 … L.
    public func biases(layer l: Int) -> ArraySlice<Float> {
        parameters[ParameterLayout(architecture).layers[l - 1].biases]
    }

    /// Mean loss and accuracy over every example of `dataset` (as DatasetFile
    /// loads it: uint8 features already scaled), standardised as in training,
    /// computed in parallel.
    public func evaluate(
        on dataset: Dataset, workers: Int = ProcessInfo.processInfo.activeProcessorCount, microBatch: Int = 256
    ) throws -> Evaluation {
        try dataset.validate(for: architecture)
        let dataset = inputScaling.standardize(dataset)
        let evaluator = Evaluator(network: Network(architecture), workers: workers, microBatch: microBatch)
        let result = parameters.withUnsafeBufferPointer { evaluator.evaluate(dataset, parameters: $0.baseAddress!) }
        return Evaluation(result, examples: dataset.count)
    }

    /// Mean loss and accuracy over a split held in memory or streamed from its
    /// file, standardised as in training: bitwise the same either way.
    /// (A streamed split takes this model's standardisation for its rows.)
    public func evaluate(
        on split: HeldOutData, workers: Int = ProcessInfo.processInfo.activeProcessorCount, microBatch: Int = 256
    ) throws -> Evaluation {
        let stream: HeldOutStream
        switch split {
        case .memory(let dataset): return try evaluate(on: dataset, workers: workers, microBatch: microBatch)
        case .stream(let split): stream = split
        }
        try stream.validate(for: architecture)
        stream.standardization = inputScaling.isStandardized ? inputScaling : .identity
        let evaluator = Evaluator(network: Network(architecture), workers: workers, microBatch: microBatch)
        let result = try parameters.withUnsafeBufferPointer { try evaluator.evaluate(stream, parameters: $0.baseAddress!) }
        return Evaluation(result, examples: stream.count)
    }

    /// The outputs a[L] for `x` (rows × n[0], row-major), taken as the network's
    /// inputs as they are (no input scaling): rows × n[L]. `Predictor` scales raw inputs.
    public func predict(_ x: [Float]) -> [Float] {
        let width = architecture.inputWidth
        precondition(x.count % width == 0, "x must hold whole rows of \(width) features")
        let rows = x.count / width
        guard rows > 0 else { return [] }
        let network = Network(architecture)
        let workspace = Workspace<Float>(architecture: architecture, capacity: rows)
        x.withUnsafeBufferPointer { workspace.input.update(from: $0.baseAddress!, count: x.count) }
        parameters.withUnsafeBufferPointer { network.forward(parameters: $0.baseAddress!, workspace: workspace, rows: rows) }
        return Array(UnsafeBufferPointer(start: workspace.output, count: rows * architecture.outputWidth))
    }
}

extension Evaluation {
    init(_ result: StepResult, examples: Int) {
        self.init(
            loss: examples == 0 ? .nan : result.lossSum / Double(examples),
            accuracy: examples == 0 ? .nan : Double(result.correct) / Double(examples),
            examples: examples)
    }
}
