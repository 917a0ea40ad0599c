// Transparent huge pages for the buffers that minibatches gather rows from at
// random: a split held in memory, and the streamer's resident blocks. With
// 4 KiB pages nearly every row read also misses the TLB, and once the page
// tables outgrow the cache (2 MB of them for a 1 GB buffer) the page walk
// misses too. Linux backs a range with 2 MiB pages at its first touch when it
// is asked to (madvise) and huge pages are not switched off.

import CLinux

enum HugePages {
    static let size = 2 << 20

    /// Asks for huge pages over the whole 2 MiB pages inside `range`, before
    /// they are first written. Advice only: nothing changes when it is refused.
    static func advise(_ range: UnsafeMutableRawBufferPointer) {
        guard let start = range.baseAddress else { return }
        let first = (UInt(bitPattern: start) + UInt(size - 1)) / UInt(size) * UInt(size)
        let end = (UInt(bitPattern: start) + UInt(range.count)) / UInt(size) * UInt(size)
        guard end > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = CLinux_advise_huge_pages(aligned, Int(end - first))
    }
}
