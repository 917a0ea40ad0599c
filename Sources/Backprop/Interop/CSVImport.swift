// Turns a CSV table into a Backprop dataset file: one column holds the label
// (a class name or number, or with `regression` a target value), every other
// column a numeric feature. Two passes over the file: the first checks every
// value and learns the shape and the class names, the second fills the arrays.
// The CSV text is never held in memory; the float32 features are, unless they
// would not fit `memory`: then the second pass streams them to the file in blocks.
//
//     train/x  N × D float32   train/y  N int64 labels (or N × 1 float32 targets)
//     test/x, test/y           the rows --test-fraction holds out, in file order
//     attributes on /: format, source, feature_names, label_name, class_names

import HDF5

public enum CSVImport {
    /// What an import wrote.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public let trainCount: Int
        public let testCount: Int
        public let featureCount: Int
        /// Class names, label i = classNames[i]; empty for regression.
        public let classNames: [String]
        public let hadHeader: Bool

        public var description: String {
            let examples = testCount > 0 ? "\(trainCount) training and \(testCount) test examples" : "\(trainCount) training examples"
            let targets = classNames.isEmpty ? "a regression target" : "\(classNames.count) classes"
            return "\(examples) of \(featureCount) features, \(targets)\(hadHeader ? "" : " (no header line)")"
        }
    }

    /// Converts the CSV at `path` to a dataset file at `output`, written whole or not at all.
    ///
    /// - Parameters:
    ///   - labelColumn: the label column's header name, or its 0-based index.
    ///   - testFraction: the share of rows held out as test/ (0 for none), chosen by `seed`.
    ///   - memory: bytes the import may hold; a table whose features need more
    ///     (twice the float32 values) is written block by block straight to
    ///     the file, in memory bounded by this, not by the table.
    /// - Throws: `DatasetError` naming the file, row and column of a bad value;
    ///   `MemoryError` when the features cannot fit in memory; `SystemCallError` naming `output`.
    public static func run(
        csv path: String, labelColumn: String, testFraction: Double = 0, seed: UInt64 = 0,
        regression: Bool = false, output: String, memory: Int = 1 << 30
    ) throws -> Summary {
        guard testFraction >= 0 && testFraction < 1 else {
            throw ConfigurationError("the test fraction must be in [0, 1), not \(testFraction)")
        }
        // Pass 1: the header, the label column, the shape, every value checked.
        let reader = try CSVReader(path: path)
        guard try reader.next() else { throw DatasetError(file: path, "is empty; expected rows of values") }
        let width = reader.fieldCount
        guard width >= 2 else { throw DatasetError(file: path, "has \(width) column; expected a label column and at least one feature") }
        let first = (0..<width).map { reader.field($0) }
        let label: Int
        var hasHeader: Bool
        if let index = Int(labelColumn) {
            guard (0..<width).contains(index) else {
                throw DatasetError(file: path, "has \(width) columns (0…\(width - 1)); there is no label column \(index)")
            }
            label = index
            // A first row with a non-number among its features is a header.
            hasHeader = (0..<width).contains { $0 != index && reader.number($0) == nil }
        } else {
            guard let index = first.firstIndex(of: labelColumn) else {
                throw DatasetError(file: path, "has no column named '\(labelColumn)' in its header (\(first.prefix(8).joined(separator: ", "))\(width > 8 ? ", …" : ""))")
            }
            label = index
            hasHeader = true
        }
        let featureNames = (0..<width).filter { $0 != label }.map { hasHeader ? first[$0] : "column\($0)" }
        var rows = 0
        var names = Set<String>()
        var allIntegers = true
        func check(_ reader: CSVReader) throws {
            guard reader.fieldCount == width else {
                throw DatasetError(file: path, "row \(reader.recordNumber) has \(reader.fieldCount) fields; the first has \(width)")
            }
            for j in 0..<width where j != label {
                guard reader.number(j) != nil else { throw badValue(reader, column: j, header: hasHeader ? first : nil) }
            }
            let text = reader.field(label).trimmingCharacters()
            if text.isEmpty { throw badValue(reader, column: label, header: hasHeader ? first : nil) }
            if regression {
                guard reader.number(label) != nil else { throw badValue(reader, column: label, header: hasHeader ? first : nil) }
            } else {
                names.insert(text)
                if allIntegers, !(Int(text).map { $0 >= 0 } ?? false) { allIntegers = false }
            }
        }
        if !hasHeader { try check(reader); rows += 1 }
        while try reader.next() { try check(reader); rows += 1 }
        guard rows > 0 else { throw DatasetError(file: path, "has a header but no rows") }
        // Labels: integer labels are kept; names get 0, 1, … in sorted order, and the file records them.
        let classNames: [String]
        let index: [String: Int]
        if regression {
            (classNames, index) = ([], [:])
        } else if allIntegers {
            let largest = names.compactMap { Int($0) }.max()!
            guard largest < 1 << 20 else { throw DatasetError(file: path, "label \(largest) is too large for a class index") }
            classNames = (0...largest).map(String.init)
            index = Dictionary(uniqueKeysWithValues: names.map { ($0, Int($0)!) })
        } else {
            classNames = names.sorted()
            index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        }
        let d = width - 1

        // The test rows: the first ⌊F·N⌉ of a seeded permutation, each split in file order.
        let testCount = Int((testFraction * Double(rows)).rounded())
        var isTest = [Bool](repeating: false, count: rows)
        if testCount > 0 {
            var generator = RandomGenerator(seed: seed, stream: 12)
            for row in generator.permutation(count: rows).prefix(testCount) { isTest[Int(row)] = true }
        }
        let counts = ["train": rows - testCount, "test": testCount]
        let values = Values(path: path, rows: rows, width: width, label: label, hasHeader: hasHeader,
                            regression: regression, index: index)
        func describe(_ file: HDF5File) throws {
            try file.setAttribute("format", "backprop-dataset")
            try file.setAttribute("source", path)
            try file.setAttribute("feature_names", featureNames)
            try file.setAttribute("label_name", hasHeader ? first[label] : "column\(label)")
            if !classNames.isEmpty { try file.setAttribute("class_names", classNames) }
        }
        let summary = Summary(trainCount: rows - testCount, testCount: testCount, featureCount: d, classNames: classNames,
                              hadHeader: hasHeader)
        // Twice the float32 features (the table, then each split) and the labels.
        let inMemory = MemoryBudget.product([rows, d + 3, 4]).map { $0 * 2 }
        if let inMemory, inMemory <= memory {
            try MemoryBudget.check(inMemory, for: "\(path): importing \(rows) rows × \(d) features")
        } else {
            try ReservedOutput.write(to: output, reserving: ReservedOutput.estimate(
                rows: [rows - testCount, testCount], rowBytes: d * 4 + 8)) { file in
                try stream(values, isTest: isTest, counts: counts, memory: memory, to: file)
                try describe(file)
            }
            return summary
        }

        // Pass 2: the values, into memory.
        var x = [Float](repeating: 0, count: rows * d)
        var y = [Float](repeating: 0, count: rows)
        try values.forEachRow { r, row, target in
            for c in 0..<d { x[r * d + c] = row[c] }
            y[r] = target
        }
        let file = try HDF5File(inMemoryNamed: output)
        defer { file.close() }
        for (group, test) in [("train", false), ("test", true)] {
            let keep = (0..<rows).filter { isTest[$0] == test }
            if test && keep.isEmpty { continue }
            var gx = [Float](), gy = [Float]()
            gx.reserveCapacity(keep.count * d)
            for row in keep { gx.append(contentsOf: x[(row * d)..<((row + 1) * d)]); gy.append(y[row]) }
            try file.write(gx, shape: [keep.count, d], to: "\(group)/x")
            try writeTargets(gy, regression: regression, group: group, to: file)
        }
        try describe(file)
        try OutputFile.write([try file.image()], to: output)
        return summary
    }

    /// Pass 2 streamed: each row goes into its split's block of rows, and a
    /// full block is written with an `HDF5RowWriter`; memory is two blocks
    /// (at most `memory` bytes, capped at 64 MiB each) and the labels.
    private static func stream(_ values: Values, isTest: [Bool], counts: [String: Int], memory: Int, to file: HDF5File) throws {
        let d = values.width - 1, rowBytes = d * 4
        let blockRows = max(1, min(memory / 2, 64 << 20) / rowBytes)
        let chunkRows = min(RechunkOptions.defaultChunkRows(rowBytes: rowBytes), blockRows)
        final class Split {
            let name: String
            let writer: HDF5RowWriter<Float>
            private let storage: Slab<Float>
            var block: UnsafeMutableBufferPointer<Float> { storage.buffer }
            var filled = 0, written = 0
            var targets: [Float] = []
            init(_ name: String, rows: Int, columns: Int, blockRows: Int, chunkRows: Int, file: HDF5File) throws {
                self.name = name
                writer = try file.createRowDataset("\(name)/x", of: Float.self, rows: rows, columns: columns,
                                                   chunkRows: rows > 0 ? chunkRows : nil)
                storage = Slab(zeros: min(rows, blockRows / chunkRows * chunkRows) * columns)
                targets.reserveCapacity(rows)
            }
            func flush() throws {
                let columns = writer.columns
                try writer.write(UnsafeBufferPointer(rebasing: block[0..<filled * columns]), rows: written..<written + filled)
                written += filled
                filled = 0
            }
        }
        let train = try Split("train", rows: counts["train"]!, columns: d, blockRows: blockRows, chunkRows: chunkRows, file: file)
        let test = counts["test"]! > 0
            ? try Split("test", rows: counts["test"]!, columns: d, blockRows: blockRows, chunkRows: chunkRows, file: file) : nil
        try values.forEachRow { r, row, target in
            let split = isTest[r] ? test! : train
            let offset = split.filled * d
            for c in 0..<d { split.block[offset + c] = row[c] }
            split.targets.append(target)
            split.filled += 1
            if split.filled * d == split.block.count { try split.flush() }
        }
        for split in [train, test].compactMap({ $0 }) {
            try split.flush()
            precondition(split.written == split.writer.rows)
            split.writer.close()
            try writeTargets(split.targets, regression: values.regression, group: split.name, to: file)
        }
    }

    private static func writeTargets(_ y: [Float], regression: Bool, group: String, to file: HDF5File) throws {
        if regression {
            try file.write(y, shape: [y.count, 1], to: "\(group)/y")
        } else {
            try file.write(y.map { Int64($0) }, shape: [y.count], to: "\(group)/y")
        }
    }

    /// The second pass over a CSV file whose first pass checked every value.
    private struct Values {
        let path: String
        let rows: Int
        let width: Int
        let label: Int
        let hasHeader: Bool
        let regression: Bool
        let index: [String: Int]

        /// Calls `body` with each row's index, its features (as float32, label
        /// column left out) and its label or target.
        func forEachRow(_ body: (Int, UnsafeBufferPointer<Float>, Float) throws -> Void) throws {
            let reader = try CSVReader(path: path)
            if hasHeader { _ = try reader.next() }
            let row = UnsafeMutableBufferPointer<Float>.allocate(capacity: width - 1)
            defer { row.deallocate() }
            var r = 0
            while r < rows, try reader.next() {
                guard reader.fieldCount == width else { throw DatasetError(file: path, "changed while being read") }
                var c = 0
                for j in 0..<width where j != label {
                    guard let v = reader.number(j) else { throw DatasetError(file: path, "changed while being read") }
                    row[c] = Float(v)
                    c += 1
                }
                let target: Float
                if regression {
                    target = Float(reader.number(label) ?? .nan)
                } else {
                    guard let k = index[reader.field(label).trimmingCharacters()] else {
                        throw DatasetError(file: path, "changed while being read")
                    }
                    target = Float(k)
                }
                try body(r, UnsafeBufferPointer(row), target)
                r += 1
            }
            guard r == rows else { throw DatasetError(file: path, "changed while being read") }
        }
    }
}

extension CSVImport {
    private static func badValue(_ reader: CSVReader, column: Int, header: [String]?) -> DatasetError {
        let text = reader.field(column)
        let name = header.map { " ('\($0[column])')" } ?? ""
        let what = text.trimmingCharacters().isEmpty ? "missing value" : "'\(text)' is not a number"
        return DatasetError(file: reader.name, "row \(reader.recordNumber), column \(column + 1)\(name): \(what)")
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingCharacters() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
