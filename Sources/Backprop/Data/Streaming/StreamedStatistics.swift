// `--standardize` on a streamed training split: each feature's μ and σ over
// the training rows (those held out for validation left out), read from the
// file in row order, block by block, in two passes (μ first, then Σ (x − μ)²),
// with the Double sums of a split in memory: so bitwise the scaling the same
// rows give in memory. Memory: two of the split's blocks and one row.

extension InputScaling {
    /// The scaling that standardises the training rows of `split`, as
    /// `standardizing(_:factor:)` does for them in memory.
    public static func standardizing(_ split: StreamedSplit, factor: Float) throws -> InputScaling {
        let d = split.featureCount, isBytes = split.isBytes
        let reader = try BlockReader(path: split.name, split: "train")
        defer { reader.close() }
        let selection: RowSelection = split.heldOut.map { .excluding($0) } ?? .all
        let pass = BlockPass(reader: reader, blockRows: split.settings.blockRows, buffers: 2, selection: selection)
        let scratch = Slab<Float>(zeros: d), row = scratch.base
        return try standardizing(features: d, rows: split.count, factor: factor) { visit in
            try pass.run { block, rows in
                for r in rows where selection.contains(r) {
                    let offset = r - rows.lowerBound
                    if isBytes {
                        // Bytes become Float exactly as gathering makes them.
                        let bytes = (block + offset * d).assumingMemoryBound(to: UInt8.self)
                        FeatureRows.unitScale(bytes, to: row, count: d)
                        visit(row)
                    } else {
                        visit((block + offset * d * 4).assumingMemoryBound(to: Float.self))
                    }
                }
            }
        }
    }
}
