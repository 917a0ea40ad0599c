// One worker: its own workspace, and the forward and backward pass of one
// micro-shard at a time. A worker allocates nothing after it is made.

/// The losses and hits of a piece of a batch.
struct ShardResult: Sendable {
    var lossSum: Double
    var correct: Int
}

final class Worker: @unchecked Sendable {
    let network: Network
    let workspace: Workspace<Float>

    init(network: Network, capacity: Int) {
        self.network = network
        self.workspace = Workspace(architecture: network.architecture, capacity: capacity)
    }

    /// Gathers `rows` of `source`, runs forward and backward, and writes the
    /// shard's gradient sum into `gradient` (overwriting it).
    func train(
        _ source: ShardSource, rows: UnsafeBufferPointer<Int32>,
        parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>
    ) -> ShardResult {
        let result = forward(source, rows: rows, parameters: parameters)
        network.backward(parameters: parameters, workspace: workspace, rows: rows.count, gradient: gradient)
        return result
    }

    /// Gathers `rows` of `source` and runs the forward pass only.
    func forward(_ source: ShardSource, rows: UnsafeBufferPointer<Int32>, parameters: UnsafePointer<Float>) -> ShardResult {
        source.gather(rows: rows, x: workspace.input, y: workspace.target, outputWidth: network.architecture.outputWidth)
        network.forward(parameters: parameters, workspace: workspace, rows: rows.count)
        return ShardResult(
            lossSum: network.lossSum(workspace: workspace, rows: rows.count),
            correct: network.correctCount(workspace: workspace, rows: rows.count))
    }
}
