// Outputs of a model for blocks of raw inputs, on several workers: the forward
// pass of evaluation, writing each row's a[L] (or z[L]) where the row was.
//
// A block is cut into shards of `microBatch` rows at fixed offsets, whatever the
// worker count, and each shard runs through the same kernels with the same row
// count, so the bits of every output are the same for any number of workers.

/// What `Predictor` returns for each row.
public enum PredictionKind: String, Sendable, CaseIterable {
    /// a[L]: the output activation's values (softmax probabilities, sigmoid, …).
    case probabilities
    /// z[L]: the output layer before its activation.
    case logits
}

/// Runs a model's forward pass over blocks of raw inputs.
public final class Predictor {
    public let model: Model
    public let microBatch: Int
    private let workers: [Worker]
    private let crew: WorkerCrew
    private let pass: PredictPass

    public init(model: Model, workers: Int, microBatch: Int = 256) {
        precondition(workers > 0 && microBatch > 0)
        BLASThreads.useCallingThreadOnly()
        self.model = model
        self.microBatch = microBatch
        let network = Network(model.architecture)
        self.workers = (0..<workers).map { _ in Worker(network: network, capacity: microBatch) }
        crew = WorkerCrew(size: workers)
        pass = PredictPass(workers: self.workers, microBatch: microBatch)
    }

    /// The outputs for `x`, raw features (rows × n[0], row-major), scaled by the
    /// model's `inputScaling` first: rows × n[L].
    public func predict(raw x: [Float], _ kind: PredictionKind = .probabilities) -> [Float] {
        var x = x
        x.withUnsafeMutableBufferPointer { model.inputScaling.applyToRaw($0) }
        return predict(scaled: x, kind)
    }

    /// The outputs for `x`, features already scaled as the network's inputs
    /// (as DatasetFile loads them and then standardised): rows × n[L].
    public func predict(scaled x: [Float], _ kind: PredictionKind = .probabilities) -> [Float] {
        let width = model.architecture.inputWidth
        precondition(x.count % width == 0, "x must hold whole rows of \(width) features")
        let rows = x.count / width
        var out = [Float](repeating: 0, count: rows * model.architecture.outputWidth)
        guard rows > 0 else { return out }
        x.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { out in
                model.parameters.withUnsafeBufferPointer { parameters in
                    pass.run(x: x.baseAddress!, rows: rows, kind: kind, parameters: parameters.baseAddress!,
                             output: out.baseAddress!, on: crew)
                }
            }
        }
        return out
    }
}

/// The forward pass of shards of rows; worker w takes shards w, w + W, w + 2W, …
/// and writes its shards' rows of the output, so no two workers write the same place.
final class PredictPass: ParallelTask {
    let workers: [Worker]
    let microBatch: Int

    private var x: UnsafePointer<Float>?
    private var output: UnsafeMutablePointer<Float>?
    private var parameters: UnsafePointer<Float>?
    private var rows = 0
    private var kind = PredictionKind.probabilities

    init(workers: [Worker], microBatch: Int) {
        self.workers = workers
        self.microBatch = microBatch
    }

    /// x: rows × n[0]; output: rows × n[L].
    func run(x: UnsafePointer<Float>, rows: Int, kind: PredictionKind, parameters: UnsafePointer<Float>,
             output: UnsafeMutablePointer<Float>, on crew: WorkerCrew) {
        self.x = x
        self.rows = rows
        self.kind = kind
        self.parameters = parameters
        self.output = output
        defer { self.x = nil; self.output = nil; self.parameters = nil }
        let shards = (rows + microBatch - 1) / microBatch
        crew.run(min(workers.count, shards), self)
    }

    func run(part w: Int) {
        let worker = workers[w], network = worker.network, workspace = worker.workspace
        let n0 = network.architecture.inputWidth, nL = network.architecture.outputWidth
        let last = network.architecture.layerSizes.count - 2  // index of layer L in z and a
        let shards = (rows + microBatch - 1) / microBatch
        for shard in stride(from: w, to: shards, by: workers.count) {
            let first = shard * microBatch, count = min(microBatch, rows - first)
            workspace.input.update(from: x! + first * n0, count: count * n0)
            network.forward(parameters: parameters!, workspace: workspace, rows: count)
            let result = kind == .logits ? workspace.z[last] : workspace.a[last]
            (output! + first * nL).update(from: result, count: count * nL)
        }
    }
}
