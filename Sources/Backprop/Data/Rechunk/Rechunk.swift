// `backprop rechunk`: rewrites a dataset file laid out for streaming: x in
// chunks of whole rows (0.25–1 MiB by default), uint8 or float32, optionally
// deflate-compressed (without the shuffle filter), and optionally with the
// training rows shuffled out of core (ExternalShuffle). Memory is bounded by
// `memory`; the output is written beside OUT and renamed into place only when
// complete, with its disk space reserved before HDF5 writes a byte.

import HDF5

public struct RechunkOptions: Sendable {
    public enum ElementType: String, Sendable, CaseIterable {
        case uint8, float32
    }

    /// x's type in the output (nil: uint8 stays uint8, floats become float32).
    public var elementType: ElementType?
    /// Rows per chunk (nil: a power of two making chunks of 0.25–1 MiB).
    public var chunkRows: Int?
    /// Deflate level 0–9 (nil: not compressed).
    public var deflate: Int?
    /// Shuffle the training rows with this seed (nil: keep their order).
    public var shuffleSeed: UInt64?
    /// Bytes of rows held in memory at once.
    public var memory = 1 << 30

    public init() {}

    /// The largest power of two of rows whose chunk is at most 1 MiB.
    public static func defaultChunkRows(rowBytes: Int) -> Int {
        var rows = 1
        while rows * 2 * rowBytes <= 1 << 20 { rows *= 2 }
        return rows
    }
}

public enum Rechunk {
    /// Rewrites the dataset file `input` as `output`.
    ///
    /// - Throws: `DatasetError` for a file or option that cannot work,
    ///   `SystemCallError` naming `output` when the disk is full (before any
    ///   data is written); `output` is then untouched and no temporary is left.
    public static func run(input: String, output: String, options: RechunkOptions) throws {
        let layout = try DatasetFile.layout(input)
        let source = try HDF5File(path: input, mode: .readOnly)
        defer { source.close() }
        var reserve = 1 << 20
        for split in layout.splits {
            let outBytes = outputIsBytes(split, options) ? 1 : 4
            let labels = split.hasClassLabels ? 8 : 4 * (split.targetShape.dropFirst().first ?? 1)
            reserve += split.examples * (split.features * outBytes + labels) / 100 * 101 + 64 << 10
        }
        try ReservedOutput.write(to: output, reserving: reserve) { file in
            for split in layout.splits {
                let shuffle = split.name == "train" ? options.shuffleSeed : nil
                try copy(split, from: source, to: file, options: options, shuffleSeed: shuffle, output: output)
            }
            try copyDescription(from: source, to: file)
        }
    }

    /// The file attributes Backprop's importers write, by type.
    static let describingStrings = ["format", "source", "label_name"]
    static let describingStringLists = ["feature_names", "class_names"]
    static let describingIntLists = ["image_shape"]

    /// Carries over what the input says about itself (class names, feature
    /// names, where it came from): a row order or layout changes none of it.
    /// An attribute of another type (a file from elsewhere) is left behind.
    static func copyDescription(from source: HDF5File, to file: HDF5File) throws {
        for name in describingStrings {
            if source.hasAttribute(name), let value = try? source.stringAttribute(name) { try file.setAttribute(name, value) }
        }
        for name in describingStringLists {
            if source.hasAttribute(name), let value = try? source.stringsAttribute(name) { try file.setAttribute(name, value) }
        }
        for name in describingIntLists {
            if source.hasAttribute(name), let value = try? source.intsAttribute(name) { try file.setAttribute(name, value) }
        }
    }

    static func outputIsBytes(_ split: SplitLayout, _ options: RechunkOptions) -> Bool {
        options.elementType.map { $0 == .uint8 } ?? split.isBytes
    }

    /// Copies one split: x in passes of whole chunks, converted; y whole, in the same row order.
    static func copy(_ split: SplitLayout, from source: HDF5File, to file: HDF5File, options: RechunkOptions,
                     shuffleSeed: UInt64?, output: String) throws {
        let d = split.features, n = split.examples
        let toBytes = outputIsBytes(split, options)
        let rowBytes = d * (toBytes ? 1 : 4)
        let chunkRows = max(1, min(n, options.chunkRows ?? RechunkOptions.defaultChunkRows(rowBytes: rowBytes)))
        let x = try source.dataset("\(split.name)/x")
        let targets = try DatasetFile.readTargets(try source.dataset("\(split.name)/y"), path: source.path)
        let converter = RowConverter(fromBytes: split.isBytes, toBytes: toBytes, features: d, file: source.path, dataset: x.name)
        let order: RowSource
        if let seed = shuffleSeed {
            order = try ExternalShuffle(x: x, rows: n, converter: converter, seed: seed, memory: options.memory,
                                        scratchBeside: output)
        } else {
            order = SequentialRows(x: x, rows: n, converter: converter, memory: options.memory, chunkRows: chunkRows)
        }
        var rowsWritten: [Int32] = []
        rowsWritten.reserveCapacity(n)
        if toBytes {
            let writer = try file.createRowDataset("\(split.name)/x", of: UInt8.self, rows: n, columns: d,
                                                   chunkRows: n > 0 ? chunkRows : nil, deflate: options.deflate)
            defer { writer.close() }
            try order.forEachPass { start, rows, ids, bytes in
                try bytes.withMemoryRebound(to: UInt8.self) { try writer.write(UnsafeBufferPointer($0), rows: start..<start + rows) }
                rowsWritten.append(contentsOf: ids)
            }
        } else {
            let writer = try file.createRowDataset("\(split.name)/x", of: Float.self, rows: n, columns: d,
                                                   chunkRows: n > 0 ? chunkRows : nil, deflate: options.deflate)
            defer { writer.close() }
            try order.forEachPass { start, rows, ids, bytes in
                try bytes.withMemoryRebound(to: Float.self) { try writer.write(UnsafeBufferPointer($0), rows: start..<start + rows) }
                rowsWritten.append(contentsOf: ids)
            }
        }
        precondition(rowsWritten.count == n)
        switch targets {
        case .classes(let labels):
            try file.write(rowsWritten.map { Int64(labels[Int($0)]) }, shape: [n], to: "\(split.name)/y")
        case .values(let values, let width):
            let y = rowsWritten.flatMap { values[Int($0) * width..<(Int($0) + 1) * width] }
            try file.write(y, shape: split.targetShape, to: "\(split.name)/y")
        }
    }
}

/// Turns rows read from the input (uint8, or float read as Float) into the
/// output's type: bytes to Float exactly as training converts them; Float to
/// bytes only for values in [0, 1], rounded to the nearest 1/255.
struct RowConverter {
    let fromBytes: Bool
    let toBytes: Bool
    let features: Int
    let file: String
    let dataset: String

    var inputRowBytes: Int { features * (fromBytes ? 1 : 4) }
    var outputRowBytes: Int { features * (toBytes ? 1 : 4) }

    /// Converts `rows` rows at `input` into `output`; `firstRow` names rows in errors.
    func convert(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, rows: Int, firstRow: Int) throws {
        let count = rows * features
        switch (fromBytes, toBytes) {
        case (true, true), (false, false):
            output.copyMemory(from: input, byteCount: rows * inputRowBytes)
        case (true, false):
            let from = input.assumingMemoryBound(to: UInt8.self), to = output.assumingMemoryBound(to: Float.self)
            FeatureRows.unitScale(from, to: to, count: count)
        case (false, true):
            let from = input.assumingMemoryBound(to: Float.self), to = output.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let value = from[i]
                guard value >= 0 && value <= 1 else {
                    throw DatasetError(file: file, "\(dataset)[\(firstRow + i / features), \(i % features)] is \(value); --dtype uint8 needs features in [0, 1]")
                }
                to[i] = UInt8((value * 255).rounded())
            }
        }
    }
}

/// Rows of the output in order, a pass at a time: where the pass starts, its
/// row count, the input rows it holds, and their bytes in the output's type.
protocol RowSource {
    func forEachPass(_ body: (Int, Int, [Int32], UnsafeMutableRawBufferPointer) throws -> Void) throws
}

/// The input's rows in file order, read a few MiB of whole chunks at a time.
struct SequentialRows: RowSource {
    let x: HDF5Dataset
    let rows: Int
    let converter: RowConverter
    let memory: Int
    let chunkRows: Int

    func forEachPass(_ body: (Int, Int, [Int32], UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let rowBytes = converter.inputRowBytes + converter.outputRowBytes
        let pass = max(chunkRows, min(memory, 64 << 20) / max(1, rowBytes) / chunkRows * chunkRows)
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, pass * converter.inputRowBytes), alignment: 64)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, pass * converter.outputRowBytes), alignment: 64)
        defer { input.deallocate(); output.deallocate() }
        var start = 0
        while start < rows {
            let count = min(pass, rows - start)
            try BlockRead.read(x, rows: start..<start + count, bytes: converter.fromBytes, into: input.baseAddress!)
            try converter.convert(input.baseAddress!, output.baseAddress!, rows: count, firstRow: start)
            let ids = (start..<start + count).map { Int32($0) }
            try body(start, count, ids, UnsafeMutableRawBufferPointer(rebasing: output[0..<count * converter.outputRowBytes]))
            start += count
        }
    }
}

enum BlockRead {
    /// Reads rows of x as bytes or as Float into `target`, with one hyperslab.
    static func read(_ x: HDF5Dataset, rows: Range<Int>, bytes: Bool, into target: UnsafeMutableRawPointer) throws {
        let count = rows.count * x.shape[1]
        if bytes {
            try x.read(rows: rows, into: UnsafeMutableBufferPointer(start: target.assumingMemoryBound(to: UInt8.self), count: count))
        } else {
            let floats = UnsafeMutableBufferPointer(start: target.assumingMemoryBound(to: Float.self), count: count)
            try x.read(rows: rows, into: floats)
            try DatasetFile.checkFinite(UnsafeBufferPointer(floats), rowOffset: rows.lowerBound, x: x, path: x.file)
        }
    }
}
