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

    /// Loss sum and hits over every row of a streamed split, a stage at a time,
    /// each stage's shards added on to the sums of the stages before: bitwise
    /// what `evaluate` gives for the same rows in memory.
    func evaluate(_ split: HeldOutStream, parameters: UnsafePointer<Float>) throws -> StepResult {
        var total = StepResult(lossSum: 0, correct: 0, examples: split.count)
        try split.forEachStage(microBatch: forward.microBatch) { stage, rows in
            forward.run(stage, rows: rows, parameters: parameters, on: crew, communicator: communicator, adding: &total)
        }
        return total
    }

    /// Loss sum and hits over a validation or test split, held in memory or streamed.
    func evaluate(_ split: HeldOutData, parameters: UnsafePointer<Float>) throws -> StepResult {
        switch split {
        case .memory(let dataset): evaluate(dataset, parameters: parameters)
        case .stream(let stream): try evaluate(stream, parameters: parameters)
        }
    }
}
