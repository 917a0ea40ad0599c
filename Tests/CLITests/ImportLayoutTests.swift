// `backprop import` with rechunk's layout options, as a user runs it: each
// option round-trips (the values, x's type, the chunk shape, deflate), a
// shuffled import is a permutation of the plain one with every label
// following its row, what the importer says about the file is kept, and no
// staging file is left behind, also when the import fails.

import Backprop
import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct ImportLayoutTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory() }

    /// x (as Float, whatever it is stored as) and y of a split of `path`.
    func rows(_ path: String, _ split: String = "train") throws -> (x: [Float], y: [Int64], shape: [Int]) {
        let file = try HDF5File(path: path)
        defer { file.close() }
        let x = try file.dataset("\(split)/x")
        return (try x.read(as: Float.self), try file.dataset("\(split)/y").read(as: Int64.self), x.shape)
    }

    /// Row i of x, `width` values a row.
    func row(_ x: [Float], _ i: Int, width: Int) -> [Float] { Array(x[i * width..<(i + 1) * width]) }

    /// Whether the rows of `b` are those of `a` in another order, each with its own label.
    func isShuffle(of a: (x: [Float], y: [Int64], shape: [Int]), _ b: (x: [Float], y: [Int64], shape: [Int])) -> Bool {
        let width = a.shape[1]
        var labelOf: [[Float]: Int64] = [:]
        for i in 0..<a.y.count { labelOf[row(a.x, i, width: width)] = a.y[i] }
        guard labelOf.count == a.y.count, a.shape == b.shape else { return false }
        let every = (0..<b.y.count).allSatisfy { labelOf[row(b.x, $0, width: width)] == b.y[$0] }
        let moved = (0..<b.y.count).contains { row(a.x, $0, width: width) != row(b.x, $0, width: width) }
        return every && moved && Set((0..<b.y.count).map { row(b.x, $0, width: width) }).count == b.y.count
    }

    @Test func idxImportTakesEveryLayoutOption() throws {
        let train = try IDXFixture(count: 400, seed: 21).write(in: directory, prefix: "train")
        let test = try IDXFixture(count: 100, seed: 22).write(in: directory, prefix: "t10k")
        func importing(_ name: String, _ options: [String]) throws -> String {
            let out = directory.path(name)
            let run = try BackpropCLI.run(["import", "idx", train.images, train.labels, "--test-images", test.images,
                                           "--test-labels", test.labels, "-o", out] + options)
            #expect(run.succeeded && run.stdout.contains("400 training and 100 test examples"), "\(options): \(run)")
            return out
        }
        let plain = try rows(importing("plain.h5", []))

        let chunked = try importing("chunked.h5", ["--chunk-rows", "64"])
        let file = try HDF5File(path: chunked)
        #expect(try file.dataset("train/x").chunkShape() == [64, 16])
        #expect(try file.dataset("train/x").elementClass == .integer(signed: false, bytes: 1))
        #expect(try file.dataset("train/x").filterCount() == 0)
        #expect(try file.intsAttribute("image_shape") == [4, 4])
        #expect(try file.stringAttribute("source").contains("train-images"))
        file.close()
        let copy = try rows(chunked)
        #expect(copy.x == plain.x && copy.y == plain.y)

        let floats = try importing("floats.h5", ["--dtype", "float32", "--deflate", "1", "--chunk-rows", "100"])
        let f = try HDF5File(path: floats)
        #expect(try f.dataset("train/x").elementClass == .float(bytes: 4))
        #expect(try f.dataset("train/x").chunkShape() == [100, 16])
        #expect(try f.dataset("train/x").filterCount() == 1)
        f.close()
        // Bytes become Float exactly as training converts them.
        #expect(try rows(floats).x == plain.x.map { Float(UInt8($0)) * (1 / 255) })
        #expect(try rows(floats, "test").x == rows(directory.path("plain.h5"), "test").x.map { Float(UInt8($0)) * (1 / 255) })

        let shuffled = try importing("shuffled.h5", ["--shuffle-rows", "--seed", "4"])
        #expect(isShuffle(of: plain, try rows(shuffled)), "a permutation with labels following their rows")
        #expect(try rows(shuffled, "test").x == rows(directory.path("plain.h5"), "test").x, "only the training rows move")
        let again = try importing("again.h5", ["--shuffle-rows", "--seed", "4"])
        let other = try importing("other.h5", ["--shuffle-rows", "--seed", "5"])
        let (a, b, c) = (try rows(again).y, try rows(shuffled).y, try rows(other).y)
        #expect(a == b && c != b, "the order is a function of the seed")

        // Nothing but the outputs and the inputs: no staging file is left.
        let contents = try directory.contents()
        #expect(contents.allSatisfy { !$0.hasPrefix(".") }, "\(contents)")
    }

    @Test func csvImportShuffledKeepsItsTestSplitAndClassNames() throws {
        try Fixtures.writeText(TabularImportTests.table(rows: 500), to: directory.path("t.csv"))
        let base = ["import", "csv", directory.path("t.csv"), "--label-column", "species", "--test-fraction", "0.2", "--seed", "3"]
        let plain = try BackpropCLI.run(base + ["-o", directory.path("plain.h5")])
        let laidOut = try BackpropCLI.run(base + ["--shuffle-rows", "--chunk-rows", "32", "--memory", "8K",
                                                  "-o", directory.path("laid.h5")])
        #expect(plain.succeeded && laidOut.succeeded, "\(plain)\n\(laidOut)")
        #expect(isShuffle(of: try rows(directory.path("plain.h5")), try rows(directory.path("laid.h5"))))
        #expect(try rows(directory.path("plain.h5"), "test").x == rows(directory.path("laid.h5"), "test").x,
                "--seed picks the same test rows")
        let file = try HDF5File(path: directory.path("laid.h5"))
        defer { file.close() }
        #expect(try file.stringsAttribute("class_names") == ["high", "low"])
        #expect(try file.stringsAttribute("feature_names") == ["f1", "f2", "f, 3"])
        #expect(try file.dataset("train/x").chunkShape() == [32, 3])
    }

    /// A write that fails while the import lays the file out (here a file size
    /// limit) names OUT, the file the user asked for, not the hidden staging copy.
    @Test func aLaidOutImportThatCannotWriteNamesItsOutputAndLeavesNothing() throws {
        try Fixtures.writeText(TabularImportTests.table(rows: 20_000), to: directory.path("t.csv"))
        let output = directory.path("out.h5")
        let executable = try #require(BackpropCLI.executable).path
        let run = try BackpropCLI.runProgram(URL(fileURLWithPath: "/bin/sh"), [
            "-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"", executable, "import", "csv", directory.path("t.csv"),
            "--label-column", "species", "--chunk-rows", "256", "-o", output,
        ])
        expectOneLineFailure(run, mentioning: [output, "File too large"])
        #expect(!run.stderr.contains(".import-"), "the message names the staging file: \(run.stderr)")
        #expect(try directory.contents() == ["t.csv"], "a staging file or a partial OUT was left")
    }

    @Test func npyImportToUint8RoundsAndRefusesValuesOutsideTheUnitRange() throws {
        var x = NPYBytes.header("<f4", shape: "(4, 2)"), y = NPYBytes.header("<i8", shape: "(4,)")
        for v: Float in [0, 1, 0.5, 0.25, 1 / 255, 254 / 255, 0.1, 0.9] { x += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        for v: Int64 in [0, 1, 0, 1] { y += withUnsafeBytes(of: v.littleEndian, Array.init) }
        var bad = NPYBytes.header("<f4", shape: "(4, 2)")
        for v: Float in [0, 1, 0.5, 2, 0, 0, 0, 0] { bad += withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        for (name, bytes) in [("x.npy", x), ("y.npy", y), ("bad.npy", bad)] {
            try Data(bytes).write(to: URL(fileURLWithPath: directory.path(name)))
        }
        let out = directory.path("u8.h5")
        let run = try BackpropCLI.run(["import", "npy", directory.path("x.npy"), directory.path("y.npy"),
                                       "--dtype", "uint8", "-o", out])
        #expect(run.succeeded, "\(run)")
        let file = try HDF5File(path: out)
        #expect(try file.dataset("train/x").elementClass == .integer(signed: false, bytes: 1))
        #expect(try file.dataset("train/x").read(as: UInt8.self) == [0, 255, 128, 64, 1, 254, 26, 230])
        file.close()

        let refused = try BackpropCLI.run(["import", "npy", directory.path("bad.npy"), directory.path("y.npy"),
                                           "--dtype", "uint8", "-o", directory.path("no.h5")])
        expectOneLineFailure(refused, mentioning: ["train/x[1, 1] is 2.0", "--dtype uint8 needs features in [0, 1]"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("no.h5")))
        let contents = try directory.contents()
        #expect(contents.allSatisfy { !$0.hasPrefix(".") }, "\(contents)")
        for (flag, value, message) in [("--chunk-rows", "0", "--chunk-rows must be positive"), ("--deflate", "12", "--deflate must be 0-9")] {
            let invalid = try BackpropCLI.run(["import", "npy", directory.path("x.npy"), directory.path("y.npy"),
                                               flag, value, "-o", directory.path("no.h5")])
            expectOneLineFailure(invalid, mentioning: [message])
        }
    }

    @Test func npzImportTakesTheLayoutOptions() throws {
        try Python.require(["numpy"])
        let script = """
            import sys, numpy as np
            r = np.random.default_rng(0); x = r.integers(0, 256, (500, 7)).astype(np.uint8); y = r.integers(0, 3, 500)
            np.savez(sys.argv[1] + "/s.npz", x_train=x, y_train=y)
            """
        let written = try Python.run(script, [directory.url.path])
        try #require(written.succeeded, "\(written)")
        let plain = try BackpropCLI.run(["import", "npz", directory.path("s.npz"), "-o", directory.path("plain.h5")])
        let laid = try BackpropCLI.run(["import", "npz", directory.path("s.npz"), "--chunk-rows", "100", "--deflate", "4",
                                        "-o", directory.path("laid.h5")])
        #expect(plain.succeeded && laid.succeeded, "\(plain)\n\(laid)")
        let file = try HDF5File(path: directory.path("laid.h5"))
        #expect(try file.dataset("train/x").chunkShape() == [100, 7])
        #expect(try file.dataset("train/x").filterCount() == 1)
        file.close()
        #expect(try rows(directory.path("laid.h5")).x == rows(directory.path("plain.h5")).x)
    }
}
