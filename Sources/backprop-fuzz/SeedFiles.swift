// The well-formed files every mutant starts from, made fresh by each run with the
// code under test: IDX files (plain and gzip), the HDF5 dataset `backprop import
// idx` makes of them (uint8 features, deflate-compressed), a float32 dataset
// written through the HDF5 wrapper (contiguous, as h5py writes by default), and
// an Adam checkpoint with a validation split, saved mid-epoch after a full one,
// so it holds history, best parameters, optimizer moments and an epoch order.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import HDF5
import TestSupport

struct SeedFiles {
    /// 8 features, 3 classes: the class is which of (x0+x1, x2+x3, x4+x5) is largest.
    static let features = 8, classes = 3
    static let layers = "8,6,3"

    let directory: String
    /// Training and test IDX images (N × 2 × 4) and labels, plain and gzip-compressed.
    var idxPlain: [String] { ["train-images", "train-labels", "test-images", "test-labels"].map { "\(directory)/\($0).idx" } }
    var idxGzip: [String] { idxPlain.map { $0 + ".gz" } }
    /// The dataset `backprop import idx` writes (uint8 x, compressed).
    var importedDataset: String { "\(directory)/imported.h5" }
    /// A float32 dataset written through the wrapper, uncompressed.
    var floatDataset: String { "\(directory)/float.h5" }
    /// An Adam checkpoint trained on `floatDataset`.
    var checkpoint: String { "\(directory)/adam.h5" }
    /// The same data as h5py writes it (float64 x gzip-compressed, int32 labels), when
    /// python3 has h5py: files from h5py are what most users bring.
    var h5pyDataset: String { "\(directory)/h5py.h5" }
    /// The dataset seeds made: the h5py one only where h5py is installed.
    private(set) var datasets: [String] = []

    /// Writes every seed file into `directory`, running `backprop` for the imported
    /// dataset and the checkpoint; fails if the code under test refuses any of them.
    static func make(in directory: String, backprop: String) throws -> SeedFiles {
        var seeds = SeedFiles(directory: directory)
        let train = Examples(count: 96, seed: 1), test = Examples(count: 48, seed: 2)
        let idx: [(shape: [Int], bytes: [UInt8])] = [
            ([train.count, 2, 4], train.pixels), ([train.count], train.labels),
            ([test.count, 2, 4], test.pixels), ([test.count], test.labels),
        ]
        for ((shape, bytes), (plain, gzip)) in zip(idx, zip(seeds.idxPlain, seeds.idxGzip)) {
            let file = idxBytes(shape: shape, bytes: bytes)
            try writeFile(plain, file)
            try writeGzip(gzip, file)
        }
        let paths = seeds.idxPlain
        try seeds.runBackprop(backprop, ["import", "idx", paths[0], paths[1], "--test-images", paths[2],
                                         "--test-labels", paths[3], "-o", seeds.importedDataset])

        let file = try HDF5File(path: seeds.floatDataset, mode: .truncate)
        try file.write(train.pixels.map { Float($0) / 255 }, shape: [train.count, features], to: "train/x")
        try file.write(train.labels.map { Int64($0) }, shape: [train.count], to: "train/y")
        try file.write(test.pixels.map { Float($0) / 255 }, shape: [test.count, features], to: "test/x")
        try file.write(test.labels.map { Int64($0) }, shape: [test.count], to: "test/y")
        try file.setAttribute("source", "backprop-fuzz seed")
        file.close()

        seeds.datasets = [seeds.floatDataset, seeds.importedDataset]
        if seeds.writeWithH5py(idx: paths) { seeds.datasets.append(seeds.h5pyDataset) }

        // 72 training rows in batches of 16: 5 steps an epoch, so 7 steps end mid-epoch 2.
        try seeds.runBackprop(backprop, ["train", seeds.floatDataset, "--layers", layers, "--optimizer", "adam",
                                         "--learning-rate", "0.01", "--validation-split", "0.25", "--batch-size", "16",
                                         "--epochs", "3", "--steps", "7", "--workers", "1", "--quiet",
                                         "--checkpoint", seeds.checkpoint])
        return seeds
    }

    private func runBackprop(_ backprop: String, _ arguments: [String]) throws {
        let log = "\(directory)/seed-stderr.txt"
        let ending = try ChildProcess.run(backprop, arguments, stderrPath: log, timeout: 120)
        guard ending == .exited(0) else {
            let message = (try? readFile(log)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw FuzzError("making the seed files: backprop \(arguments.joined(separator: " ")): \(ending)\n\(message)")
        }
    }

    /// Writes `h5pyDataset` from the plain IDX files with python3 and h5py; false if
    /// either is missing.
    private func writeWithH5py(idx paths: [String]) -> Bool {
        let script = """
            import sys, h5py, numpy as np
            def idx(path, rank): return np.frombuffer(open(path, "rb").read()[4 + 4 * rank:], dtype=np.uint8)
            with h5py.File(sys.argv[5], "w") as f:
                f.create_dataset("train/x", data=(idx(sys.argv[1], 3).reshape(-1, 8) / 255.0), compression="gzip")
                f["train/y"] = idx(sys.argv[2], 1).astype("int32")
                f["test/x"] = (idx(sys.argv[3], 3).reshape(-1, 8) / 255.0).astype("float32")
                f["test/y"] = idx(sys.argv[4], 1).astype("int64")
                f.attrs["source"] = "backprop-fuzz seed via h5py"
            """
        let log = "\(directory)/h5py-stderr.txt"
        let ending = try? ChildProcess.run("/usr/bin/env", ["python3", "-c", script] + paths + [h5pyDataset],
                                           stderrPath: log, timeout: 120)
        unlink(log)
        return ending == .exited(0)
    }

    /// The IDX layout: 00 00 08 rank, big-endian uint32 dimensions, the bytes.
    static func idxBytes(shape: [Int], bytes: [UInt8]) -> [UInt8] {
        var file: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for dimension in shape {
            file += (0..<4).reversed().map { UInt8(truncatingIfNeeded: dimension >> (8 * $0)) }
        }
        return file + bytes
    }
}

/// Learnable examples, as bytes: 8 pixels per example, and its label.
private struct Examples {
    var pixels: [UInt8] = []
    var labels: [UInt8] = []
    var count: Int { labels.count }

    init(count: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<count {
            let row = (0..<SeedFiles.features).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let sums = (0..<SeedFiles.classes).map { Int(row[2 * $0]) + Int(row[2 * $0 + 1]) }
            pixels += row
            labels.append(UInt8(sums.indices.max { sums[$0] < sums[$1] }!))
        }
    }
}

// MARK: - Files

func readFile(_ path: String) throws -> [UInt8] {
    guard let stream = fopen(path, "rb") else { throw FuzzError("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { fclose(stream) }
    var bytes: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let got = fread(&block, 1, block.count, stream)
        bytes += block[0..<got]
        if got < block.count { break }
    }
    return bytes
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let stream = fopen(path, "wb") else { throw FuzzError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { fclose(stream) }
    guard fwrite(bytes, 1, bytes.count, stream) == bytes.count else { throw FuzzError("cannot write \(path)") }
}

private func writeGzip(_ path: String, _ bytes: [UInt8]) throws {
    guard let file = gzopen(path, "wb") else { throw FuzzError("cannot create \(path)") }
    let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    guard gzclose(file) == Z_OK, written == Int32(bytes.count) else { throw FuzzError("cannot write \(path)") }
}
