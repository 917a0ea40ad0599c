// Strings as h5py writes them, read through the wrapper's own global heap reader
// (HDF5GlobalHeap.swift): variable-length UTF-8 scalars and arrays, numpy bytes,
// string datasets, in files of the oldest and the newest format versions.

import Foundation
import HDF5
import Testing
import TestSupport

@Suite struct H5pyStringTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    @Test(arguments: ["earliest", "latest"])
    func stringsWrittenByH5pyRead(libver: String) throws {
        try #require(Python.hasModule("h5py"), Comment(rawValue: Python.missing("h5py")))
        let path = directory.path("h5py-\(libver).h5")
        let script = """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w", libver=sys.argv[2]) as f:
                f.attrs["loss"] = "softmax-cross-entropy"
                f.attrs["initialization"] = np.bytes_("auto")
                f.attrs["activations"] = np.array(["relu", "", "sóftmax ✓"], dtype=h5py.string_dtype())
                f["classes"] = np.array(["T-shirt/top", "Trouser"] * 300, dtype=h5py.string_dtype())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path, libver]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)

        let file = try HDF5File(path: path)
        #expect(try file.stringAttribute("loss") == "softmax-cross-entropy")
        #expect(try file.stringAttribute("initialization") == "auto")
        #expect(try file.stringsAttribute("activations") == ["relu", "", "sóftmax ✓"])
        // 600 strings span more than one 4 KiB heap collection.
        let classes = try file.dataset("classes").readStrings()
        #expect(classes.count == 600 && classes.first == "T-shirt/top" && classes.last == "Trouser")
    }
}
