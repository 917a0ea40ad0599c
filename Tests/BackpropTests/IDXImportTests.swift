// Importing IDX files into the HDF5 dataset layout: what is written, subsets,
// mismatched inputs, and that a failed import never leaves a half-written file.

import Backprop
import Foundation
import HDF5
import Testing

@Suite struct IDXImportTests {
    let fixtures: IDXFixtures
    init() throws { fixtures = try IDXFixtures() }

    @Test func writesTheDocumentedLayout() throws {
        let train = try fixtures.writeImagesAndLabels(prefix: "train", count: 12, gzip: true)
        let test = try fixtures.writeImagesAndLabels(prefix: "t10k", count: 5, classes: 3)
        let output = fixtures.path("out.h5")
        let summary = try IDXImport.run(images: train.images, labels: train.labels,
                                        testImages: test.images, testLabels: test.labels, output: output)
        #expect(summary == IDXImport.Summary(output: output, trainCount: 12, testCount: 5, featureCount: 12,
                                             imageShape: [4, 3], classCount: 10))
        #expect(summary.description == "12 training and 5 test examples of 4×3 = 12 features, 10 classes")

        let file = try HDF5File(path: output)
        let x = try file.dataset("train/x")
        #expect(x.shape == [12, 12])
        #expect(x.elementClass == .integer(signed: false, bytes: 1))
        #expect(try x.read(as: UInt8.self) == train.pixels)
        let y = try file.dataset("train/y")
        #expect(y.shape == [12])
        #expect(y.elementClass == .integer(signed: true, bytes: 8))
        #expect(try y.read(as: Int64.self) == train.labelBytes.map { Int64($0) })
        #expect(try file.dataset("test/x").read(as: UInt8.self) == test.pixels)
        #expect(try file.dataset("test/y").read(as: Int.self) == test.labelBytes.map { Int($0) })

        #expect(try file.stringAttribute("format") == "backprop-dataset")
        #expect(try file.intsAttribute("image_shape") == [4, 3])
        #expect(try file.stringAttribute("source") == "train: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz; test: t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte")
    }

    @Test func withoutATestSetOnlyTrainIsWritten() throws {
        let train = try fixtures.writeImagesAndLabels(prefix: "train", count: 3)
        let output = fixtures.path("train-only.h5")
        let summary = try IDXImport.run(images: train.images, labels: train.labels,
                                        testImages: nil, testLabels: nil, output: output)
        #expect(summary.testCount == 0)
        #expect(summary.description == "3 training examples of 4×3 = 12 features, 3 classes")
        let file = try HDF5File(path: output)
        #expect(file.contains("train/x") && file.contains("train/y"))
        #expect(!file.contains("test"))
    }

    @Test func limitsTakeTheFirstRows() throws {
        let train = try fixtures.writeImagesAndLabels(prefix: "train", count: 20, gzip: true)
        let test = try fixtures.writeImagesAndLabels(prefix: "test", count: 8, gzip: true)
        let output = fixtures.path("small.h5")
        let summary = try IDXImport.run(images: train.images, labels: train.labels, testImages: test.images,
                                        testLabels: test.labels, output: output, limit: 7, testLimit: 100)
        #expect(summary.trainCount == 7 && summary.testCount == 8)
        let file = try HDF5File(path: output)
        #expect(try file.dataset("train/x").read(as: UInt8.self) == Array(train.pixels.prefix(7 * 12)))
        #expect(try file.dataset("train/y").read(as: Int.self) == (0..<7).map { $0 % 10 })
        #expect(try file.dataset("test/x").shape == [8, 12])
    }

    @Test func mismatchedCountsNameBothFiles() throws {
        let images = try fixtures.write("imgs", IDXFixtures.idx(shape: [3, 2, 2], data: [UInt8](repeating: 1, count: 12)))
        let labels = try fixtures.write("lbls", IDXFixtures.idx(shape: [4], data: [0, 1, 2, 3]))
        let output = fixtures.path("never.h5")
        #expect(throws: DatasetError(file: images, "has 3 images but \(labels) has 4 labels")) {
            try IDXImport.run(images: images, labels: labels, testImages: nil, testLabels: nil, output: output)
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func wrongRanksAndShapesAreRejected() throws {
        let train = try fixtures.writeImagesAndLabels(prefix: "train", count: 2)
        let output = fixtures.path("never.h5")
        // Labels passed as images and the other way round.
        #expect(throws: DatasetError(file: train.labels, "expected images (N × height × width), found a 1-dimensional array 2")) {
            try IDXImport.run(images: train.labels, labels: train.images, testImages: nil, testLabels: nil, output: output)
        }
        #expect(throws: DatasetError(file: train.images, "expected labels (1 dimension, N), found 3 dimensions 2×4×3")) {
            try IDXImport.run(images: train.images, labels: train.images, testImages: nil, testLabels: nil, output: output)
        }
        let test = try fixtures.writeImagesAndLabels(prefix: "test", count: 2, rows: 3, columns: 4)
        #expect(throws: DatasetError(file: test.images, "images are 3×4 but the training images in \(train.images) are 4×3")) {
            try IDXImport.run(images: train.images, labels: train.labels,
                              testImages: test.images, testLabels: test.labels, output: output)
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func inconsistentArgumentsAreConfigurationErrors() throws {
        let train = try fixtures.writeImagesAndLabels(prefix: "train", count: 2)
        let output = fixtures.path("never.h5")
        #expect(throws: ConfigurationError("test images and test labels must be given together")) {
            try IDXImport.run(images: train.images, labels: train.labels,
                              testImages: train.images, testLabels: nil, output: output)
        }
        #expect(throws: ConfigurationError("the limit must be at least 1, not 0")) {
            try IDXImport.run(images: train.images, labels: train.labels,
                              testImages: nil, testLabels: nil, output: output, limit: 0)
        }
    }

    @Test func failureMidwayLeavesTheEarlierFileAndNoTemporary() throws {
        let train = try fixtures.writeImagesAndLabels(prefix: "train", count: 4)
        let output = fixtures.path("dataset.h5")
        _ = try IDXImport.run(images: train.images, labels: train.labels, testImages: nil, testLabels: nil, output: output)
        let before = try Data(contentsOf: URL(fileURLWithPath: output))

        // The test images' header is fine, so the failure comes only after the
        // training split has been written to the temporary file.
        let cut = IDXFixtures.idx(shape: [4, 4, 3], data: [UInt8](repeating: 0, count: 48)).dropLast(10)
        let testImages = try fixtures.write("cut-images", Array(cut), gzip: true)
        #expect(throws: DatasetError.self) {
            try IDXImport.run(images: train.images, labels: train.labels,
                              testImages: testImages, testLabels: train.labels, output: output)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path)
            .filter { $0.hasPrefix(".") }
        #expect(leftovers == [])
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.testLabels)))
    func importsASliceOfDebiansFashionMNIST() throws {
        let output = fixtures.path("fashion.h5")
        let summary = try IDXImport.run(images: FashionMNIST.testImages, labels: FashionMNIST.testLabels,
                                        testImages: nil, testLabels: nil, output: output, limit: 50)
        #expect(summary.trainCount == 50 && summary.featureCount == 784 && summary.imageShape == [28, 28])
        let x = try HDF5File(path: output).dataset("train/x")
        #expect(x.shape == [50, 784])
    }
}
