// Forward passes in parallel, for loss and accuracy: what evaluation (and
// prediction, later) needs, and nothing of training. It reads the parameters
// through a pointer, so it works on a scheduler's parameter store as well as on
// a model's array, with no optimizer and no gradient slots.

/// Workers and a crew running forward passes over micro-shards.
final class Evaluator {
    private let crew: WorkerCrew
    private let forward: ForwardPass
    /// With several ranks, each evaluates its share of the shards.
    private let communicator: any Communicator

    /// Runs on `workers` and `crew`, which a scheduler shares with its training passes.
    init(workers: [Worker], crew: WorkerCrew, microBatch: Int, communicator: any Communicator = SingleProcess()) {
        precondition(workers.count == crew.size && microBatch > 0)
        precondition(workers.allSatisfy { $0.workspace.capacity >= microBatch })
        self.crew = crew
        self.communicator = communicator
        forward = ForwardPass(workers: workers, microBatch: microBatch)
    }

    /// Its own `workers` workers, each with a workspace of `microBatch` rows.
    convenience init(network: Network, workers: Int, microBatch: Int) {
        precondition(workers > 0)
        BLASThreads.useCallingThreadOnly()
        self.init(
            workers: (0..<workers).map { _ in Worker(network: network, capacity: microBatch) },
            crew: WorkerCrew(size: workers), microBatch: microBatch)
    }

    /// Loss sum and hits over every example of `dataset` with `parameters`
    /// (laid out by the workers' `network.layout`).
    func evaluate(_ dataset: Dataset, parameters: UnsafePointer<Float>) -> StepResult {
        let order = (0..<Int32(dataset.count)).map { $0 }
        return order.withUnsafeBufferPointer { order in
            forward.run(dataset, rows: order, parameters: parameters, on: crew, communicator: communicator)
        }
    }
}
