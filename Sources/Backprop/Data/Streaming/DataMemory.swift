// `--data-memory SIZE`: the bytes the training data may take, and the decision
// it drives: hold the training split in memory (in its file's dtype) when it
// fits, otherwise stream it in blocks sized to the budget.

import Foundation

public enum DataMemory {
    /// Half of the memory this process can have: the default budget.
    public static var defaultBudget: Int { MemoryBudget.available.bytes / 2 }

    /// Parses "512M", "1G", "1.5G", "64K" or a plain byte count. Suffixes are
    /// binary (K = 1024). Nil for anything else, zero or negative.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        var number = Substring(trimmed), scale = 1.0
        if number.hasSuffix("IB") { number = number.dropLast(2) } else if number.hasSuffix("B") { number = number.dropLast() }
        if let last = number.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            scale = Double(1 << (10 * power))
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale < 9e18 else { return nil }
        let bytes = Int((value * scale).rounded())
        return bytes > 0 ? bytes : nil
    }

    /// "1.5 GiB", "300 MiB", "12 KiB" for messages.
    public static func describe(_ bytes: Int) -> String {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, name) in units where bytes >= size {
            let value = Double(bytes) / Double(size)
            return value >= 100 ? "\(Int(value.rounded())) \(name)" : "\((value * 10).rounded() / 10) \(name)"
        }
        return "\(bytes) B"
    }

    /// The streaming settings for `split` under `budget` bytes, given the rows
    /// of the file's chunks (nil: contiguous). Blocks are whole chunks of about
    /// 256 KiB, made smaller (down to one chunk) until at least 64 blocks fit,
    /// since mixing quality depends on the number of blocks, not their size.
    ///
    /// - Throws: `DatasetError` when the budget cannot hold two blocks and the labels.
    public static func streamSettings(for split: SplitLayout, file: String, chunkRows: Int?, budget: Int) throws -> (settings: StreamSettings, readAhead: Int) {
        let rowBytes = split.features * (split.isBytes ? 1 : 4)
        let chunk = max(1, min(chunkRows ?? 1, split.examples))
        // Labels stay in memory (int32, or Float targets), and each buffered row has a 4-byte id in the pool.
        let labelBytes = split.hasClassLabels ? split.examples * 4 : (split.targetBytes ?? Int.max)
        let rest = budget - labelBytes
        func blocksThatFit(_ rows: Int) -> Int { max(0, rest) / (rows * (rowBytes + 4)) }
        var rows = chunk * max(1, (256 << 10) / max(1, chunk * rowBytes))
        // A small file still gets 16 blocks or more to mix.
        rows = min(rows, max(chunk, (split.examples / 16 + chunk - 1) / chunk * chunk))
        while rows > chunk && blocksThatFit(rows) < 64 + 8 {
            rows = max(chunk, rows / 2 / chunk * chunk)
        }
        let blocks = (split.examples + rows - 1) / rows
        var total = blocksThatFit(rows)
        guard total >= 3 else {
            let needed = MemoryBudget.sum([labelBytes, MemoryBudget.product([3, rows, rowBytes + 4])])
            throw DatasetError(file: file, "\(split.name)/x (\(split.examples) × \(split.features) \(split.featureType)) does not fit --data-memory \(describe(budget)), and streaming it needs \(split.name)/y in memory (\(describe(labelBytes))) plus three blocks of \(rows) rows: \(needed.map(describe) ?? "more than 2^63 bytes") in all")
        }
        let readAhead = max(2, min(16, total / 8))
        // More slots than the file has blocks would only hold memory.
        total = min(total, blocks + readAhead)
        return (StreamSettings(blockRows: rows, slots: total - readAhead), readAhead)
    }
}
