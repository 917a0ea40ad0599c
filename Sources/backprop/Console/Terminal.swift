// Where output goes, and whether a person is watching it.

import Foundation
import Glibc

enum Terminal {
    /// True when standard output is a terminal: draw progress bars; otherwise print plain lines.
    static let isInteractive = isatty(STDOUT_FILENO) == 1

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func writeToStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("backprop: \(text)\n".utf8))
    }
}

extension Int {
    /// 60000 → "60,000".
    var grouped: String {
        let digits = String(abs(self))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return self < 0 ? "-" + out : out
    }
}

/// 75.3 → "1:15", 3725 → "1:02:05".
func clock(_ seconds: Double) -> String {
    let s = max(0, Int(seconds.rounded()))
    return s >= 3600
        ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String(format: "%d:%02d", s / 60, s % 60)
}
