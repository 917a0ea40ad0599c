// `train --tensorboard DIR`: TensorBoard's own readers (the CRC-checking record
// reader and the EventAccumulator) read back the values of the JSON log.

import Foundation
import Testing
import TestSupport

@Suite struct TensorBoardTests {
    @Test func tensorBoardReadsBackTheLoggedValues() throws {
        try Python.require(["tensorboard"])
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let log = directory.path("log.jsonl"), board = directory.path("tb")
        let run = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--epochs", "3", "--validation-split", "0.2",
                                       "--log", log, "--tensorboard", board, "-q"])
        try #require(run.succeeded, "\(run)")
        let script = """
            import sys, glob
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
            for run in ("train", "validation"):
                [path] = glob.glob(sys.argv[1] + "/" + run + "/events.out.tfevents.*")
                records = list(RawEventFileLoader(path, detect_file_replacement=False).Load())
                a = EventAccumulator(sys.argv[1] + "/" + run); a.Reload()
                for tag in ("epoch_loss", "epoch_accuracy"):
                    print(run, tag, len(records), " ".join(f"{s.step}:{s.value!r}" for s in a.Scalars(tag)))
            """
        let result = try Python.run(script, [board])
        try #require(result.succeeded, "\(result)")
        let lines = try readJSONLines(log)
        #expect(lines.count == 3)
        for line in result.stdoutLines {
            let parts = line.split(separator: " ")
            let (run, tag) = (String(parts[0]), String(parts[1]))
            let key = (run == "train" ? "train_" : "validation_") + (tag == "epoch_loss" ? "loss" : "accuracy")
            let values = parts.dropFirst(3).map { $0.split(separator: ":") }
            #expect(values.map { Int($0[0])! } == [1, 2, 3], "\(line)")
            for (value, json) in zip(values, lines) {
                #expect(Float(value[1]) == Float(number(json[key])!), "\(run) \(tag): \(line) vs \(json)")
            }
        }
        #expect(result.stdoutLines.count == 4, "\(result)")
    }

    @Test func anUnwritableDirectoryIsOneLine() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        try Fixtures.writeText("a file", to: directory.path("file"))
        let run = try BackpropCLI.run(["train", data, "--layers", "8,3", "--epochs", "1", "--tensorboard", directory.path("file/tb"), "-q"])
        #expect(run.failedCleanly && run.stderrLines.count == 1 && run.stderr.contains(directory.path("file")), "\(run)")
    }
}
