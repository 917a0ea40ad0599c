// The drawing shared by backprop's SVG charts (bench's scaling chart, plot's
// training curves): a panel's frame with its grid, ticks and axis titles, lines
// with point markers, a legend, and the number formatting. Hand-written SVG:
// no charting library exists for Swift on Linux.

import Foundation

enum SVGChart {
    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    static let left = 56.0, right = 20.0, top = 44.0, bottom = 48.0

    /// One panel: data ranges mapped onto its plot area.
    struct Panel {
        var x0: Double, y0: Double, width: Double, height: Double
        var xMin: Double, xMax: Double, yMin: Double, yMax: Double

        var plotWidth: Double { width - SVGChart.left - SVGChart.right }
        var plotHeight: Double { height - SVGChart.top - SVGChart.bottom }
        func px(_ x: Double) -> Double { x0 + SVGChart.left + (x - xMin) / max(xMax - xMin, 1e-12) * plotWidth }
        func py(_ y: Double) -> Double { y0 + SVGChart.top + plotHeight - (y - yMin) / max(yMax - yMin, 1e-12) * plotHeight }

        /// Title, horizontal grid lines every `yStep` with labels, the given x ticks, both axes and their titles.
        func frame(title: String, xTicks: [Double], xTitle: String, yTitle: String, yStep: Double) -> String {
            var svg = "<text x=\"\(fmt(x0 + SVGChart.left + plotWidth / 2))\" y=\"\(fmt(y0 + 22))\" text-anchor=\"middle\" font-size=\"13\">\(escape(title))</text>\n"
            var tick = (yMin / yStep).rounded(.up) * yStep
            while tick <= yMax + 1e-9 * max(1, abs(yMax)) {
                svg += "<line x1=\"\(fmt(px(xMin)))\" y1=\"\(fmt(py(tick)))\" x2=\"\(fmt(px(xMax)))\" y2=\"\(fmt(py(tick)))\" stroke=\"#e5e5e5\"/>\n"
                svg += "<text x=\"\(fmt(px(xMin) - 8))\" y=\"\(fmt(py(tick) + 4))\" text-anchor=\"end\">\(tickLabel(tick, step: yStep))</text>\n"
                tick += yStep
            }
            for x in xTicks {
                svg += "<text x=\"\(fmt(px(x)))\" y=\"\(fmt(py(yMin) + 18))\" text-anchor=\"middle\">\(tickLabel(x, step: 1))</text>\n"
            }
            svg += "<line x1=\"\(fmt(px(xMin)))\" y1=\"\(fmt(py(yMin)))\" x2=\"\(fmt(px(xMax)))\" y2=\"\(fmt(py(yMin)))\" stroke=\"black\"/>\n"
            svg += "<line x1=\"\(fmt(px(xMin)))\" y1=\"\(fmt(py(yMin)))\" x2=\"\(fmt(px(xMin)))\" y2=\"\(fmt(py(yMax)))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(fmt(px(xMin) + plotWidth / 2))\" y=\"\(fmt(py(yMin) + 38))\" text-anchor=\"middle\">\(escape(xTitle))</text>\n"
            svg += "<text transform=\"translate(\(fmt(x0 + 16)),\(fmt(py((yMin + yMax) / 2)))) rotate(-90)\" text-anchor=\"middle\">\(escape(yTitle))</text>\n"
            return svg
        }

        /// A line through `points` (data coordinates) with a dot at each.
        func line(_ points: [(x: Double, y: Double)], colour: String, dashed: Bool = false, markers: Bool = true) -> String {
            guard !points.isEmpty else { return "" }
            let path = points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
            var svg = "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2.5\"\(dashed ? " stroke-dasharray=\"6,4\"" : "")/>\n"
            if markers {
                for p in points { svg += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"3\" fill=\"\(colour)\"/>\n" }
            }
            return svg
        }
    }

    /// The SVG document's opening, a white background and a title.
    static func document(width: Double, height: Double, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(fmt(width / 2))" y="20" text-anchor="middle" font-size="15">\(escape(title))</text>

        """
    }

    /// A legend row at (x, y): a swatch and the name of each entry.
    static func legend(_ entries: [(name: String, colour: String, dashed: Bool)], x: Double, y: Double) -> String {
        var svg = "", x = x
        for entry in entries {
            svg += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x + 24))\" y2=\"\(fmt(y))\" stroke=\"\(entry.colour)\" stroke-width=\"2.5\"\(entry.dashed ? " stroke-dasharray=\"5,4\"" : "")/>\n"
            svg += "<text x=\"\(fmt(x + 30))\" y=\"\(fmt(y + 4))\">\(escape(entry.name))</text>\n"
            x += 40 + 7.5 * Double(entry.name.count)
        }
        return svg
    }

    /// The smallest of 1, 2, 4, 5, 8 times a power of ten at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        var magnitude = pow(10, (log10(value)).rounded(.down) - 1)
        while true {
            for m in [1.0, 2, 4, 5, 8] where m * magnitude >= value * (1 - 1e-12) { return m * magnitude }
            magnitude *= 10
        }
    }

    /// Grid spacing that gives at most 8 lines over `span`.
    static func tickStep(_ span: Double) -> Double {
        guard span > 0, span.isFinite else { return 1 }
        var magnitude = pow(10, (log10(span)).rounded(.down) - 2)
        while true {
            for m in [1.0, 2, 5] where span / (m * magnitude) <= 8 { return m * magnitude }
            magnitude *= 10
        }
    }

    static func tickLabel(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step)).rounded(.up))
        return String(format: "%.\(decimals)f", value)
    }

    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
