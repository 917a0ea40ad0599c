// How a subcommand fails: one line on standard error naming what is wrong,
// and a non-zero exit. Library errors already name the file and what was
// expected, so they are printed as they are.

import ArgumentParser
import Foundation

/// Runs `body`, turning any error into `backprop: <message>` and exit status 1.
func reportingFailures<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let message = String(describing: error).replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data("backprop: error: \(message)\n".utf8))
        throw ExitCode.failure
    }
}
