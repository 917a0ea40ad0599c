// `backprop export` as a user runs it: onnxruntime and Keras load the files and
// give predict's outputs, with the input scaling built in, for every activation.

import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct ExportCommandTests {
    /// Trains a small model (leaky ReLU and tanh hidden layers, standardised
    /// inputs), exports it both ways and predicts the raw test rows to .npy.
    func trainedAndExported(_ directory: TestDirectory, extra: [String] = []) throws -> (checkpoint: String, x: String, predictions: String) {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("model.h5")
        let train = try BackpropCLI.run(["train", data, "--layers", "8,12,6,3", "--activation", "leaky-relu",
                                         "--leaky-slope", "0.07", "--epochs", "3", "--standardize", "--checkpoint", checkpoint, "-q"] + extra)
        try #require(train.succeeded, "\(train)")
        for output in ["model.onnx", "model.keras"] {
            let export = try BackpropCLI.run(["export", checkpoint, "-o", directory.path(output)])
            try #require(export.succeeded, "\(export)")
        }
        let predictions = directory.path("p.npy")
        let predict = try BackpropCLI.run(["predict", checkpoint, "\(data):/test/x", "-o", predictions])
        try #require(predict.succeeded, "\(predict)")
        return (checkpoint, data, predictions)
    }

    @Test func onnxruntimeAndKerasGivePredictsOutputs() throws {
        try Python.require(["numpy", "h5py", "onnxruntime", "keras"])
        let directory = try TestDirectory()
        let (_, data, predictions) = try trainedAndExported(directory)
        let script = """
            import sys, numpy as np, h5py, onnxruntime, keras
            data, onnx_path, keras_path, p_path = sys.argv[1:]
            x = h5py.File(data, "r")["test/x"][:].astype(np.float32)
            p = np.load(p_path)
            assert p.shape == (100, 3), p.shape
            session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
            meta = session.get_modelmeta()
            o = session.run(["output"], {"input": x})[0]
            k = keras.saving.load_model(keras_path).predict(x, verbose=0)
            print(float(np.abs(o - p).max()), float(np.abs(k - p).max()))
            """
        let result = try Python.run(script, [data, directory.path("model.onnx"), directory.path("model.keras"), predictions])
        try #require(result.succeeded, "\(result)")
        let diffs = result.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(diffs.count == 2, "\(result)")
        #expect(diffs.allSatisfy { $0 <= 1e-5 }, "max abs differences ONNX, Keras: \(diffs)")
    }

    @Test func theOnnxFileIsOpset13IRVersion7AndTheKerasFileHasTheDocumentedLayout() throws {
        try Python.require(["onnx", "h5py"])
        let directory = try TestDirectory()
        _ = try trainedAndExported(directory, extra: ["--output-activation", "sigmoid", "--loss", "bce"])
        let script = """
            import sys, json, zipfile, io, onnx, h5py
            m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)
            assert m.ir_version == 7 and [o.version for o in m.opset_import] == [13], (m.ir_version, m.opset_import)
            ops = [n.op_type for n in m.graph.node]
            assert ops == ["Sub", "Div", "Gemm", "LeakyRelu", "Gemm", "LeakyRelu", "Gemm", "Sigmoid"], ops
            assert abs(m.graph.node[3].attribute[0].f - 0.07) < 1e-7
            z = zipfile.ZipFile(sys.argv[2])
            assert set(z.namelist()) == {"config.json", "model.weights.h5", "metadata.json"}, z.namelist()
            assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
            layers = json.loads(z.read("config.json"))["config"]["layers"]
            assert [l["class_name"] for l in layers] == ["InputLayer", "Normalization", "Dense", "LeakyReLU", "Dense", "LeakyReLU", "Dense"], layers
            assert layers[3]["config"]["negative_slope"] == 0.07
            w = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
            assert w["layers/dense/vars/0"].shape == (8, 12) and w["layers/dense_2/vars/1"].shape == (3,)
            print("ok")
            """
        let result = try Python.run(script, [directory.path("model.onnx"), directory.path("model.keras")])
        #expect(result.succeeded && result.stdout.contains("ok"), "\(result)")
    }

    @Test func badInputGetsOneLineAndWritesNothing() throws {
        let directory = try TestDirectory()
        try Fixtures.writeText("not a checkpoint", to: directory.path("junk.h5"))
        let run = try BackpropCLI.run(["export", directory.path("junk.h5"), "-o", directory.path("out.onnx")])
        #expect(run.failedCleanly && run.stderrLines.count == 1, "\(run)")
        #expect(run.stderr.contains(directory.path("junk.h5")), "\(run)")
        let suffix = try BackpropCLI.run(["export", directory.path("junk.h5"), "-o", directory.path("out.bin")])
        #expect(suffix.status == 64 && suffix.stderr.contains("expected .onnx or .keras"), "\(suffix)")
        #expect(try directory.contents() == ["junk.h5"])
    }
}
