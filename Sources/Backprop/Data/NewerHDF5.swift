// A file written by a newer HDF5 than Debian's 1.10.8: h5py's wheels bundle
// HDF5 2.0, and with libver='latest' they write layout and other messages in
// versions 1.10 cannot decode ("bad version number for layout message"). That
// error alone tells a user nothing; this says what happened and how to fix it.

import HDF5

enum NewerHDF5 {
    /// Runs `body`, turning HDF5's "bad version number" errors about the file
    /// at `path` into one line that names the cause and the fix.
    static func explained<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as HDF5Error where isVersionError(error.message) {
            throw DatasetError(file: path, """
                was written by a newer HDF5 than this backprop's (1.10): \(error.object.map { "\($0): " } ?? "")\(error.message). \
                h5py writes such files with libver='latest'; rewrite it with h5py using libver='v110' \
                (h5py.File(out, 'w', libver='v110'), copying each dataset), then train on the copy
                """)
        }
    }

    static func isVersionError(_ message: String) -> Bool {
        message.contains("bad version number") || message.contains("version number") && message.contains("message")
            || message.contains("bad object header version") || message.contains("unable to find a valid superblock version")
    }
}
