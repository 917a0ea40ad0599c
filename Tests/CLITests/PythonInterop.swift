// Runs Python scripts for the interoperability tests (onnxruntime, Keras,
// TensorBoard, numpy). A module that is missing fails the test with the
// command that installs it: these tests never skip.

import Foundation
import Testing

enum Python {
    /// Runs `python3 -c script args…`. The Keras backend is jax when installed, else torch.
    static func run(_ script: String, _ arguments: [String]) throws -> RunResult {
        let prelude = """
            import os, importlib.util
            if "KERAS_BACKEND" not in os.environ:
                os.environ["KERAS_BACKEND"] = "jax" if importlib.util.find_spec("jax") else "torch"
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

            """
        return try BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", prelude + script] + arguments)
    }

    /// Records an issue naming `scripts/setup` when a module the tests need is missing.
    static func require(_ modules: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let check = try run("import sys, importlib.util\nmissing = [m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]\nprint(' '.join(missing))", modules)
        let missing = check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(check.succeeded && missing.isEmpty,
                     "python3 lacks \(missing.isEmpty ? check.stderr : missing); run scripts/setup", sourceLocation: sourceLocation)
    }
}
