// The one funnel every fallible POSIX call of the checkpoint code goes through,
// as HDF5 calls go through `HDF5Site.call`: a failure becomes a typed
// `SystemCallError` carrying the function, the path it was about and errno, and
// prints as one line, e.g. `runs/fmnist.h5: write failed: No space left on device`.

import Glibc

/// A failed POSIX call: which function, on which path, and errno.
public struct SystemCallError: Error, CustomStringConvertible, Equatable {
    /// The C function that failed, e.g. `"rename"`.
    public let function: String
    /// The file or directory it was about.
    public let path: String
    /// errno as the call left it.
    public let code: Int32

    public init(function: String, path: String, code: Int32) {
        self.function = function
        self.path = path
        self.code = code
    }

    /// strerror's text for `code`, e.g. "No space left on device".
    public var reason: String { String(cString: strerror(code)) }

    /// One line: `<path>: <function> failed: <strerror>`.
    public var description: String { "\(path): \(function) failed: \(reason)" }
}

enum SystemCall {
    /// Calls `body`, a C function that returns -1 (or any negative value) and
    /// sets errno on failure, and returns its result.
    ///
    /// An interrupted call (EINTR) is made again, except `close`: on Linux the
    /// descriptor is gone even when close reports EINTR, so retrying it could
    /// close a descriptor another thread has just been given.
    @discardableResult
    static func check<R: BinaryInteger>(_ function: String, path: String, _ body: () -> R) throws(SystemCallError) -> R {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR && function != "close" { continue }
            throw SystemCallError(function: function, path: path, code: code)
        }
    }

    /// Calls `body`, a C function that returns NULL and sets errno on failure.
    static func check<P>(_ function: String, path: String, _ body: () -> P?) throws(SystemCallError) -> P {
        while true {
            if let result = body() { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemCallError(function: function, path: path, code: code)
        }
    }

    /// Makes the call for its effect where a failure is not actionable (removing a
    /// temporary file that may not exist, closing after an earlier error): the
    /// error, if any, is returned for the caller to look at or drop.
    @discardableResult
    static func attempt<R: BinaryInteger>(_ function: String, path: String, _ body: () -> R) -> SystemCallError? {
        do {
            try check(function, path: path, body)
            return nil
        } catch {
            return error
        }
    }

    /// The names in `directory`, without "." and "..".
    static func directoryEntries(_ directory: String) throws(SystemCallError) -> [String] {
        let stream = try check("opendir", path: directory) { opendir(directory) }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemCallError(function: "readdir", path: directory, code: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Creates `directory` and any missing parents (`mkdir -p`).
    static func makeDirectories(_ directory: String) throws(SystemCallError) {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            prefix += "/" + component
            if let error = attempt("mkdir", path: prefix, { mkdir(prefix, 0o777) }), error.code != EEXIST {
                throw error
            }
        }
    }
}
