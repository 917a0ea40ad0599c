// How much memory the data and parameters may take, and the check made before
// any large allocation: a dataset, checkpoint or --layers whose sizes cannot fit
// is refused in one line that gives the bytes needed and the bytes there are,
// instead of Swift trapping with "failed to allocate" (or the kernel killing us).
//
// The limit is the machine's physical memory (sysconf(_SC_PHYS_PAGES) ×
// _SC_PAGE_SIZE), lowered to the cgroup v2 `memory.max` of this process when a
// container sets one. Not /proc/meminfo's MemAvailable: that moves with every
// other process and the page cache, so the same command would be refused on one
// run and accepted on the next; this check is for sizes that can never fit, and
// a tight fit is left to the system, as for any other program.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A size that does not fit in memory.
public struct MemoryError: Error, CustomStringConvertible, Equatable {
    /// What needed the memory, e.g. "data.h5: train/x (10000000000 × 784) as float32".
    public let what: String
    /// Bytes needed; nil when the count overflows a 64-bit integer.
    public let neededBytes: Int?
    public let availableBytes: Int
    public let availableSource: String

    public var description: String {
        let needed = neededBytes.map { "needs \($0) bytes (\(MemoryBudget.gibibytes($0)))" }
            ?? "needs more than \(Int.max) bytes (the size overflows a 64-bit integer)"
        return "\(what) \(needed), but \(availableSource) is \(availableBytes) bytes (\(MemoryBudget.gibibytes(availableBytes)))"
    }
}

enum MemoryBudget {
    /// Bytes that can ever be allocated here, and where that figure comes from.
    static let available: (bytes: Int, source: String) = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        var best = (bytes: Int.max, source: "memory")
        if pages > 0, pageSize > 0, let physical = product([pages, pageSize]) {
            best = (physical, "physical memory")
        }
        if let limit = cgroupLimit(), limit < best.bytes {
            best = (limit, "this process's cgroup memory limit")
        }
        return best
    }()

    /// Throws `MemoryError` unless `bytes` (nil meaning it overflowed) fits in `available`.
    static func check(_ bytes: Int?, for what: @autoclosure () -> String) throws {
        guard let bytes, bytes <= available.bytes else {
            throw MemoryError(what: what(), neededBytes: bytes, availableBytes: available.bytes,
                              availableSource: available.source)
        }
    }

    /// The product of `factors`, or nil if it overflows `Int` (or a factor is negative).
    static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// The sum of `terms`, or nil if any is nil or the sum overflows `Int`.
    static func sum(_ terms: [Int?]) -> Int? {
        var result = 0
        for term in terms {
            guard let term else { return nil }
            let (next, overflow) = result.addingReportingOverflow(term)
            if overflow { return nil }
            result = next
        }
        return result
    }

    static func gibibytes(_ bytes: Int) -> String {
        let value = Double(bytes) / Double(1 << 30)
        return value >= 10 ? "\(Int(value.rounded())) GiB" : "\((value * 100).rounded() / 100) GiB"
    }

    /// The cgroup v2 `memory.max` of this process, if it has a numeric one.
    private static func cgroupLimit() -> Int? {
        // /proc/self/cgroup holds "0::/path" under cgroup v2.
        guard let membership = readSmallFile("/proc/self/cgroup"),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let group = String(line.dropFirst(3))
        let path = "/sys/fs/cgroup" + (group == "/" ? "" : group) + "/memory.max"
        guard let text = readSmallFile(path) else { return nil }
        return Int(text.split(separator: "\n").first ?? "")  // "max" means no limit: nil
    }

    private static func readSmallFile(_ path: String) -> String? {
        guard let stream = fopen(path, "r") else { return nil }
        defer { fclose(stream) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = fread(&buffer, 1, buffer.count, stream)
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
