// Turns a CSV table into a Backprop dataset file: one column holds the label
// (a class name or number, or with `regression` a target value), every other
// column a numeric feature. Two passes over the file: the first checks every
// value and learns the shape and the class names, the second fills the arrays.
// The CSV text is never held in memory, only the float32 features.
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
    /// - Throws: `DatasetError` naming the file, row and column of a bad value;
    ///   `MemoryError` when the features cannot fit in memory; `SystemCallError` naming `output`.
    public static func run(
        csv path: String, labelColumn: String, testFraction: Double = 0, seed: UInt64 = 0,
        regression: Bool = false, output: String
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
        try MemoryBudget.check(MemoryBudget.product([rows, d + 3, 4]).map { $0 * 2 },
                               for: "\(path): importing \(rows) rows × \(d) features")

        // Pass 2: the values.
        var x = [Float](repeating: 0, count: rows * d)
        var y = [Float](repeating: 0, count: rows)
        let again = try CSVReader(path: path)
        if hasHeader { _ = try again.next() }
        var r = 0
        while r < rows, try again.next() {
            guard again.fieldCount == width else { throw DatasetError(file: path, "changed while being read") }
            var c = 0
            for j in 0..<width where j != label {
                guard let v = again.number(j) else { throw DatasetError(file: path, "changed while being read") }
                x[r * d + c] = Float(v)
                c += 1
            }
            if regression {
                y[r] = Float(again.number(label) ?? .nan)
            } else {
                guard let k = index[again.field(label).trimmingCharacters()] else { throw DatasetError(file: path, "changed while being read") }
                y[r] = Float(k)
            }
            r += 1
        }
        guard r == rows else { throw DatasetError(file: path, "changed while being read") }

        // The test rows: the first ⌊F·N⌉ of a seeded permutation, each split in file order.
        let testCount = Int((testFraction * Double(rows)).rounded())
        var isTest = [Bool](repeating: false, count: rows)
        if testCount > 0 {
            var generator = RandomGenerator(seed: seed, stream: 12)
            for row in generator.permutation(count: rows).prefix(testCount) { isTest[Int(row)] = true }
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
            if regression {
                try file.write(gy, shape: [keep.count, 1], to: "\(group)/y")
            } else {
                try file.write(gy.map { Int64($0) }, shape: [keep.count], to: "\(group)/y")
            }
        }
        try file.setAttribute("format", "backprop-dataset")
        try file.setAttribute("source", path)
        try file.setAttribute("feature_names", featureNames)
        try file.setAttribute("label_name", hasHeader ? first[label] : "column\(label)")
        if !classNames.isEmpty { try file.setAttribute("class_names", classNames) }
        try OutputFile.write([try file.image()], to: output)
        return Summary(trainCount: rows - testCount, testCount: testCount, featureCount: d, classNames: classNames, hadHeader: hasHeader)
    }

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
