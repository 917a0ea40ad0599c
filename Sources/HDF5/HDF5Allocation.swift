// The check every read makes before it allocates the buffer a file's metadata asks
// for: a damaged or hostile file can declare any extent or string size, and an
// allocation that cannot succeed traps the whole process instead of throwing.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum HDF5Allocation {
    /// This machine's physical memory: no buffer larger than that can ever be
    /// filled, so a read that needs more is refused, whatever else is running.
    /// (Callers that want a tighter budget, such as Backprop's dataset loader,
    /// check their own before reading.)
    static let physicalMemory: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return .max }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? .max : bytes
    }()

    /// The bytes of `count` elements of `stride` bytes each, or an error naming
    /// both figures when that overflows or exceeds physical memory.
    static func bytes(count: Int, stride: Int, what: String, site: HDF5Site) throws -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: stride)
        guard !overflow, count >= 0 else {
            throw site.error("\(count) \(what) of \(stride) bytes each would need more bytes than a 64-bit integer counts")
        }
        guard bytes <= physicalMemory else {
            throw site.error("\(count) \(what) need \(bytes) bytes, more than the \(physicalMemory) bytes of physical memory")
        }
        return bytes
    }
}
