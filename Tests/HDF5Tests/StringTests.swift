// String datasets: ours (variable-length UTF-8), and fixed-length ones as h5py
// writes numpy `S` arrays, made here through the C API since tests must not need h5py.

import CHDF5
import HDF5
import Testing
import TestSupport

@Suite struct StringTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    @Test func variableLengthStringsRoundTrip() throws {
        let path = directory.path("strings.h5")
        let names = ["T-shirt/top", "Trouser", "", "Ankle boot", "ünïcødé 数据", String(repeating: "x", count: 10_000)]
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.writeStrings(names, to: "meta/classes")
            try file.writeStrings([], to: "meta/none")
        }
        let file = try HDF5File(path: path)
        let dataset = try file.dataset("meta/classes")
        #expect(dataset.elementClass == .string)
        #expect(dataset.shape == [names.count])
        #expect(try dataset.readStrings() == names)
        #expect(try file.dataset("meta/none").readStrings() == [])
    }

    @Test func numbersAreNotReadAsStringsNorStringsAsNumbers() throws {
        let path = directory.path("mixed.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.writeStrings(["a", "b"], to: "names")
        try file.write([Float(1), 2], shape: [2], to: "values")

        let asNumbers = #expect(throws: HDF5Error.self) { try file.dataset("names").read(as: Float.self) }
        #expect(asNumbers == HDF5Error(file: path, object: "names",
                                       message: "holds string data, which cannot be read as Float"))
        let rows = #expect(throws: HDF5Error.self) { try file.dataset("names").read(rows: 0..<1, as: UInt8.self) }
        #expect(rows?.message == "holds string data, which cannot be read as UInt8")
        let asStrings = #expect(throws: HDF5Error.self) { try file.dataset("values").readStrings() }
        #expect(asStrings?.message == "holds float32 data, not strings")
    }

    @Test func fixedLengthStringsAsH5pyWritesThem() throws {
        let path = directory.path("fixed.h5")
        // numpy's S5 is null-padded, so a 5-byte value has no terminator; Fortran-style
        // space-padded strings exist too.
        try writeFixedLength(["cat", "horse", ""], size: 5, padding: H5T_STR_NULLPAD, to: "nullpad", in: path)
        try writeFixedLength(["ab", "abcd"], size: 4, padding: H5T_STR_SPACEPAD, to: "spacepad", in: path)
        try writeFixedLength(["one"], size: 8, padding: H5T_STR_NULLTERM, to: "scalar", in: path, scalar: true)

        let file = try HDF5File(path: path)
        #expect(try file.dataset("nullpad").readStrings() == ["cat", "horse", ""])
        #expect(try file.dataset("spacepad").readStrings() == ["ab", "abcd"])
        #expect(try file.dataset("scalar").readStrings() == ["one"])
        #expect(try file.stringAttribute("label", of: "nullpad") == "horse")
        #expect(try file.stringsAttribute("label", of: "spacepad") == ["abcd"])
    }

    /// Writes `values` as a fixed-length string dataset `name`, and the longest value as
    /// its scalar attribute "label" of the same type, using the C API directly.
    private func writeFixedLength(
        _ values: [String], size: Int, padding: H5T_str_t, to name: String, in path: String, scalar: Bool = false
    ) throws {
        let exists = HDF5File.isHDF5(path)
        let file = exists
            ? H5Fopen(path, CHDF5_F_ACC_RDWR(), CHDF5_P_DEFAULT())
            : H5Fcreate(path, CHDF5_F_ACC_TRUNC(), CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT())
        try #require(file >= 0)
        defer { H5Fclose(file) }
        let type = H5Tcopy(CHDF5_C_S1())
        defer { H5Tclose(type) }
        H5Tset_size(type, size)
        H5Tset_strpad(type, padding)
        var bytes = [UInt8]()
        for value in values {
            var field = Array(value.utf8.prefix(size))
            field += [UInt8](repeating: padding == H5T_STR_SPACEPAD ? 0x20 : 0, count: size - field.count)
            bytes += field
        }
        var dims = [hsize_t(values.count)]
        let space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(file, name, type, space, CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT())
        try #require(dataset >= 0)
        defer { H5Dclose(dataset) }
        try #require(H5Dwrite(dataset, type, CHDF5_S_ALL(), CHDF5_S_ALL(), CHDF5_P_DEFAULT(), bytes) >= 0)

        let longest = values.indices.max { values[$0].utf8.count < values[$1].utf8.count }!
        let attributeSpace = H5Screate(H5S_SCALAR)
        defer { H5Sclose(attributeSpace) }
        let attribute = H5Acreate2(dataset, "label", type, attributeSpace, CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT())
        try #require(attribute >= 0)
        defer { H5Aclose(attribute) }
        let field = Array(bytes[(longest * size)..<((longest + 1) * size)])
        try #require(H5Awrite(attribute, type, field) >= 0)
    }
}
