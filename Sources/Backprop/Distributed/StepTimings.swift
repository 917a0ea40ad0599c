// Where a rank's step time goes under mpirun: its own shards' forward and
// backward passes (compute), the exchange and cross-rank tree sum of the
// gradient, loss and norms (exchange, which includes waiting for slower
// ranks), and the optimizer update. Measured by the scheduler on every step;
// in one process "exchange" is the in-process tree sum of the shards' slots,
// the same phase without the bytes moved between ranks.

/// Seconds summed over `steps` steps.
public struct StepTimings: Sendable, Equatable {
    public var steps = 0
    public var compute = 0.0
    public var exchange = 0.0
    public var update = 0.0

    public init() {}

    mutating func add(compute: UInt64, exchange: UInt64, update: UInt64) {
        steps += 1
        self.compute += Double(compute) / 1e9
        self.exchange += Double(exchange) / 1e9
        self.update += Double(update) / 1e9
    }

    /// The steps and seconds since `earlier`, a reading of the same clock.
    public func since(_ earlier: StepTimings) -> StepTimings {
        var delta = StepTimings()
        delta.steps = steps - earlier.steps
        delta.compute = compute - earlier.compute
        delta.exchange = exchange - earlier.exchange
        delta.update = update - earlier.update
        return delta
    }

    /// compute + exchange + update.
    public var total: Double { compute + exchange + update }

    /// "compute 12.1 ms, exchange 3.4 ms, update 0.8 ms a step (…)", the means.
    public var summary: String {
        guard steps > 0 else { return "no steps timed" }
        func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds / Double(steps) * 1000) }
        let total = compute + exchange + update
        let share = total > 0 ? String(format: " (exchange %.0f%%)", 100 * exchange / total) : ""
        return "compute \(ms(compute)), exchange \(ms(exchange)), update \(ms(update)) a step\(share), mean of \(steps) steps"
    }
}
