// OpenBLAS's own thread pool, kept out of the way of ours.
//
// Every worker already owns a core; if OpenBLAS also split each sgemm across
// its threads, 2 workers would run 2 × cores threads that fight for the same
// cores. So BLAS runs single-threaded inside each worker.

import CBLAS
import Foundation

/// For the engine and the `backprop` command; `package`, not API.
package enum BLASThreads {
    /// Makes every BLAS call run on the calling thread only.
    package static func useCallingThreadOnly() {
        openblas_set_num_threads(1)
    }

    /// The kernel set OpenBLAS picked for this CPU (e.g. "Zen", "SkylakeX", "Haswell").
    package static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration line.
    package static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: .whitespaces)
    }
}
