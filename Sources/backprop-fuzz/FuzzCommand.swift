// `backprop-fuzz`: seeded mutation fuzzing of backprop's file readers, run against
// the real binary as child processes. See README.md, "Fuzzing".
//
//     backprop-fuzz --mutants 300 --seed 1            # each reader, as CI runs it
//     backprop-fuzz --reader checkpoint --seed 1 --only 137   # replay one mutant

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser

@main
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backprop-fuzz",
        abstract: "Feed backprop mutated datasets, checkpoints and IDX files; report any crash, hang or multi-line error.")

    @Option(help: ArgumentHelp("The backprop binary (default: the one beside this program).", valueName: "path"))
    var backprop: String?

    @Option(help: "Which reader to fuzz: dataset, checkpoint, idx or all.")
    var reader = "all"

    @Option(help: "Mutants per reader.")
    var mutants = 300

    @Option(help: "Seed of the run; with the mutant's index it fixes each mutant.")
    var seed: UInt64 = 1

    @Option(help: "Mutants run at once (default: the number of cores).")
    var jobs: Int?

    @Option(help: "Seconds a run may take before it counts as a hang.")
    var timeout = 30.0

    @Option(help: ArgumentHelp("Failing mutants are copied here, with their error output.", valueName: "dir"))
    var keepDir = "fuzz-failures"

    @Option(help: ArgumentHelp("Replay only mutant i (of --reader, with --seed), keeping its files.", valueName: "i"))
    var only: Int?

    @Flag(help: "Also print the commonest refusal messages.")
    var verbose = false

    func validate() throws {
        guard reader == "all" || Reader(rawValue: reader) != nil else {
            throw ValidationError("--reader must be dataset, checkpoint, idx or all; got '\(reader)'")
        }
        if mutants < 1 { throw ValidationError("--mutants must be positive") }
        if only != nil && reader == "all" { throw ValidationError("--only needs one --reader") }
    }

    func run() throws {
        let backprop = try self.backprop ?? besideThisProgram("backprop")
        var template = Array("/tmp/backprop-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FuzzError("cannot make a temporary directory") }
        let work = String(cString: made)
        let seeds = try SeedFiles.make(in: work, backprop: backprop)
        let readers = reader == "all" ? Reader.allCases : [Reader(rawValue: reader)!]
        if readers.contains(.dataset) {
            let names = seeds.datasets.map { String($0.split(separator: "/").last ?? "") }
            print("dataset seeds: \(names.joined(separator: ", "))\(seeds.datasets.count < 3 ? " (no h5py: install python3-h5py for its seed)" : "")")
        }
        let jobs = self.jobs ?? sysconf(Int32(_SC_NPROCESSORS_ONLN))
        var failures = 0
        for reader in readers {
            let campaign = Campaign(reader: reader, seeds: seeds, backprop: backprop, runSeed: seed,
                                    timeout: timeout, workDirectory: work)
            let indices = only.map { [$0] } ?? Array(0..<mutants)
            let started = monotonicSeconds()
            let results = campaign.run(indices, jobs: jobs, keepAll: only != nil)
            let seconds = monotonicSeconds() - started
            failures += try report(reader, results, seconds: seconds, work: work)
        }
        if only == nil && failures == 0 { removeSeeds(work) }
        if failures > 0 { throw ExitCode.failure }
    }

    /// Prints one reader's tally, each failure with how to replay it; returns the failure count.
    private func report(_ reader: Reader, _ results: [MutantResult], seconds: Double, work: String) throws -> Int {
        let accepted = results.filter { $0.verdict == .accepted }.count
        let refused = results.filter { $0.verdict == .refused }.count
        let unchanged = results.filter { $0.verdict == .unchanged }.count
        let failed = results.filter { $0.verdict == .failed }
        print("\(reader.rawValue) reader: \(results.count) mutants (seed \(seed)): \(accepted) accepted, "
              + "\(refused) refused with one line, \(failed.count) failed, \(unchanged) unchanged (not run) "
              + "[\((seconds * 10).rounded() / 10) s]")
        if failed.isEmpty == false { mkdir(keepDir, 0o755) }
        for result in failed {
            let name = "\(reader.rawValue)-seed\(seed)-\(result.index)"
            let extensionStart = result.mutatedFile.lastIndex(of: "/").map { result.mutatedFile[$0...] }
                .flatMap { $0.firstIndex(of: ".") }.map { String(result.mutatedFile[$0...]) } ?? ""
            let kept = "\(keepDir)/\(name)\(extensionStart)"
            if let bytes = try? readFile(result.mutatedFile) { try writeFile(kept, bytes) }
            try writeFile("\(keepDir)/\(name).stderr.txt", Array(result.stderr.utf8))
            print("FAIL \(reader.rawValue) mutant \(result.index) (mutant seed \(result.seed)): \(result.ending)")
            print("  kept: \(kept)")
            print("  replay: backprop-fuzz --reader \(reader.rawValue) --seed \(seed) --only \(result.index)")
            print("  ran: backprop \(result.arguments.joined(separator: " "))")
            print("  mutations: \(result.mutations.joined(separator: "; "))")
            for line in result.stderr.split(separator: "\n").prefix(12) { print("  | \(line)") }
        }
        if only != nil, let result = results.first {
            print("  ran: backprop \(result.arguments.joined(separator: " "))")
            print("  mutations: \(result.mutations.joined(separator: "; "))")
            print("  stderr: \(result.stderr.split(separator: "\n").prefix(12).joined(separator: "\n  | "))")
            print("  files kept in \(work)/\(reader.rawValue)-\(result.index)")
        }
        if verbose {
            var reasons: [String: Int] = [:]
            for result in results where result.verdict == .refused {
                reasons[Self.reason(result.stderr, work: work), default: 0] += 1
            }
            for (reason, count) in reasons.sorted(by: { $0.value > $1.value }).prefix(10) {
                print("  \(String(count).leftPadded(5)) × \(reason)")
            }
        }
        return failed.count
    }

    /// A refusal message with paths and numbers taken out, so alike refusals group.
    static func reason(_ stderr: String, work: String) -> String {
        var text = stderr.trimmingSuffix()
        text = text.replacingOccurrences(of: work, with: "")
        var out = ""
        var lastWasDigit = false
        for character in text {
            if character.isNumber {
                if !lastWasDigit { out.append("N") }
                lastWasDigit = true
            } else {
                out.append(character)
                lastWasDigit = false
            }
        }
        return String(out.prefix(150))
    }

    private func removeSeeds(_ work: String) {
        let seeds = SeedFiles(directory: work)
        for path in seeds.idxPlain + seeds.idxGzip + [seeds.importedDataset, seeds.floatDataset, seeds.h5pyDataset, seeds.checkpoint,
                                                      "\(work)/seed-stderr.txt"] {
            unlink(path)
        }
        rmdir(work)
    }
}

/// `name` in the directory this program's executable is in.
func besideThisProgram(_ name: String) throws -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { throw FuzzError("cannot find this program's directory; give --backprop") }
    let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) + "/" + name
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }

    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }

    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
