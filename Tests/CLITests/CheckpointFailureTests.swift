// What a user sees when a checkpoint cannot be written or is damaged, or two
// runs reach for one checkpoint, with the real binary and real file systems:
// a full tmpfs (ENOSPC), a file size limit (EFBIG), a file system remounted
// read-only and a directory removed during a run, mutated checkpoint files,
// concurrent runs, a killed run's lock, and train over an existing checkpoint.
// Each case: one line naming the file and the reason, a non-zero exit, never a
// crash, the previous checkpoint intact and no temporary file left.

import Backprop
import Foundation
import Glibc
import Testing
import TestSupport

/// A small tmpfs mounted for one test (as root only), unmounted when done.
final class TmpfsMount {
    let directory: TestDirectory
    var path: String { directory.url.path }

    /// Whether this process may mount one (CI runs the tests as root).
    static let isAvailable: Bool = {
        guard getuid() == 0, let probe = try? TmpfsMount(size: "64k") else { return false }
        _ = probe
        return true
    }()

    init(size: String) throws {
        directory = try TestDirectory()
        let run = try BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/mount"),
                                              ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.url.path])
        guard run.succeeded else { throw CheckpointError(file: directory.url.path, "mount failed: \(run.stderr)") }
    }

    func remountReadOnly() throws -> RunResult {
        try BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/mount"), ["-o", "remount,ro", path])
    }

    deinit {
        _ = try? BackpropCLI.runProgram(URL(fileURLWithPath: "/usr/bin/umount"), [directory.url.path])
    }
}

@Suite(.serialized) struct CheckpointFailureTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory() }

    /// 8-128-128-3 with Adam: a checkpoint of about 250 KB, so a 400 KiB tmpfs
    /// holds one but not a second beside it.
    static let bigRun = ["--layers", "8,128,128,3", "--optimizer", "adam", "--batch-size", "10", "--workers", "2", "-q"]

    /// Waits up to `seconds` for `condition`; false if it never held.
    func wait(upTo seconds: Double = 60, for condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Waits for `process` to exit (SIGKILL after 60 s) and returns its standard error.
    func finish(_ process: Process, errors: String) throws -> String {
        if !wait(for: { !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("backprop \(process.arguments ?? []) did not stop within 60 s")
        }
        process.waitUntilExit()
        return String(decoding: try Fixtures.bytes(of: errors), as: UTF8.self)
    }

    func temporaries(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".tmp-") }
    }

    // MARK: Write failures

    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a tmpfs"))
    func aFullDiskStopsTheRunAndKeepsThePreviousCheckpoint() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let disk = try TmpfsMount(size: "400k")
        let checkpoint = disk.path + "/run.h5"
        let run = try BackpropCLI.run(["train", data, "--epochs", "3", "--checkpoint-every", "1", "--checkpoint", checkpoint] + Self.bigRun)
        expectOneLineFailure(run, mentioning: ["\(checkpoint): write failed: No space left on device",
                                               "training stopped at global step 2", "still holds the checkpoint of global step 1"])
        #expect(run.status == 1, "\(run)")
        let saved = try Checkpoint.read(from: checkpoint)
        #expect(saved.state.globalStep == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == ["run.h5"], "a temporary or the lock file was left")
    }

    @Test func aFileSizeLimitStopsTheRunAndKeepsThePreviousCheckpoint() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("run.h5")
        #expect(try BackpropCLI.run(["train", data, "--steps", "3", "--checkpoint", checkpoint] + Self.bigRun).succeeded)
        let before = try Fixtures.bytes(of: checkpoint)
        #expect(before.count > 200_000)
        // RLIMIT_FSIZE of 100 KiB (dash counts 512-byte blocks), SIGXFSZ ignored
        // so that write fails with EFBIG instead of the signal killing the process.
        let executable = try #require(BackpropCLI.executable).path
        let run = try BackpropCLI.runProgram(URL(fileURLWithPath: "/bin/sh"), [
            "-c", "trap '' XFSZ; ulimit -f 200; exec \"$0\" \"$@\"", executable, "resume", checkpoint, "--steps", "6", "-q",
        ])
        expectOneLineFailure(run, mentioning: ["\(checkpoint): write failed: File too large", "is as it was"])
        #expect(try Fixtures.bytes(of: checkpoint) == before, "the failed write changed the checkpoint")
        #expect(try directory.contents() == ["data.h5", "run.h5"], "a temporary or the lock file was left")
    }

    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a tmpfs"))
    func aFileSystemTurnedReadOnlyStopsTheRun() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let disk = try TmpfsMount(size: "4m")
        let checkpoint = disk.path + "/run.h5", errors = directory.path("stderr.txt")
        let process = try BackpropCLI.start(["train", data, "--epochs", "1000", "--checkpoint-every", "1", "--checkpoint", checkpoint] + Self.bigRun,
                                errors: errors)
        try #require(wait { FileManager.default.fileExists(atPath: checkpoint) }, "no checkpoint appeared")
        // The remount is refused while a file there is open for writing (a
        // checkpoint being written): try until it lands between two.
        #expect(wait(upTo: 30) { (try? disk.remountReadOnly().succeeded) == true }, "could not remount read-only")
        let message = try finish(process, errors: errors)
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(message)")
        #expect(message.split(separator: "\n").count == 1 && message.contains("\(checkpoint): open failed: Read-only file system"), "\(message)")
        #expect(try Checkpoint.read(from: checkpoint).state.globalStep > 0)
        #expect(try temporaries(in: disk.path).isEmpty)
    }

    @Test func aCheckpointDirectoryRemovedDuringTheRunStopsIt() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let runs = directory.path("runs")
        let checkpoint = runs + "/run.h5", errors = directory.path("stderr.txt")
        let process = try BackpropCLI.start(["train", data, "--epochs", "1000", "--checkpoint-every", "1", "--checkpoint", checkpoint] + Self.bigRun,
                                errors: errors)
        try #require(wait { FileManager.default.fileExists(atPath: checkpoint) }, "no checkpoint appeared")
        // Gone in one step (a rename), then deleted: removing the tree file by
        // file could race the run's next temporary file into it.
        let moved = directory.path("runs-removed")
        #expect(rename(runs, moved) == 0, "rename: \(String(cString: strerror(errno)))")
        let message = try finish(process, errors: errors)
        try FileManager.default.removeItem(atPath: moved)
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(message)")
        // open, or rename when the directory went while the temporary was being written.
        #expect(message.split(separator: "\n").count == 1 && message.contains("\(checkpoint): ")
                && message.contains(" failed: No such file or directory"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: runs), "the directory was made again")
    }

    // MARK: Damage

    /// The issue's experiment, smaller: copies of an Adam checkpoint with a few
    /// random bytes changed, mostly in the first 4 KiB, each evaluated.
    @Test func damagedCheckpointsAreRefusedInOneLine() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("run.h5")
        #expect(try BackpropCLI.run(["train", data, "--steps", "7", "--checkpoint", checkpoint] + Self.bigRun).succeeded)
        let original = [UInt8](try Fixtures.bytes(of: checkpoint))
        var generator = SplitMix64(seed: 9)
        for copy in 0..<20 {
            var damaged = original
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let range = copy % 4 == 3 ? original.count : 4096
                damaged[Int(generator.next() % UInt64(range))] = UInt8(truncatingIfNeeded: generator.next())
            }
            let path = directory.path("copy\(copy).h5")
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            let run = try BackpropCLI.run(["evaluate", path, data])
            if damaged == original { continue }
            expectOneLineFailure(run, mentioning: [path])
            #expect(run.stderr.contains("checksum mismatch") || run.stderr.contains("damaged checkpoint"), "\(run)")
        }
    }

    // MARK: One run per checkpoint

    @Test func aSecondRunOnACheckpointInUseFailsAtOnceNamingTheFirst() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("run.h5"), errors = directory.path("stderr.txt")
        let first = try BackpropCLI.start(["train", data, "--epochs", "1000", "--checkpoint-every", "5", "--checkpoint", checkpoint] + Self.bigRun,
                              errors: errors)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try #require(wait { FileManager.default.fileExists(atPath: checkpoint) }, "no checkpoint appeared")
        let holder = "in use by process \(first.processIdentifier) (backprop train \(data)"

        let started = Date()
        let second = try BackpropCLI.run(["train", data, "--epochs", "1", "--checkpoint", checkpoint, "--overwrite"] + Self.bigRun)
        expectOneLineFailure(second, mentioning: [checkpoint, holder])
        #expect(Date().timeIntervalSince(started) < 10)
        let resume = try BackpropCLI.run(["resume", checkpoint, "-q"])
        expectOneLineFailure(resume, mentioning: [checkpoint, holder])
        #expect(first.isRunning, "the first run was disturbed")

        // Killed, the first run leaves its lock file behind, which blocks nobody.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: checkpoint + ".lock"))
        let step = try Checkpoint.read(from: checkpoint).state.globalStep
        let resumed = try BackpropCLI.run(["resume", checkpoint, "--steps", String(step + 3), "-q"])
        #expect(resumed.succeeded, "\(resumed)")
        #expect(try Checkpoint.read(from: checkpoint).state.globalStep == step + 3)
        #expect(!FileManager.default.fileExists(atPath: checkpoint + ".lock"), "the lock file outlived the run")
    }

    @Test func trainRefusesToReplaceACheckpointWithoutOverwrite() throws {
        let data = try Fixtures.writeDataset(directory.path("data.h5"))
        let checkpoint = directory.path("run.h5")
        #expect(try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--steps", "4", "--checkpoint", checkpoint, "-q"]).succeeded)
        let before = try Fixtures.bytes(of: checkpoint)
        let again = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--steps", "6", "--checkpoint", checkpoint, "-q"])
        expectOneLineFailure(again, mentioning: ["\(checkpoint): already holds the checkpoint of a run at global step 4",
                                                 "backprop resume \(checkpoint)", "--overwrite"])
        #expect(try Fixtures.bytes(of: checkpoint) == before)
        #expect(try directory.contents() == ["data.h5", "run.h5"])

        let replaced = try BackpropCLI.run(["train", data, "--layers", "8,16,3", "--steps", "6", "--checkpoint", checkpoint, "--overwrite", "-q"])
        #expect(replaced.succeeded, "\(replaced)")
        #expect(try Checkpoint.read(from: checkpoint).state.globalStep == 6)
        #expect(try directory.contents() == ["data.h5", "run.h5"])
    }
}
