// The CI-length fuzzing run: 300 seeded mutants for each of backprop's three file
// readers (HDF5 datasets, checkpoints, IDX files), run through the real binary by
// backprop-fuzz. A crash, hang or multi-line error fails the test, names the
// mutant's seed and keeps the file; `scripts/fuzz` runs longer campaigns.

import Foundation
import Testing

@Suite(.serialized) struct FuzzTests {
    static let mutants = 300
    /// Fixed, so CI runs the same mutants every time; change it to explore more.
    static let seed = 2026

    @Test(arguments: ["dataset", "checkpoint", "idx"])
    func noMutantCrashesHangsOrFailsInMoreThanOneLine(reader: String) throws {
        let backprop = try #require(BackpropCLI.executable)
        let fuzzer = backprop.deletingLastPathComponent().appendingPathComponent("backprop-fuzz")
        let keep = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-fuzz-failures").path
        let run = try BackpropCLI.runProgram(fuzzer, [
            "--backprop", backprop.path, "--reader", reader, "--mutants", String(Self.mutants),
            "--seed", String(Self.seed), "--jobs", "2", "--keep-dir", keep,
        ], timeout: 600)
        #expect(run.succeeded, "\(run)")
        // e.g. "dataset reader: 300 mutants (seed 2026): 171 accepted, 126 refused with one line, 0 failed, 3 unchanged (not run) [20.3 s]"
        let summary = try #require(run.stdoutLines.first { $0.hasPrefix("\(reader) reader: ") }, "\(run)")
        let counts = summary.split(separator: " ").compactMap { Int($0) }
        #expect(summary.contains("\(Self.mutants) mutants") && summary.contains(" 0 failed"), "\(run)")
        // counts: mutants, accepted, refused, failed, unchanged.
        try #require(counts.count == 5, "\(summary)")
        if reader == "checkpoint" {
            // Every byte is checksummed: a changed checkpoint is refused (the
            // fuzzer fails any it sees accepted), and most mutants change bytes.
            #expect(counts[1] == 0 && counts[2] > Self.mutants / 2, "\(summary)")
        } else {
            // Both outcomes must occur, or the mutants are not exercising the reader.
            #expect(counts[1] > 0 && counts[2] > 0, "expected some mutants accepted and some refused: \(summary)")
        }
    }
}
