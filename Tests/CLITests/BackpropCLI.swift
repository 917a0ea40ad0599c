// Runs the real `backprop` binary, as a user would: a separate process with no
// standard input, its standard output and error captured, and how it ended.

import Foundation
import Testing

/// How one run of a program ended, and what it printed.
struct RunResult: CustomStringConvertible {
    let arguments: [String]
    let stdout: String
    let stderr: String
    /// The exit status, or the signal number when `crashed`.
    let status: Int32
    /// True when the process was ended by a signal (a trap, a segfault, a kill).
    let crashed: Bool

    var succeeded: Bool { !crashed && status == 0 }
    /// A clean failure: a non-zero exit status, not a signal.
    var failedCleanly: Bool { !crashed && status != 0 }

    var stdoutLines: [String] { Self.lines(stdout) }
    var stderrLines: [String] { Self.lines(stderr) }

    /// The lines of standard output with the timing fields of `evaluate --json`
    /// (`seconds`, `samples_per_second`) taken out: what two runs that computed
    /// the same figures print alike, however long each took.
    var stdoutFigures: [String] {
        stdoutLines.map { $0.replacing(/"(samples_per_second|seconds)":[^,}]*,?/, with: "") }
    }

    private static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    var description: String {
        let ending = crashed ? "killed by signal \(status)" : "exit \(status)"
        return "backprop \(arguments.joined(separator: " ")) → \(ending)\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)"
    }
}

enum BackpropCLI {
    /// The built `backprop` executable, found next to the test bundle (SwiftPM puts
    /// every product of a build in one directory) or named by `BACKPROP`.
    static let executable: URL? = {
        var candidates: [URL] = []
        if let override = ProcessInfo.processInfo.environment["BACKPROP"], !override.isEmpty {
            candidates.append(URL(fileURLWithPath: override))
        }
        var directories: [URL] = []
        // Linux: the test runner is `<products>/<Package>PackageTests.xctest`, an
        // executable, and Bundle.main is its directory. macOS: the .xctest is a bundle
        // inside the products directory.
        for bundle in [Bundle.main] + Bundle.allBundles {
            directories.append(bundle.bundleURL)
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first {
            directories.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        candidates += directories.map { $0.appendingPathComponent("backprop") }
        return candidates.first { url in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
                && FileManager.default.isExecutableFile(atPath: url.path)
        }
    }()

    /// Runs `backprop arguments…` to completion (or kills it after `timeout`
    /// seconds and records an issue), with standard input at /dev/null.
    static func run(_ arguments: [String], timeout: TimeInterval = 300,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let executable = try #require(executable, "cannot find the built backprop binary; build it or set BACKPROP",
                                      sourceLocation: sourceLocation)
        return try runProgram(executable, arguments, timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Starts `backprop arguments…` without waiting for it, standard input at
    /// /dev/null, standard output discarded, and standard error discarded or
    /// written to the file `errors`: for tests that signal a run midway.
    static func start(_ arguments: [String], errors: String? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> Process {
        let binary: URL = try #require(executable, "cannot find the built backprop binary; build it or set BACKPROP",
                                       sourceLocation: sourceLocation)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        if let errors {
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// Runs any program as `run` runs backprop. Output goes to temporary files
    /// rather than pipes, so a chatty child can never block on a full pipe.
    static func runProgram(_ executable: URL, _ arguments: [String], timeout: TimeInterval = 300,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("CLITests-run-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            finished.wait()
            Issue.record("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s; killed",
                         sourceLocation: sourceLocation)
        }
        process.waitUntilExit()
        return RunResult(
            arguments: arguments,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
            status: process.terminationStatus,
            crashed: process.terminationReason == .uncaughtSignal)
    }
}
