// `backprop predict` as a user runs it: every input kind gives the same
// outputs as evaluate's model, in row order, with the same bits for any worker
// count; --standardize is recorded and applied; bad input is one line and
// leaves no file behind.

import Foundation
import Testing
import TestSupport

@Suite struct PredictCommandTests {
    func trained(_ directory: TestDirectory, standardize: Bool = true) throws -> (data: String, checkpoint: String) {
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 600, testCount: 400)
        let checkpoint = directory.path("model.h5")
        let run = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--epochs", "4", "--learning-rate", "0.1",
                                       "--checkpoint", checkpoint, "-q"] + (standardize ? ["--standardize"] : []))
        try #require(run.succeeded, "\(run)")
        return (data, checkpoint)
    }

    @Test func evaluateOfAStandardizedModelGivesTrainsTestFigures() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 600, testCount: 400)
        let checkpoint = directory.path("model.h5")
        let train = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--epochs", "4", "--learning-rate", "0.1",
                                         "--standardize", "--checkpoint", checkpoint, "-q"])
        let line = try #require(train.stdoutLines.first { $0.hasPrefix("test accuracy:") }, "\(train)")
        let evaluate = try BackpropCLI.run(["evaluate", checkpoint, data])
        // "test accuracy: 0.9125 (loss 0.2514) on …" and "test: loss 0.2514 - accuracy 0.9125 - …"
        let accuracy = figure(after: "accuracy: ", in: line), loss = figure(after: "(loss ", in: line)
        #expect(accuracy != nil && accuracy == figure(after: "accuracy ", in: evaluate.stdout), "\(train)\n\(evaluate)")
        #expect(loss != nil && loss == figure(after: "loss ", in: evaluate.stdout), "\(train)\n\(evaluate)")
    }

    @Test func standardizationIsRecordedAndClassesAgreeWithEvaluate() throws {
        let directory = try TestDirectory()
        let (data, checkpoint) = try trained(directory)
        let mean = try Fixtures.read("model/input_mean", of: checkpoint)
        let x = try Fixtures.read("train/x", of: data)
        // μ of feature 0 over the 600 training rows.
        let mu0 = stride(from: 0, to: x.count, by: 8).reduce(0.0) { $0 + Double(x[$1]) } / 600
        #expect(abs(Double(mean[0]) - mu0) < 1e-6)

        let evaluate = try BackpropCLI.run(["evaluate", checkpoint, data, "--json"])
        let accuracy = try #require(number(try parseJSONObject(evaluate.stdout)["accuracy"]), "\(evaluate)")
        let predict = try BackpropCLI.run(["predict", checkpoint, data, "--output", "classes"])
        #expect(predict.succeeded, "\(predict)")
        #expect(predict.stdoutLines.first == "class")
        let classes = predict.stdoutLines.dropFirst().map { Int32($0)! }
        let labels = try Fixtures.read("test/y", of: data, as: Int64.self)
        #expect(classes.count == 400)
        let hits = zip(classes, labels).filter { Int64($0) == $1 }.count
        #expect(Double(hits) / 400 == accuracy, "predict's classes vs evaluate's accuracy \(accuracy)")
    }

    @Test func everyInputKindGivesTheSameBitsForAnyWorkerCount() throws {
        let directory = try TestDirectory()
        let (data, checkpoint) = try trained(directory)
        let x = try Fixtures.read("test/x", of: data)
        // The same rows as CSV (with a header and a quoted field) and as .npy written by hand.
        var csv = "a,b,c,d,e,f,g,\"h\"\n"
        for r in 0..<400 { csv += (0..<8).map { "\(x[r * 8 + $0])" }.joined(separator: ",") + "\n" }
        try Fixtures.writeText(csv, to: directory.path("x.csv"))
        var npy = NPYBytes.header("<f4", shape: "(400, 8)")
        for v in x { withUnsafeBytes(of: v.bitPattern.littleEndian) { npy.append(contentsOf: $0) } }
        try Data(npy).write(to: URL(fileURLWithPath: directory.path("x.npy")))

        let reference = try BackpropCLI.run(["predict", checkpoint, data, "--workers", "1"])
        #expect(reference.succeeded, "\(reference)")
        #expect(reference.stdoutLines.count == 401 && reference.stdoutLines[0] == "p0,p1,p2")
        for input in [data, "\(data):/test/x", directory.path("x.csv"), directory.path("x.npy")] {
            for workers in ["1", "2", "3"] {
                let run = try BackpropCLI.run(["predict", checkpoint, input, "--workers", workers])
                #expect(run.stdout == reference.stdout, "\(input) with \(workers) workers")
            }
        }
        // Logits to .npy: softmax of each row gives the probabilities.
        let logits = try BackpropCLI.run(["predict", checkpoint, data, "--output", "logits", "-o", directory.path("z.npy")])
        #expect(logits.succeeded, "\(logits)")
        let bytes = [UInt8](try Fixtures.bytes(of: directory.path("z.npy")))
        #expect(bytes.count == 128 + 400 * 3 * 4)
        let z = (0..<3).map { j in bytes.withUnsafeBytes { Double($0.loadUnaligned(fromByteOffset: 128 + j * 4, as: Float.self)) } }
        let p = reference.stdoutLines[1].split(separator: ",").map { Double($0)! }
        let e = z.map(exp), total = e.reduce(0, +)
        #expect(zip(e, p).allSatisfy { abs($0 / total - $1) < 1e-6 }, "\(z) \(p)")
    }

    @Test func outputsToH5AndNpyReadInPython() throws {
        try Python.require(["numpy", "h5py"])
        let directory = try TestDirectory()
        let (data, checkpoint) = try trained(directory, standardize: false)
        for (output, kind) in [("p.h5", "probabilities"), ("c.npy", "classes"), ("p.npy", "probabilities")] {
            let run = try BackpropCLI.run(["predict", checkpoint, data, "--output", kind, "-o", directory.path(output)])
            #expect(run.succeeded && run.stdout.isEmpty, "\(run)")
        }
        let script = """
            import sys, numpy as np, h5py
            d = sys.argv[1]
            p = np.load(d + "/p.npy"); c = np.load(d + "/c.npy")
            h = h5py.File(d + "/p.h5", "r")["predictions"][:]
            assert p.dtype == np.float32 and p.shape == (400, 3) and c.dtype == np.int64 and c.shape == (400,)
            assert (h == p).all() and (p.argmax(1) == c).all()
            print("ok")
            """
        let result = try Python.run(script, [directory.url.path])
        #expect(result.succeeded && result.stdout.contains("ok"), "\(result)")
    }

    @Test func badInputGetsOneLineNamingTheFileAndWritesNothing() throws {
        let directory = try TestDirectory()
        let (data, checkpoint) = try trained(directory, standardize: false)
        try Fixtures.writeText("1,2,3,4,5,6,7,8\n1,2,x,4,5,6,7,8\n", to: directory.path("bad.csv"))
        try Fixtures.writeText("1,2,3\n", to: directory.path("narrow.csv"))
        let cases: [([String], String)] = [
            ([directory.path("bad.csv")], "row 2, column 3: 'x' is not a number"),
            ([directory.path("narrow.csv")], "has 3 features per row, but the model"),
            ([directory.path("missing.npy")], "missing.npy"),
            (["\(data):/nothing"], "has no dataset /nothing"),
            ([data, "--split", "validation"], "has no validation/x"),
        ]
        for (arguments, message) in cases {
            let run = try BackpropCLI.run(["predict", checkpoint] + arguments + ["-o", directory.path("out.npy")])
            #expect(run.failedCleanly && run.stderrLines.count == 1, "\(run)")
            #expect(run.stderr.contains(message), "\(run)")
        }
        #expect(try directory.contents() == ["bad.csv", "data.h5", "model.h5", "narrow.csv"])
    }
}

/// A .npy header written here by hand, independently of the library's.
enum NPYBytes {
    static func header(_ descr: String, shape: String) -> [UInt8] {
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.utf8.count & 0xFF), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8)
    }
}
