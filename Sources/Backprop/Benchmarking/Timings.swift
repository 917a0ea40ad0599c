// Repeated timings of one thing, summarised by their median: on a shared
// machine a neighbour's burst slows some runs a lot and speeds up none, so
// the median is steadier than the mean and the runs are kept for the record.
// `package`, not public: SgemmPeak and `backprop bench` use it, a user does not.

/// The values of repeated measurements, in the order they were taken.
package struct Timings: Sendable, Equatable {
    package let values: [Double]

    package init(_ values: [Double]) {
        precondition(!values.isEmpty, "no timings")
        self.values = values
    }

    /// The middle value (the mean of the two middle ones for an even count).
    package var median: Double {
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    package var maximum: Double { values.max()! }
}
