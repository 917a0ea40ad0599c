// When and where a training run writes its checkpoints: every `everySteps`
// steps, at every epoch's end, and when `fit` returns (`.finished`) unless that
// state is saved already, always to `path` (so `path` is the newest complete
// checkpoint), and with `keep` > 0 also as step-numbered files, of which the
// newest `keep` are kept, plus the best one by held-out loss. It holds the
// path's lock (CheckpointLock) from its first save or `lock()` on, so no other
// run writes there meanwhile.
//
//   runs/fmnist.h5                  the newest
//   runs/fmnist.step-000940.h5      one per checkpoint, the last `keep` kept
//   runs/fmnist.best.h5             lowest validation (else test) loss at an epoch's end
//   runs/fmnist.h5.lock             while a run has the checkpoint: its pid (CheckpointLock)

import Glibc

/// Writes a run's checkpoints as it trains.
public final class Checkpointer {
    public let path: String
    public let everySteps: Int?
    public let keep: Int
    /// Recorded in each checkpoint so that `resume` finds the data and log.
    public let dataset: String?
    public let log: String?
    /// The global step of the last checkpoint this checkpointer wrote.
    public private(set) var lastSavedStep: Int?
    /// How many checkpoints it has written to `path`.
    public private(set) var checkpointsWritten = 0
    /// The parameters of the last checkpoint written, to tell at `.finished`
    /// whether the state changed since without a step being taken (early
    /// stopping restores its best parameters when the run ends).
    private var lastSavedParameters: [Float] = []
    private var bestLoss: Double?

    /// The lock that makes this the only run writing `path`; taken by `lock()`
    /// or the first save, released by `unlock()` or when this is freed.
    private var heldLock: CheckpointLock?

    /// - Parameter lock: the lock of `path`, when the caller took it before
    ///   (`resume` does, so the checkpoint it reads cannot change under it).
    public init(path: String, everySteps: Int? = nil, keep: Int = 0, dataset: String? = nil, log: String? = nil,
                lock: CheckpointLock? = nil) {
        precondition(everySteps.map { $0 > 0 } ?? true && keep >= 0)
        precondition(lock.map { $0.checkpoint == path } ?? true, "the lock is for another path")
        self.path = path
        self.everySteps = everySteps
        self.keep = keep
        self.dataset = dataset
        self.log = log
        heldLock = lock
        if lock != nil { removeStaleTemporaries() }
    }

    /// Makes this the only run writing `path` (creating its directory if
    /// missing), if it is not already. The first save does it too; call it
    /// before training to fail at once rather than at the first checkpoint.
    ///
    /// - Throws: `CheckpointError` naming the process that has the checkpoint.
    public func lock() throws {
        guard heldLock == nil else { return }
        heldLock = try CheckpointLock(checkpoint: path)
        removeStaleTemporaries()
    }

    /// Lets another run use `path`.
    public func unlock() {
        heldLock?.release()
        heldLock = nil
    }

    /// Removes the temporary files that runs killed while writing a checkpoint
    /// (SIGKILL, power cut) left beside it. Only the lock holder writes them, so
    /// with the lock held every one of them is stale.
    private func removeStaleTemporaries() {
        let (directory, name) = AtomicReplace.split(path)
        let stemName = AtomicReplace.split(stem).name
        guard let names = try? SystemCall.directoryEntries(directory) else { return }
        for entry in names where entry.hasPrefix(AtomicReplace.temporaryPrefix(for: name))
            || (entry.hasPrefix(".\(stemName).") && entry.contains(".h5.tmp-")) {
            SystemCall.attempt("unlink", path: entry) { unlink("\(directory)/\(entry)") }
        }
    }

    /// Saves when `event` calls for it: every `everySteps` steps, at every
    /// epoch's end, and at `.finished` unless that state is already saved, so
    /// a run's final checkpoint is written once.
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
        case .finished:
            if !isSaved(trainer) { try save(trainer) }
        case .epochBegan, .stoppedEarly:
            break
        }
    }

    /// Whether the last checkpoint written holds the trainer's state as it is now.
    private func isSaved(_ trainer: Trainer) -> Bool {
        lastSavedStep == trainer.globalStep && lastSavedParameters == trainer.model.parameters
    }

    /// Writes the trainer's state to `path` now.
    ///
    /// - Throws: `CheckpointError` if another run has the checkpoint,
    ///   `DivergenceError` for non-finite parameters (the checkpoint already
    ///   there is kept), `SystemCallError` when the file cannot be written
    ///   (likewise).
    public func save(_ trainer: Trainer) throws {
        try lock()
        let checkpoint = Checkpoint(trainer: trainer, dataset: dataset, log: log, checkpointEvery: everySteps, keep: keep)
        // Never let non-finite parameters replace a good checkpoint.
        if let bad = checkpoint.state.parameters.firstIndex(where: { !$0.isFinite }) {
            throw DivergenceError(step: trainer.globalStep, what: "parameter \(bad)")
        }
        try checkpoint.write(to: path)
        lastSavedStep = trainer.globalStep
        lastSavedParameters = checkpoint.state.parameters
        checkpointsWritten += 1
        if keep > 0 {
            try replaceLink(to: path, at: stepPath(trainer.globalStep))
            try pruneStepFiles()
        }
    }

    /// `runs/fmnist.h5` → `runs/fmnist`, the stem the kept files share.
    private var stem: String {
        let name = AtomicReplace.split(path).name
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path }
        return String(path.dropLast(name.distance(from: dot, to: name.endIndex)))
    }

    public var bestPath: String { "\(stem).best.h5" }

    public func stepPath(_ step: Int) -> String {
        "\(stem).step-\(String(step).leftPadded(to: 6, with: "0")).h5"
    }

    /// Points `linkPath` at the file now at `target` (a hard link, so later
    /// renames over `target` leave it alone), replacing what was there atomically.
    private func replaceLink(to target: String, at linkPath: String) throws(SystemCallError) {
        let temporary = AtomicReplace.temporaryPath(for: linkPath)
        SystemCall.attempt("unlink", path: temporary) { unlink(temporary) }
        do {
            try SystemCall.check("link", path: linkPath) { link(target, temporary) }
            try SystemCall.check("rename", path: linkPath) { rename(temporary, linkPath) }
        } catch {
            SystemCall.attempt("unlink", path: temporary) { unlink(temporary) }
            throw error
        }
    }

    private func pruneStepFiles() throws(SystemCallError) {
        let (directory, stemName) = AtomicReplace.split(stem)
        let prefix = stemName + ".step-"
        let names = try SystemCall.directoryEntries(directory)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".h5") }
            .sorted()  // zero-padded step numbers sort in step order
        for name in names.dropLast(keep) {
            try SystemCall.check("unlink", path: "\(directory)/\(name)") { unlink("\(directory)/\(name)") }
        }
    }
}
