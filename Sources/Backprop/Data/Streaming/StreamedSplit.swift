// A training split streamed from its file: its labels in memory, its rows read
// block by block by the prefetcher, and each minibatch drawn by the sampler
// into a staging dataset the engine gathers from as from any other. Memory:
// K + read-ahead blocks in the file's dtype, the labels, and one minibatch.

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

    // One minibatch, in the file's dtype (Float when standardised), gathered by the engine as rows 0..<m.
    private var batchRows = 0
    private var stageBytes: [UInt8] = []
    private var stageFloats: [Float] = []
    private var stageRows: [Int32] = []
    /// Where each drawn row's bytes are, in its block buffer, until they are staged.
    private var stageSources: [UnsafeRawPointer?] = []
    private var stageLabels: [Int32] = []
    private var stageValues: [Float] = []

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

    /// Sizes the staging minibatch for up to `rows` rows.
    func reserve(rows: Int) {
        batchRows = rows
        let width = outputWidthOfTargets
        if stagesBytes { stageBytes = [UInt8](repeating: 0, count: rows * featureCount) }
        else { stageFloats = [Float](repeating: 0, count: rows * featureCount) }
        stageRows = [Int32](repeating: 0, count: rows)
        stageSources = [UnsafeRawPointer?](repeating: nil, count: rows)
        switch targets {
        case .classes: stageLabels = [Int32](repeating: 0, count: rows)
        case .values: stageValues = [Float](repeating: 0, count: rows * width)
        }
    }

    /// Whether minibatches are staged as bytes (uint8 rows, not standardised).
    private var stagesBytes: Bool { isBytes && !standardization.isStandardized }

    private var outputWidthOfTargets: Int {
        if case .values(_, let width) = targets { return width }
        return 1
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

    /// The next `m` rows of the epoch as rows 0..<m of a dataset (of
    /// `reserve`'s size; the rows past m are stale).
    func next(rows m: Int) throws -> Dataset {
        precondition(m <= batchRows && sampler != nil)
        let rowBytes = featureCount * (isBytes ? 1 : 4), blockRows = settings.blockRows
        let stageRowBytes = featureCount * (stagesBytes ? 1 : 4)
        // Rows are drawn first and copied after, so that the copy can prefetch
        // the rows ahead of it: each drawn row is a fresh cache miss somewhere in
        // K resident blocks, and copying them one by one as they were drawn was
        // 3.6% of a streamed run, on the trainer's thread while the other
        // workers wait. A block buffer is recycled only once the rows drawn from
        // it are staged: the copy is flushed before each refill.
        func draw(into stage: UnsafeMutableRawPointer) throws {
            try stageSources.withUnsafeMutableBufferPointer { sources in
                var staged = 0
                func flush(upTo end: Int) {
                    for i in staged..<end {
                        if i + Dataset.prefetchDistance < end {
                            Dataset.prefetch(sources[i + Dataset.prefetchDistance]!, bytes: rowBytes)
                        }
                        let from = sources[i]!
                        if isBytes && !stagesBytes {
                            // Bytes to Float as gathering converts them, for standardising.
                            let to = (stage + i * stageRowBytes).assumingMemoryBound(to: Float.self)
                            FeatureRows.unitScale(from.assumingMemoryBound(to: UInt8.self), to: to, count: featureCount)
                        } else {
                            (stage + i * stageRowBytes).copyMemory(from: from, byteCount: rowBytes)
                        }
                    }
                    staged = end
                }
                for i in 0..<m {
                    let (row, slot, refill) = sampler!.draw()
                    let buffer = slotBuffers[slot]!
                    sources[i] = UnsafeRawPointer(buffer.bytes + (Int(row) - Int(buffer.block) * blockRows) * rowBytes)
                    stageRows[i] = row
                    guard let refill else { continue }
                    flush(upTo: i + 1)
                    prefetcher!.recycle(buffer)
                    slotBuffers[slot] = refill ? try take(from: prefetcher!, expecting: sampler!.resident[slot]) : nil
                }
                flush(upTo: m)
            }
        }
        if stagesBytes {
            try stageBytes.withUnsafeMutableBytes { try draw(into: $0.baseAddress!) }
        } else {
            try stageFloats.withUnsafeMutableBytes { try draw(into: $0.baseAddress!) }
            if standardization.isStandardized {
                stageFloats.withUnsafeMutableBufferPointer { standardization.standardize(UnsafeMutableBufferPointer(rebasing: $0[0..<m * featureCount])) }
            }
        }
        let staged: Targets
        switch targets {
        case .classes(let labels):
            for i in 0..<m { stageLabels[i] = labels[Int(stageRows[i])] }
            staged = .classes(stageLabels)
        case .values(let values, let width):
            for i in 0..<m {
                let r = Int(stageRows[i])
                for j in 0..<width { stageValues[i * width + j] = values[r * width + j] }
            }
            staged = .values(stageValues, width: width)
        }
        return Dataset(name: name, split: "train", rows: stagesBytes ? .uint8(stageBytes) : .float(stageFloats),
                       featureCount: featureCount, targets: staged)
    }
}
