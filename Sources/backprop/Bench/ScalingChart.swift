// The scaling study as an SVG chart, written by hand: one panel per scaling
// mode, speedup over 1 worker against the worker count, one line per model,
// the ideal (speedup = workers) dashed, each point labelled with its samples/s.

import Backprop
import Foundation

enum ScalingChart {
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    static let panelWidth = 420.0, panelHeight = 320.0
    static let left = 56.0, right = 20.0, top = 44.0, bottom = 48.0, legendHeight = 28.0

    /// A standalone SVG document; `title` goes above the panels.
    static func render(_ points: [ScalingPoint], title: String) -> String {
        let modes = ScalingMode.allCases.filter { mode in points.contains { $0.mode == mode } }
        let models = points.reduce(into: [String]()) { if !$0.contains($1.modelName) { $0.append($1.modelName) } }
        let width = panelWidth * Double(max(modes.count, 1))
        let height = 28 + panelHeight + legendHeight
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(fmt(width / 2))" y="20" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        for (index, mode) in modes.enumerated() {
            svg += panel(points.filter { $0.mode == mode }, mode: mode, models: models,
                         x0: Double(index) * panelWidth, y0: 28)
        }
        // Legend: one swatch per model.
        var x = left
        let y = 28 + panelHeight + 14
        for (i, model) in models.enumerated() {
            let colour = colours[i % colours.count]
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x + 24))\" y2=\"\(fmt(y))\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>\n"
            svg += "<text x=\"\(fmt(x + 30))\" y=\"\(fmt(y + 4))\">\(escape(model))</text>\n"
            x += 40 + 7.5 * Double(model.count)
        }
        svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x + 24))\" y2=\"\(fmt(y))\" stroke=\"#888\" stroke-dasharray=\"5,4\"/>\n"
        svg += "<text x=\"\(fmt(x + 30))\" y=\"\(fmt(y + 4))\">ideal</text>\n"
        return svg + "</svg>\n"
    }

    private static func panel(_ points: [ScalingPoint], mode: ScalingMode, models: [String], x0: Double, y0: Double) -> String {
        let maxWorkers = max(points.map(\.workers).max() ?? 1, 2)
        let yMax = niceCeiling(max(Double(maxWorkers), points.map(\.speedup).filter(\.isFinite).max() ?? 1))
        let plotWidth = panelWidth - left - right, plotHeight = panelHeight - top - bottom
        func px(_ workers: Double) -> Double { x0 + left + (workers - 1) / Double(maxWorkers - 1) * plotWidth }
        func py(_ speedup: Double) -> Double { y0 + top + plotHeight - speedup / yMax * plotHeight }

        let batches = points.first.map { mode == .strong ? "m = \($0.batchSize)" : "m = \($0.batchSize / $0.workers) × workers" } ?? ""
        var svg = "<g>\n"
        svg += "<text x=\"\(fmt(x0 + left + plotWidth / 2))\" y=\"\(fmt(y0 + 22))\" text-anchor=\"middle\" font-size=\"13\">\(mode.rawValue) scaling (\(escape(batches)))</text>\n"
        // Grid and axes.
        let step = tickStep(yMax)
        var tick = 0.0
        while tick <= yMax + 1e-9 {
            svg += "<line x1=\"\(fmt(px(1)))\" y1=\"\(fmt(py(tick)))\" x2=\"\(fmt(px(Double(maxWorkers))))\" y2=\"\(fmt(py(tick)))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(fmt(px(1) - 8))\" y=\"\(fmt(py(tick) + 4))\" text-anchor=\"end\">\(String(format: step < 1 ? "%.1f" : "%.0f", tick))</text>\n"
            tick += step
        }
        for w in 1...maxWorkers {
            svg += "<text x=\"\(fmt(px(Double(w))))\" y=\"\(fmt(py(0) + 18))\" text-anchor=\"middle\">\(w)</text>\n"
        }
        svg += "<line x1=\"\(fmt(px(1)))\" y1=\"\(fmt(py(0)))\" x2=\"\(fmt(px(Double(maxWorkers))))\" y2=\"\(fmt(py(0)))\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(fmt(px(1)))\" y1=\"\(fmt(py(0)))\" x2=\"\(fmt(px(1)))\" y2=\"\(fmt(py(yMax)))\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(fmt(px(1) + plotWidth / 2))\" y=\"\(fmt(py(0) + 38))\" text-anchor=\"middle\">workers</text>\n"
        svg += "<text transform=\"translate(\(fmt(x0 + 16)),\(fmt(py(yMax / 2)))) rotate(-90)\" text-anchor=\"middle\">speedup over 1 worker</text>\n"
        // Ideal: speedup = workers.
        svg += "<line x1=\"\(fmt(px(1)))\" y1=\"\(fmt(py(1)))\" x2=\"\(fmt(px(Double(maxWorkers))))\" y2=\"\(fmt(py(Double(maxWorkers))))\" stroke=\"#888\" stroke-dasharray=\"5,4\"/>\n"
        // One line per model; each point labelled with its samples/s, the labels
        // of one worker count stacked so that they never overlap.
        var labels: [Int: [(y: Double, text: String, colour: String)]] = [:]
        for (i, model) in models.enumerated() {
            let curve = points.filter { $0.modelName == model }.sorted { $0.workers < $1.workers }
            guard !curve.isEmpty else { continue }
            let colour = colours[i % colours.count]
            let path = curve.map { "\(fmt(px(Double($0.workers)))),\(fmt(py($0.speedup)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>\n"
            for p in curve {
                let x = px(Double(p.workers)), y = py(p.speedup)
                svg += "<circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"3.5\" fill=\"\(colour)\"/>\n"
                labels[p.workers, default: []].append((y, "\(compact(p.samplesPerSecond.median))/s", colour))
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
    static func niceCeiling(_ value: Double) -> Double {
        var magnitude = 1.0
        while true {
            for m in [1.0, 2, 4, 5, 8] where m * magnitude >= value { return m * magnitude }
            magnitude *= 10
        }
    }

    /// Grid spacing that gives at most 8 lines up to `yMax`.
    static func tickStep(_ yMax: Double) -> Double {
        for step in [0.5, 1, 2, 5, 10, 20, 50] where yMax / step <= 8 { return step }
        return yMax / 8
    }

    /// 83525 → "83.5k".
    static func compact(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.1fk", value / 1000) : String(format: "%.0f", value)
    }

    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
