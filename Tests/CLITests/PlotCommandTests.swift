// `backprop plot`: a --log file and a checkpoint give the same chart, which
// rsvg-convert renders; bad input is one line and writes nothing.

import Foundation
import Testing
import TestSupport

@Suite struct PlotCommandTests {
    @Test func aLogAndACheckpointGiveTheSameChartAndItRenders() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let log = directory.path("run.jsonl"), checkpoint = directory.path("run.h5")
        let train = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--epochs", "4", "--validation-split", "0.2",
                                         "--log", log, "--checkpoint", checkpoint, "-q"])
        try #require(train.succeeded, "\(train)")
        for (input, output) in [(log, "a.svg"), (checkpoint, "b.svg")] {
            let run = try BackpropCLI.run(["plot", input, "-o", directory.path(output)])
            #expect(run.succeeded, "\(run)")
        }
        let a = try String(contentsOfFile: directory.path("a.svg"), encoding: .utf8)
        let b = try String(contentsOfFile: directory.path("b.svg"), encoding: .utf8)
        // The same curves; only the title (the file name) differs.
        #expect(a.replacingOccurrences(of: ">run.jsonl<", with: ">run.h5<") == b)
        // Loss: train, validation, test; accuracy: the same three; learning rate: one.
        #expect(a.components(separatedBy: "<polyline").count - 1 == 7)
        #expect(a.contains(">validation</text>") && a.contains(">learning rate</text>"))
        let render = try BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/env"),
                                                ["rsvg-convert", directory.path("a.svg"), "-o", directory.path("a.png")])
        try #require(render.succeeded, "rsvg-convert failed (scripts/setup installs librsvg2-bin): \(render)")
        let png = try Fixtures.bytes(of: directory.path("a.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
    }

    @Test func badInputGetsOneLineAndWritesNothing() throws {
        let directory = try TestDirectory()
        try Fixtures.writeText("{\"epoch\": 1, \"train_loss\": 1}\nnot json\n", to: directory.path("bad.jsonl"))
        try Fixtures.writeText("", to: directory.path("empty.jsonl"))
        for (input, message) in [("bad.jsonl", "line 2 is not a JSON object"), ("empty.jsonl", "records no completed epoch"),
                                 ("missing.jsonl", "cannot be read")] {
            let run = try BackpropCLI.run(["plot", directory.path(input), "-o", directory.path("out.svg")])
            #expect(run.failedCleanly && run.stderrLines.count == 1, "\(run)")
            #expect(run.stderr.contains(directory.path(input)) && run.stderr.contains(message), "\(run)")
        }
        #expect(try directory.contents() == ["bad.jsonl", "empty.jsonl"])
    }
}
