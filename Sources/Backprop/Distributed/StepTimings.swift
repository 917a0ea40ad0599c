// Where a rank's step time goes under mpirun: its own shards' forward and
// backward passes (compute), the exchange and cross-rank tree sum of the
// gradient, loss and norms (exchange, which includes waiting for slower
// ranks), and the optimizer update. Measured on rank 0 by the scheduler.

/// Seconds summed over `steps` steps.
public struct StepTimings: Sendable, Equatable {
    public var steps = 0
    public var compute = 0.0
    public var exchange = 0.0
    public var update = 0.0

    public init() {}

    /// "compute 12.1 ms, exchange 3.4 ms, update 0.8 ms a step (…)", the means.
    public var summary: String {
        guard steps > 0 else { return "no steps timed" }
        func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds / Double(steps) * 1000) }
        let total = compute + exchange + update
        let share = total > 0 ? String(format: " (exchange %.0f%%)", 100 * exchange / total) : ""
        return "compute \(ms(compute)), exchange \(ms(exchange)), update \(ms(update)) a step\(share), mean of \(steps) steps"
    }
}
