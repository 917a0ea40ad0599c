// `backprop bench` end to end on a tiny model: the table on standard output,
// and the CSV and SVG it writes, from the code that now lives in the CLI.

import Foundation
import Testing
@testable import backprop
import TestSupport

@Suite struct BenchCommandTests {
    @Test func aTinyStudyPrintsATableAndWritesCSVAndSVG() throws {
        let directory = try TestDirectory()
        let csv = directory.path("out/bench.csv"), svg = directory.path("out/bench.svg")
        let run = try BackpropCLI.run([
            "bench", "--models", "8-16-3,8-4-3", "--max-workers", "2", "--steps", "2", "--repeats", "3",
            "--scaling", "strong", "--batch-size", "32", "--csv", csv, "--svg", svg,
        ])
        try #require(run.succeeded, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")

        // The table: a header, then one row per model and worker count, in that order.
        let header = try #require(run.stdoutLines.firstIndex { $0.hasPrefix("model ") }, "\(run)")
        let rows = run.stdoutLines[(header + 1)...].prefix { !$0.hasPrefix("csv:") }
        #expect(rows.map { $0.split(separator: " ").prefix(6).joined(separator: " ") }
                    == ["8-16-3 strong 32 16 1 1", "8-16-3 strong 32 16 1 2", "8-4-3 strong 32 16 1 1", "8-4-3 strong 32 16 1 2"],
                "\(run)")
        #expect(rows.allSatisfy { $0.count == run.stdoutLines[header].count }, "columns do not line up: \(run)")

        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == ScalingCSV.header)
        try #require(lines.count == 5, "\(lines)")
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            try #require(cells.count == 17, "\(line)")
            #expect(cells[6].split(separator: ";").count == 3, "one samples/s per repeat: \(line)")
            let samplesPerSecond = try #require(Double(cells[5]), "\(line)")
            #expect(samplesPerSecond > 0, "\(line)")
            if cells[4] == "1" { #expect(cells[10] == "1.0000", "1 worker is the baseline: \(line)") }
            #expect(cells[12] == "1", "one process is one rank: \(line)")
            // step_ms and its split into compute, exchange (the in-process tree sum) and update.
            let step = try #require(Double(cells[13]), "\(line)")
            let split = try cells[14...16].map { try #require(Double($0), "\(line)") }
            #expect(step > 0 && split.allSatisfy { $0 >= 0 } && split.reduce(0, +) <= step + 0.01, "\(line)")
        }

        let chart = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(chart.hasPrefix("<svg ") && chart.hasSuffix("</svg>\n"))
        #expect(chart.contains(">8-16-3</text>") && chart.contains(">8-4-3</text>") && chart.contains("strong scaling"))
        #expect(!chart.contains("weak scaling"))
        #expect(chart.components(separatedBy: "<polyline").count - 1 == 2, "one line per model")
        #expect(!chart.contains("rank 0's step time"), "the split chart is for runs over several ranks")
    }
}
