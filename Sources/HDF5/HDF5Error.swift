// The error every HDF5 operation throws, naming the file and object it concerns.

/// A failed HDF5 operation: which file, which object in it, and what went wrong.
///
/// `message` is either this module's own diagnosis ("no such dataset",
/// "expected 2 dimensions, found 1") or the innermost entry of HDF5's error stack,
/// followed by the C function that failed, e.g.
/// `truncated file: eof = 1024, sblock->base_addr = 0, stored_eof = 2048 (H5Fopen)`.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    /// The path of the HDF5 file.
    public let file: String
    /// The object inside the file, e.g. `"train/x"`, or for an attribute
    /// `attribute "epoch" of /`; `nil` for file-level errors.
    public let object: String?
    /// What went wrong.
    public let message: String

    public init(file: String, object: String? = nil, message: String) {
        self.file = file
        self.object = object
        self.message = message
    }

    /// One line: `<file>: <object>: <message>`, without the object part when there is none.
    public var description: String {
        if let object {
            return "\(file): \(object): \(message)"
        }
        return "\(file): \(message)"
    }
}
