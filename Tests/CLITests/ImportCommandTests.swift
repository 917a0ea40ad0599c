// `backprop import idx` end to end: small IDX files written here, plain and
// gzip-compressed by /bin/gzip, become a dataset that `train` accepts; mismatched
// files fail without leaving an output behind.

import Foundation
import HDF5
import Testing
import TestSupport

/// A tiny MNIST look-alike: 4×4 "images" whose class is the brightest of the
/// first three rows.
struct IDXFixture {
    static let rows = 4, columns = 4
    var images: [UInt8]
    var labels: [UInt8]
    var count: Int { labels.count }

    init(count: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        images = []
        labels = []
        for _ in 0..<count {
            let image = (0..<(Self.rows * Self.columns)).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) }
            images += image
            let rowSums = (0..<3).map { r in image[(r * Self.columns)..<((r + 1) * Self.columns)].reduce(0) { $0 + Int($1) } }
            labels.append(UInt8(rowSums.indices.max { rowSums[$0] < rowSums[$1] }!))
        }
    }

    /// An IDX file of unsigned bytes: magic 00 00 08 rank, big-endian dimensions, data.
    static func idx(shape: [Int], bytes: [UInt8]) -> Data {
        var data = Data([0, 0, 0x08, UInt8(shape.count)])
        for dimension in shape {
            withUnsafeBytes(of: UInt32(dimension).bigEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: bytes)
        return data
    }

    /// Writes `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte`, and
    /// returns their paths; `labelCount` writes that many labels instead of all.
    func write(in directory: TestDirectory, prefix: String, labelCount: Int? = nil) throws -> (images: String, labels: String) {
        let images = directory.path("\(prefix)-images-idx3-ubyte"), labels = directory.path("\(prefix)-labels-idx1-ubyte")
        try Self.idx(shape: [count, Self.rows, Self.columns], bytes: self.images).write(to: URL(fileURLWithPath: images))
        let keep = labelCount ?? count
        try Self.idx(shape: [keep], bytes: Array(self.labels.prefix(keep))).write(to: URL(fileURLWithPath: labels))
        return (images, labels)
    }
}

/// Compresses `path` to `path.gz` with the system's gzip, keeping the original.
func gzip(_ path: String) throws -> String {
    let run = try BackpropCLI.runProgram(URL(fileURLWithPath: "/bin/gzip"), ["-k", "-n", "-f", path], timeout: 60)
    try #require(run.succeeded, "\(run)")
    let compressed = path + ".gz"
    let header = try Fixtures.bytes(of: compressed).prefix(2)
    try #require(header == Data([0x1F, 0x8B]), "gzip wrote no gzip file")
    return compressed
}

@Suite struct ImportCommandTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory() }

    let train = IDXFixture(count: 400, seed: 21)
    let test = IDXFixture(count: 100, seed: 22)

    func importIDX(_ images: String, _ labels: String, test: (images: String, labels: String)?, to output: String) throws -> RunResult {
        var arguments = ["import", "idx", images, labels, "-o", output]
        if let test { arguments += ["--test-images", test.images, "--test-labels", test.labels] }
        return try BackpropCLI.run(arguments)
    }

    /// Checks that `path` holds the fixture's images and labels in the dataset layout.
    func expectDataset(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        for (split, fixture) in [("train", train), ("test", test)] {
            let x = try file.dataset("\(split)/x"), y = try file.dataset("\(split)/y")
            #expect(x.shape == [fixture.count, 16], "\(split)/x", sourceLocation: sourceLocation)
            #expect(x.elementClass == .integer(signed: false, bytes: 1), "\(split)/x", sourceLocation: sourceLocation)
            #expect(try x.read(as: UInt8.self) == fixture.images, "\(split)/x", sourceLocation: sourceLocation)
            #expect(y.shape == [fixture.count], "\(split)/y", sourceLocation: sourceLocation)
            #expect(try y.read(as: Int64.self) == fixture.labels.map(Int64.init), "\(split)/y", sourceLocation: sourceLocation)
        }
        #expect(try file.intsAttribute("image_shape") == [4, 4], sourceLocation: sourceLocation)
    }

    @Test func plainAndGzipImportTheSameDataAndTrainWorks() throws {
        let trainFiles = try train.write(in: directory, prefix: "train")
        let testFiles = try test.write(in: directory, prefix: "t10k")

        let plain = directory.path("plain.h5")
        let plainRun = try importIDX(trainFiles.images, trainFiles.labels, test: testFiles, to: plain)
        try #require(plainRun.succeeded, "\(plainRun)")
        #expect(plainRun.stderr.isEmpty, "\(plainRun)")
        #expect(plainRun.stdoutLines.count == 1 && plainRun.stdout.contains(plain), "\(plainRun)")
        try expectDataset(plain)

        let compressed = directory.path("compressed.h5")
        let gzipRun = try importIDX(try gzip(trainFiles.images), try gzip(trainFiles.labels),
                                    test: (try gzip(testFiles.images), try gzip(testFiles.labels)), to: compressed)
        try #require(gzipRun.succeeded, "\(gzipRun)")
        try expectDataset(compressed)

        let log = directory.path("metrics.jsonl")
        let trainRun = try BackpropCLI.run([
            "train", compressed, "--layers", "16,12,3", "--epochs", "4", "--batch-size", "32", "--learning-rate", "0.1",
            "--momentum", "0.9", "--seed", "1", "--log", log, "--checkpoint", directory.path("model.h5"),
        ])
        try #require(trainRun.succeeded, "\(trainRun)")
        #expect(trainRun.stdout.contains("400 train, 100 test"), "\(trainRun)")
        let records = try readJSONLines(log)
        #expect(records.count == 4)
        #expect(records.allSatisfy { number($0["train_loss"])?.isFinite == true }, "\(records)")
        // Chance is about 1/3; the rule is linear in the pixels.
        #expect((records.last.flatMap { number($0["test_accuracy"]) } ?? 0) > 0.5, "\(records)")
    }

    @Test func mismatchedCountsFailNamingBothFilesAndWriteNothing() throws {
        let files = try train.write(in: directory, prefix: "train", labelCount: train.count - 1)
        let output = directory.path("out.h5")
        let before = try directory.contents()
        let run = try importIDX(files.images, files.labels, test: nil, to: output)
        expectOneLineFailure(run, mentioning: [files.images, files.labels, "\(train.count)", "\(train.count - 1)"])
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try directory.contents() == before, "the failed import left files behind")
    }

    @Test func mismatchedTestCountsFailAndKeepAnEarlierOutput() throws {
        let trainFiles = try train.write(in: directory, prefix: "train")
        let testFiles = try test.write(in: directory, prefix: "t10k", labelCount: test.count - 3)
        let output = directory.path("out.h5")
        try Fixtures.writeText("an earlier file\n", to: output)
        let before = try directory.contents()
        let run = try importIDX(trainFiles.images, trainFiles.labels, test: testFiles, to: output)
        expectOneLineFailure(run, mentioning: [testFiles.images, testFiles.labels])
        #expect(try Fixtures.bytes(of: output) == Data("an earlier file\n".utf8))
        #expect(try directory.contents() == before, "the failed import left files behind")
    }

    @Test func truncatedGzipFailsCleanly() throws {
        let files = try train.write(in: directory, prefix: "train")
        let images = try gzip(files.images), labels = try gzip(files.labels)
        let whole = try Fixtures.bytes(of: images)
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: images))
        let output = directory.path("out.h5")
        let run = try importIDX(images, labels, test: nil, to: output)
        expectOneLineFailure(run, mentioning: [images])
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
