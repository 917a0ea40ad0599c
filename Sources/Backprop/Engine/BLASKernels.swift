// Which OpenBLAS kernel set runs, and whether it is the fastest this CPU can.
//
// OpenBLAS (built with DYNAMIC_ARCH, as Debian ships it) picks its kernels at
// load time from the CPU model. A build older than the CPU does not know the
// model and falls back to generic SSE3 kernels ("Prescott"): on an AVX-512 Xeon
// with Debian's 0.3.21 that is about 32 GFLOP/s per core instead of 150. The
// choice can only be changed before the library loads (OPENBLAS_CORETYPE), so
// the `backprop` command restarts itself with the kernels the CPU's features
// call for, and checks them against a plain reference before trusting them.

import Foundation

/// For the `backprop` command's kernel selection; `package`, not API.
package enum BLASKernels {
    /// The kernel set a CPU with these /proc/cpuinfo `flags` and vendor should run.
    package static func preferredCore(flags: Set<String>, vendor: String) -> String? {
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains)
        let avx2 = ["avx2", "fma"].allSatisfy(flags.contains)
        if avx512 { return "SkylakeX" }
        if avx2 { return vendor == "AuthenticAMD" ? "Zen" : "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// How far along the kernel lines `name` is, comparable across vendors by
    /// the vector width it uses: SSE < AVX < AVX2 < AVX-512.
    static func level(of name: String) -> Int {
        switch name {
        case "Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator": 1
        case "Haswell", "Zen": 2
        case "SkylakeX", "Cooperlake", "SapphireRapids": 3
        default: 0
        }
    }

    /// Whether kernels `preferred` should replace the `current` ones.
    package static func shouldReplace(current: String, with preferred: String) -> Bool {
        level(of: preferred) > level(of: current)
    }

    /// The flags and vendor of the first CPU in /proc/cpuinfo.
    package static func cpuFeatures(cpuinfo path: String = "/proc/cpuinfo") -> (flags: Set<String>, vendor: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ([], "") }
        var flags = Set<String>(), vendor = ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "flags", flags.isEmpty { flags = Set(parts[1].split(separator: " ").map(String.init)) }
            if parts[0] == "vendor_id", vendor.isEmpty { vendor = parts[1] }
            if !flags.isEmpty && !vendor.isEmpty { break }
        }
        return (flags, vendor)
    }

    /// Checks the loaded sgemm against a plain triple loop in double precision
    /// on awkward shapes (odd sizes, every transpose), so kernels that compute
    /// wrong results on this CPU are never used for training.
    package static func selfTest() -> Bool {
        var generator = RandomGenerator(seed: 17, stream: 3)
        for (m, n, k) in [(37, 53, 29), (64, 96, 128), (1, 130, 7), (131, 3, 67)] {
            for (ta, tb) in [(MatrixTranspose.none, MatrixTranspose.none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed)] {
                let a = (0..<m * k).map { _ in Float(generator.nextUniform(limit: 1)) }
                let b = (0..<k * n).map { _ in Float(generator.nextUniform(limit: 1)) }
                var c = [Float](repeating: 0.5, count: m * n)
                let lda = ta == .none ? k : m, ldb = tb == .none ? n : k
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            Float.gemm(ta, tb, m: m, n: n, k: k, alpha: 1, a: a.baseAddress!, lda: lda,
                                       b: b.baseAddress!, ldb: ldb, beta: 1, c: c.baseAddress!, ldc: n)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        var expected = 0.5
                        for p in 0..<k {
                            let x = ta == .none ? a[i * lda + p] : a[p * lda + i]
                            let y = tb == .none ? b[p * ldb + j] : b[j * ldb + p]
                            expected += Double(x) * Double(y)
                        }
                        if !(abs(Double(c[i * n + j]) - expected) <= 1e-4 * (1 + abs(expected))) { return false }
                    }
                }
            }
        }
        return true
    }
}
