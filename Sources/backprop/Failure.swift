// How a subcommand fails: one line on standard error naming what is wrong,
// and a non-zero exit. Library errors already name the file and what was
// expected, so they are printed as they are, except that a setting the library
// names by its property is named by its flag.

import ArgumentParser
import Backprop
import Foundation

/// Runs `body`, turning any error into `backprop: <message>` and exit status 1.
func reportingFailures<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let message = error is RankStopped ? "" : userMessage(for: error).replacingOccurrences(of: "\n", with: " ")
        // Under mpirun: one line naming the rank, and every rank ends.
        if Ranks.size > 1 { Ranks.fail(message: message, code: ExitCode.failure.rawValue) }
        FileHandle.standardError.write(Data("backprop: error: \(message)\n".utf8))
        throw ExitCode.failure
    }
}

/// What the user reads for `error`: its description, in flags rather than properties.
func userMessage(for error: Error) -> String {
    if let error = error as? ConfigurationError { return SettingFlags.render(error) }
    return String(describing: error)
}

extension ValidationError {
    /// A usage error (exit 64) from a library setting error, in flags.
    init(_ error: ConfigurationError) {
        self.init(SettingFlags.render(error))
    }
}
