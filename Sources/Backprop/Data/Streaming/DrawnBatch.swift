// One streamed minibatch as the workers gather it: where each drawn row's
// bytes are, in the block buffers resident while the step runs, and which file
// row it is (for its target). The workers convert the rows straight from the
// blocks into their shards, in parallel, as they gather a split held in memory;
// nothing is staged on the trainer's thread in between.
//
// Only the rows whose block drains while the minibatch is drawn are copied, into
// `spill`, because that block's buffer goes back to the prefetcher to be read
// into: a few rows a minibatch (a block holds hundreds of rows).

import CLinux

/// The rows of one streamed minibatch, gathered by the engine by position 0..<m.
final class DrawnBatch: @unchecked Sendable {
    let featureCount: Int
    /// Whether rows are uint8 (converted as `FeatureRows.unitScaled`) or Float.
    let isBytes: Bool
    let rowBytes: Int
    /// Every row's target, in file order.
    let targets: Targets
    /// μ and σ applied to each gathered row (identity: none).
    var standardization = InputScaling.identity

    /// Per position: the row's bytes, and its row in the file.
    private let sources: Slab<UnsafeRawPointer?>
    private let fileRows: Slab<Int32>
    /// Copies of the rows drawn from blocks that drained during the draw.
    private let spill: Slab<UInt8>
    /// Positions filled by the current draw.
    private(set) var count = 0
    /// Rows copied aside so far, over every minibatch.
    private(set) var rowsSpilled = 0

    init(capacity: Int, featureCount: Int, isBytes: Bool, targets: Targets) {
        self.featureCount = featureCount
        self.isBytes = isBytes
        self.targets = targets
        rowBytes = featureCount * (isBytes ? 1 : 4)
        sources = Slab(count: capacity, repeating: nil)
        fileRows = Slab(zeros: capacity)
        spill = Slab(zeros: capacity * rowBytes)
    }

    var capacity: Int { sources.count }

    /// Starts a new minibatch.
    func clear() { count = 0 }

    /// Where the sampler writes the file rows of the next positions.
    var freeFileRows: UnsafeMutablePointer<Int32> { fileRows.base + count }

    /// Appends the `n` file rows written at `freeFileRows`, the bytes of each
    /// at `location(row, i)` for the i-th of them.
    @inline(__always)
    func append(_ n: Int, location: (Int32, Int) -> UnsafeRawPointer) {
        precondition(count + n <= capacity)
        for i in 0..<n { sources[count + i] = location(fileRows[count + i], i) }
        count += n
    }

    /// The file row at `position`.
    func fileRow(at position: Int) -> Int32 { fileRows[position] }

    /// Copies the rows drawn so far that lie in `buffer` aside, so that the
    /// buffer can be read into again.
    func spill(from buffer: BlockBuffer) {
        let start = UnsafeRawPointer(buffer.bytes), end = start + buffer.capacity
        for i in 0..<count {
            guard let from = sources[i], from >= start, from < end else { continue }
            let to = UnsafeMutableRawPointer(spill.base) + i * rowBytes
            to.copyMemory(from: from, byteCount: rowBytes)
            sources[i] = UnsafeRawPointer(to)
            rowsSpilled += 1
        }
    }

    /// Converts the rows at `positions` into `x` (positions × D, standardised
    /// when the run is) and their targets into `y`, as `Dataset.gather` does.
    /// Allocation free: this runs in the workers' loop.
    func gather(
        positions: UnsafeBufferPointer<Int32>, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, outputWidth: Int
    ) {
        let d = featureCount
        targets.withRowStorage { targetRows, targetRowBytes in
            for (i, p) in positions.enumerated() {
                if i + Dataset.prefetchDistance < positions.count {
                    let ahead = Int(positions[i + Dataset.prefetchDistance])
                    Dataset.prefetch(sources[ahead]!, bytes: rowBytes)
                    // The targets are as scattered as the rows (32 MB of labels for
                    // 8M rows): fetched now, they are in cache when copied below.
                    CLinux_prefetch(targetRows + Int(fileRows[ahead]) * targetRowBytes)
                }
                let from = sources[Int(p)]!
                if isBytes {
                    FeatureRows.unitScale(from.assumingMemoryBound(to: UInt8.self), to: x + i * d, count: d)
                } else {
                    (x + i * d).update(from: from.assumingMemoryBound(to: Float.self), count: d)
                }
            }
        }
        if standardization.isStandardized {
            standardization.standardize(UnsafeMutableBufferPointer(start: x, count: positions.count * d))
        }
        targets.gather(count: positions.count, y: y, outputWidth: outputWidth) { Int(fileRows[Int(positions[$0])]) }
    }
}
