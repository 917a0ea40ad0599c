// One run per checkpoint, in one process (flock conflicts between two open
// file descriptions just as between processes): the second checkpointer on a
// path is refused naming the holder, a released or stale lock blocks nobody,
// and the first save takes the lock for a library user who never asked.

import Foundation
import Glibc
import Testing
@testable import Backprop

@Suite struct CheckpointLockTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lock-tests-\(UUID())")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func contents(_ file: String) -> String? { try? String(contentsOfFile: file, encoding: .utf8) }

    @Test func aSecondCheckpointerOnThePathIsRefusedUntilTheFirstLetsGo() throws {
        let checkpoint = path("run.h5")
        let first = Checkpointer(path: checkpoint), second = Checkpointer(path: checkpoint)
        try first.lock()
        #expect(contents(checkpoint + ".lock") == "\(getpid())\n")
        #expect {
            try second.lock()
        } throws: { error in
            let line = (error as? CheckpointError)?.description ?? ""
            return line.hasPrefix("\(checkpoint): in use by process \(getpid()) (") && line.contains("one run per checkpoint")
        }
        first.unlock()
        #expect(!FileManager.default.fileExists(atPath: checkpoint + ".lock"))
        try second.lock()
        #expect(contents(checkpoint + ".lock") == "\(getpid())\n")
    }

    @Test func aLockFileNobodyHoldsBlocksNobody() throws {
        let checkpoint = path("stale.h5")
        // What a killed run leaves: the file, naming a process that is gone.
        try "999999999\n".write(toFile: checkpoint + ".lock", atomically: false, encoding: .utf8)
        let lock = try CheckpointLock(checkpoint: checkpoint)
        #expect(contents(checkpoint + ".lock") == "\(getpid())\n")
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: checkpoint + ".lock"))
    }

    @Test func theFirstSaveTakesTheLockAndMakesTheDirectory() throws {
        let checkpoint = path("runs/deeper/run.h5")
        var c = TrainingConfiguration()
        c.epochs = 1
        c.workers = 1
        let trainer = try Trainer(architecture: try Architecture(layerSizes: [3, 2], hiddenActivation: .relu, loss: .softmaxCrossEntropy),
                                  configuration: c, train: syntheticClassification(count: 6, features: 3, classes: 2))
        let checkpointer = Checkpointer(path: checkpoint)
        try checkpointer.save(trainer)
        #expect(FileManager.default.fileExists(atPath: checkpoint + ".lock"))
        #expect(throws: CheckpointError.self) { try Checkpointer(path: checkpoint).save(trainer) }
        checkpointer.unlock()
        try Checkpointer(path: checkpoint).save(trainer)
        #expect(try Checkpoint.read(from: checkpoint).state == trainer.state)
    }

    @Test func aLockThatMayNotMakeTheDirectoryNamesTheLockFile() throws {
        let checkpoint = path("absent/run.h5")
        #expect {
            _ = try CheckpointLock(checkpoint: checkpoint, creatingDirectory: false)
        } throws: { error in
            (error as? SystemCallError)?.description == "\(checkpoint).lock: open failed: No such file or directory"
        }
        #expect(!FileManager.default.fileExists(atPath: path("absent")))
    }

    @Test func staleTemporariesAreClearedOnceTheLockIsHeld() throws {
        let checkpoint = path("tidy.h5")
        // A killed writer's temporary (another pid), and a step link's.
        for name in [".tidy.h5.tmp-12345", ".tidy.step-000010.h5.tmp-999"] {
            _ = FileManager.default.createFile(atPath: path(name), contents: Data("partial".utf8))
        }
        _ = FileManager.default.createFile(atPath: path(".other.h5.tmp-1"), contents: nil)
        let checkpointer = Checkpointer(path: checkpoint)
        try checkpointer.lock()
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(left == [".other.h5.tmp-1", "tidy.h5.lock"])
    }
}
