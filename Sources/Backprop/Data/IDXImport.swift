// Turns IDX image and label files (MNIST, Fashion-MNIST) into an HDF5 dataset in
// the layout datasets/README.md documents: train/x N×D uint8, train/y N int64, the
// same under test/ when given, and attributes describing the source on "/".

import HDF5

/// Imports IDX files into a Backprop dataset file.
public enum IDXImport {
    /// What an import wrote.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        /// The dataset file written.
        public let output: String
        /// Rows in train/x and train/y.
        public let trainCount: Int
        /// Rows in test/x and test/y; 0 without a test set.
        public let testCount: Int
        /// D, the features per row: the product of `imageShape`.
        public let featureCount: Int
        /// The shape of one image, e.g. [28, 28].
        public let imageShape: [Int]
        /// The largest label plus one.
        public let classCount: Int

        public init(output: String, trainCount: Int, testCount: Int, featureCount: Int, imageShape: [Int], classCount: Int) {
            self.output = output
            self.trainCount = trainCount
            self.testCount = testCount
            self.featureCount = featureCount
            self.imageShape = imageShape
            self.classCount = classCount
        }

        /// e.g. `60000 training and 10000 test examples of 28×28 = 784 features, 10 classes`.
        public var description: String {
            let examples = testCount > 0
                ? "\(trainCount) training and \(testCount) test examples"
                : "\(trainCount) training examples"
            return "\(examples) of \(imageShape.formatted) = \(featureCount) features, \(classCount) classes"
        }
    }

    /// Compression of the x datasets: level 4 gets nearly all of deflate's gain on
    /// images at a fraction of level 9's time.
    static let compressionLevel = 4

    /// Reads `images` and `labels` (and the test pair, if given) and writes them to
    /// `output` as train/x, train/y, test/x, test/y.
    ///
    /// Everything is checked before anything is written; the file is built in
    /// memory, written under a temporary name beside `output` and renamed into
    /// place at the end (`AtomicReplace`), so a failed import (a full disk too)
    /// leaves no half-written file, and any earlier file at `output` untouched.
    ///
    /// - Parameters:
    ///   - limit: keep only the first `limit` training rows (for small subsets).
    ///   - testLimit: keep only the first `testLimit` test rows.
    /// - Throws: `ConfigurationError` for inconsistent arguments; `DatasetError`
    ///   naming the file for unreadable or mismatched IDX files; `SystemCallError`
    ///   naming `output` if it cannot be written.
    public static func run(
        images: String, labels: String, testImages: String?, testLabels: String?,
        output: String, limit: Int? = nil, testLimit: Int? = nil
    ) throws -> Summary {
        if (testImages == nil) != (testLabels == nil) {
            throw ConfigurationError("test images and test labels must be given together")
        }
        for (name, value) in [("limit", limit), ("test limit", testLimit)] {
            if let value, value < 1 {
                throw ConfigurationError("the \(name) must be at least 1, not \(value)")
            }
        }

        let train = try Split(images: images, labels: labels)
        let test = try testImages.flatMap { testImages in
            try testLabels.map { try Split(images: testImages, labels: $0) }
        }
        if let test, test.imageShape != train.imageShape {
            throw DatasetError(file: test.images, "images are \(test.imageShape.formatted) but the training images in \(train.images) are \(train.imageShape.formatted)")
        }
        // Built in memory and written with POSIX calls, as checkpoints are: libhdf5
        // segfaults at exit after a failed write to disk (CheckpointWriter says why),
        // so a full disk must fail in our write, not in HDF5's.
        let (summary, image) = try write(train: train, test: test, limit: limit, testLimit: testLimit, output: output)
        try OutputFile.write([image], to: output)
        return summary
    }

    /// A pair of image and label files whose headers agree.
    private struct Split {
        let images: String
        let labels: String
        let count: Int
        let imageShape: [Int]

        init(images: String, labels: String) throws {
            let imagesShape = try IDXFile.readShape(path: images)
            let labelsShape = try IDXFile.readShape(path: labels)
            guard imagesShape.count >= 2 else {
                throw DatasetError(file: images, "expected images (N × height × width), found a \(imagesShape.count)-dimensional array \(imagesShape.formatted)")
            }
            guard labelsShape.count == 1 else {
                throw DatasetError(file: labels, "expected labels (1 dimension, N), found \(labelsShape.count) dimensions \(labelsShape.formatted)")
            }
            guard imagesShape[0] == labelsShape[0] else {
                throw DatasetError(file: images, "has \(imagesShape[0]) images but \(labels) has \(labelsShape[0]) labels")
            }
            self.images = images
            self.labels = labels
            self.count = imagesShape[0]
            self.imageShape = Array(imagesShape.dropFirst())
        }

        var source: String { "\(IDXImport.fileName(of: images)), \(IDXImport.fileName(of: labels))" }
    }

    private static func write(
        train: Split, test: Split?, limit: Int?, testLimit: Int?, output: String
    ) throws -> (Summary, [UInt8]) {
        let file = try HDF5File(inMemoryNamed: output)
        defer { file.close() }
        let (trainCount, trainClasses) = try write(train, limit: limit, group: "train", to: file)
        var testCount = 0, testClasses = 0
        if let test {
            (testCount, testClasses) = try write(test, limit: testLimit, group: "test", to: file)
        }
        try file.setAttribute("format", "backprop-dataset")
        var source = "train: \(train.source)"
        if let test { source += "; test: \(test.source)" }
        try file.setAttribute("source", source)
        try file.setAttribute("image_shape", train.imageShape)
        let summary = Summary(output: output, trainCount: trainCount, testCount: testCount,
                              featureCount: train.imageShape.reduce(1, *), imageShape: train.imageShape,
                              classCount: max(trainClasses, testClasses))
        return (summary, try file.image())
    }

    /// Writes one split as `group`/x and `group`/y; returns its row count and
    /// largest label plus one.
    private static func write(_ split: Split, limit: Int?, group: String, to file: HDF5File) throws -> (Int, Int) {
        let images = try IDXFile.read(path: split.images, limit: limit)
        let labels = try IDXFile.read(path: split.labels, limit: limit)
        let count = images.shape[0]
        let featureCount = split.imageShape.reduce(1, *)
        try file.write(images.bytes, shape: [count, featureCount], to: "\(group)/x", compressionLevel: compressionLevel)
        try file.write(labels.bytes.map { Int64($0) }, shape: [count], to: "\(group)/y")
        return (count, labels.bytes.max().map { Int($0) + 1 } ?? 0)
    }

    fileprivate static func fileName(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }
}

extension Array where Element == Int {
    /// `28×28`, as shapes are written in messages.
    fileprivate var formatted: String {
        map(String.init).joined(separator: "×")
    }
}
