// Writing an HDF5 file too large to build in memory, safely: through a
// temporary file beside the target, renamed into place only when complete, with
// its disk space reserved (SpaceReservation) before HDF5 writes a byte. Used by
// `rechunk` and by the CSV and NumPy importers' streaming paths.

import HDF5

enum ReservedOutput {
    /// Creates a temporary HDF5 file beside `output`, reserves `reserve` bytes
    /// for it, lets `body` fill it, and moves it into place.
    ///
    /// - Throws: what `body` throws; `SystemCallError` naming `output` when the
    ///   disk is full or a file size limit is too low (before any data is
    ///   written); `DatasetError` naming `output` for an HDF5 write failure.
    ///   `output` is then untouched and no temporary is left.
    static func write(to output: String, reserving reserve: Int, _ body: (HDF5File) throws -> Void) throws {
        do {
            try AtomicReplace.write(to: output) { temporary in
                let file = try HDF5File(path: temporary, mode: .truncate)
                defer { file.close() }
                try SpaceReservation.reserve(reserve, for: temporary, reportAs: output)
                try body(file)
                try file.closeChecked()
                SpaceReservation.release(temporary)
            }
        } catch let error as HDF5Error {
            // HDF5's write errors name the temporary file and a page of detail; the reason is in quotes.
            let reason = error.message.range(of: "error message = '").flatMap { start in
                error.message[start.upperBound...].split(separator: "'").first.map(String.init)
            } ?? error.message
            throw DatasetError(file: output, "writing failed: \(reason); nothing was written to \(output)")
        }
    }

    /// The bytes to reserve for splits of `rows` rows of `rowBytes` bytes each
    /// (x and y): 1% for chunk indexes, 64 KiB a split, 1 MiB for the rest.
    static func estimate(rows: [Int], rowBytes: Int) -> Int {
        rows.reduce(1 << 20) { $0 + $1 * rowBytes / 100 * 101 + 64 << 10 }
    }
}
