// Failures become HDF5Errors that name the file and object, never crashes, garbage
// or HDF5's own printing on stderr.

import CHDF5
import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct ErrorTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    @Test func descriptionIsOneLineNamingFileAndObject() {
        #expect(HDF5Error(file: "a.h5", object: "train/x", message: "no such dataset").description
                == "a.h5: train/x: no such dataset")
        #expect(HDF5Error(file: "a.h5", message: "not an HDF5 file").description == "a.h5: not an HDF5 file")
    }

    @Test func missingFile() throws {
        let path = directory.path("missing.h5")
        for mode in [HDF5File.Mode.readOnly, .readWrite] {
            let error = #expect(throws: HDF5Error.self) { try HDF5File(path: path, mode: mode) }
            #expect(error == HDF5Error(file: path, object: nil, message: "no such file"))
        }
        #expect(!HDF5File.isHDF5(path))
    }

    @Test func textFileIsNotHDF5() throws {
        let path = directory.path("notes.txt")
        try "these are not the bytes you are looking for\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: HDF5Error.self) { try HDF5File(path: path) }
        #expect(error?.description == "\(path): not an HDF5 file")
        #expect(!HDF5File.isHDF5(path))
    }

    @Test func emptyFileAndDirectoryAreNotHDF5() throws {
        let empty = directory.path("empty.h5")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(throws: HDF5Error(file: empty, message: "not an HDF5 file")) { try HDF5File(path: empty) }
        let folder = directory.path("folder.h5")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        #expect(throws: HDF5Error(file: folder, message: "is a directory, not an HDF5 file")) {
            try HDF5File(path: folder)
        }
    }

    @Test func missingDatasetIsNamed() throws {
        let path = directory.path("data.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.write([Float(1)], shape: [1], to: "train/x")
        #expect(throws: HDF5Error(file: path, object: "train/y", message: "no such dataset")) {
            try file.dataset("train/y")
        }
        #expect(throws: HDF5Error(file: path, object: "test/x", message: "no such dataset")) {
            try file.dataset("test/x")
        }
        #expect(throws: HDF5Error(file: path, object: "train", message: "is a group, not a dataset")) {
            try file.dataset("train")
        }
        #expect(throws: HDF5Error(file: path, object: "train/x", message: "is a dataset, not a group")) {
            try file.createGroup("train/x")
        }
        #expect(throws: HDF5Error(file: path, object: "train", message: "is a group; only a dataset can be replaced")) {
            try file.write([Float(1)], shape: [1], to: "train")
        }
    }

    @Test func truncatedFileThrowsAtOpenOrRead() throws {
        let path = directory.path("whole.h5")
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.write((0..<50_000).map { Float($0) }, shape: [500, 100], to: "train/x")
            try file.write((0..<50_000).map { UInt8($0 % 256) }, shape: [500, 100], to: "test/x", compressionLevel: 4)
            try file.setAttribute("format", "backprop-dataset")
        }
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        for keep in [whole.count / 2, whole.count - 1, 4096, 100, 8] {
            let cut = directory.path("cut-\(keep).h5")
            try whole.prefix(keep).write(to: URL(fileURLWithPath: cut))
            #expect(throws: HDF5Error.self, "kept \(keep) of \(whole.count) bytes") {
                let file = try HDF5File(path: cut)
                _ = try file.dataset("train/x").read(as: Float.self)
                _ = try file.dataset("test/x").read(as: Float.self)
            }
        }
        let error = #expect(throws: HDF5Error.self) { try HDF5File(path: directory.path("cut-\(whole.count / 2).h5")) }
        #expect(error?.message.contains("truncated") == true, "\(String(describing: error))")
    }

    @Test func bufferSizeMismatchReadsNothing() throws {
        let path = directory.path("buffer.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.write([1.0, 2.0, 3.0, 4.0], shape: [2, 2], to: "x")
        let dataset = try file.dataset("x")
        for size in [3, 5, 0] {
            var buffer = [Float](repeating: -1, count: size)
            let error = #expect(throws: HDF5Error.self) {
                try buffer.withUnsafeMutableBufferPointer { try dataset.read(into: $0) }
            }
            #expect(error?.message == "buffer holds \(size) elements but the dataset has 4 (shape [2, 2])")
            #expect(buffer.allSatisfy { $0 == -1 })
        }
        var rows = [Float](repeating: -1, count: 3)
        let rowError = #expect(throws: HDF5Error.self) {
            try rows.withUnsafeMutableBufferPointer { try dataset.read(rows: 0..<2, into: $0) }
        }
        #expect(rowError?.message == "buffer holds 3 elements but 2 rows have 4")
        let outside = #expect(throws: HDF5Error.self) { try dataset.read(rows: 1..<3, as: Float.self) }
        #expect(outside?.message == "rows 1..<3 are outside 0..<2")
    }

    @Test func closedFileThrowsAndClosingTwiceIsHarmless() throws {
        let path = directory.path("closed.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.write([Int32(1), 2], shape: [2], to: "x")
        let dataset = try file.dataset("x")
        file.close()
        file.close()
        #expect(throws: HDF5Error(file: path, object: "x", message: "file is closed")) {
            try dataset.read(as: Int32.self)
        }
        #expect(throws: HDF5Error(file: path, object: "y", message: "file is closed")) {
            try file.dataset("y")
        }
        #expect(!file.contains("x"))
        // Really closed: the same path can be recreated at once.
        let again = try HDF5File(path: path, mode: .truncate)
        #expect(!again.contains("x"))
    }

    @Test func writingToAReadOnlyFileGivesHDF5sReason() throws {
        let path = directory.path("readonly.h5")
        do { _ = try HDF5File(path: path, mode: .truncate) }
        let file = try HDF5File(path: path)
        let error = #expect(throws: HDF5Error.self) { try file.write([Float(1)], shape: [1], to: "x") }
        #expect(error?.object == "x")
        #expect(error?.message.contains("no write intent") == true, "\(String(describing: error))")
    }

    @Test func hdf5PrintsNothingOnAnyThread() throws {
        // HDF5 switches error printing on for each new thread; the wrapper must switch
        // it off on every thread it is used from, not just the first.
        let path = directory.path("nothing-here.h5")
        let autoPrintIsOff = ThreadResult()
        let thread = Thread {
            _ = try? HDF5File(path: path, mode: .truncate).dataset("missing")
            var function: H5E_auto2_t?
            var clientData: UnsafeMutableRawPointer?
            H5Eget_auto2(CHDF5_E_DEFAULT(), &function, &clientData)
            autoPrintIsOff.set(function == nil)
        }
        thread.start()
        #expect(autoPrintIsOff.wait() == true)
    }
}

/// A Bool handed from another thread, waited for.
private final class ThreadResult: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Bool?

    func set(_ newValue: Bool) {
        condition.lock()
        value = newValue
        condition.signal()
        condition.unlock()
    }

    func wait() -> Bool? {
        condition.lock()
        defer { condition.unlock() }
        while value == nil {
            if !condition.wait(until: Date().addingTimeInterval(30)) { break }
        }
        return value
    }
}
