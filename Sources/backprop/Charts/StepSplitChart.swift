// Where each point's step time went, as stacked bars under bench's scaling
// chart: one bar per point (model, ranks × workers), compute at the bottom,
// then exchange, then update, in rank 0's milliseconds a step.

import Backprop
import Foundation

enum StepSplitChart {
    static let panelHeight = 300.0, legendHeight = 28.0
    static var phases: [(name: String, colour: String, value: KeyPath<StepTimings, Double>)] {
        [("compute", "#1f77b4", \.compute), ("exchange", "#d62728", \.exchange), ("update", "#2ca02c", \.update)]
    }

    /// A panel of `points` (one scaling mode) at (x0, y0).
    static func panel(_ points: [ScalingPoint], mode: ScalingMode, x0: Double, y0: Double, width: Double) -> String {
        guard !points.isEmpty else { return "" }
        let tallest = points.map { p in phases.map { p.milliseconds($0.value) }.reduce(0, +) }.max() ?? 1
        let yMax = SVGChart.niceCeiling(max(tallest, 1e-3))
        let frame = SVGChart.Panel(x0: x0, y0: y0, width: width, height: panelHeight,
                                   xMin: 0, xMax: Double(points.count), yMin: 0, yMax: yMax)
        let models = Set(points.map(\.modelName)).count
        var svg = "<g>\n"
        svg += frame.frame(title: "\(mode.rawValue) scaling: rank 0's step time", xTicks: [],
                           xTitle: models > 1 ? "model; ranks×workers" : "ranks×workers",
                           yTitle: "ms a step", yStep: SVGChart.tickStep(yMax))
        let slot = frame.plotWidth / Double(points.count)
        for (i, p) in points.enumerated() {
            let x = frame.px(Double(i)) + slot * 0.15
            var base = 0.0
            for phase in phases {
                let ms = p.milliseconds(phase.value)
                let top = frame.py(base + ms), bottom = frame.py(base)
                svg += "<rect x=\"\(SVGChart.fmt(x))\" y=\"\(SVGChart.fmt(top))\" width=\"\(SVGChart.fmt(slot * 0.7))\" height=\"\(SVGChart.fmt(max(0, bottom - top)))\" fill=\"\(phase.colour)\"><title>\(SVGChart.escape(p.modelName)) \(p.ranks)×\(p.workers): \(phase.name) \(String(format: "%.2f", ms)) ms</title></rect>\n"
                base += ms
            }
            svg += "<text x=\"\(SVGChart.fmt(x + slot * 0.35))\" y=\"\(SVGChart.fmt(frame.py(0) + 16))\" text-anchor=\"middle\" font-size=\"10\">\(p.ranks)×\(p.workers)</text>\n"
        }
        return svg + "</g>\n"
    }

    /// One swatch per phase.
    static func legend(x: Double, y: Double) -> String {
        var svg = "", x = x
        for phase in phases {
            svg += "<rect x=\"\(SVGChart.fmt(x))\" y=\"\(SVGChart.fmt(y - 6))\" width=\"24\" height=\"12\" fill=\"\(phase.colour)\"/>\n"
            svg += "<text x=\"\(SVGChart.fmt(x + 30))\" y=\"\(SVGChart.fmt(y + 4))\">\(phase.name)</text>\n"
            x += 40 + 7.5 * Double(phase.name.count)
        }
        return svg
    }
}
