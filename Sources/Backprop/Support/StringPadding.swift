// Fixed-width text for file names, hex dumps and progress counters. `package`:
// the CLI's progress bar uses it too, but it is no part of the library's API.

extension String {
    /// The string padded on the left with `pad` to at least `width` characters:
    /// `"7".leftPadded(to: 3, with: "0")` is `"007"`.
    package func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
