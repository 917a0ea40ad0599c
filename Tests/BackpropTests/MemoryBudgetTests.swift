// Sizes are checked before memory is taken: overflow-safe size arithmetic, a
// dataset's layout read without its data, and architectures too large to hold.
// (The end-to-end cases, a huge declared dataset and --layers 100000,100000,10,
// run the binary in CLITests/SizeLimitTests.swift.)

@testable import Backprop
import Foundation
import HDF5
import Testing

@Suite struct MemoryBudgetTests {
    @Test func sizeArithmeticReportsOverflowInsteadOfTrapping() {
        #expect(MemoryBudget.product([10_000_000_000, 784, 4]) == 31_360_000_000_000)
        #expect(MemoryBudget.product([1 << 62, 784]) == nil)
        #expect(MemoryBudget.product([-1, 4]) == nil)
        #expect(MemoryBudget.sum([Int.max, 1]) == nil)
        #expect(MemoryBudget.sum([3, nil]) == nil)
        #expect(MemoryBudget.sum([3, 4]) == 7)
    }

    @Test func theBudgetIsThisMachinesMemoryAndTheErrorGivesBothFigures() throws {
        let available = MemoryBudget.available
        #expect(available.bytes > 1 << 26 && available.bytes < Int.max, "\(available)")
        try MemoryBudget.check(available.bytes, for: "exactly everything")
        let error = try #require(throws: MemoryError.self) {
            try MemoryBudget.check(available.bytes + 1, for: "one byte more")
        }
        #expect(error.description.hasPrefix("one byte more needs \(available.bytes + 1) bytes"), "\(error)")
        #expect(error.description.contains("is \(available.bytes) bytes"), "\(error)")
        let overflow = try #require(throws: MemoryError.self) { try MemoryBudget.check(nil, for: "too many") }
        #expect(overflow.description.contains("overflows"), "\(overflow)")
    }

    @Test func parametersThatCannotFitAreRefusedWithTheBytesNeeded() throws {
        // 100000·100000 + 100000 + 10·100000 + 10 parameters, 4 bytes each: 40 GB.
        let error = try #require(throws: ConfigurationError.self) {
            try Architecture(layerSizes: [100_000, 100_000, 10], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        }
        #expect(error.message.contains("10001100010 float32 parameters"), "\(error)")
        if MemoryBudget.available.bytes < 40_004_400_040 {
            #expect(error.message.contains("needs 40004400040 bytes"), "\(error)")
        }
        let overflow = try #require(throws: ConfigurationError.self) {
            try Architecture(layerSizes: [784, Int.max, 10], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        }
        #expect(overflow.message.contains("overflows"), "\(overflow)")
        // A network of ordinary size is unaffected.
        let ordinary = try Architecture(layerSizes: [784, 256, 10], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
        #expect(ParameterLayout(ordinary).count == 784 * 256 + 256 + 256 * 10 + 10)
    }

    @Test func everyLeakyReLUSlopeIsChecked() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try Architecture(layerSizes: [4, 5, 5, 3],
                             activations: [.leakyReLU(slope: 0.1), .leakyReLU(slope: 1.5), .softmax],
                             loss: .softmaxCrossEntropy)
        }
        #expect(error.message.contains("1.5") && error.message.contains("layer 2"), "\(error)")
        #expect(throws: ConfigurationError.self) {
            try Architecture(layerSizes: [4, 5, 5, 3], activations: [.relu, .leakyReLU(slope: .nan), .softmax],
                             loss: .softmaxCrossEntropy)
        }
        _ = try Architecture(layerSizes: [4, 5, 5, 3], activations: [.leakyReLU(slope: 0.1), .leakyReLU(slope: 0.2), .softmax],
                             loss: .softmaxCrossEntropy)
    }

    @Test func aDatasetsLayoutIsReadWithoutItsDataAndGivesTheLoadSize() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("MemoryBudgetTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("layout.h5").path
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.write([UInt8](repeating: 7, count: 30 * 6), shape: [30, 6], to: "train/x", compressionLevel: 4)
            try file.write([Int64](repeating: 1, count: 30), shape: [30], to: "train/y")
            try file.write([Double](repeating: 0.5, count: 10 * 6), shape: [10, 6], to: "test/x")
            try file.write([Float](repeating: 1, count: 10 * 2), shape: [10, 2], to: "test/y")
        }
        let layout = try DatasetFile.layout(path)
        #expect(layout.splits.map(\.name) == ["train", "test"])
        let train = try #require(layout.split("train")), test = try #require(layout.split("test"))
        #expect(train.examples == 30 && train.features == 6 && train.hasClassLabels)
        #expect(train.featureType == .integer(signed: false, bytes: 1))
        #expect(test.targetShape == [10, 2] && !test.hasClassLabels)
        // x kept as uint8, labels as int64 then int32; test: x and y as Float.
        #expect(train.loadBytes == 30 * 6 + 30 * 12)
        #expect(test.loadBytes == 10 * 6 * 4 + 10 * 2 * 4)
        #expect(layout.loadBytes == train.loadBytes! + test.loadBytes!)
        let loaded = try DatasetFile.load(path)
        #expect(loaded.train.count == 30 && loaded.test?.count == 10)
    }
}
