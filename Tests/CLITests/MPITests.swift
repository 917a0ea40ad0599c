// `mpirun -np R backprop …` against one plain process, with the real binary,
// real mpirun processes and real files. Compiled only in the MPI build
// (`swift build --traits MPI`), which scripts/test builds and tests after the
// default one; every run has `--timeout`, so a hung rank fails the test rather
// than CI.

#if MPI
import Backprop
import Foundation
import Glibc
import Testing
import TestSupport

@Suite(.serialized) struct MPITests {
    /// A model of 24,579 parameters: 7 blocks of 4096, so every rank of 4 owns a
    /// chunk; 290 rows in minibatches of 64 are 5 steps an epoch, the last of
    /// 34 rows (5 of 8 micro-shards), so R = 3 and 4 split it unevenly.
    static let runArguments = [
        "--layers", "8,2048,3", "--batch-size", "64", "--micro-batch", "8", "--optimizer", "adam",
        "--learning-rate", "0.01", "--clip-grad-norm", "1", "--seed", "5", "-q",
    ]

    init() {
        // mpirun refuses to run as root without these (CI runs as root).
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1)
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1)
    }

    static func mpirun(_ ranks: Int, _ arguments: [String], timeout: Int = 60,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let backprop = try #require(BackpropCLI.executable, sourceLocation: sourceLocation)
        return try BackpropCLI.runProgram(
            URL(fileURLWithPath: "/usr/bin/mpirun"),
            ["--oversubscribe", "--bind-to", "none", "--timeout", "\(timeout)", "-np", "\(ranks)", backprop.path] + arguments,
            timeout: TimeInterval(timeout + 30), sourceLocation: sourceLocation)
    }

    /// Parameters, optimizer state and the logged metrics of a checkpoint, as bits.
    static func fingerprint(_ path: String) throws -> [[UInt64]] {
        let saved = try Checkpoint.read(from: path)
        let metrics = saved.state.history.map { record in
            [record.trainLoss, record.trainAccuracy, record.testLoss ?? .nan, record.testAccuracy ?? .nan].map(\.bitPattern)
        }
        return [saved.state.parameters.map { UInt64($0.bitPattern) },
                saved.state.optimizerState.map { UInt64($0.bitPattern) },
                [UInt64(saved.state.globalStep)]] + metrics
    }

    @Test func everyRankAndWorkerCountGivesTheBitsOfOneProcess() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 290)
        let reference = directory.path("one.h5")
        let plain = try BackpropCLI.run(["train", data, "--epochs", "2", "--workers", "1", "--checkpoint", reference] + Self.runArguments)
        #expect(plain.succeeded, "\(plain)")
        let expected = try Self.fingerprint(reference)
        #expect(expected[2] == [10])
        for ranks in 1...4 {
            for workers in 1...2 {
                let checkpoint = directory.path("r\(ranks)w\(workers).h5")
                let run = try Self.mpirun(ranks, ["train", data, "--epochs", "2", "--workers", "\(workers)",
                                                  "--checkpoint", checkpoint] + Self.runArguments)
                #expect(run.succeeded, "\(run)")
                // One process printed the result.
                #expect(run.stdoutLines.filter { $0.hasPrefix("test accuracy") }.count == 1, "\(run)")
                #expect(try Self.fingerprint(checkpoint) == expected, "\(ranks) ranks × \(workers) workers")
            }
        }
    }

    /// A streamed run's settings: 2,000 rows of 8 float32 (62.5 KiB of train/x)
    /// under a 16 KiB budget, so the split is streamed in blocks.
    static let streamed = ["--layers", "8,32,3", "--batch-size", "64", "--seed", "4",
                           "--data-memory", "16K", "--workers", "1", "-q"]

    /// The `data_read_bytes` of every epoch in a JSON log.
    static func bytesRead(log path: String) throws -> [Int] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["data_read_bytes"] as? Int, "\(line)")
        }
    }

    /// A training split streamed from its file gives one process's bits at 2 and
    /// 3 ranks, and is read once across the ranks: each block by one rank, sent
    /// to the others. The bound: the split once per epoch, 10% slack, and one
    /// buffer (K resident blocks and at most 16 read ahead) per rank, for the
    /// read-ahead that runs past the last epoch.
    @Test func aStreamedRunReadsTheFileOnceAndGivesTheBitsOfOneProcess() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 2000)
        let splitBytes = 2000 * Synthetic.features * 4, epochs = 2
        let arguments = Self.streamed + ["--epochs", "\(epochs)"]
        let reference = directory.path("one.h5")
        let plain = try BackpropCLI.run(["train", data, "--checkpoint", reference, "--log", directory.path("one.jsonl")] + arguments)
        #expect(plain.succeeded, "\(plain)")
        let stream = try #require(try Checkpoint.read(from: reference).configuration?.stream, "16K must stream 2,000 rows")
        let buffer = (stream.slots + 16) * stream.blockRows * Synthetic.features * 4
        #expect(buffer * 3 < splitBytes, "the buffers must be small against the split for the bound to mean anything")
        let expected = try Self.fingerprint(reference)
        let alone = try Self.bytesRead(log: directory.path("one.jsonl")).reduce(0, +)
        #expect(alone >= epochs * splitBytes && alone <= epochs * splitBytes + buffer, "one process read \(alone) bytes")
        for ranks in [2, 3] {
            let checkpoint = directory.path("r\(ranks).h5"), log = directory.path("r\(ranks).jsonl")
            let run = try Self.mpirun(ranks, ["train", data, "--checkpoint", checkpoint, "--log", log] + arguments)
            #expect(run.succeeded, "\(run)")
            #expect(try Self.fingerprint(checkpoint) == expected, "\(ranks) ranks, streamed")
            let read = try Self.bytesRead(log: log)
            #expect(read.count == epochs)
            let bound = Double(epochs * splitBytes) * 1.1 + Double(ranks * buffer)
            #expect(Double(read.reduce(0, +)) <= bound, "\(ranks) ranks read \(read) bytes; the split is \(splitBytes)")
        }
    }

    /// Stopped mid-epoch at 2 ranks and resumed at 3, a streamed run ends on the
    /// bits of one uninterrupted process: the resident blocks are read again,
    /// split among the new ranks, and the sampler replays to the position.
    @Test func aStreamedRunResumedAtAnotherRankCountContinuesBitwise() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 2000)
        let reference = directory.path("one.h5")
        #expect(try BackpropCLI.run(["train", data, "--epochs", "2", "--checkpoint", reference] + Self.streamed).succeeded)
        let checkpoint = directory.path("run.h5")
        let first = try Self.mpirun(2, ["train", data, "--epochs", "2", "--steps", "45", "--checkpoint", checkpoint] + Self.streamed)
        #expect(first.succeeded, "\(first)")
        #expect(try Checkpoint.read(from: checkpoint).state.stepInEpoch == 13, "stopped mid-epoch")
        let second = try Self.mpirun(3, ["resume", checkpoint, "--steps", "64", "-q"])
        #expect(second.succeeded, "\(second)")
        #expect(try Self.fingerprint(checkpoint) == Self.fingerprint(reference))
    }

    /// A block only one rank reads is bad (a NaN): that rank fails while the
    /// others wait for the block in a broadcast, and its MPI_Abort ends them.
    @Test func aRankFailingDuringABlockExchangeEndsTheJob() throws {
        let directory = try TestDirectory()
        var train = Synthetic(count: 2000, seed: 1)
        train.x[1234 * Synthetic.features + 5] = .nan
        let data = try Fixtures.writeFile(directory.path("nan.h5")) { file in
            try file.write(train.x, shape: [train.count, Synthetic.features], to: "train/x")
            try file.write(train.y, shape: [train.count], to: "train/y")
        }
        let started = Date()
        let run = try Self.mpirun(3, ["train", data, "--epochs", "2"] + Self.streamed, timeout: 60)
        let seconds = Date().timeIntervalSince(started)
        #expect(!run.succeeded)
        #expect(seconds < 20, "the job took \(seconds) s to end")
        let lines = run.stderrLines.filter { $0.hasPrefix("backprop: error:") }
        #expect(lines.count == 1 && lines[0].contains(data) && lines[0].contains("train/x[1234, 5] is nan"), "\(run)")
        #expect(!run.stderr.contains("MPI_ABORT"), "\(run)")
    }

    /// `evaluate` under mpirun: each rank reads only its shards' rows, and rank
    /// 0 alone prints one process's figures, to the bit (JSON prints the
    /// shortest decimal that reads back as the same double). 2,000 rows are 8
    /// shards of 256, at 3 ranks split 2, 3, 3; the 100 test rows are one
    /// shard, so every rank but one has none.
    @Test func evaluateSplitsTheRowsAndPrintsTheFiguresOfOneProcess() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 2000)
        let checkpoint = directory.path("run.h5")
        #expect(try BackpropCLI.run(["train", data, "--epochs", "1", "--checkpoint", checkpoint] + Self.runArguments).succeeded)
        for split in ["train", "test"] {
            let plain = try BackpropCLI.run(["evaluate", checkpoint, data, "--split", split, "--json"])
            #expect(plain.succeeded, "\(plain)")
            for ranks in [2, 3] {
                let run = try Self.mpirun(ranks, ["evaluate", checkpoint, data, "--split", split, "--json", "--workers", "1"])
                #expect(run.succeeded, "\(run)")
                #expect(run.stdoutFigures == plain.stdoutFigures && run.stdoutLines.count == 1, "\(split), \(ranks) ranks: \(run)")
            }
        }
        let missing = try Self.mpirun(3, ["evaluate", checkpoint, data, "--split", "validation"])
        #expect(!missing.succeeded)
        let lines = missing.stderrLines.filter { $0.hasPrefix("backprop: error:") }
        #expect(lines.count == 1 && lines[0].contains("has no validation/x"), "\(missing)")
    }

    @Test func aRunResumedAtAnotherRankCountContinuesBitwise() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 290)
        let reference = directory.path("one.h5")
        #expect(try BackpropCLI.run(["train", data, "--epochs", "3", "--checkpoint", reference] + Self.runArguments).succeeded)
        let checkpoint = directory.path("run.h5")
        let first = try Self.mpirun(2, ["train", data, "--epochs", "1", "--checkpoint", checkpoint] + Self.runArguments)
        #expect(first.succeeded, "\(first)")
        let second = try Self.mpirun(3, ["resume", checkpoint, "--epochs", "2", "--workers", "1", "-q"])
        #expect(second.succeeded, "\(second)")
        let third = try Self.mpirun(4, ["resume", checkpoint, "--epochs", "3", "-q"])
        #expect(third.succeeded, "\(third)")
        #expect(try Self.fingerprint(checkpoint) == Self.fingerprint(reference))
    }

    @Test func aKilledRankEndsTheJobAndKeepsTheCheckpoint() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 290)
        let checkpoint = directory.path("run.h5")
        let backprop = try #require(BackpropCLI.executable)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = ["--oversubscribe", "--bind-to", "none", "--timeout", "120", "-np", "3", backprop.path,
                             "train", data, "--epochs", "100000", "--checkpoint", checkpoint] + Self.runArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint), Date() < deadline, process.isRunning { usleep(10_000) }
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        let victim = try #require(Self.rank(1, of: process.processIdentifier))
        let killed = Date()
        kill(victim, SIGKILL)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(killed)
        #expect(process.terminationStatus != 0)
        #expect(seconds < 10, "the job took \(seconds) s to end after a rank was killed")
        #expect(try Checkpoint.read(from: checkpoint).state.globalStep > 0)
    }

    @Test func aFailureOnEveryRankIsOneLineAndANonZeroExit() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 290)
        let run = try Self.mpirun(3, ["train", data, "--epochs", "2"] + Self.runArguments + ["--learning-rate", "1e30"])
        #expect(!run.succeeded)
        let lines = run.stderrLines.filter { $0.hasPrefix("backprop: error:") }
        #expect(lines.count == 1 && lines[0].contains("rank 0 of 3") && lines[0].contains("diverged"), "\(run)")
        // Open MPI's own notice after MPI_Abort is silenced (MPICommunicator.init).
        #expect(!run.stderr.contains("MPI_ABORT") && !run.stderr.contains("ORTE_ERROR_LOG"), "\(run)")
    }

    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a full tmpfs"))
    func aFailedCheckpointWriteOnRankZeroStopsEveryRank() throws {
        let mount = try TmpfsMount(size: "64k")
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 290)
        let checkpoint = mount.path + "/run.h5"
        let started = Date()
        let run = try Self.mpirun(3, ["train", data, "--epochs", "50", "--checkpoint", checkpoint] + Self.runArguments)
        #expect(!run.succeeded)
        #expect(Date().timeIntervalSince(started) < 30)
        let lines = run.stderrLines.filter { $0.hasPrefix("backprop: error:") }
        #expect(lines.count == 1 && lines[0].contains("rank 0 of 3") && lines[0].contains(checkpoint), "\(run)")
    }

    @Test func sigtermToMpirunCheckpointsAndSaysHowToResume() throws {
        let directory = try TestDirectory()
        let data = try Fixtures.writeDataset(directory.path("data.h5"), trainCount: 290)
        let reference = directory.path("one.h5")
        #expect(try BackpropCLI.run(["train", data, "--epochs", "40", "--checkpoint", reference] + Self.runArguments).succeeded)
        let checkpoint = directory.path("run.h5"), errors = directory.path("stderr.txt")
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let backprop = try #require(BackpropCLI.executable)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = ["--oversubscribe", "--bind-to", "none", "--timeout", "120", "-np", "3", backprop.path,
                             "train", data, "--epochs", "40", "--checkpoint", checkpoint] + Self.runArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint), Date() < deadline, process.isRunning { usleep(10_000) }
        process.terminate()
        process.waitUntilExit()
        let message = String(decoding: try Fixtures.bytes(of: errors), as: UTF8.self)
        if process.terminationStatus == 0 { return }  // finished before the signal landed
        // Not 143: Open MPI's mpirun sets its own status to 1 when the signal
        // arrives, before any rank exits (README, "When something fails").
        #expect(process.terminationStatus == 1)
        #expect(message.components(separatedBy: "continue with: backprop resume \(checkpoint)").count == 2, "\(message)")
        let resumed = try Self.mpirun(2, ["resume", checkpoint, "-q"])
        #expect(resumed.succeeded, "\(resumed)")
        #expect(try Self.fingerprint(checkpoint) == Self.fingerprint(reference))
    }

    @Test func benchMeasuresEachRankCountAndSplitsTheStep() throws {
        let directory = try TestDirectory()
        let csv = directory.path("bench.csv"), svg = directory.path("bench.svg")
        let run = try Self.mpirun(2, [
            "bench", "--models", "16-64-4", "--max-workers", "1", "--steps", "5", "--repeats", "3",
            "--batch-size", "64", "--batch-per-worker", "32", "--micro-batch", "16", "--csv", csv, "--svg", svg,
        ], timeout: 120)
        try #require(run.succeeded, "\(run)")

        // One table, from rank 0: 1 and 2 ranks of one worker, strong then weak.
        #expect(run.stdoutLines.filter { $0.hasPrefix("model ") }.count == 1, "\(run)")
        let header = try #require(run.stdoutLines.first { $0.hasPrefix("model ") })
        #expect(header.contains(" ranks ") && header.hasSuffix("step ms  compute  exchange  update"), "\(run)")
        let rows = run.stdoutLines.filter { $0.hasPrefix("16-64-4 ") }
        #expect(rows.map { $0.split(separator: " ").prefix(6).joined(separator: " ") }
                    == ["16-64-4 strong 64 16 1 1", "16-64-4 strong 64 16 2 1",
                        "16-64-4 weak 32 16 1 1", "16-64-4 weak 64 16 2 1"], "\(run)")

        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        try #require(lines.count == 5, "\(lines)")
        let columns = lines[0].split(separator: ",").map(String.init)
        func column(_ name: String) throws -> Int { try #require(columns.firstIndex(of: name), "\(name) in \(lines[0])") }
        let (ranks, step) = (try column("ranks"), try column("step_ms"))
        let phases = [try column("compute_ms"), try column("exchange_ms"), try column("update_ms")]
        #expect(lines.dropFirst().map { $0.split(separator: ",")[ranks] } == ["1", "2", "1", "2"], "\(lines)")
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",").map(String.init)
            let stepMilliseconds = try #require(Double(cells[step]), "\(line)")
            let split = try phases.map { try #require(Double(cells[$0]), "\(line)") }
            #expect(split.allSatisfy { $0 >= 0 } && stepMilliseconds > 0, "\(line)")
            // The split is the scheduler's clock inside each step; the step is the
            // wall clock around the steps, so the split is a little less.
            let sum = split.reduce(0, +)
            #expect(sum <= stepMilliseconds + 0.01 && sum >= 0.8 * stepMilliseconds - 0.05,
                    "compute + exchange + update = \(sum) ms, step \(stepMilliseconds) ms: \(line)")
        }

        // The chart: speedup lines per rank count, and the split as stacked bars.
        let chart = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(chart.contains("ranks × workers") && chart.contains(">16-64-4, 2 ranks</text>"))
        #expect(chart.contains("rank 0's step time") && chart.contains(": exchange ") && chart.contains(">update</text>"))
    }

    /// The pid of MPI rank `rank` among the children of mpirun `launcher`.
    static func rank(_ rank: Int, of launcher: Int32) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == launcher,
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
#endif
