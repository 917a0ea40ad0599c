// `backprop plot LOG.jsonl|CHECKPOINT -o curves.svg`: loss, accuracy and the
// learning rate per epoch, for train, validation and test, as an SVG chart.

import ArgumentParser
import Backprop
import Foundation

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Draw a run's loss, accuracy and learning rate per epoch as SVG.",
        discussion: """
            The run is a --log file (JSON lines) or a checkpoint (its history). Example:
              backprop plot runs/fmnist.jsonl -o curves.svg
            """)

    @Argument(help: ArgumentHelp("A train --log file or a checkpoint.", valueName: "log.jsonl|checkpoint.h5"))
    var source: String

    @Option(name: .customShort("o"), help: ArgumentHelp("The SVG file to write.", valueName: "curves.svg"))
    var output: String

    func validate() throws {
        guard output.hasSuffix(".svg") else { throw ValidationError("-o \(output): expected a file ending in .svg") }
    }

    func run() throws {
        try reportingFailures {
            let history = try Self.history(of: source)
            guard !history.isEmpty else { throw DatasetError(file: source, "records no completed epoch; nothing to plot") }
            let name = URL(fileURLWithPath: source).lastPathComponent
            try OutputFile.write([Array(CurvesChart.render(history, title: name).utf8)], to: output)
        }
    }

    /// The epochs of a JSON-lines log, or of a checkpoint's history.
    static func history(of path: String) throws -> [EpochRecord] {
        if HDF5Sniff.isHDF5OrCheckpoint(path) { return try Checkpoint.read(from: path).state.history }
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError(file: path, "cannot be read") }
        var records: [EpochRecord] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let epoch = object["epoch"] as? Int else {
                throw DatasetError(file: path, "line \(index + 1) is not a JSON object of a training epoch (a train --log line)")
            }
            func value(_ key: String) -> Double? {
                if let n = object[key] as? NSNumber { return n.doubleValue }
                if let s = object[key] as? String { return Double(s) }
                return nil
            }
            var record = EpochRecord(
                epoch: epoch, step: object["step"] as? Int ?? 0, trainLoss: value("train_loss") ?? .nan,
                trainAccuracy: value("train_accuracy") ?? .nan, testLoss: value("test_loss"), testAccuracy: value("test_accuracy"),
                samplesPerSecond: value("samples_per_second") ?? .nan, seconds: value("seconds") ?? .nan,
                learningRate: value("learning_rate") ?? .nan)
            record.validationLoss = value("validation_loss")
            record.validationAccuracy = value("validation_accuracy")
            records.append(record)
        }
        return records
    }
}

/// Whether a file starts as a checkpoint or an HDF5 file does.
enum HDF5Sniff {
    static func isHDF5OrCheckpoint(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 32)) ?? Data())
        return head.starts(with: [0x89, 0x48, 0x44, 0x46]) || head.starts(with: Array("backprop checkpoint".utf8))
    }
}
