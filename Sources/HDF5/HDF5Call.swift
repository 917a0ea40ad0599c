// The one funnel every fallible HDF5 C call goes through: it silences HDF5's own
// error printing, and turns a failure into an HDF5Error carrying the innermost
// message of HDF5's error stack.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHDF5

/// Where a C call is made: the file and object that an error will name.
struct HDF5Site {
    let file: String
    let object: String?

    init(file: String, object: String? = nil) {
        self.file = file
        self.object = object
    }

    /// An error of this module's own diagnosis.
    func error(_ message: String) -> HDF5Error {
        HDF5Error(file: file, object: object, message: message)
    }

    /// Calls `body`, a C function whose failure is a negative result (`hid_t`,
    /// `herr_t`, `htri_t`, `hssize_t`, `int`).
    @discardableResult
    func call<R: SignedInteger>(_ function: String, _ body: () -> R) throws -> R {
        try call(function, failsWhen: { $0 < 0 }, body)
    }

    /// Calls `body`, a C function whose failure `isFailure` recognises (for
    /// functions returning a `size_t` of 0 or an enum's error case).
    func call<R>(_ function: String, failsWhen isFailure: (R) -> Bool, _ body: () -> R) throws -> R {
        HDF5Library.prepareThread()
        let result = body()
        if isFailure(result) {
            let innermost = HDF5Library.innermostErrorMessage() ?? "failed"
            throw error("\(innermost) (\(function))")
        }
        return result
    }
}

/// Library-wide set-up and the error stack.
enum HDF5Library {
    /// Marks threads on which HDF5's automatic error printing is already off.
    ///
    /// It has to be per thread: in a thread-safe build HDF5 keeps one error stack
    /// per thread, each born with printing switched on, and `H5Eset_auto2` only
    /// changes the calling thread's.
    private static let quietThreadKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// Makes the calling thread ready for HDF5 calls. Cheap after the first time.
    static func prepareThread() {
        guard pthread_getspecific(quietThreadKey) == nil else { return }
        // Also opens the library, so the shim's type getters are valid from here on.
        H5Eset_auto2(CHDF5_E_DEFAULT(), nil, nil)
        pthread_setspecific(quietThreadKey, UnsafeRawPointer(bitPattern: 1))
    }

    /// Whether the linked HDF5 serialises every call behind a global lock, which is
    /// what lets `HDF5File` and `HDF5Dataset` be used from any thread.
    static var isThreadSafe: Bool {
        prepareThread()
        var threadSafe: hbool_t = false
        return H5is_library_threadsafe(&threadSafe) >= 0 && threadSafe
    }

    /// The most specific message on the calling thread's error stack: HDF5 pushes
    /// the API function first and the place the problem was found last, and that
    /// last entry is the one that says what is actually wrong.
    static func innermostErrorMessage() -> String? {
        var message: String?
        withUnsafeMutablePointer(to: &message) { messagePointer in
            // Walking upward visits the innermost entry first (n == 0).
            _ = H5Ewalk2(CHDF5_E_DEFAULT(), H5E_WALK_UPWARD, { n, entry, clientData in
                guard n == 0, let entry, let clientData else { return 0 }
                let slot = clientData.assumingMemoryBound(to: String?.self)
                if let description = entry.pointee.desc, description.pointee != 0 {
                    slot.pointee = String(cString: description)
                } else {
                    slot.pointee = HDF5Library.minorMessage(entry.pointee.min_num)
                }
                return 0
            }, messagePointer)
        }
        H5Eclear2(CHDF5_E_DEFAULT())
        return message
    }

    /// The text of an error-stack entry's minor code, e.g. "file signature not found".
    private static func minorMessage(_ id: hid_t) -> String? {
        var kind = H5E_MINOR
        let length = H5Eget_msg(id, &kind, nil, 0)
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        _ = H5Eget_msg(id, &kind, &buffer, buffer.count)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Closes a handle on a path where nothing can be thrown (a `defer`, a `deinit`);
/// a failure to close is not actionable there, so it is dropped.
func closeHandle(_ id: hid_t, _ close: (hid_t) -> herr_t) {
    guard id >= 0 else { return }
    HDF5Library.prepareThread()
    _ = close(id)
}
