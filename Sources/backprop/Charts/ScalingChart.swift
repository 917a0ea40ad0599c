// The scaling study as an SVG chart, written by hand: one panel per scaling
// mode, speedup over 1 worker against the worker count, one line per model,
// the ideal (speedup = workers) dashed, each point labelled with its samples/s.
// Under mpirun the x axis counts ranks × workers, there is one line per model
// and rank count, and a second row of panels (StepSplitChart) stacks each
// point's step time into compute, exchange and update.

import Backprop
import Foundation

enum ScalingChart {
    static let panelWidth = 420.0, panelHeight = 320.0, legendHeight = 28.0

    /// A standalone SVG document; `title` goes above the panels.
    ///
    /// - Parameter split: add a row of panels with each point's step time split
    ///   into compute, exchange and update.
    static func render(_ points: [ScalingPoint], title: String, split: Bool = false) -> String {
        let modes = ScalingMode.allCases.filter { mode in points.contains { $0.mode == mode } }
        // One line per model and rank count; the names only say the ranks when there are several.
        let multiRank = points.contains { $0.ranks > 1 }
        let curves = points.reduce(into: [String]()) { if !$0.contains(curveName($1, multiRank)) { $0.append(curveName($1, multiRank)) } }
        let width = panelWidth * Double(max(modes.count, 1))
        let splitHeight = split ? StepSplitChart.panelHeight + StepSplitChart.legendHeight : 0
        var svg = SVGChart.document(width: width, height: 28 + panelHeight + legendHeight + splitHeight, title: title)
        for (index, mode) in modes.enumerated() {
            svg += panel(points.filter { $0.mode == mode }, mode: mode, curves: curves, multiRank: multiRank,
                         x0: Double(index) * panelWidth, y0: 28)
        }
        // Legend: one swatch per curve, and the ideal.
        let entries = curves.enumerated().map { (name: $1, colour: SVGChart.colours[$0 % SVGChart.colours.count], dashed: false) }
            + [(name: "ideal", colour: "#888", dashed: true)]
        svg += SVGChart.legend(entries, x: SVGChart.left, y: 28 + panelHeight + 14)
        if split {
            let y0 = 28 + panelHeight + legendHeight
            for (index, mode) in modes.enumerated() {
                svg += StepSplitChart.panel(points.filter { $0.mode == mode }, mode: mode,
                                            x0: Double(index) * panelWidth, y0: y0, width: panelWidth)
            }
            svg += StepSplitChart.legend(x: SVGChart.left, y: y0 + StepSplitChart.panelHeight + 14)
        }
        return svg + "</svg>\n"
    }

    /// The legend's name of the line through `point`: its model, and its rank count under mpirun.
    static func curveName(_ point: ScalingPoint, _ multiRank: Bool) -> String {
        multiRank ? "\(point.modelName), \(point.ranks) rank\(point.ranks == 1 ? "" : "s")" : point.modelName
    }

    private static func panel(_ points: [ScalingPoint], mode: ScalingMode, curves: [String], multiRank: Bool,
                              x0: Double, y0: Double) -> String {
        let maxWorkers = max(points.map(\.totalWorkers).max() ?? 1, 2)
        let yMax = niceCeiling(max(Double(maxWorkers), points.map(\.speedup).filter(\.isFinite).max() ?? 1))
        let frame = SVGChart.Panel(x0: x0, y0: y0, width: panelWidth, height: panelHeight,
                                   xMin: 1, xMax: Double(maxWorkers), yMin: 0, yMax: yMax)
        func px(_ workers: Double) -> Double { frame.px(workers) }
        func py(_ speedup: Double) -> Double { frame.py(speedup) }

        let batches = points.first.map { mode == .strong ? "m = \($0.batchSize)" : "m = \($0.batchSize / $0.totalWorkers) × workers" } ?? ""
        var svg = "<g>\n"
        svg += frame.frame(title: "\(mode.rawValue) scaling (\(batches))", xTicks: (1...maxWorkers).map(Double.init),
                           xTitle: multiRank ? "ranks × workers" : "workers", yTitle: "speedup over 1 worker", yStep: tickStep(yMax))
        // Ideal: speedup = workers.
        svg += "<line x1=\"\(fmt(px(1)))\" y1=\"\(fmt(py(1)))\" x2=\"\(fmt(px(Double(maxWorkers))))\" y2=\"\(fmt(py(Double(maxWorkers))))\" stroke=\"#888\" stroke-dasharray=\"5,4\"/>\n"
        // One line per model; each point labelled with its samples/s, the labels
        // of one worker count stacked so that they never overlap.
        var labels: [Int: [(y: Double, text: String, colour: String)]] = [:]
        for (i, name) in curves.enumerated() {
            let curve = points.filter { curveName($0, multiRank) == name }.sorted { $0.totalWorkers < $1.totalWorkers }
            guard !curve.isEmpty else { continue }
            let colour = SVGChart.colours[i % SVGChart.colours.count]
            svg += frame.line(curve.map { (Double($0.totalWorkers), $0.speedup) }, colour: colour)
            for p in curve {
                labels[p.totalWorkers, default: []].append((py(p.speedup), "\(compact(p.samplesPerSecond.median))/s", colour))
            }
        }
        for (workers, column) in labels {
            let anchor = workers == maxWorkers ? "end" : "start"
            let x = px(Double(workers)) + (anchor == "end" ? -8 : 8)
            // Below the first point, above the others: the lines rise to the right.
            let offset = workers == 1 ? 16.0 : -8.0
            for (y, label) in zip(spread(column.map { $0.y + offset }, gap: 13), column) {
                svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" text-anchor=\"\(anchor)\" fill=\"\(label.colour)\" font-size=\"11\">\(label.text)</text>\n"
            }
        }
        return svg + "</g>\n"
    }

    /// `positions` moved as little as needed to be at least `gap` apart, in their order by value.
    static func spread(_ positions: [Double], gap: Double) -> [Double] {
        let order = positions.indices.sorted { positions[$0] < positions[$1] }
        var result = positions
        for (k, index) in order.enumerated() where k > 0 {
            result[index] = max(result[index], result[order[k - 1]] + gap)
        }
        return result
    }

    /// The smallest of 1, 2, 4, 5, 8, 10, 16, … at or above `value`.
    static func niceCeiling(_ value: Double) -> Double { SVGChart.niceCeiling(value) }

    /// Grid spacing that gives at most 8 lines up to `yMax` (at least 0.5).
    static func tickStep(_ yMax: Double) -> Double { max(0.5, SVGChart.tickStep(yMax)) }

    /// 83525 → "83.5k".
    static func compact(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: "%.0f", value)
    }

    static func fmt(_ value: Double) -> String { SVGChart.fmt(value) }
}
