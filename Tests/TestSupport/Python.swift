// The Python modules some tests check against (h5py writes files the way
// users' own code does). scripts/setup installs them, so a test that needs one
// fails when it is missing rather than skipping its point.

import Foundation

public enum Python {
    /// Whether `python3 -c "import NAME"` succeeds.
    public static func hasModule(_ name: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import \(name)"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// The message for a missing module.
    public static func missing(_ name: String) -> String {
        "python3 cannot import \(name); scripts/setup installs it"
    }
}
