// One fuzzing campaign over one reader: builds each mutant from its own seed, runs
// the real `backprop` on it, and judges how the process ended. A mutant passes if
// backprop exits 0, or exits non-zero with exactly one line on standard error; it
// fails on a signal (a crash, a trap), on a multi-line or empty error, and on a hang.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import TestSupport
import Synchronization

/// The readers a campaign can target.
enum Reader: String, CaseIterable, Sendable {
    /// `backprop train` and `backprop evaluate` loading a mutated HDF5 dataset.
    case dataset
    /// `backprop resume` and `backprop evaluate` loading a mutated checkpoint.
    case checkpoint
    /// `backprop import idx` reading mutated IDX files, plain or gzip.
    case idx
}

/// What one mutant was and how backprop took it.
struct MutantResult: Sendable {
    /// `unchanged`: the mutations happened to leave every byte as it was (zeros
    /// written over zeros), so the mutant was not run and counts for nothing.
    enum Verdict: Sendable { case accepted, refused, failed, unchanged }

    let index: Int
    let seed: UInt64
    let verdict: Verdict
    let ending: String
    let arguments: [String]
    let mutatedFile: String
    let mutations: [String]
    let stderr: String
}

struct Campaign {
    let reader: Reader
    let seeds: SeedFiles
    let backprop: String
    let runSeed: UInt64
    let timeout: Double
    /// Where each mutant's files are made; a passing mutant's are removed again.
    let workDirectory: String

    /// Runs mutants `indices` on `jobs` threads; results come back in index order.
    func run(_ indices: [Int], jobs: Int, keepAll: Bool) -> [MutantResult] {
        let next = Atomic<Int>(0)
        let results = Mutex<[MutantResult]>([])
        DispatchQueue.concurrentPerform(iterations: max(1, jobs)) { _ in
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < indices.count else { return }
                let result = runMutant(indices[position], keep: keepAll)
                results.withLock { $0.append(result) }
            }
        }
        return results.withLock { $0 }.sorted { $0.index < $1.index }
    }

    /// Builds mutant `index`, runs backprop on it and judges the ending.
    func runMutant(_ index: Int, keep: Bool) -> MutantResult {
        let seed = SplitMix64.mutantSeed(run: runSeed, stream: reader.rawValue, index: index)
        let directory = "\(workDirectory)/\(reader.rawValue)-\(index)"
        mkdir(directory, 0o755)
        var generator = SplitMix64(seed: seed)
        let plan = plan(index: index, directory: directory, using: &generator)
        let stderrPath = "\(directory)/stderr.txt"
        let (ending, mutations): (Ending, [Mutation])
        do {
            let original = try readFile(plan.source)
            let mutant = Mutator.mutate(original, seed: generator.next())
            if mutant.bytes == original {
                if !keep { removeTree(directory) }
                return MutantResult(index: index, seed: seed, verdict: .unchanged, ending: "not run: no byte changed",
                                    arguments: plan.arguments, mutatedFile: plan.mutant,
                                    mutations: mutant.mutations.map(\.description), stderr: "")
            }
            try writeFile(plan.mutant, mutant.bytes)
            mutations = mutant.mutations
            ending = try ChildProcess.run(backprop, plan.arguments, stderrPath: stderrPath, timeout: timeout)
        } catch {
            return MutantResult(index: index, seed: seed, verdict: .failed, ending: "harness error: \(error)",
                                arguments: plan.arguments, mutatedFile: plan.mutant, mutations: [], stderr: "")
        }
        let stderr = (try? readFile(stderrPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let lines = stderr.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }
        var verdict: MutantResult.Verdict = switch ending {
        case .exited(0): .accepted
        case .exited: lines.count == 1 ? .refused : .failed
        case .signaled, .timedOut: .failed
        }
        // A checkpoint carries a checksum of every byte: one with any byte changed
        // must be refused, never loaded with numbers other than those written.
        var judged = ending.description
        if reader == .checkpoint && verdict == .accepted {
            verdict = .failed
            judged = "a checkpoint with changed bytes was accepted"
        }
        if verdict != .failed && !keep {
            removeTree(directory)
        }
        return MutantResult(index: index, seed: seed, verdict: verdict, ending: judged,
                            arguments: plan.arguments, mutatedFile: plan.mutant,
                            mutations: mutations.map(\.description), stderr: stderr)
    }

    /// Which seed file a mutant changes, where the mutant goes, and the command that reads it.
    private struct Plan {
        let source: String
        let mutant: String
        let arguments: [String]
    }

    private func plan(index: Int, directory: String, using generator: inout SplitMix64) -> Plan {
        let quick = ["--workers", "1"]
        switch reader {
        case .dataset:
            // Cycles through the seed datasets, and alternates training with evaluating.
            let source = seeds.datasets[index % seeds.datasets.count]
            let mutant = "\(directory)/data.h5"
            let arguments = (index / 2) % 2 == 0
                ? ["train", mutant, "--layers", SeedFiles.layers, "--steps", "1", "--batch-size", "16", "--quiet"]
                    + (generator.next() % 2 == 0 ? ["--validation-split", "0.25"] : []) + quick
                : ["evaluate", seeds.checkpoint, mutant] + quick
            return Plan(source: source, mutant: mutant, arguments: arguments)
        case .checkpoint:
            let mutant = "\(directory)/checkpoint.h5"
            let arguments = index % 2 == 0
                ? ["resume", mutant, "--data", seeds.floatDataset, "--steps", "8", "--quiet"] + quick
                : ["evaluate", mutant, seeds.floatDataset] + quick
            return Plan(source: seeds.checkpoint, mutant: mutant, arguments: arguments)
        case .idx:
            // Half the mutants change a gzip file; images are mutated more often than labels.
            let originals = index % 2 == 0 ? seeds.idxPlain : seeds.idxGzip
            let target = [0, 0, 1, 2, 2, 3][Int(generator.next() % 6)]
            let names = ["train-images", "train-labels", "test-images", "test-labels"]
            let suffix = index % 2 == 0 ? ".idx" : ".idx.gz"
            var files = originals
            files[target] = "\(directory)/\(names[target])\(suffix)"
            let arguments = ["import", "idx", files[0], files[1], "--test-images", files[2], "--test-labels", files[3],
                             "-o", "\(directory)/imported.h5"]
            return Plan(source: originals[target], mutant: files[target], arguments: arguments)
        }
    }
}

/// Removes a mutant's directory and the files in it (mutants make no subdirectories).
func removeTree(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink("\(path)/\(name)") }
        }
        closedir(directory)
    }
    rmdir(path)
}
