// Streaming a training split from its file: the order is a pure function of
// (seed, epoch) that visits every training row once; training is bitwise the
// same on any worker count and after a resume mid-epoch; the in-memory path
// (uint8 now kept as bytes) trains bitwise as it did when bytes became Float
// at load. Real HDF5 files on disk, with a tiny --data-memory budget.

@_spi(Benchmarking) @testable import Backprop
import Foundation
import HDF5
import Testing

/// Writes `rows` × `features` uint8 rows (chunks of `chunkRows` rows; nil:
/// contiguous) whose class can be learnt from them, labels in file order
/// (`sorted`: class by class), and a small test split; x deflated at level
/// `deflate` when it is given.
@discardableResult
func writeByteDataset(
    _ path: String, rows: Int, features: Int = 12, classes: Int = 3, chunkRows: Int? = 25, sorted: Bool = false,
    float: Bool = false, seed: UInt64 = 5, deflate: Int? = nil
) throws -> String {
    var generator = RandomGenerator(seed: seed, stream: 77)
    var labels = (0..<rows).map { _ in Int32(generator.nextIndex(below: classes)) }
    if sorted { labels.sort() }
    var x = [UInt8]()
    for label in labels {
        for j in 0..<features {
            let signal = j % classes == Int(label) ? 150 : 0
            x.append(UInt8(signal + generator.nextIndex(below: 100)))
        }
    }
    let file = try HDF5File(path: path, mode: .truncate)
    defer { file.close() }
    if float {
        let writer = try file.createRowDataset("train/x", of: Float.self, rows: rows, columns: features, chunkRows: chunkRows, deflate: deflate)
        try x.map { Float($0) / 255 }.withUnsafeBufferPointer { try writer.write($0, rows: 0..<rows) }
        writer.close()
    } else {
        let writer = try file.createRowDataset("train/x", of: UInt8.self, rows: rows, columns: features, chunkRows: chunkRows, deflate: deflate)
        try x.withUnsafeBufferPointer { try writer.write($0, rows: 0..<rows) }
        writer.close()
    }
    try file.write(labels.map(Int64.init), shape: [rows], to: "train/y")
    let test = Array(x.prefix(20 * features))
    try file.write(test, shape: [20, features], to: "test/x")
    try file.write(labels.prefix(20).map(Int64.init), shape: [20], to: "test/y")
    return path
}

final class TemporaryDataFile {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID()).h5").path
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct StreamingTests {
    /// The network and recipe of the streaming suites' runs on `writeByteDataset` files.
    static let architecture = try! Architecture(layerSizes: [12, 16, 3], hiddenActivation: .relu, loss: .softmaxCrossEntropy)
    let architecture = Self.architecture

    func configuration(workers: Int = 2, epochs: Int = 3) -> TrainingConfiguration {
        Self.configuration(workers: workers, epochs: epochs)
    }

    static func configuration(workers: Int = 2, epochs: Int = 3) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = epochs
        c.batchSize = 32
        c.learningRate = 0.05
        c.momentum = 0.9
        c.seed = 42
        c.workers = workers
        return c
    }

    /// A budget that streams 900 rows of 12 bytes in blocks of 25 rows, mixing 8 of 36 blocks.
    static let tinyBudget = 900 * 4 + 10 * 25 * (12 + 4)

    @Test func bytesBecomeTodaysFloatsBitForBit() {
        // Every byte value, converted by the vectorised loop (and its scalar tail: 259 values).
        let bytes = (0..<259).map { UInt8($0 % 256) }
        var floats = [Float](repeating: .nan, count: bytes.count)
        bytes.withUnsafeBufferPointer { from in
            floats.withUnsafeMutableBufferPointer { to in
                FeatureRows.unitScale(from.baseAddress!, to: to.baseAddress!, count: from.count)
            }
        }
        for (u, converted) in zip(bytes, floats) {
            let today = Float(u) * (1 / 255)  // DatasetFile's conversion at load, before streaming
            #expect(converted.bitPattern == today.bitPattern, "byte \(u)")
        }
    }

    @Test func theInMemoryPathTrainsBitwiseAsWhenBytesWereFloatAtLoad() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 300)
        let loaded = try TrainingDataLoader.load(file.path, budget: 1 << 30)
        guard case .memory(let train) = loaded.train, case .uint8(let bytes) = train.rows else {
            Issue.record("a split that fits should be in memory as bytes: \(loaded.train.mode)")
            return
        }
        // What loading produced before: every byte scaled to Float at load.
        let asFloat = Dataset(name: train.name, features: bytes.map { Float($0) * (1 / 255) },
                              featureCount: train.featureCount, targets: train.targets)
        let a = try Trainer(architecture: architecture, configuration: configuration(), train: train)
        let b = try Trainer(architecture: architecture, configuration: configuration(), train: asFloat)
        try a.fit()
        try b.fit()
        #expect(a.model.parameters.map(\.bitPattern) == b.model.parameters.map(\.bitPattern))
        #expect(a.configuration.stream == nil)
    }

    @Test func theSamplerDrawsEveryTrainingRowOnceAsAPureFunctionOfSeedAndEpoch() {
        let settings = StreamSettings(blockRows: 7, slots: 5)
        func epoch(_ e: Int, heldOut: RowBitmap? = nil) -> (rows: [Int32], maxResident: Int) {
            var sampler = BlockSampler(seed: 3, epoch: e, rowCount: 1000, settings: settings, heldOut: heldOut)
            var rows = [Int32](), maxResident = 0
            while !sampler.isFinished {
                rows.append(sampler.draw().row)
                maxResident = max(maxResident, sampler.resident.filter { $0 >= 0 }.count)
            }
            return (rows, maxResident)
        }
        let first = epoch(1)
        let all: [Int32] = (0..<1000).map { Int32($0) }
        #expect(first.rows.sorted() == all)
        #expect(first.maxResident == 5)
        #expect(epoch(1).rows == first.rows)
        #expect(epoch(2).rows != first.rows)
        // Not the file order, and rows of many blocks mixed in each stretch of 32.
        #expect(first.rows != first.rows.sorted())
        let blocksInFirstBatch = Set(first.rows.prefix(32).map { $0 / 7 })
        #expect(blocksInFirstBatch.count >= 4)
        // Held-out rows are never drawn.
        let held = (0..<1000).filter { $0 % 3 == 0 }.map { Int32($0) }
        let kept = epoch(1, heldOut: RowBitmap(count: 1000, set: held)).rows
        let expected: [Int32] = (0..<1000).filter { $0 % 3 != 0 }.map { Int32($0) }
        #expect(kept.sorted() == expected)
    }

    @Test func drawingAMinibatchAtOnceDrawsTheRowsSlotsAndRefillsOfOneDrawAtATime() {
        // Blocks of 7 rows, some held out, into the epoch's tail; minibatches of
        // 1, 5 and 64 rows, so a chunk ends early at every drained block.
        let settings = StreamSettings(blockRows: 7, slots: 5)
        let held = RowBitmap(count: 500, set: (0..<500).filter { $0 % 5 == 0 }.map { Int32($0) })
        var single = BlockSampler(seed: 8, epoch: 2, rowCount: 500, settings: settings, heldOut: held)
        var one: [(Int32, Int32, Bool?)] = []
        while !single.isFinished {
            let (row, slot, refill) = single.draw()
            one.append((row, Int32(slot), refill))
        }
        for size in [1, 5, 64] {
            var batched = BlockSampler(seed: 8, epoch: 2, rowCount: 500, settings: settings, heldOut: held)
            var all: [(Int32, Int32, Bool?)] = []
            var rows = [Int32](repeating: -1, count: size), slots = [Int32](repeating: -1, count: size)
            while !batched.isFinished {
                let limit = min(size, batched.rowsInEpoch - batched.drawn)
                let (n, refill) = batched.draw(upTo: limit, rows: &rows, slots: &slots)
                #expect(n >= 1 && n <= limit)
                for i in 0..<n { all.append((rows[i], slots[i], i == n - 1 ? refill : nil)) }
            }
            #expect(all.count == one.count)
            #expect(zip(all, one).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }, "minibatches of \(size)")
        }
    }

    @Test func theTailsTreeFindsThePlaceALinearScanOfTheRowsLeftFinds() {
        var generator = RandomGenerator(seed: 4, stream: 9)
        for n in [1, 2, 3, 7, 64, 100] {
            var counts = (0..<n).map { _ in generator.nextIndex(below: 5) + 1 }
            var tree = RowsLeft(counts)
            for _ in 0..<(3 * n) {
                let total = counts.reduce(0, +)
                guard total > 0 else { break }
                for value in 0..<total {
                    var running = 0
                    let scanned = counts.firstIndex { running += $0; return running > value }!
                    #expect(tree.place(of: value) == scanned, "n = \(n), value \(value) of \(total)")
                }
                // Take a row from a place with rows left, as a draw does.
                let place = tree.place(of: generator.nextIndex(below: total))
                counts[place] -= 1
                tree.add(-1, at: place)
            }
        }
    }

    @Test func theSamplerStaggersDrainsSoRefillsDoNotComeInBursts() {
        // K = 100 blocks of C = 100 rows. Drawn at one pace, the first fill's
        // blocks would drain together (simulated: 35–39 refills within some
        // 8·C draws); staggered, about one refill is due every C draws.
        let settings = StreamSettings(blockRows: 100, slots: 100)
        var sampler = BlockSampler(seed: 5, epoch: 1, rowCount: 200_000, settings: settings, heldOut: nil)
        var refills: [Int] = []
        while !sampler.isFinished {
            if sampler.draw().refill == true { refills.append(sampler.drawn) }
        }
        #expect(refills.count == 2000 - 100)
        var most = 0, start = 0
        for (i, at) in refills.enumerated() {
            while refills[start] <= at - 8 * 100 { start += 1 }
            most = max(most, i - start + 1)
        }
        #expect(most <= 26, "\(most) refills within 8·C draws")
    }

    @Test func aSplitOverTheBudgetIsStreamedAndTrainsBitwiseTheSameOnAnyWorkerCount() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 900)
        var parameters: [[UInt32]] = []
        for workers in [1, 2, 3] {
            let loaded = try TrainingDataLoader.load(file.path, budget: Self.tinyBudget, seed: 42)
            guard case .stream(let split) = loaded.train else {
                Issue.record("900 × 12 bytes over a \(Self.tinyBudget)-byte budget should stream")
                return
            }
            #expect(split.settings.blockRows % 25 == 0, "blocks are whole chunks")
            #expect(split.settings.slots < 900 / split.settings.blockRows, "fewer blocks resident than the file has")
            let trainer = try Trainer(architecture: architecture, configuration: configuration(workers: workers),
                                      data: loaded.train, validation: nil, test: loaded.test)
            try trainer.fit()
            #expect(trainer.history.count == 3 && trainer.history.allSatisfy { $0.dataWaitSeconds != nil })
            #expect(trainer.history.last!.testAccuracy! > 0.8, "it learns: \(trainer.history.last!)")
            parameters.append(trainer.model.parameters.map(\.bitPattern))
        }
        #expect(parameters[0] == parameters[1] && parameters[1] == parameters[2])
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func workersGatherEachDrawnRowAsTheFileHoldsItEvenWhenItsBlockIsReadIntoAgain(float: Bool, standardized: Bool) throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 900, float: float)
        let memory = try DatasetFile.load(file.path).train
        let scaling = standardized ? InputScaling.standardizing(memory, factor: 1) : .identity
        let loaded = try TrainingDataLoader.load(file.path, budget: Self.tinyBudget * (float ? 4 : 1), seed: 42)
        guard case .stream(let split) = loaded.train else { Issue.record("the split should stream"); return }
        split.standardization = scaling
        let m = 64, d = 12
        split.reserve(rows: m)
        try split.begin(epoch: 1, rowsDone: 0)
        var x = [Float](repeating: 0, count: m * d), y = [Float](repeating: 0, count: m * 3)
        var expectedX = x, expectedY = y
        var seen = 0, spilledBefore = 0
        while seen < split.count {
            let batch = try split.next(rows: min(m, split.count - seen))
            // Give the I/O thread time to read into the buffers just given back.
            usleep(2000)
            let positions = (0..<Int32(batch.count)).map { $0 }
            let rows = (0..<batch.count).map { batch.fileRow(at: $0) }
            positions.withUnsafeBufferPointer { p in batch.gather(positions: p, x: &x, y: &y, outputWidth: 3) }
            rows.withUnsafeBufferPointer { r in memory.gather(rows: r, x: &expectedX, y: &expectedY, outputWidth: 3) }
            expectedX.withUnsafeMutableBufferPointer { scaling.standardize(UnsafeMutableBufferPointer(rebasing: $0[0..<batch.count * d])) }
            let wrongRow = (0..<batch.count).first { i in
                (i * d..<(i + 1) * d).contains { x[$0].bitPattern != expectedX[$0].bitPattern }
                    || (i * 3..<(i + 1) * 3).contains { y[$0] != expectedY[$0] }
            }
            #expect(wrongRow == nil, "position \(wrongRow ?? -1) (file row \(wrongRow.map { rows[$0] } ?? -1)) of the minibatch from row \(seen)")
            if batch.rowsSpilled > spilledBefore { spilledBefore = batch.rowsSpilled }
            seen += batch.count
        }
        #expect(spilledBefore > 0, "some minibatches drew rows from a block that drained while they were drawn")
    }

    @Test func aStreamedRunResumedMidEpochFromItsCheckpointEndsBitwiseWhereTheUninterruptedOneDoes() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 900)
        let full = try Trainer(architecture: architecture, configuration: configuration(),
                               data: TrainingDataLoader.load(file.path, budget: Self.tinyBudget, seed: 42).train)
        try full.fit()

        // 900 rows in batches of 32 make 29 steps an epoch: stop at step 40, epoch 2 step 11.
        var stopping = configuration()
        stopping.maxSteps = 40
        let first = try Trainer(architecture: architecture, configuration: stopping,
                                data: TrainingDataLoader.load(file.path, budget: Self.tinyBudget, seed: 42).train)
        try first.fit()
        let checkpoint = TemporaryCheckpoint()
        try Checkpoint(trainer: first).write(to: checkpoint.path)
        let saved = try Checkpoint.read(from: checkpoint.path)
        #expect(saved.state.stepInEpoch == 11 && saved.state.epochOrder.isEmpty)
        #expect(saved.configuration?.stream == first.configuration.stream && first.configuration.stream != nil)

        for workers in [1, 3] {
            var c = saved.configuration!
            c.maxSteps = nil
            c.workers = workers
            // Resuming streams with the saved settings, whatever the budget now.
            let data = try TrainingDataLoader.load(file.path, budget: 1 << 30, stream: c.stream, seed: c.seed)
            let resumed = try Trainer(architecture: saved.architecture, configuration: c, data: data.train, state: saved.state)
            try resumed.fit()
            #expect(resumed.model.parameters.map(\.bitPattern) == full.model.parameters.map(\.bitPattern), "\(workers) workers")
            #expect(withoutTimings(resumed.state).history.map(\.trainLoss) == withoutTimings(full.state).history.map(\.trainLoss))
        }
    }

    @Test func floatContiguousFilesStreamAndHoldOutTheRowsAMemoryRunHoldsOut() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 500, chunkRows: nil, float: true)
        let inMemory = try TrainingDataLoader.load(file.path, budget: 1 << 30, validationSplit: 0.2, seed: 9)
        let streamed = try TrainingDataLoader.load(file.path, budget: 1 << 30, forceStream: true, validationSplit: 0.2, seed: 9)
        guard case .stream(let split) = streamed.train else { Issue.record("--stream should stream"); return }
        #expect(split.chunkRows == nil && !split.isBytes)
        #expect(streamed.train.count == inMemory.train.count && streamed.train.count == 400)
        guard case .stream(let held) = streamed.validation, case .memory(let rows) = inMemory.validation else {
            Issue.record("--stream should stream the rows held out, a split that fits hold them in memory")
            return
        }
        #expect(held.count == rows.count && held.targets == rows.targets)
        var c = configuration(epochs: 2)
        c.validationSplit = 0.2
        c.seed = 9
        let trainer = try Trainer(architecture: architecture, configuration: c, data: streamed.train,
                                  validation: streamed.validation, test: nil)
        try trainer.fit()
        #expect(trainer.history.last?.validationAccuracy ?? 0 > 0.6)
    }

    @Test func labelsSortedByClassLookGroupedAndShuffledOnesDoNot() {
        var generator = RandomGenerator(seed: 1, stream: 5)
        let shuffled = (0..<6000).map { _ in Int32(generator.nextIndex(below: 10)) }
        let sorted = shuffled.sorted()
        #expect(LabelGrouping(labels: sorted)!.looksGrouped)
        #expect(!LabelGrouping(labels: shuffled)!.looksGrouped)
        #expect(LabelGrouping(labels: [Int32](repeating: 0, count: 100)) == nil, "one class cannot be grouped")
    }

    @Test func dataMemorySizesParse() {
        #expect(DataMemory.parse("1G") == 1 << 30)
        #expect(DataMemory.parse("512M") == 512 << 20)
        #expect(DataMemory.parse("64k") == 64 << 10)
        #expect(DataMemory.parse("1.5G") == 3 << 29)
        #expect(DataMemory.parse("2GiB") == 2 << 30)
        #expect(DataMemory.parse("1000") == 1000)
        for bad in ["", "G", "abc", "0", "-1G", "1X"] { #expect(DataMemory.parse(bad) == nil, "\(bad)") }
    }

    @Test func aBudgetTooSmallToStreamIsOneLineNamingWhatItNeeds() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 900)
        #expect {
            _ = try TrainingDataLoader.load(file.path, budget: 4000)
        } throws: { error in
            "\(error)".contains("does not fit --data-memory") && "\(error)".contains("train/y in memory")
        }
    }
}
