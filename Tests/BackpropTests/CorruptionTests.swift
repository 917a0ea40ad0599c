// A checkpoint with any byte changed is refused in one line naming the file,
// never read as different numbers and never a crash: the header's CRC-32
// covers every byte after it, and the header itself must be exactly what a
// writer produces. Also: truncated and extended files, a header from the future.

import Foundation
import Testing
@_spi(Benchmarking) @testable import Backprop

@Suite struct CorruptionTests {
    /// An Adam run stopped mid-epoch with early stopping's memory: every kind
    /// of dataset and attribute a checkpoint has.
    static let original: (checkpoint: Checkpoint, bytes: [UInt8]) = {
        let architecture = try! Architecture(layerSizes: [6, 9, 3], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)
        let splits = try! DatasetSplits(train: syntheticClassification(count: 60, features: 6, classes: 3), test: nil, validation: nil)
            .holdingOut(fraction: 0.2, seed: 3)
        var c = TrainingConfiguration()
        c.optimizerKind = .adam
        c.epochs = 5
        c.batchSize = 8
        c.earlyStoppingPatience = 4
        c.workers = 1
        let trainer = try! Trainer(architecture: architecture, configuration: c, train: splits.train, validation: splits.validation)
        try! trainer.fit(shouldStop: { trainer.globalStep >= 15 })
        let checkpoint = Checkpoint(trainer: trainer, dataset: "/data/x.h5", log: "/runs/x.jsonl")
        let file = TemporaryCheckpoint()
        try! checkpoint.write(to: file.path)
        return (checkpoint, [UInt8](try! Data(contentsOf: URL(fileURLWithPath: file.path))))
    }()

    enum Outcome: Equatable {
        case refused(String)
        case readBackExactly
        case readBackDifferent
    }

    /// Writes `bytes` as a checkpoint file and reads it, or with `inMemory`
    /// reads them as the bytes of one (the same checks, without the disk).
    func read(_ bytes: [UInt8], at path: String, inMemory: Bool = false) throws -> Outcome {
        if !inMemory { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        do {
            let read = try inMemory ? Checkpoint.read(contents: bytes, path: path) : Checkpoint.read(from: path)
            let original = Self.original.checkpoint
            let same = read.architecture == original.architecture && read.configuration == original.configuration
                && read.state == original.state && bitDifference(read.state.parameters, original.state.parameters) == nil
                && read.dataset == original.dataset && read.log == original.log
            return same ? .readBackExactly : .readBackDifferent
        } catch let error as CheckpointError {
            #expect(error.file == path && !error.description.contains("\n"), "\(error)")
            return .refused(error.message)
        }
    }

    @Test func theIntactFileReadsBackExactly() throws {
        let file = TemporaryCheckpoint()
        #expect(try read(Self.original.bytes, at: file.path) == .readBackExactly)
        #expect(Self.original.bytes.starts(with: Array("backprop checkpoint\nformat 3\nlength ".utf8)))
    }

    /// Every byte of the first 4 KiB (the header, HDF5's superblock and object
    /// headers, where the issue's damage was), then a spread of bytes after,
    /// each changed alone to another value. Read from memory, to test some
    /// 5000 files in well under a second; the tests below go through the disk.
    @Test func everyChangedByteIsRefused() throws {
        let file = TemporaryCheckpoint()
        let bytes = Self.original.bytes
        var generator = RandomGenerator(seed: 11, stream: 1)
        var positions = Array(0..<min(4096, bytes.count))
        positions += stride(from: 4096, to: bytes.count, by: 37)
        for position in positions {
            var damaged = bytes
            damaged[position] ^= UInt8(1 + generator.nextIndex(below: 255))
            let outcome = try read(damaged, at: file.path, inMemory: true)
            guard case .refused(let message) = outcome else {
                Issue.record("byte \(position) changed: \(outcome)")
                continue
            }
            let named = message.hasPrefix("checksum mismatch") || message.hasPrefix("damaged checkpoint")
                || message.contains("not an HDF5 file") || message.hasPrefix("written in checkpoint format")
            #expect(named, "byte \(position): \(message)")
        }
    }

    /// The issue's kind of damage: a few random bytes set to random values,
    /// mostly in the first 4 KiB.
    @Test func randomDamageIsRefusedOrReadsBackExactly() throws {
        let file = TemporaryCheckpoint()
        let bytes = Self.original.bytes
        var generator = RandomGenerator(seed: 12, stream: 2)
        var refused = 0
        for _ in 0..<300 {
            var damaged = bytes
            let count = 1 + generator.nextIndex(below: 8)
            for _ in 0..<count {
                let range = generator.nextIndex(below: 4) < 3 ? min(4096, bytes.count) : bytes.count
                damaged[generator.nextIndex(below: range)] = UInt8(generator.nextIndex(below: 256))
            }
            switch try read(damaged, at: file.path) {
            case .refused: refused += 1
            case .readBackExactly: #expect(damaged == bytes, "changed bytes read back as the original")
            case .readBackDifferent: Issue.record("damaged bytes read back as different numbers")
            }
        }
        #expect(refused > 280, "only \(refused) of 300 refused")
    }

    @Test func truncatedOrExtendedFilesAreRefused() throws {
        let file = TemporaryCheckpoint()
        let bytes = Self.original.bytes
        for length in [0, 1, 100, 511, 512, 513, 520, 1024, bytes.count / 2, bytes.count - 1] {
            guard case .refused = try read(Array(bytes.prefix(length)), at: file.path) else {
                Issue.record("a file cut to \(length) bytes was read")
                continue
            }
        }
        guard case .refused(let message) = try read(bytes + [0], at: file.path) else {
            Issue.record("a file with a byte appended was read")
            return
        }
        #expect(message.contains("truncated or appended to"), "\(message)")
    }

    @Test func aHeaderOfANewerFormatIsRefusedByName() throws {
        let file = TemporaryCheckpoint()
        let body = Array(Self.original.bytes.dropFirst(CheckpointHeader.size))
        let future = CheckpointHeader(format: Checkpoint.formatVersion + 1, sealing: body).bytes + body
        #expect(try read(future, at: file.path) == .refused("written in checkpoint format \(Checkpoint.formatVersion + 1), newer than this backprop reads (\(Checkpoint.formatVersion)); upgrade backprop"))
    }

    @Test func aFormatOneFileClaimingFormatTwoIsRefused() throws {
        // Format 2 inside, but the header stripped: not a file backprop writes.
        let file = TemporaryCheckpoint()
        let body = Array(Self.original.bytes.dropFirst(CheckpointHeader.size))
        guard case .refused(let message) = try read(body, at: file.path) else {
            Issue.record("a headerless format-2 file was read")
            return
        }
        #expect(message.contains("no checksum header"), "\(message)")
    }
}
