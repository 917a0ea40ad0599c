// Strings in HDF5: writing variable-length UTF-8, and reading both variable- and
// fixed-length strings (the latter are what numpy `S` arrays become in h5py files).
// Shared by datasets and attributes.

internal import CHDF5

enum HDF5Strings {
    /// A new variable-length string type in character set `characterSet`. The caller closes it.
    static func makeVariableLengthType(characterSet: H5T_cset_t = H5T_CSET_UTF8, site: HDF5Site) throws -> hid_t {
        let type = try site.call("H5Tcopy") { H5Tcopy(CHDF5_C_S1()) }
        do {
            try site.call("H5Tset_size") { H5Tset_size(type, CHDF5_VARIABLE()) }
            try site.call("H5Tset_cset") { H5Tset_cset(type, characterSet) }
        } catch {
            closeHandle(type, H5Tclose)
            throw error
        }
        return type
    }

    /// Calls `body` with one NUL-terminated UTF-8 `char *` per value, laid out as the
    /// buffer HDF5 expects for variable-length strings, or `nil` when `values` is empty.
    static func withCStringArray<R>(
        _ values: [String], site: HDF5Site, _ body: (UnsafeRawPointer?) throws -> R
    ) throws -> R {
        var storage: [CChar] = []
        var offsets: [Int] = []
        offsets.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            // A C string ends at its first NUL, so the rest would be silently lost.
            if value.utf8.contains(0) {
                throw site.error("string \(index) contains a NUL character, which HDF5 strings cannot hold")
            }
            offsets.append(storage.count)
            storage.append(contentsOf: value.utf8.map { CChar(bitPattern: $0) })
            storage.append(0)
        }
        guard !values.isEmpty else { return try body(nil) }
        return try storage.withUnsafeBufferPointer { characters in
            let base = characters.baseAddress!
            let pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return try pointers.withUnsafeBytes { try body($0.baseAddress) }
        }
    }

    /// Reads `count` strings stored with datatype `fileType` in dataspace `space`.
    ///
    /// - Parameter read: performs the read (`H5Dread` or `H5Aread`) with the given
    ///   memory type into the given buffer; `function` names it in errors.
    static func read(
        count: Int, fileType: hid_t, space: hid_t, site: HDF5Site, function: String,
        read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        guard count > 0 else { return [] }
        let isVariableLength = try site.call("H5Tis_variable_str") { H5Tis_variable_str(fileType) } > 0
        if isVariableLength {
            return try readVariableLength(count: count, fileType: fileType, space: space, site: site,
                                          function: function, read: read)
        }
        return try readFixedLength(count: count, fileType: fileType, site: site, function: function, read: read)
    }

    private static func readVariableLength(
        count: Int, fileType: hid_t, space: hid_t, site: HDF5Site, function: String,
        read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        // Same character set as the file: HDF5 refuses to convert between ASCII and UTF-8.
        let characterSet = try site.call("H5Tget_cset", failsWhen: { $0 == H5T_CSET_ERROR }) {
            H5Tget_cset(fileType)
        }
        let memoryType = try makeVariableLengthType(characterSet: characterSet, site: site)
        defer { closeHandle(memoryType, H5Tclose) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        // HDF5 allocates each string and must free them too, including those of a
        // read that failed part-way; it skips the pointers still nil.
        defer {
            _ = pointers.withUnsafeMutableBytes { buffer in
                H5Dvlen_reclaim(memoryType, space, CHDF5_P_DEFAULT(), buffer.baseAddress!)
            }
        }
        try pointers.withUnsafeMutableBytes { buffer in
            _ = try site.call(function) { read(memoryType, buffer.baseAddress!) }
        }
        return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }

    private static func readFixedLength(
        count: Int, fileType: hid_t, site: HDF5Site, function: String,
        read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let size = try site.call("H5Tget_size", failsWhen: { $0 == 0 }) { H5Tget_size(fileType) }
        let padding = try site.call("H5Tget_strpad", failsWhen: { $0 == H5T_STR_ERROR }) {
            H5Tget_strpad(fileType)
        }
        // Strings have no byte order, so the file type is the right memory type, and
        // the buffer below is sized from that same type.
        let memoryType = try site.call("H5Tcopy") { H5Tcopy(fileType) }
        defer { closeHandle(memoryType, H5Tclose) }
        var bytes = [UInt8](repeating: 0, count: count * size)
        try bytes.withUnsafeMutableBytes { buffer in
            _ = try site.call(function) { read(memoryType, buffer.baseAddress!) }
        }
        return (0..<count).map { index in
            var field = bytes[index * size ..< (index + 1) * size]
            // A null-padded string that fills its field has no terminator at all.
            if let end = field.firstIndex(of: 0) {
                field = field[..<end]
            }
            if padding == H5T_STR_SPACEPAD {
                while field.last == UInt8(ascii: " ") { field = field.dropLast() }
            }
            return String(decoding: field, as: UTF8.self)
        }
    }
}
