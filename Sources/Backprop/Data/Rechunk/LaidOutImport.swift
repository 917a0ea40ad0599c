// `backprop import … --dtype/--chunk-rows/--deflate/--shuffle-rows`: an
// import laid out for streaming by rechunk's own code, not a second copy of
// it. The importer writes its usual file to a hidden staging file beside OUT;
// `Rechunk.run` rewrites that into OUT (atomically, its space reserved, in
// bounded memory; the shuffle out of core); the staging file is removed
// whatever happens. It costs one more pass over the data on disk, paid only
// when a layout option is given.

#if canImport(Glibc)
import Glibc
#endif

extension Rechunk {
    /// Runs `importer`, which writes a dataset file at the path it is given and
    /// returns what it says about it, so that `output` ends up laid out by `options`
    /// (nil: the importer writes `output` itself, as it always has).
    ///
    /// - Throws: what the importer or `Rechunk.run` throws; `output` is then
    ///   untouched and no staging file is left.
    public static func importing<Summary>(to output: String, options: RechunkOptions?,
                                          _ importer: (String) throws -> Summary) throws -> Summary {
        guard let options else { return try importer(output) }
        let (directory, name) = AtomicReplace.split(output)
        let staging = "\(directory)/.\(name).import-\(getpid())"
        defer { unlink(staging) }
        let summary = try importer(staging)
        try run(input: staging, output: output, options: options)
        return summary
    }
}
