// The scaling study as a text table for a terminal: one row per point, columns
// wide enough for any value they hold, so rows printed curve by curve as they
// are measured line up under one header. The last four columns are rank 0's
// milliseconds a step and their split.

import Backprop
import Foundation

struct ScalingTable: Sendable {
    static let header = ["model", "scaling", "batch", "micro", "ranks", "workers", "samples/s", "GFLOP/s", "% peak", "speedup", "efficiency",
                              "step ms", "compute", "exchange", "update"]
    let widths: [Int]

    /// A table whose model column fits every name in `modelNames`.
    init(modelNames: [String]) {
        var widths = Self.header.map(\.count)
        widths[0] = max(widths[0], modelNames.map(\.count).max() ?? 0)
        widths[1] = max(widths[1], ScalingMode.allCases.map(\.rawValue.count).max()!)
        widths[6] = max(widths[6], 9)
        self.widths = widths
    }

    var headerLine: String { line(Self.header) }

    /// One line per point, in the order given.
    func rows(_ points: [ScalingPoint]) -> String {
        points.map { line(cells($0)) }.joined()
    }

    func cells(_ p: ScalingPoint) -> [String] {
        [p.modelName, p.mode.rawValue, String(p.batchSize), String(p.microBatch), String(p.ranks), String(p.workers),
         String(format: "%.0f", p.samplesPerSecond.median),
         String(format: "%.1f", p.gigaflops),
         p.sgemmPeak.isFinite ? String(format: "%.1f%%", 100 * p.peakFraction) : "-",
         String(format: "%.2f×", p.speedup),
         String(format: "%.1f%%", 100 * p.efficiency),
         String(format: "%.2f", p.stepSeconds * 1000),
         String(format: "%.2f", p.milliseconds(\.compute)), String(format: "%.2f", p.milliseconds(\.exchange)),
         String(format: "%.2f", p.milliseconds(\.update))]
    }

    /// The first two columns left-aligned, the numbers right-aligned.
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: max(0, widths[c] - cell.count))
            return c < 2 ? cell + pad : pad + cell
        }.joined(separator: "  ") + "\n"
    }
}
