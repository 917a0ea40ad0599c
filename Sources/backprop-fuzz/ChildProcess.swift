// Runs a program as a child process with posix_spawn: standard input and output
// at /dev/null, standard error to a file, killed after a time limit, and reports
// exactly how it ended (exit status, or the signal that ended it).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a child process ended.
enum Ending: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// Still running at the time limit; it was killed with SIGKILL.
    case timedOut(seconds: Double)

    var description: String {
        switch self {
        case .exited(let status): "exit \(status)"
        case .signaled(let signal): "killed by \(Ending.signalName(signal))"
        case .timedOut(let seconds): "no exit within \(seconds) s (killed)"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGILL: "SIGILL",
                                      SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGTRAP: "SIGTRAP", SIGTERM: "SIGTERM"]
        return names[signal] ?? "signal \(signal)"
    }
}

enum ChildProcess {
    /// Runs `executable arguments…`, its standard error written to `stderrPath`.
    static func run(_ executable: String, _ arguments: [String], stderrPath: String,
                    environment: [String: String] = [:], timeout: Double) throws -> Ending {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environ(of: environment).map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard status == 0 else {
            throw FuzzError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return wait(for: pid, timeout: timeout)
    }

    /// This process's environment with `overrides` applied, as `NAME=value` lines.
    private static func environ(of overrides: [String: String]) -> [String] {
        var lines: [String] = []
        var pointer = Glibc.environ
        while let entry = pointer.pointee {
            let line = String(cString: entry)
            let name = line.split(separator: "=", maxSplits: 1).first.map(String.init) ?? line
            if overrides[name] == nil { lines.append(line) }
            pointer += 1
        }
        return lines + overrides.map { "\($0.key)=\($0.value)" }
    }

    /// Polls for the child's end every 2 ms until the deadline, then kills it.
    private static func wait(for pid: pid_t, timeout: Double) -> Ending {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return ending(status) }
            if result < 0 && errno != EINTR { return .exited(-1) }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
            if elapsed > timeout {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return .timedOut(seconds: timeout)
            }
            usleep(2000)
        }
    }

    /// Decodes a waitpid status (the W* macros are not visible from Swift).
    private static func ending(_ status: Int32) -> Ending {
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }
}

struct FuzzError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
