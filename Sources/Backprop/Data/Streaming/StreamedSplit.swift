// A training split streamed from its file: its labels in memory, its rows read
// block by block by the prefetcher, and each minibatch drawn by the sampler as
// a list of rows in the resident blocks, which the workers gather from (see
// DrawnBatch). Memory: K + read-ahead blocks in the file's dtype, the labels,
// and one minibatch's row list and spill.

import HDF5

public final class StreamedSplit: @unchecked Sendable {
    /// The file, for messages.
    public let name: String
    public let settings: StreamSettings
    /// Blocks read ahead of the sampler.
    public let readAhead: Int
    /// D.
    public let featureCount: Int
    /// N, rows in the file, and the training rows among them (N less those held out).
    public let rowCount: Int
    public let count: Int
    /// Whether x is stored as uint8.
    public let isBytes: Bool
    /// Every row's target, in file order.
    public let targets: Targets
    /// μ and σ applied to each row drawn, as `InputScaling.standardize` applies
    /// them to a split in memory (identity: none). Set before training starts.
    public var standardization = InputScaling.identity

    let seed: UInt64
    let heldOut: RowBitmap?
    let reader: BlockReader
    /// The ranks that share the blocks, each read by one of them (see
    /// StreamedSplit+Ranks.swift); one process unless `share(over:)` says otherwise.
    var communicator: any Communicator = SingleProcess()
    private(set) var prefetcher: Prefetcher?
    private var sampler: BlockSampler?
    private var epoch = 0
    private var slotBuffers: [BlockBuffer?]

    /// The minibatch being drawn, gathered by the workers from the blocks,
    /// and the slot each of its rows was drawn from.
    private var batch: DrawnBatch?
    private var drawnSlots = Slab<Int32>(zeros: 0)

    /// Opens train/x of the file at `path` for streaming and reads train/y.
    ///
    /// - Parameter heldOut: rows kept out of training (for validation).
    public init(path: String, layout: SplitLayout, settings: StreamSettings, readAhead: Int,
                seed: UInt64, heldOut: RowBitmap? = nil) throws {
        precondition(settings.blockRows > 0 && settings.slots > 0 && readAhead > 0)
        guard layout.examples <= Int(Int32.max) else {
            throw DatasetError(file: path, "\(layout.name)/x has \(layout.examples) rows; streaming supports up to \(Int32.max)")
        }
        name = path
        self.settings = settings
        self.readAhead = readAhead
        featureCount = layout.features
        rowCount = layout.examples
        self.seed = seed
        self.heldOut = heldOut
        reader = try BlockReader(path: path, split: layout.name)
        isBytes = reader.isBytes
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { file.close() }
        let y = try file.dataset("\(layout.name)/y")
        guard y.shape == layout.targetShape, reader.rowCount == rowCount else {
            throw DatasetError(file: path, "\(layout.name)/x and \(layout.name)/y changed shape while being read")
        }
        targets = try DatasetFile.readTargets(y, path: path)
        let rows = layout.examples
        count = rows - (heldOut.map { $0.count(in: 0..<rows) } ?? 0)
        slotBuffers = [BlockBuffer?](repeating: nil, count: settings.slots)
    }

    deinit {
        prefetcher?.stop()
        reader.close()
    }

    /// Seconds spent waiting for blocks so far.
    public var dataWaitSeconds: Double { prefetcher?.waitSeconds ?? 0 }

    /// The rows of the file's chunks (nil: contiguous).
    public var chunkRows: Int? { reader.chunkRows }

    /// Threads that inflate a deflated x's stored chunks beside the I/O thread
    /// (nil: x is read with H5Dread, HDF5 inflating any compressed chunks itself).
    public var inflaters: Int? { reader.storedFormat == nil ? nil : reader.inflaters }

    /// Sizes the minibatch for up to `rows` rows.
    func reserve(rows: Int) {
        batch = DrawnBatch(capacity: rows, featureCount: featureCount, isBytes: isBytes, targets: targets)
        drawnSlots = Slab(zeros: rows)
    }

    /// Checks the split against a network, as `Dataset.validate(for:)` does.
    func validate(for architecture: Architecture) throws {
        guard featureCount == architecture.inputWidth else {
            throw DatasetError(file: name, "train/x has \(featureCount) features per example, but the network's input width is \(architecture.inputWidth)")
        }
        try Dataset.validate(targets, file: name, split: "train", for: architecture)
    }

    /// Positions the stream at row `rowsDone` of epoch `epoch` (1-based). Going
    /// on to the next epoch keeps the read-ahead; anything else (a fresh start,
    /// a resume) replays the sampler's bookkeeping to that row without data and
    /// reads only the K blocks resident there: at most one buffer's worth.
    func begin(epoch: Int, rowsDone: Int) throws {
        if let sampler, prefetcher != nil, self.epoch == epoch, sampler.drawn == rowsDone { return }
        if let sampler, let prefetcher, self.epoch == epoch - 1, sampler.isFinished, rowsDone == 0 {
            self.sampler = BlockSampler(seed: seed, epoch: epoch, rowCount: rowCount, settings: settings, heldOut: heldOut)
            self.epoch = epoch
            for slot in 0..<settings.slots where self.sampler!.resident[slot] >= 0 {
                slotBuffers[slot] = try take(from: prefetcher, expecting: self.sampler!.resident[slot])
            }
            return
        }
        prefetcher?.stop()
        slotBuffers = [BlockBuffer?](repeating: nil, count: settings.slots)
        var sampler = BlockSampler(seed: seed, epoch: epoch, rowCount: rowCount, settings: settings, heldOut: heldOut)
        precondition(rowsDone <= sampler.rowsInEpoch)
        for _ in 0..<rowsDone { _ = sampler.draw() }
        let resident = sampler.resident.filter { $0 >= 0 }
        let (seed, rowCount, settings, heldOut) = (self.seed, self.rowCount, self.settings, self.heldOut)
        let plan = Prefetcher.Plan(prologue: resident, epoch: epoch, position: sampler.loaded) { e in
            BlockSampler.loadOrder(seed: seed, epoch: e, rowCount: rowCount, settings: settings, heldOut: heldOut)
        }
        let prefetcher = Prefetcher(reader: reader, blockRows: settings.blockRows, buffers: settings.slots + readAhead,
                                    readAhead: readAhead, plan: plan, rank: communicator.rank, ranks: communicator.size)
        self.prefetcher = prefetcher
        self.sampler = sampler
        self.epoch = epoch
        for slot in 0..<settings.slots where sampler.resident[slot] >= 0 {
            slotBuffers[slot] = try take(from: prefetcher, expecting: sampler.resident[slot])
        }
    }

    private func take(from prefetcher: Prefetcher, expecting block: Int32) throws -> BlockBuffer {
        let (buffer, readBy) = try prefetcher.take()
        if communicator.size > 1 { share(buffer, block: block, readBy: readBy, prefetcher: prefetcher) }
        precondition(buffer.block == block, "the prefetcher read block \(buffer.block), the sampler needs \(block)")
        return buffer
    }

    /// The next `m` rows of the epoch, to be gathered by the workers while the
    /// blocks they lie in stay resident, that is until the next call.
    func next(rows m: Int) throws -> DrawnBatch {
        guard let batch, let prefetcher else { preconditionFailure("reserve and begin come first") }
        precondition(m <= batch.capacity)
        batch.clear()
        batch.standardization = standardization
        let rowBytes = batch.rowBytes, blockRows = settings.blockRows
        while batch.count < m {
            // Rows up to the next drained block, then that block's refill.
            let (n, refill) = sampler!.draw(upTo: m - batch.count, rows: batch.freeFileRows, slots: drawnSlots.base)
            batch.append(n) { row, i in
                let buffer = slotBuffers[Int(drawnSlots[i])]!
                return UnsafeRawPointer(buffer.bytes + (Int(row) - Int(buffer.block) * blockRows) * rowBytes)
            }
            guard let refill else { continue }
            // The block is drained and its buffer goes back to be read into:
            // the rows this minibatch drew from it are copied aside first.
            let slot = Int(drawnSlots[n - 1]), buffer = slotBuffers[slot]!
            batch.spill(from: buffer)
            prefetcher.recycle(buffer)
            slotBuffers[slot] = refill ? try take(from: prefetcher, expecting: sampler!.resident[slot]) : nil
        }
        return batch
    }
}
