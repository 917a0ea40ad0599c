// `backprop rechunk` as a user runs it: round trips between uint8 and float32
// keep every value (and train to the same bits), --shuffle-rows permutes rows
// with their labels out of core and reproducibly, chunks and compression are as
// asked, and a full disk or a file size limit is one line with no OUT and no
// temporary left (and no crash at exit).

import Backprop
import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct RechunkCommandTests {
    /// 600 uint8 rows of 8 features in chunks of 50, with a test split.
    func writeBytes(_ path: String) throws -> String {
        let data = SyntheticBytes(count: 600, seed: 4), test = SyntheticBytes(count: 50, seed: 5)
        let file = try HDF5File(path: path, mode: .truncate)
        defer { file.close() }
        try file.write(data.x, shape: [600, 8], to: "train/x")
        try file.write(data.y, shape: [600], to: "train/y")
        try file.write(test.x, shape: [50, 8], to: "test/x")
        try file.write(test.y, shape: [50], to: "test/y")
        return path
    }

    func rows(_ path: String, _ object: String) throws -> (x: [UInt8], y: [Int64]) {
        let file = try HDF5File(path: path)
        defer { file.close() }
        return (try file.dataset("\(object)/x").read(as: UInt8.self), try file.dataset("\(object)/y").read(as: Int64.self))
    }

    @Test func uint8ToFloat32AndBackKeepsEveryValueAndTrainsToTheSameBits() throws {
        let directory = try TestDirectory()
        let original = try writeBytes(directory.path("in.h5"))
        let floats = directory.path("f32.h5"), back = directory.path("u8.h5")
        let toFloat = try BackpropCLI.run(["rechunk", original, floats, "--dtype", "float32", "--chunk-rows", "64"])
        #expect(toFloat.succeeded, "\(toFloat)")
        #expect(try BackpropCLI.run(["rechunk", floats, back, "--dtype", "uint8", "--deflate", "1"]).succeeded)
        let file = try HDF5File(path: floats)
        let x = try file.dataset("train/x")
        let chunks = try x.chunkShape(), filters = try x.filterCount()
        #expect(x.elementClass == .float(bytes: 4) && chunks == [64, 8] && filters == 0)
        let expected = try rows(original, "train").x.map { Float($0) * (1 / 255) }
        #expect(try x.read(as: Float.self) == expected)
        file.close()
        let compressed = try HDF5File(path: back)
        #expect(try compressed.dataset("train/x").filterCount() == 1)
        compressed.close()
        for split in ["train", "test"] {
            let a = try rows(original, split), b = try rows(back, split)
            #expect(a.x == b.x && a.y == b.y, "\(split)")
        }
        // uint8 converts to exactly the floats rechunk wrote, so training on either is bitwise the same.
        let arguments = ["--layers", "8,16,3", "--epochs", "2", "--seed", "3", "-q"]
        let a = directory.path("a.h5"), b = directory.path("b.h5")
        #expect(try BackpropCLI.run(["train", original, "--checkpoint", a] + arguments).succeeded)
        #expect(try BackpropCLI.run(["train", floats, "--checkpoint", b] + arguments).succeeded)
        #expect(try Fixtures.parameterBits(of: a) == Fixtures.parameterBits(of: b))
    }

    @Test func shuffleRowsPermutesRowsWithTheirLabelsOutOfCoreAndReproducibly() throws {
        let directory = try TestDirectory()
        let original = try writeBytes(directory.path("in.h5"))
        let one = directory.path("one.h5"), two = directory.path("two.h5"), other = directory.path("other.h5")
        // 600 rows of 12 bytes in 2 KiB of memory: several buckets on disk.
        for (path, seed) in [(one, "7"), (two, "7"), (other, "8")] {
            let run = try BackpropCLI.run(["rechunk", original, path, "--shuffle-rows", "--seed", seed, "--memory", "2K"])
            #expect(run.succeeded, "\(run)")
        }
        let a = try rows(original, "train"), b = try rows(one, "train")
        func pairs(_ r: (x: [UInt8], y: [Int64])) -> [[Int64]] {
            (0..<r.y.count).map { i in r.x[i * 8..<(i + 1) * 8].map(Int64.init) + [r.y[i]] }
        }
        #expect(pairs(a).sorted { $0.lexicographicallyPrecedes($1) } == pairs(b).sorted { $0.lexicographicallyPrecedes($1) })
        #expect(a.x != b.x, "the rows were not shuffled")
        #expect(try rows(two, "train").x == b.x, "the same seed gives the same file")
        #expect(try rows(other, "train").x != b.x)
        let test = try rows(original, "test").x
        #expect(try rows(one, "test").x == test, "only the training rows are shuffled")
        #expect(try directory.contents() == ["in.h5", "one.h5", "other.h5", "two.h5"], "scratch files were left")
    }

    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a tmpfs"))
    func aFullDiskIsOneLineWithNoOutputLeft() throws {
        let directory = try TestDirectory()
        let data = SyntheticBytes(count: 40_000, seed: 6)
        let input = directory.path("in.h5")
        do {
            let file = try HDF5File(path: input, mode: .truncate)
            try file.write(data.x.map { Float($0) / 255 }, shape: [40_000, 8], to: "train/x")
            try file.write(data.y, shape: [40_000], to: "train/y")
            file.close()
        }
        let disk = try TmpfsMount(size: "600k")  // the float32 output needs about 1.6 MB
        let output = disk.path + "/out.h5"
        let run = try BackpropCLI.run(["rechunk", input, output])
        expectOneLineFailure(run, mentioning: [output, "No space left on device"])
        #expect(run.status == 1, "\(run)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).isEmpty, "a partial OUT or temporary was left")
    }

    @Test func aFileSizeLimitIsOneLineWithNoOutputLeft() throws {
        let directory = try TestDirectory()
        let input = try writeBytes(directory.path("in.h5"))
        let output = directory.path("out.h5")
        let executable = try #require(BackpropCLI.executable).path
        let run = try BackpropCLI.runProgram(URL(fileURLWithPath: "/bin/sh"), [
            "-c", "trap '' XFSZ; ulimit -f 4; exec \"$0\" \"$@\"", executable, "rechunk", input, output, "--dtype", "float32",
        ])
        expectOneLineFailure(run, mentioning: [output, "File too large"])
        #expect(run.status == 1, "\(run)")
        #expect(try directory.contents() == ["in.h5"], "a partial OUT or temporary was left")
    }
}
