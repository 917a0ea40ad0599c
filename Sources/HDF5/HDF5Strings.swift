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

    /// Reads `count` strings stored with datatype `fileType` in `file`.
    ///
    /// - Parameter read: performs the read (`H5Dread` or `H5Aread`) with the given
    ///   memory type into the given buffer; `function` names it in errors.
    static func read(
        count: Int, fileType: hid_t, file: HDF5File, site: HDF5Site, function: String,
        read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        guard count > 0 else { return [] }
        let isVariableLength = try site.call("H5Tis_variable_str") { H5Tis_variable_str(fileType) } > 0
        if isVariableLength {
            return try readVariableLength(count: count, file: file, site: site, function: function, read: read)
        }
        return try readFixedLength(count: count, fileType: fileType, site: site, function: function, read: read)
    }

    /// Variable-length strings, read without HDF5's global heap code: see HDF5GlobalHeap.swift.
    private static func readVariableLength(
        count: Int, file: HDF5File, site: HDF5Site, function: String,
        read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let id = try file.fileID(site)
        // The heap is read from disk, so anything this process wrote must be there first.
        if file.mode != .readOnly {
            try site.call("H5Fflush") { H5Fflush(id, H5F_SCOPE_LOCAL) }
        }
        let geometry = try HDF5FileGeometry(file: id, site: site)
        let memoryType = try HDF5RawReferences.memoryType(geometry, site: site)
        defer { closeHandle(memoryType, H5Tclose) }
        let stride = geometry.referenceBytes
        let byteCount = try HDF5Allocation.bytes(count: count, stride: stride, what: "string references", site: site)
        var references = [UInt8](repeating: 0, count: byteCount)
        try references.withUnsafeMutableBytes { buffer in
            _ = try site.call(function) { read(memoryType, buffer.baseAddress!) }
        }
        var heap = try HDF5GlobalHeap(path: file.path, geometry: geometry, site: site)
        return try references.withUnsafeBytes { buffer in
            try (0..<count).map { element in
                try heap.string(reference: UnsafeRawBufferPointer(rebasing: buffer[(element * stride)..<((element + 1) * stride)]),
                                element: element)
            }
        }
    }

    private static func readFixedLength(
        count: Int, fileType: hid_t, site: HDF5Site, function: String,
        read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let size = try site.call("H5Tget_size", failsWhen: { $0 == 0 }) { H5Tget_size(fileType) }
        // The size comes from the file: check it before allocating count × size bytes.
        _ = try HDF5Allocation.bytes(count: count, stride: size, what: "fixed-length strings", site: site)
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
