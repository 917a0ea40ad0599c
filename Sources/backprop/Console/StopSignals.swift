// SIGINT and SIGTERM during training: the first asks the trainer to finish
// the step under way, write a checkpoint and exit; a second one exits at once.

import Dispatch
import Glibc
import Synchronization

enum StopSignals {
    /// The first stop signal received, or 0.
    private static let received = Atomic<Int32>(0)
    /// Kept alive for as long as the process runs.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            // Dispatch delivers the signal on a queue only while the default action is ignored.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let (exchanged, _) = received.compareExchange(expected: 0, desired: signalNumber, ordering: .relaxed)
                if exchanged {
                    if Ranks.isRoot { Terminal.warn("\(name(signalNumber)): finishing this step and writing a checkpoint; send it again to exit at once") }
                } else {
                    _exit(128 + signalNumber)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The signal that asked training to stop, if one did.
    static var requested: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    static func name(_ signalNumber: Int32) -> String {
        signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "signal \(signalNumber)"
    }
}
