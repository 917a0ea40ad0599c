// The scaling study as CSV: one row per point, every repeat kept. Columns added
// since the first version (ranks and the step's split) go at the end, so that
// scripts reading the earlier columns by position keep working.

import Backprop
import Foundation

enum ScalingCSV {
    static let header =
        "model,scaling,batch,micro_batch,workers,samples_per_s,samples_per_s_runs,gflops,sgemm_peak_gflops,peak_percent,speedup,efficiency,ranks,step_ms,compute_ms,exchange_ms,update_ms"

    /// The header and one line per point; the runs column lists every repeat's
    /// samples/s separated by semicolons. `workers` is per rank; step_ms and
    /// its split are rank 0's, from the repeat of median samples/s.
    static func render(_ points: [ScalingPoint]) -> String {
        var lines = [header]
        for p in points {
            let runs = p.samplesPerSecond.values.map { String(format: "%.1f", $0) }.joined(separator: ";")
            lines.append([
                p.modelName, p.mode.rawValue, String(p.batchSize), String(p.microBatch), String(p.workers),
                String(format: "%.1f", p.samplesPerSecond.median), runs,
                String(format: "%.3f", p.gigaflops), String(format: "%.3f", p.sgemmPeak),
                String(format: "%.2f", 100 * p.peakFraction),
                String(format: "%.4f", p.speedup), String(format: "%.4f", p.efficiency),
                String(p.ranks), String(format: "%.3f", p.stepSeconds * 1000),
                String(format: "%.3f", p.milliseconds(\.compute)), String(format: "%.3f", p.milliseconds(\.exchange)),
                String(format: "%.3f", p.milliseconds(\.update)),
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
