// Fixed-width text for file names, hex dumps and progress counters.

extension String {
    /// The string padded on the left with `pad` to at least `width` characters:
    /// `"7".leftPadded(to: 3, with: "0")` is `"007"`.
    public func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
