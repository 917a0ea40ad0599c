// When and where a training run writes its checkpoints: every `everySteps`
// steps and at every epoch's end, always to `path` (so `path` is the newest
// complete checkpoint), and with `keep` > 0 also as step-numbered files, of
// which the newest `keep` are kept, plus the best one by held-out loss.
//
//   runs/fmnist.h5                  the newest
//   runs/fmnist.step-000940.h5      one per checkpoint, the last `keep` kept
//   runs/fmnist.best.h5             lowest validation (else test) loss at an epoch's end

import Foundation
import Glibc

/// Writes a run's checkpoints as it trains.
public final class Checkpointer {
    public let path: String
    public let everySteps: Int?
    public let keep: Int
    /// Recorded in each checkpoint so that `resume` finds the data and log.
    public let dataset: String?
    public let log: String?
    public private(set) var lastSavedStep: Int?
    private var bestLoss: Double?

    public init(path: String, everySteps: Int? = nil, keep: Int = 0, dataset: String? = nil, log: String? = nil) {
        precondition(everySteps.map { $0 > 0 } ?? true && keep >= 0)
        self.path = path
        self.everySteps = everySteps
        self.keep = keep
        self.dataset = dataset
        self.log = log
        removeStaleTemporaries()
    }

    /// Removes the temporary files of earlier runs that died while writing a
    /// checkpoint (SIGKILL, power cut); a live writer's file is left alone.
    private func removeStaleTemporaries() {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let prefix = ".\(url.lastPathComponent).tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink("\(directory)/\(name)") }
        }
    }

    /// Saves when `event` calls for it.
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .stepEnded(let progress):
            if let everySteps, progress.globalStep % everySteps == 0 { try save(trainer) }
        case .epochEnded(let record):
            try save(trainer)
            if keep > 0, let loss = record.validationLoss ?? record.testLoss, loss < (bestLoss ?? .infinity) {
                bestLoss = loss
                try replaceLink(to: path, at: bestPath)
            }
        case .epochBegan, .stoppedEarly:
            break
        }
    }

    /// Writes the trainer's state to `path` now. Unless `force`d, a step that
    /// was already saved is not written again.
    public func save(_ trainer: Trainer, force: Bool = false) throws {
        guard force || lastSavedStep != trainer.globalStep || !FileManager.default.fileExists(atPath: path) else { return }
        let checkpoint = Checkpoint(trainer: trainer, dataset: dataset, log: log, checkpointEvery: everySteps, keep: keep)
        // Never let non-finite parameters replace a good checkpoint.
        if let bad = checkpoint.state.parameters.firstIndex(where: { !$0.isFinite }) {
            throw DivergenceError(step: trainer.globalStep, what: "parameter \(bad)")
        }
        try checkpoint.write(to: path)
        lastSavedStep = trainer.globalStep
        if keep > 0 {
            try replaceLink(to: path, at: stepPath(trainer.globalStep))
            try pruneStepFiles()
        }
    }

    /// `runs/fmnist.h5` → `runs/fmnist`, the stem the kept files share.
    private var stem: String {
        let url = URL(fileURLWithPath: path)
        return url.pathExtension.isEmpty ? path : url.deletingPathExtension().path
    }

    public var bestPath: String { "\(stem).best.h5" }

    public func stepPath(_ step: Int) -> String {
        "\(stem).step-\(String(step).leftPadded(to: 6, with: "0")).h5"
    }

    /// Points `linkPath` at the file now at `target` (a hard link, so later
    /// renames over `target` leave it alone), replacing what was there atomically.
    private func replaceLink(to target: String, at linkPath: String) throws {
        let temporary = "\(linkPath).tmp-\(getpid())"
        unlink(temporary)
        guard link(target, temporary) == 0, rename(temporary, linkPath) == 0 else {
            unlink(temporary)
            throw CheckpointError(file: linkPath, "cannot link to \(target): \(String(cString: strerror(errno)))")
        }
    }

    private func pruneStepFiles() throws {
        let url = URL(fileURLWithPath: stem)
        let directory = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + ".step-"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".h5") }
            .sorted()  // zero-padded step numbers sort in step order
        for name in names.dropLast(keep) {
            unlink("\(directory)/\(name)")
        }
    }
}
