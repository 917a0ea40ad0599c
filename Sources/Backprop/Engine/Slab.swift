// The one owner of the engine's raw memory. Every buffer that is allocated once
// and then reused (parameters, optimizer state, gradient slots, workspaces, the
// per-step scratch of the scheduler, the streamer's block buffers, the CSV
// importer's row blocks, benchmark operands) is a slab: allocated and
// initialised in `init`, freed in `deinit`, and handed out as pointers or as
// views of sub-ranges. The only other `allocate` calls are scratch buffers that
// live within one function of a one-off file conversion (rechunk, the CSV
// reader's row), freed by a `defer` beside them.
//
// A slab never grows: a larger batch or model is a new slab, made outside the
// training loop. Internal to Backprop; opened to the benchmark package through
// the `Benchmarking` SPI so that its operands follow the same rule.

/// `count` values of `Element` in one allocation, owned for the slab's lifetime.
///
/// The pointers it hands out are valid while the slab is alive; the owner
/// keeps the slab in a stored property next to whatever holds its pointers.
@_spi(Benchmarking)
public final class Slab<Element>: @unchecked Sendable {
    public let count: Int
    /// The first element; elements are contiguous.
    public let base: UnsafeMutablePointer<Element>

    /// `count` copies of `value`.
    public convenience init(count: Int, repeating value: Element) {
        self.init(count: count, repeating: value, hugePages: false)
    }

    /// `count` copies of `value`; with `hugePages`, in memory aligned to 2 MiB
    /// that the kernel is asked to back with huge pages (see HugePages.swift)
    /// before it is first touched.
    init(count: Int, repeating value: Element, hugePages: Bool) {
        precondition(count >= 0)
        self.count = count
        // At least one element, so `base` is a real allocation even for an empty slab.
        let capacity = max(count, 1)
        if hugePages {
            let bytes = (capacity * MemoryLayout<Element>.stride + HugePages.size - 1) / HugePages.size * HugePages.size
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: HugePages.size)
            HugePages.advise(UnsafeMutableRawBufferPointer(start: raw, count: bytes))
            base = raw.bindMemory(to: Element.self, capacity: capacity)
        } else {
            base = .allocate(capacity: capacity)
        }
        base.initialize(repeating: value, count: count)
    }

    /// A copy of `values`.
    public init(copying values: [Element]) {
        count = values.count
        base = .allocate(capacity: max(count, 1))
        values.withUnsafeBufferPointer { base.initialize(from: $0.baseAddress!, count: count) }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Every element.
    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// The elements `range`, a view into the slab (not a copy).
    public func view(_ range: Range<Int>) -> UnsafeMutableBufferPointer<Element> {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "\(range) is outside a slab of \(count)")
        return UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    public subscript(index: Int) -> Element {
        get { base[index] }
        set { base[index] = newValue }
    }

    /// A copy of the elements `range` (every element by default).
    public func copy(_ range: Range<Int>? = nil) -> [Element] {
        Array(view(range ?? 0..<count))
    }

    /// Overwrites the elements from `offset` on with `values`.
    public func update(from values: [Element], at offset: Int = 0) {
        let target = view(offset..<(offset + values.count))
        _ = target.update(fromContentsOf: values)
    }
}

extension Slab where Element: AdditiveArithmetic {
    /// `count` zeros.
    public convenience init(zeros count: Int) {
        self.init(count: count, repeating: .zero)
    }
}
