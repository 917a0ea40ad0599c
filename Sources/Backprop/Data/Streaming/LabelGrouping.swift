// Whether a split's class labels are sorted or grouped, judged from y alone:
// a streamed epoch mixes only the blocks resident at once, so on a file sorted
// by class most minibatches would hold a few classes (the note's measurement:
// mixing ≤ 4 blocks of class-sorted Fashion-MNIST trains to chance).

public struct LabelGrouping: Sendable, Equatable {
    /// Mean total-variation distance between the label histogram of each run of
    /// `windowRows` consecutive rows and the histogram of the whole split: about
    /// 0 for shuffled labels, near 1 for labels sorted by class.
    public let distance: Double
    public let windowRows: Int

    /// Above this, `train` warns: shuffled files of 10 classes measure under 0.1
    /// with windows of 1024 rows; sorted ones 0.9.
    public static let warningThreshold = 0.3

    public var looksGrouped: Bool { distance > Self.warningThreshold }

    /// Measures `labels` in windows of up to 1024 rows (at least 4 windows);
    /// nil when there are fewer than 2 classes or too few rows to judge.
    public init?(labels: [Int32]) {
        let classes = Int(labels.max() ?? 0) + 1
        guard classes >= 2, labels.count >= 64 else { return nil }
        windowRows = max(16, min(1024, labels.count / 4))
        var global = [Double](repeating: 0, count: classes)
        for label in labels { global[Int(label)] += 1 }
        for c in 0..<classes { global[c] /= Double(labels.count) }
        var total = 0.0, windows = 0
        var counts = [Double](repeating: 0, count: classes)
        var start = 0
        while start + windowRows <= labels.count {
            for c in 0..<classes { counts[c] = 0 }
            for r in start..<start + windowRows { counts[Int(labels[r])] += 1 }
            var tv = 0.0
            for c in 0..<classes { tv += abs(counts[c] / Double(windowRows) - global[c]) }
            total += tv / 2
            windows += 1
            start += windowRows
        }
        distance = total / Double(windows)
    }
}
