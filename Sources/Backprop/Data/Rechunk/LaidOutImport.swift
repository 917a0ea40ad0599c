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
    /// - Throws: what the importer or `Rechunk.run` throws (naming `output`
    ///   where it named the staging file); `output` is then untouched and no
    ///   staging file is left.
    public static func importing<Summary>(to output: String, options: RechunkOptions?,
                                          _ importer: (String) throws -> Summary) throws -> Summary {
        guard let options else { return try importer(output) }
        let (directory, name) = AtomicReplace.split(output)
        let staging = "\(directory)/.\(name).import-\(getpid())"
        defer { unlink(staging) }
        let summary: Summary
        do {
            summary = try importer(staging)
            try run(input: staging, output: output, options: options)
        } catch {
            throw naming(output, for: staging, in: error)
        }
        return summary
    }

    /// `error` as the user should read it: a failure to write the staging
    /// file (a full disk, a file size limit) is a failure to write `output`,
    /// the file they named; errors about the inputs pass through unchanged.
    private static func naming(_ output: String, for staging: String, in error: Error) -> Error {
        let text = String(describing: error)
        guard text.contains(staging) else { return error }
        let message = text.hasPrefix("\(staging): ") ? String(text.dropFirst(staging.count + 2)) : text
        return DatasetError(file: output, message.replacingOccurrences(of: staging, with: "its staging copy"))
    }
}
