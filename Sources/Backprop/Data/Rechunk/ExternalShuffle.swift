// Shuffling the rows of a file too large for memory, in two passes (the
// classic scatter-gather shuffle): read the rows in order and send each to one
// of B bucket files chosen at random; then load each bucket, which fits in
// memory, permute it, and append it to the output. Every permutation of the
// rows is equally likely. Buckets live in a scratch directory beside the
// output, removed at the end. Everything is drawn from the seed.

import Glibc
import HDF5

struct ExternalShuffle: RowSource {
    let x: HDF5Dataset
    let rows: Int
    let converter: RowConverter
    let seed: UInt64
    let memory: Int
    /// The output path: scratch files go beside it, and errors name it.
    let output: String

    init(x: HDF5Dataset, rows: Int, converter: RowConverter, seed: UInt64, memory: Int, scratchBeside output: String) throws {
        self.x = x
        self.rows = rows
        self.converter = converter
        self.seed = seed
        self.memory = memory
        self.output = output
    }

    /// A row in a bucket: its bytes in the output type, then its input row as an Int32.
    var recordBytes: Int { converter.outputRowBytes + 4 }

    func forEachPass(_ body: (Int, Int, [Int32], UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let half = max(recordBytes, memory / 2)
        let buckets = max(1, (rows * recordBytes + half - 1) / half)
        let (directory, name) = AtomicReplace.split(output)
        let scratch = "\(directory)/.\(name).shuffle-\(getpid())"
        try SystemCall.check("mkdir", path: scratch) { mkdir(scratch, 0o700) }
        defer {
            for b in 0..<buckets { unlink("\(scratch)/\(b)") }
            rmdir(scratch)
        }
        try scatter(into: scratch, buckets: buckets)
        var start = 0
        for b in 0..<buckets {
            let path = "\(scratch)/\(b)"
            let records = try readAll(path)
            defer { records.deallocate() }
            unlink(path)
            let count = records.count / recordBytes
            var generator = RandomGenerator(seed: seed, stream: RandomStream.rechunkRowsBase + UInt64(b))
            let order = generator.permutation(count: count)
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, count * converter.outputRowBytes), alignment: 64)
            defer { out.deallocate() }
            var ids = [Int32](repeating: 0, count: count)
            let rowBytes = converter.outputRowBytes
            for (i, r) in order.enumerated() {
                let record = records.baseAddress! + Int(r) * recordBytes
                (out.baseAddress! + i * rowBytes).copyMemory(from: record, byteCount: rowBytes)
                ids[i] = (record + rowBytes).loadUnaligned(as: Int32.self)
            }
            try body(start, count, ids, UnsafeMutableRawBufferPointer(rebasing: out[0..<count * rowBytes]))
            start += count
        }
        precondition(start == rows)
    }

    /// Pass 1: every row, in file order, to a random bucket file.
    private func scatter(into scratch: String, buckets: Int) throws {
        let flushBytes = max(recordBytes, min(1 << 20, memory / 4 / buckets))
        var files: [Int32] = []
        defer { for fd in files { close(fd) } }
        for b in 0..<buckets {
            let path = "\(scratch)/\(b)"
            files.append(try SystemCall.check("open", path: output) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) })
        }
        var pending = (0..<buckets).map { _ in [UInt8]() }
        for b in 0..<buckets { pending[b].reserveCapacity(flushBytes + recordBytes) }
        func flush(_ b: Int) throws {
            try pending[b].withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    done += try SystemCall.check("write", path: output) { write(files[b], bytes.baseAddress! + done, bytes.count - done) }
                }
            }
            pending[b].removeAll(keepingCapacity: true)
        }
        var generator = RandomGenerator(seed: seed, stream: RandomStream.rechunkBuckets)
        let pass = max(1, min(memory / 2, 64 << 20) / (converter.inputRowBytes + converter.outputRowBytes))
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: pass * converter.inputRowBytes, alignment: 64)
        let converted = UnsafeMutableRawBufferPointer.allocate(byteCount: pass * converter.outputRowBytes, alignment: 64)
        defer { input.deallocate(); converted.deallocate() }
        var start = 0
        while start < rows {
            let count = min(pass, rows - start)
            try BlockRead.read(x, rows: start..<start + count, bytes: converter.fromBytes, into: input.baseAddress!)
            try converter.convert(input.baseAddress!, converted.baseAddress!, rows: count, firstRow: start)
            for i in 0..<count {
                let b = generator.nextIndex(below: buckets)
                let row = UnsafeRawBufferPointer(start: converted.baseAddress! + i * converter.outputRowBytes, count: converter.outputRowBytes)
                pending[b].append(contentsOf: row)
                withUnsafeBytes(of: Int32(start + i)) { pending[b].append(contentsOf: $0) }
                if pending[b].count >= flushBytes { try flush(b) }
            }
            start += count
        }
        for b in 0..<buckets { try flush(b) }
    }

    /// The whole content of a bucket file.
    private func readAll(_ path: String) throws -> UnsafeMutableRawBufferPointer {
        let fd = try SystemCall.check("open", path: output) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var status = stat()
        try SystemCall.check("fstat", path: output) { fstat(fd, &status) }
        let size = Int(status.st_size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, size), alignment: 64)
        var done = 0
        while done < size {
            let got = try SystemCall.check("read", path: output) { read(fd, buffer.baseAddress! + done, size - done) }
            if got == 0 { break }
            done += got
        }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
    }
}
