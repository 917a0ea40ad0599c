// Every HDF5 object the wrapper opens in a file is closed again, on success and
// failure paths. (Dataspaces, datatypes and property lists belong to no file, and
// HDF5 1.10 refuses to count library-owned handles, so those rely on the `defer`
// that follows each of them.)

import CHDF5
@testable import HDF5
import Testing
import TestSupport

@Suite struct HandleTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    /// Writes, reads and fails in every way the wrapper can, once.
    private func exercise(_ file: HDF5File) throws {
        try file.write([Float(1), 2, 3, 4], shape: [2, 2], to: "g/x", compressionLevel: 1)
        try file.write([Float(5), 6, 7, 8], shape: [2, 2], to: "g/x")
        try file.writeStrings(["a", "b"], to: "g/s")
        try file.createGroup("h/i")
        try file.setAttribute("n", 1, on: "g/x")
        try file.setAttribute("n", [1, 2], on: "g/x")
        try file.setAttribute("names", ["a"], on: "h")
        try file.setAttribute("rate", 0.5)
        let x = try file.dataset("g/x")
        _ = try x.read(as: Double.self)
        _ = try x.read(rows: 1..<2, as: UInt8.self)
        _ = try file.dataset("g/s").readStrings()
        _ = try file.intsAttribute("n", of: "g/x")
        _ = try file.stringsAttribute("names", of: "h")
        _ = try file.doubleAttribute("rate")
        _ = file.contains("g/x/y")
        _ = file.hasAttribute("missing", on: "g")
        _ = try? file.dataset("missing")
        _ = try? file.dataset("g")
        _ = try? file.dataset("g/s").read(as: Float.self)
        _ = try? file.intAttribute("n", of: "g/x")
        _ = try? file.stringAttribute("rate")
        _ = try? file.setAttribute("a", 1, on: "nowhere")
        _ = try? file.write([Float(1)], shape: [1], to: "h")
        _ = try? file.setAttribute("bad", ["\u{0}"])
    }

    @Test func noObjectOfTheFileStaysOpen() throws {
        let file = try HDF5File(path: directory.path("objects.h5"), mode: .truncate)
        try exercise(file)
        let id = try file.fileID(HDF5Site(file: file.path))
        // Datasets, groups, attributes and named types of this file, plus the file itself.
        let everything = UInt32(H5F_OBJ_FILE | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR)
        #expect(H5Fget_obj_count(id, everything) == 1)
    }
}
