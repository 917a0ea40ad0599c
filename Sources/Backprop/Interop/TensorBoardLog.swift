// TensorBoard event files, as Keras's TensorBoard callback lays them out: runs
// DIR/train and DIR/validation, scalars epoch_loss and epoch_accuracy per epoch
// (and epoch_learning_rate in train), so Backprop's runs overlay Keras's.
//
// A file is a sequence of records: uint64 length, uint32 masked CRC-32C of the
// length, the data, uint32 masked CRC-32C of the data (little-endian). Each
// record's data is an Event protobuf: wall_time = 1 (double), step = 2 (int64),
// file_version = 3 (string), summary = 5 { value = 1 { tag = 1, simple_value = 2 (float) } }.
// (tensorflow/core/util/event.proto, summary.proto.)

import Foundation
import Glibc

/// Appends a training run's epoch figures to TensorBoard event files.
public final class TensorBoardLog {
    public let directory: String
    private var files: [String: Int32] = [:]

    /// Creates `directory`/train and /validation, each with a new event file.
    ///
    /// - Throws: `SystemCallError` naming the file that cannot be created.
    public init(directory: String) throws {
        self.directory = directory
        let host = ProcessInfo.processInfo.hostName
        let time = Int(Date().timeIntervalSince1970)
        for run in ["train", "validation"] {
            let folder = "\(directory)/\(run)"
            try SystemCall.makeDirectories(folder)
            let path = "\(folder)/events.out.tfevents.\(time).\(host).\(getpid()).v2"
            files[run] = try SystemCall.check("open", path: path) { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
            var event = ProtobufWriter()
            event.double(1, Date().timeIntervalSince1970)
            event.string(3, "brain.Event:2")
            try write(event.bytes, to: run)
        }
    }

    deinit { for (_, d) in files { _ = close(d) } }

    /// Logs one epoch: train loss, accuracy and learning rate; validation loss
    /// and accuracy when the run has validation data. Step = the epoch number, as Keras.
    public func append(_ record: EpochRecord) throws {
        try scalars(["epoch_loss": record.trainLoss, "epoch_accuracy": record.trainAccuracy,
                     "epoch_learning_rate": record.learningRate], step: record.epoch, run: "train")
        if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
            try scalars(["epoch_loss": loss, "epoch_accuracy": accuracy], step: record.epoch, run: "validation")
        }
    }

    private func scalars(_ values: [String: Double], step: Int, run: String) throws {
        let now = Date().timeIntervalSince1970
        for (tag, value) in values.sorted(by: { $0.key < $1.key }) {
            var event = ProtobufWriter()
            event.double(1, now)
            event.int(2, step)
            event.message(5) { summary in
                summary.message(1) { v in v.string(1, tag); v.float(2, Float(value)) }
            }
            try write(event.bytes, to: run)
        }
    }

    private func write(_ data: [UInt8], to run: String) throws {
        var length = [UInt8]()
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length.append(contentsOf: $0) }
        var record = length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { record.append(contentsOf: $0) }
        record += data
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { record.append(contentsOf: $0) }
        let descriptor = files[run]!, path = "\(directory)/\(run)"
        var done = 0
        while done < record.count {
            done += try record.withUnsafeBytes { buffer in
                try SystemCall.check("write", path: path) { Glibc.write(descriptor, buffer.baseAddress! + done, record.count - done) }
            }
        }
    }
}
