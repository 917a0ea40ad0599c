// Deflated files streamed by inflating their stored chunks off the I/O thread
// (StoredChunks.swift): the blocks are byte for byte what HDF5's own H5Dread
// gives, for the project's writers and h5py's, at several levels and chunk
// shapes, with and without the shuffle filter; layouts the raw path does not
// handle fall back to H5Dread; training is bitwise that of an uncompressed
// copy; a corrupt chunk is one line naming the file, the dataset and the chunk.

@_spi(Benchmarking) @testable import Backprop
import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct StreamedDeflateTests {
    /// Every row of the file's train/x, block by block, as `BlockPass` delivers
    /// it with `inflaters` inflater threads (0: HDF5 inflates in H5Dread), and
    /// whether the stored chunks were read raw.
    func blocks(_ path: String, inflaters: Int, blockRows: Int) throws -> (raw: Bool, bytes: [UInt8]) {
        let reader = try BlockReader(path: path, split: "train", inflaters: inflaters)
        defer { reader.close() }
        var bytes: [UInt8] = []
        let pass = BlockPass(reader: reader, blockRows: blockRows, buffers: 3, selection: .all)
        try pass.run { block, rows in
            bytes += UnsafeRawBufferPointer(start: block, count: rows.count * reader.rowBytes)
        }
        #expect(bytes.count == reader.rowCount * reader.rowBytes)
        return (reader.storedFormat != nil, bytes)
    }

    /// Expects both paths to give the same bytes, the raw one when `raw`.
    func expectSameBlocks(_ path: String, blockRows: Int, raw: Bool, _ what: String) throws {
        let hdf5 = try blocks(path, inflaters: 0, blockRows: blockRows)
        #expect(!hdf5.raw)
        for inflaters in [1, 2] {
            let inflated = try blocks(path, inflaters: inflaters, blockRows: blockRows)
            #expect(inflated.raw == raw, "\(what): read raw")
            #expect(inflated.bytes == hdf5.bytes, "\(what), \(inflaters) inflaters: the same bytes as H5Dread")
        }
    }

    static let cases: [(float: Bool, level: Int, chunkRows: Int, rows: Int)] = [
        (false, 1, 25, 900), (false, 4, 7, 100), (false, 9, 1, 40), (false, 4, 64, 50),
        (true, 1, 16, 203), (true, 4, 25, 900), (true, 9, 3, 31),
    ]

    @Test(arguments: cases.indices)
    func deflatedBlocksAreByteForByteWhatH5DreadGives(index: Int) throws {
        let (float, level, chunkRows, rows) = Self.cases[index]
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: rows, chunkRows: chunkRows, float: float, deflate: level)
        // Blocks of one and of three chunks; an edge chunk is partly outside the file.
        for blockRows in [min(chunkRows, rows), 3 * chunkRows] {
            try expectSameBlocks(file.path, blockRows: blockRows, raw: true, "\(float ? "float32" : "uint8") deflate \(level), chunks of \(chunkRows) of \(rows) rows, blocks of \(blockRows)")
        }
    }

    @Test func shuffledAndDeflatedFloatsFromTheProjectsWriterAreUnshuffled() throws {
        // HDF5File.write with a compression level adds the shuffle filter for multi-byte types.
        let file = TemporaryDataFile()
        var generator = RandomGenerator(seed: 3, stream: 1)
        let rows = 500, features = 300
        let x = (0..<rows * features).map { _ in Float(generator.nextIndex(below: 40)) / 7 }
        let h5 = try HDF5File(path: file.path, mode: .truncate)
        try h5.write(x, shape: [rows, features], to: "train/x", compressionLevel: 4)
        try h5.write([Int64](repeating: 0, count: rows), shape: [rows], to: "train/y")
        h5.close()
        let stored = try HDF5File(path: file.path).dataset("train/x")
        #expect(try stored.filters() == [.shuffle, .deflate])
        let chunkRows = try #require(try stored.chunkShape()?.first)
        #expect(chunkRows < rows, "several chunks, the last one partial")
        try expectSameBlocks(file.path, blockRows: chunkRows, raw: true, "shuffle + deflate")
    }

    @Test func chunksNeverWrittenAreReadAsTheirFillValue() throws {
        let file = TemporaryDataFile()
        let h5 = try HDF5File(path: file.path, mode: .truncate)
        let writer = try h5.createRowDataset("train/x", of: UInt8.self, rows: 100, columns: 12, chunkRows: 10, deflate: 4)
        // Rows 30..<60 only: chunks 0–2 and 6–9 are never written.
        try [UInt8](repeating: 9, count: 30 * 12).withUnsafeBufferPointer { try writer.write($0, rows: 30..<60) }
        writer.close()
        try h5.write([Int64](repeating: 0, count: 100), shape: [100], to: "train/y")
        h5.close()
        #expect(try HDF5File(path: file.path).dataset("train/x").storedChunkBytes(atRow: 0) == 0)
        try expectSameBlocks(file.path, blockRows: 20, raw: true, "unwritten chunks")
        let bytes = try blocks(file.path, inflaters: 2, blockRows: 20).bytes
        #expect(bytes[0..<360].allSatisfy { $0 == 0 } && bytes[360..<720].allSatisfy { $0 == 9 })
    }


    /// h5py's layouts: (dtype, chunks, shuffle, fletcher32, whether the raw path takes it).
    static let h5pyCases: [(dtype: String, chunks: String, shuffle: Bool, fletcher: Bool, raw: Bool)] = [
        ("u1", "(10, 12)", false, false, true),
        ("f4", "(10, 12)", false, false, true),
        ("f4", "(10, 12)", true, false, true),
        ("u1", "(10, 12)", true, false, true),   // shuffle of 1-byte elements changes nothing
        ("f4", "(10, 12)", false, true, false),  // Fletcher-32 after deflate
        ("f4", "(10, 6)", false, false, false),  // chunks of part rows
        ("f8", "(10, 12)", true, false, false),  // stored unlike memory: HDF5 converts
        (">f4", "(10, 12)", true, false, false), // big-endian
    ]

    @Test(arguments: h5pyCases.indices)
    func h5pyFilesReadRawOrFallBackToH5Dread(index: Int) throws {
        try #require(Python.hasModule("h5py"), Comment(rawValue: Python.missing("h5py")))
        let c = Self.h5pyCases[index]
        let file = TemporaryDataFile()
        let script = """
            import sys, h5py, numpy as np
            rng = np.random.default_rng(4)
            x = rng.integers(0, 256, size=(97, 12)) * (rng.random((97, 12)) < 0.4)
            with h5py.File(sys.argv[1], "w") as f:
                f.create_dataset("train/x", data=x.astype("\(c.dtype)"), chunks=\(c.chunks), compression="gzip",
                                 compression_opts=4, shuffle=\(c.shuffle ? "True" : "False"), fletcher32=\(c.fletcher ? "True" : "False"))
                f["train/y"] = np.zeros(97, dtype="i8")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        try expectSameBlocks(file.path, blockRows: 20, raw: c.raw, "h5py \(c)")
    }

    @Test func aStreamedRunOnADeflatedFileIsBitwiseTheRunOnAnUncompressedCopy() throws {
        let architecture = StreamingTests.architecture
        let c = StreamingTests.configuration(workers: 2, epochs: 2)
        for float in [false, true] {
            var parameters: [[UInt32]] = []
            for deflate in [nil, 1, 6] as [Int?] {
                let file = TemporaryDataFile()
                try writeByteDataset(file.path, rows: 900, float: float, deflate: deflate)
                let budget = 900 * 4 + 10 * 25 * (12 * (float ? 4 : 1) + 4)
                let loaded = try TrainingDataLoader.load(file.path, budget: budget, seed: 42)
                guard case .stream(let split) = loaded.train else {
                    Issue.record("900 rows over a \(budget)-byte budget should stream")
                    return
                }
                #expect((split.reader.storedFormat != nil) == (deflate != nil))
                let trainer = try Trainer(architecture: architecture, configuration: c, data: loaded.train, validation: nil, test: loaded.test)
                try trainer.fit()
                parameters.append(trainer.model.parameters.map(\.bitPattern))
            }
            #expect(parameters[1] == parameters[0] && parameters[2] == parameters[0], "float: \(float)")
        }
    }

    /// Flips bytes in the middle of the stored chunk that starts at `row`.
    func corrupt(_ path: String, chunkAtRow row: Int) throws {
        let h5 = try HDF5File(path: path)
        let location = try #require(try h5.dataset("train/x").chunkLocation(atRow: row))
        h5.close()
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let at = UInt64(location.fileOffset + location.storedBytes / 2)
        try handle.seek(toOffset: at)
        let bytes = try #require(try handle.read(upToCount: 4))
        try handle.seek(toOffset: at)
        try handle.write(contentsOf: Data(bytes.map { ~$0 }))
    }

    @Test func aCorruptChunkIsOneLineNamingTheFileTheDatasetAndTheChunk() throws {
        let file = TemporaryDataFile()
        try writeByteDataset(file.path, rows: 900, deflate: 4)
        try corrupt(file.path, chunkAtRow: 250)
        for inflaters in [1, 2] {
            do {
                _ = try blocks(file.path, inflaters: inflaters, blockRows: 50)
                Issue.record("a corrupt chunk read without an error")
            } catch let error as DatasetError {
                #expect(error.file == file.path)
                #expect(error.message.contains("train/x: the chunk at rows 250..<275"), "\(error)")
                #expect(!error.description.contains("\n"), "one line: \(error)")
            }
        }
        // Training stops at the block with one line, not a crash.
        let loaded = try TrainingDataLoader.load(file.path, budget: StreamingTests.tinyBudget, seed: 42)
        var c = TrainingConfiguration()
        c.epochs = 1
        c.batchSize = 32
        let trainer = try Trainer(architecture: StreamingTests.architecture, configuration: c, data: loaded.train)
        #expect(throws: DatasetError.self) { try trainer.fit() }
    }

    @Test func aNonFiniteFeatureIsTheSameMessageOnBothPaths() throws {
        let file = TemporaryDataFile()
        let h5 = try HDF5File(path: file.path, mode: .truncate)
        let writer = try h5.createRowDataset("train/x", of: Float.self, rows: 60, columns: 4, chunkRows: 8, deflate: 4)
        var x = [Float](repeating: 0.5, count: 60 * 4)
        x[37 * 4 + 2] = .nan
        try x.withUnsafeBufferPointer { try writer.write($0, rows: 0..<60) }
        writer.close()
        try h5.write([Int64](repeating: 0, count: 60), shape: [60], to: "train/y")
        h5.close()
        var messages: [String] = []
        for inflaters in [0, 2] {
            do {
                _ = try blocks(file.path, inflaters: inflaters, blockRows: 16)
            } catch let error as DatasetError {
                messages.append(error.description)
            }
        }
        #expect(messages.count == 2 && messages[0] == messages[1] && messages[0].contains("train/x[37, 2] is nan"), "\(messages)")
    }
}
