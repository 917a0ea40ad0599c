// Training curves as an SVG chart: loss, accuracy and learning rate per epoch,
// one line per split (train, validation, test), drawn with SVGChart.

import Backprop
import Foundation

enum CurvesChart {
    static let panelWidth = 420.0, panelHeight = 320.0, legendHeight = 28.0
    static let splits: [(name: String, colour: String)] = [("train", "#1f77b4"), ("validation", "#ff7f0e"), ("test", "#2ca02c")]

    static func render(_ history: [EpochRecord], title: String) -> String {
        let metrics: [(title: String, values: [String: (EpochRecord) -> Double?])] = [
            ("loss", ["train": { $0.trainLoss }, "validation": { $0.validationLoss }, "test": { $0.testLoss }]),
            ("accuracy", ["train": { $0.trainAccuracy }, "validation": { $0.validationAccuracy }, "test": { $0.testAccuracy }]),
            ("learning rate", ["train": { $0.learningRate }]),
        ]
        let epochs = history.map { Double($0.epoch) }
        let (xMin, xMax) = (epochs.min() ?? 0, max(epochs.max() ?? 1, (epochs.min() ?? 0) + 1))
        var svg = SVGChart.document(width: panelWidth * 3, height: 28 + panelHeight + legendHeight, title: title)
        for (index, metric) in metrics.enumerated() {
            var series: [(colour: String, points: [(x: Double, y: Double)])] = []
            for split in splits {
                guard let value = metric.values[split.name] else { continue }
                var points: [(x: Double, y: Double)] = []
                for record in history {
                    if let y = value(record), y.isFinite { points.append((x: Double(record.epoch), y: y)) }
                }
                if !points.isEmpty { series.append((colour: split.colour, points: points)) }
            }
            let ys: [Double] = series.flatMap { $0.points.map { $0.y } }
            var (yMin, yMax) = (min(0, ys.min() ?? 0), ys.max() ?? 1)
            if metric.title == "accuracy" { (yMin, yMax) = (0, 1) } else { yMax = SVGChart.niceCeiling(yMax) }
            if yMax <= yMin { yMax = yMin + 1 }
            let panel = SVGChart.Panel(x0: Double(index) * panelWidth, y0: 28, width: panelWidth, height: panelHeight,
                                       xMin: xMin, xMax: xMax, yMin: yMin, yMax: yMax)
            let tickEvery = Double(max(1, Int((xMax - xMin) / 10)))
            let xTicks: [Double] = Array(stride(from: xMin, through: xMax, by: tickEvery))
            svg += "<g>\n" + panel.frame(title: metric.title, xTicks: xTicks,
                                         xTitle: "epoch", yTitle: metric.title, yStep: SVGChart.tickStep(yMax - yMin))
            for line in series { svg += panel.line(line.points, colour: line.colour) }
            svg += "</g>\n"
        }
        let present = splits.filter { split in
            history.contains { split.name == "train" || (split.name == "validation" ? $0.validationLoss != nil : $0.testLoss != nil) }
        }
        svg += SVGChart.legend(present.map { ($0.name, $0.colour, false) }, x: SVGChart.left, y: 28 + panelHeight + 14)
        return svg + "</svg>\n"
    }
}
