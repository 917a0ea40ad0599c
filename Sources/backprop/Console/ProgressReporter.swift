// Shows a training run to the person who started it, in the manner of Keras's
// fit: on a terminal a progress bar per epoch (loss, accuracy, samples/s, ETA)
// redrawn in place; otherwise one plain line per epoch, safe for log files.

import Backprop
import Foundation

final class ProgressReporter {
    let interactive: Bool
    let quiet: Bool
    /// `-v`: also show each epoch's wait for streamed data.
    var verbose = false
    private var lastDraw = 0.0
    private var drewBar = false
    private var stepsPerEpoch = 0

    init(interactive: Bool = Terminal.isInteractive, quiet: Bool = false) {
        self.interactive = interactive
        self.quiet = quiet
    }

    func handle(_ event: TrainingEvent) {
        guard !quiet else { return }
        switch event {
        case .epochBegan(let epoch, let epochs, let steps):
            if interactive { Terminal.write("Epoch \(epoch)/\(epochs)\n") }
            lastDraw = 0
            stepsPerEpoch = steps
        case .stepEnded(let p):
            guard interactive else { return }
            // Redraw at most ten times a second, and always on the last step.
            let now = ProcessInfo.processInfo.systemUptime
            guard now - lastDraw >= 0.1 || p.stepInEpoch == p.stepsInEpoch else { return }
            lastDraw = now
            Terminal.write("\r" + bar(p) + "\u{1B}[K")
            drewBar = true
        case .stoppedEarly(let epoch, let bestEpoch):
            stoppedEarly(epoch: epoch, bestEpoch: bestEpoch)
        case .finished:
            break
        case .epochEnded(let record):
            if interactive {
                // The epoch's last step reports here, not as a step: draw the full bar with the test figures.
                let steps = "\(stepsPerEpoch)/\(stepsPerEpoch)"
                Terminal.write("\r\(steps) [\(String(repeating: "=", count: 30))] \(clock(record.seconds)) - " + summary(record) + "\u{1B}[K\n")
                drewBar = false
            } else {
                Terminal.write("epoch \(record.epoch) step \(record.step): " + summary(record) + "\n")
            }
        }
    }

    private func stoppedEarly(epoch: Int, bestEpoch: Int) {
        Terminal.write("early stopping after epoch \(epoch): the validation loss has not improved since epoch \(bestEpoch), whose parameters are restored\n")
    }

    private func bar(_ p: StepProgress) -> String {
        let width = 30
        let done = p.stepsInEpoch == 0 ? width : width * p.stepInEpoch / p.stepsInEpoch
        let arrow = done < width ? ">" : ""
        let bar = String(repeating: "=", count: max(0, done - arrow.count)) + arrow + String(repeating: ".", count: width - done)
        let remaining = p.stepInEpoch == 0 ? 0 : p.elapsed / Double(p.stepInEpoch) * Double(p.stepsInEpoch - p.stepInEpoch)
        let counter = "\(p.stepInEpoch)/\(p.stepsInEpoch)".leftPadded(to: 2 * String(p.stepsInEpoch).count + 1)
        let timing = p.stepInEpoch == p.stepsInEpoch ? clock(p.elapsed) : "ETA \(clock(remaining))"
        return "\(counter) [\(bar)] \(timing) - loss: \(fixed(p.loss)) - accuracy: \(fixed(p.accuracy)) - \(Int(p.samplesPerSecond).grouped) samples/s"
    }

    func summary(_ r: EpochRecord) -> String {
        var parts = ["loss: \(fixed(r.trainLoss))", "accuracy: \(fixed(r.trainAccuracy))"]
        if let loss = r.validationLoss, let accuracy = r.validationAccuracy {
            parts += ["val_loss: \(fixed(loss))", "val_accuracy: \(fixed(accuracy))"]
        }
        if let loss = r.testLoss, let accuracy = r.testAccuracy {
            parts += ["test_loss: \(fixed(loss))", "test_accuracy: \(fixed(accuracy))"]
        }
        parts += ["lr: \(String(format: "%.3g", r.learningRate))", "\(Int(r.samplesPerSecond).grouped) samples/s"]
        if !interactive { parts.append(String(format: "%.1fs", r.seconds)) }
        if verbose, let wait = r.dataWaitSeconds { parts.append(String(format: "data wait: %.2fs", wait)) }
        if verbose, let bytes = r.dataReadBytes { parts.append("data read: \(DataMemory.describe(bytes))") }
        return parts.joined(separator: " - ")
    }

    private func fixed(_ x: Double) -> String { String(format: "%.4f", x) }
}
