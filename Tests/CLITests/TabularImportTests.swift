// `backprop import csv` and `import npy` as a user runs them, and every import
// on a full disk: one line naming the file, no crash (libhdf5 segfaults at exit
// after a failed write of its own), nothing left behind.

import Foundation
import Glibc
import HDF5
import Testing
import TestSupport

@Suite(.serialized) struct TabularImportTests {
    /// A learnable table: class "high" when f1 + f2 > 1, with a header, quoted fields and CRLF lines.
    static func table(rows: Int, seed: UInt64 = 5) -> String {
        // A 64-bit LCG (Knuth's MMIX constants), its top 24 bits as a value in [0, 1).
        var state = seed
        func unit() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        var text = "\"f1\",f2,species,\"f, 3\"\r\n"
        for _ in 0..<rows {
            let a = unit(), b = unit(), c = unit()
            text += "\(a),\"\(b)\",\(a + b > 1 ? "high" : "\"low\""),\(c)\r\n"
        }
        return text
    }

    @Test func aCSVWithClassNamesImportsAndTrains() throws {
        let directory = try TestDirectory()
        try Fixtures.writeText(Self.table(rows: 500), to: directory.path("t.csv"))
        let out = directory.path("t.h5")
        let run = try BackpropCLI.run(["import", "csv", directory.path("t.csv"), "--label-column", "species",
                                       "--test-fraction", "0.2", "--seed", "3", "-o", out])
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.contains("400 training and 100 test examples of 3 features, 2 classes"), "\(run)")
        let file = try HDF5File(path: out)
        defer { file.close() }
        #expect(try file.stringsAttribute("class_names") == ["high", "low"])
        #expect(try file.stringsAttribute("feature_names") == ["f1", "f2", "f, 3"])
        // Row 0 of the table, if it is in train: its label follows its features.
        let x = try file.dataset("train/x").read(as: Float.self), y = try file.dataset("train/y").read(as: Int64.self)
        #expect(zip(stride(from: 0, to: x.count, by: 3), y).allSatisfy { i, label in (x[i] + x[i + 1] > 1) == (label == 0) })
        let train = try BackpropCLI.run(["train", out, "--layers", "3,16,2", "--epochs", "30", "--standardize",
                                         "--learning-rate", "0.1", "--momentum", "0.9", "--seed", "2"])
        let accuracy = train.stdoutLines.last { $0.hasPrefix("test accuracy:") }.flatMap { Double($0.split(separator: " ")[2]) }
        #expect((accuracy ?? 0) > 0.9, "\(train)")
    }

    /// A table larger than --memory is streamed to the file block by block; the
    /// file holds the same values, rows, split and class names as one built in memory.
    @Test func aCSVStreamedInATinyMemoryBudgetEqualsTheInMemoryImport() throws {
        let directory = try TestDirectory()
        try Fixtures.writeText(Self.table(rows: 3000), to: directory.path("t.csv"))
        for (extra, seed) in [([String](), "3"), (["--test-fraction", "0.3"], "7"), (["--regression", "--label-column", "f2"], "1")] {
            let label = extra.contains("--regression") ? [String]() : ["--label-column", "species"]
            let table = extra.contains("--regression") ? directory.path("t-r.csv") : directory.path("t.csv")
            if extra.contains("--regression") {
                // A numeric label column: drop the class names.
                let text = try String(contentsOfFile: directory.path("t.csv"), encoding: .utf8)
                    .replacingOccurrences(of: ",high,", with: ",").replacingOccurrences(of: ",\"low\",", with: ",")
                    .replacingOccurrences(of: ",species,", with: ",")
                try Fixtures.writeText(text, to: table)
            }
            let base = ["import", "csv", table] + label + extra + ["--seed", seed]
            let memory = try BackpropCLI.run(base + ["-o", directory.path("m.h5")])
            // 4 KiB: blocks of 170 rows of 3 float32 features, so many blocks and a partial last one.
            let streamed = try BackpropCLI.run(base + ["--memory", "4K", "-o", directory.path("s.h5")])
            #expect(memory.succeeded && streamed.succeeded && memory.stdout.split(separator: ":").last == streamed.stdout.split(separator: ":").last,
                    "\(memory)\n\(streamed)")
            let (a, b) = (try HDF5File(path: directory.path("m.h5")), try HDF5File(path: directory.path("s.h5")))
            defer { a.close(); b.close() }
            let splits = extra.contains("--test-fraction") ? ["train", "test"] : ["train"]
            #expect(splits.count == 2 || (try? b.dataset("test/x")) == nil)
            for split in splits {
                let (x, sx) = (try a.dataset("\(split)/x").read(as: Float.self), try b.dataset("\(split)/x").read(as: Float.self))
                #expect(x.count > 0 && x == sx, "\(split)/x")
                #expect(try a.dataset("\(split)/x").shape == b.dataset("\(split)/x").shape)
                if extra.contains("--regression") {
                    #expect(try a.dataset("\(split)/y").read(as: Float.self) == b.dataset("\(split)/y").read(as: Float.self))
                } else {
                    #expect(try a.dataset("\(split)/y").read(as: Int64.self) == b.dataset("\(split)/y").read(as: Int64.self))
                }
            }
            for name in ["feature_names", "class_names"] where !(extra.contains("--regression") && name == "class_names") {
                #expect(try a.stringsAttribute(name) == b.stringsAttribute(name), "\(name)")
            }
            if !extra.contains("--regression") { #expect(try b.stringsAttribute("class_names") == ["high", "low"]) }
        }
    }

    @Test func aHeaderlessCSVWithAnIndexAndARegressionTarget() throws {
        let directory = try TestDirectory()
        try Fixtures.writeText("1,2,0.5\n3,4,1.5\n", to: directory.path("r.csv"))
        let run = try BackpropCLI.run(["import", "csv", directory.path("r.csv"), "--label-column", "2", "--regression",
                                       "-o", directory.path("r.h5")])
        #expect(run.succeeded && run.stdout.contains("(no header line)"), "\(run)")
        #expect(try Fixtures.read("train/y", of: directory.path("r.h5")) == [0.5, 1.5])
        #expect(try Fixtures.read("train/x", of: directory.path("r.h5")) == [1, 2, 3, 4])
    }

    @Test func badCSVsGetOneLineWithRowAndColumnAndWriteNothing() throws {
        let directory = try TestDirectory()
        let cases: [(String, [String], String)] = [
            ("a,b,y\n1,2,x\n3,,y\n", ["--label-column", "y"], "row 3, column 2 ('b'): missing value"),
            ("a,b,y\n1,2,x\n3,four,y\n", ["--label-column", "y"], "row 3, column 2 ('b'): 'four' is not a number"),
            ("a,b,y\n1,2,x\n3,4\n", ["--label-column", "y"], "row 3 has 2 fields; the first has 3"),
            ("a,b,y\n1,2,x\n", ["--label-column", "z"], "has no column named 'z'"),
            ("a,b,y\n1,\"2,x\n", ["--label-column", "y"], "quoted field that is never closed"),
            ("1,2,x\n", ["--label-column", "y", "--regression"], "has no column named 'y'"),
            ("a,b,y\n1,2,x\n", ["--label-column", "b", "--regression"], "'x' is not a number"),
        ]
        for (index, (text, arguments, message)) in cases.enumerated() {
            let csv = directory.path("bad\(index).csv")
            try Fixtures.writeText(text, to: csv)
            let run = try BackpropCLI.run(["import", "csv", csv] + arguments + ["-o", directory.path("out.h5")])
            #expect(run.failedCleanly && run.stderrLines.count == 1, "\(run)")
            #expect(run.stderr.contains(csv) && run.stderr.contains(message), "\(run)")
        }
        #expect(try !directory.contents().contains { $0.contains("out.h5") })
    }

    @Test func npyArraysImportAndMismatchesAreRefused() throws {
        let directory = try TestDirectory()
        var x = NPYBytes.header("|u1", shape: "(3, 2)")
        x += [0, 255, 10, 20, 30, 40]
        var y = NPYBytes.header("<i8", shape: "(3,)")
        for v: Int64 in [1, 0, 2] { withUnsafeBytes(of: v.littleEndian) { y.append(contentsOf: $0) } }
        var short = NPYBytes.header("<i8", shape: "(2,)")
        for v: Int64 in [1, 0] { withUnsafeBytes(of: v.littleEndian) { short.append(contentsOf: $0) } }
        for (name, bytes) in [("x.npy", x), ("y.npy", y), ("short.npy", short)] {
            try Data(bytes).write(to: URL(fileURLWithPath: directory.path(name)))
        }
        let run = try BackpropCLI.run(["import", "npy", directory.path("x.npy"), directory.path("y.npy"),
                                       "--test-x", directory.path("x.npy"), "--test-y", directory.path("y.npy"), "-o", directory.path("d.h5")])
        #expect(run.succeeded, "\(run)")
        let file = try HDF5File(path: directory.path("d.h5"))
        #expect(try file.dataset("train/x").elementClass == .integer(signed: false, bytes: 1))
        #expect(try file.dataset("test/x").read(as: UInt8.self) == [0, 255, 10, 20, 30, 40])
        #expect(try file.dataset("train/y").read(as: Int64.self) == [1, 0, 2])
        file.close()
        let bad = try BackpropCLI.run(["import", "npy", directory.path("x.npy"), directory.path("short.npy"), "-o", directory.path("e.h5")])
        #expect(bad.failedCleanly && bad.stderrLines.count == 1 && bad.stderr.contains("short.npy: has 2 rows"), "\(bad)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("e.h5")))
    }

    /// .npy features larger than --memory are streamed; the file holds the same values (uint8 kept, float32, a test pair).
    @Test func npyArraysStreamedInATinyMemoryBudgetEqualTheInMemoryImport() throws {
        let directory = try TestDirectory()
        var x = NPYBytes.header("<f4", shape: "(1000, 5)"), bytes = NPYBytes.header("|u1", shape: "(300, 5)")
        var y = NPYBytes.header("<i8", shape: "(1000,)"), testY = NPYBytes.header("<i8", shape: "(300,)")
        for i in 0..<5000 { x += withUnsafeBytes(of: (Float(i % 97) * 0.25 - 3).bitPattern.littleEndian, Array.init) }
        for i in 0..<1500 { bytes.append(UInt8(i * 7 % 256)) }
        for i in 0..<1000 { y += withUnsafeBytes(of: Int64(i % 3).littleEndian, Array.init) }
        for i in 0..<300 { testY += withUnsafeBytes(of: Int64(i % 4).littleEndian, Array.init) }
        for (name, content) in [("x", x), ("b", bytes), ("y", y), ("ty", testY)] {
            try Data(content).write(to: URL(fileURLWithPath: directory.path("\(name).npy")))
        }
        for (features, labels) in [("x", "y"), ("b", "ty")] {
            let base = ["import", "npy", directory.path("\(features).npy"), directory.path("\(labels).npy"),
                        "--test-x", directory.path("b.npy"), "--test-y", directory.path("ty.npy")]
            let memory = try BackpropCLI.run(base + ["-o", directory.path("m.h5")])
            let streamed = try BackpropCLI.run(base + ["--memory", "1K", "-o", directory.path("s.h5")])
            #expect(memory.succeeded && streamed.succeeded, "\(memory)\n\(streamed)")
            let (a, b) = (try HDF5File(path: directory.path("m.h5")), try HDF5File(path: directory.path("s.h5")))
            defer { a.close(); b.close() }
            for split in ["train", "test"] {
                let (ax, bx) = (try a.dataset("\(split)/x"), try b.dataset("\(split)/x"))
                #expect(ax.shape == bx.shape && ax.elementClass == bx.elementClass)
                #expect(try ax.read(as: Float.self) == bx.read(as: Float.self), "\(split)/x")
                #expect(try a.dataset("\(split)/y").read(as: Int64.self) == b.dataset("\(split)/y").read(as: Int64.self))
            }
        }
    }

    @Test func npzArchivesStoredAndDeflatedImport() throws {
        try Python.require(["numpy", "h5py"])
        let directory = try TestDirectory()
        let script = """
            import sys, numpy as np
            r = np.random.default_rng(0); x = r.integers(0, 256, (500, 7)).astype(np.uint8); y = r.integers(0, 3, 500)
            np.savez(sys.argv[1] + "/s.npz", x_train=x, y_train=y, x_test=x[:50], y_test=y[:50])
            np.savez_compressed(sys.argv[1] + "/c.npz", features=x.astype(np.float64), labels=y)
            """
        let written = try Python.run(script, [directory.url.path])
        try #require(written.succeeded, "\(written)")
        let stored = try BackpropCLI.run(["import", "npz", directory.path("s.npz"), "-o", directory.path("s.h5")])
        #expect(stored.stdout.contains("500 training and 50 test examples of 7 features"), "\(stored)")
        let deflated = try BackpropCLI.run(["import", "npz", directory.path("c.npz"), "--x", "features", "--y", "labels",
                                            "-o", directory.path("c.h5")])
        #expect(deflated.succeeded, "\(deflated)")
        let check = """
            import sys, numpy as np, h5py
            d = sys.argv[1]; z = np.load(d + "/s.npz"); s = h5py.File(d + "/s.h5", "r"); c = h5py.File(d + "/c.h5", "r")
            assert s["train/x"].dtype == np.uint8 and (s["train/x"][:] == z["x_train"]).all() and (s["test/y"][:] == z["y_test"]).all()
            assert c["train/x"].dtype == np.float32 and (c["train/x"][:] == z["x_train"]).all() and "test" not in c
            print("ok")
            """
        let result = try Python.run(check, [directory.url.path])
        #expect(result.succeeded && result.stdout.contains("ok"), "\(result)")
        let missing = try BackpropCLI.run(["import", "npz", directory.path("s.npz"), "--x", "nope", "-o", directory.path("n.h5")])
        #expect(missing.failedCleanly && missing.stderrLines.count == 1 && missing.stderr.contains("has no member nope.npy"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("n.h5")))
    }

    /// Every import onto a tmpfs too small for its output: one line, exit 1, no crash, nothing left.
    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a tmpfs"))
    func importsOnAFullDiskFailInOneLine() throws {
        let directory = try TestDirectory()
        try Fixtures.writeText(Self.table(rows: 20_000), to: directory.path("big.csv"))
        let fixture = IDXFixture(count: 20_000, seed: 4)
        let idx = try fixture.write(in: directory, prefix: "train")
        var x = NPYBytes.header("<f4", shape: "(20000, 8)")
        x += [UInt8](repeating: 0, count: 20_000 * 8 * 4)
        var y = NPYBytes.header("<i8", shape: "(20000,)")
        y += [UInt8](repeating: 0, count: 20_000 * 8)
        try Data(x).write(to: URL(fileURLWithPath: directory.path("x.npy")))
        try Data(y).write(to: URL(fileURLWithPath: directory.path("y.npy")))
        let mount = try TmpfsMount(size: "64k")
        let target = mount.path + "/out.h5"
        for arguments in [["csv", directory.path("big.csv"), "--label-column", "species"],
                          ["csv", directory.path("big.csv"), "--label-column", "species", "--memory", "64K"],
                          ["idx", idx.images, idx.labels],
                          ["npy", directory.path("x.npy"), directory.path("y.npy")],
                          ["npy", directory.path("x.npy"), directory.path("y.npy"), "--memory", "64K"]] {
            let run = try BackpropCLI.run(["import"] + arguments + ["-o", target])
            #expect(run.failedCleanly && run.status == 1, "\(run)")
            #expect(run.stderrLines.count == 1 && run.stderr.contains(target) && run.stderr.contains("No space left on device"), "\(run)")
            #expect(try mount.directory.contents().isEmpty, "\(arguments) left files behind")
        }
    }
}
