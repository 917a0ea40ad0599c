// What one epoch measured: the line a user reads at the epoch's end and the
// JSON object `--log` writes for it.

import Foundation

/// The metrics of one completed epoch. A run stopped mid-epoch (`--steps`, a
/// signal) records nothing for the unfinished epoch: its running sums live in
/// the training state, so a resumed run completes the record exactly.
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    /// Optimizer steps taken in all, at the end of this epoch.
    public var step: Int
    /// Mean loss over the epoch's minibatches, each measured before its update
    /// (as Keras reports it). The L2 penalty is not included.
    public var trainLoss: Double
    /// Fraction of the epoch's examples classified correctly before each update.
    public var trainAccuracy: Double
    /// Loss and accuracy on the test split after the epoch, when there is one.
    public var testLoss: Double?
    public var testAccuracy: Double?
    /// Loss and accuracy on the validation split after the epoch, when there is one.
    public var validationLoss: Double? = nil
    public var validationAccuracy: Double? = nil
    public var samplesPerSecond: Double
    /// Wall-clock time of the epoch's training steps (test evaluation excluded).
    public var seconds: Double
    public var learningRate: Double
    /// Seconds the epoch's steps waited for streamed data (nil: held in memory).
    public var dataWaitSeconds: Double? = nil
    /// Bytes of training rows read from the file during the epoch, by all ranks
    /// together (nil: held in memory). Read-ahead crosses epoch boundaries, so
    /// an epoch's figure depends on timing; their sum does not exceed the
    /// split's size per epoch plus each rank's buffer. Logged, not checkpointed.
    public var dataReadBytes: Int? = nil

    public init(
        epoch: Int, step: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double?, testAccuracy: Double?,
        samplesPerSecond: Double, seconds: Double, learningRate: Double
    ) {
        self.epoch = epoch
        self.step = step
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.samplesPerSecond = samplesPerSecond
        self.seconds = seconds
        self.learningRate = learningRate
    }

    enum CodingKeys: String, CodingKey {
        case epoch, step
        case trainLoss = "train_loss", trainAccuracy = "train_accuracy"
        case testLoss = "test_loss", testAccuracy = "test_accuracy"
        case validationLoss = "validation_loss", validationAccuracy = "validation_accuracy"
        case samplesPerSecond = "samples_per_second", seconds
        case learningRate = "learning_rate"
        case dataWaitSeconds = "data_wait_seconds"
        case dataReadBytes = "data_read_bytes"
    }

    // Written by hand so that a missing test split is an explicit null, which
    // every JSON reader (pandas, jq) handles the same way; validation figures
    // appear only in runs that hold data out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(step, forKey: .step)
        try c.encode(trainLoss, forKey: .trainLoss)
        try c.encode(trainAccuracy, forKey: .trainAccuracy)
        try c.encode(testLoss, forKey: .testLoss)
        try c.encode(testAccuracy, forKey: .testAccuracy)
        try c.encodeIfPresent(validationLoss, forKey: .validationLoss)
        try c.encodeIfPresent(validationAccuracy, forKey: .validationAccuracy)
        try c.encode(samplesPerSecond, forKey: .samplesPerSecond)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encodeIfPresent(dataWaitSeconds, forKey: .dataWaitSeconds)
        try c.encodeIfPresent(dataReadBytes, forKey: .dataReadBytes)
    }

    /// One line of JSON, keys in a fixed order.
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // JSON has no NaN or infinity; spell them as Python's json module reads them back.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
