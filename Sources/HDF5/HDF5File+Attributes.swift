// Attributes on groups and datasets: small metadata values (strings, int64 and
// float64 scalars and 1-D arrays), written replacing any earlier value and read
// whichever way a writer such as h5py stored them.

internal import CHDF5

extension HDF5File {
    // MARK: Writing

    /// Sets the attribute `name` of `objectPath` to a variable-length UTF-8 string.
    public func setAttribute(_ name: String, _ value: String, on objectPath: String = "/") throws {
        try setStringAttribute(name, [value], shape: [], on: objectPath)
    }

    /// Sets the attribute `name` of `objectPath` to an int64 scalar.
    public func setAttribute(_ name: String, _ value: Int, on objectPath: String = "/") throws {
        try setNumericAttribute(name, [Int64(value)], shape: [], on: objectPath)
    }

    /// Sets the attribute `name` of `objectPath` to a float64 scalar.
    public func setAttribute(_ name: String, _ value: Double, on objectPath: String = "/") throws {
        try setNumericAttribute(name, [value], shape: [], on: objectPath)
    }

    /// Sets the attribute `name` of `objectPath` to a 1-D int64 array.
    public func setAttribute(_ name: String, _ value: [Int], on objectPath: String = "/") throws {
        try setNumericAttribute(name, value.map { Int64($0) }, shape: [value.count], on: objectPath)
    }

    /// Sets the attribute `name` of `objectPath` to a 1-D float64 array.
    public func setAttribute(_ name: String, _ value: [Double], on objectPath: String = "/") throws {
        try setNumericAttribute(name, value, shape: [value.count], on: objectPath)
    }

    /// Sets the attribute `name` of `objectPath` to a 1-D array of variable-length UTF-8 strings.
    public func setAttribute(_ name: String, _ value: [String], on objectPath: String = "/") throws {
        try setStringAttribute(name, value, shape: [value.count], on: objectPath)
    }

    // MARK: Reading

    /// Whether `objectPath` exists and has an attribute `name`.
    public func hasAttribute(_ name: String, on objectPath: String = "/") -> Bool {
        guard contains(objectPath), let id = try? fileID(HDF5Site(file: path)) else { return false }
        HDF5Library.prepareThread()
        return H5Aexists_by_name(id, objectPath, name, CHDF5_P_DEFAULT()) > 0
    }

    /// The string attribute `name` of `objectPath`, stored as a fixed- or
    /// variable-length string, scalar or one-element array.
    public func stringAttribute(_ name: String, of objectPath: String = "/") throws -> String {
        let site = attributeSite(name, objectPath)
        return try single(stringsAttribute(name, of: objectPath), site: site)
    }

    /// The integer attribute `name` of `objectPath`, stored as any integer type,
    /// scalar or one-element array.
    public func intAttribute(_ name: String, of objectPath: String = "/") throws -> Int {
        let site = attributeSite(name, objectPath)
        return try single(intsAttribute(name, of: objectPath), site: site)
    }

    /// The number attribute `name` of `objectPath`, stored as any float or integer
    /// type, scalar or one-element array.
    public func doubleAttribute(_ name: String, of objectPath: String = "/") throws -> Double {
        let site = attributeSite(name, objectPath)
        return try single(doublesAttribute(name, of: objectPath), site: site)
    }

    /// The integer array attribute `name` of `objectPath`, flattened; a scalar gives one element.
    public func intsAttribute(_ name: String, of objectPath: String = "/") throws -> [Int] {
        let values = try numericAttribute(name, of: objectPath, as: Int64.self, expected: "integers") { elementClass in
            if case .integer = elementClass { return true }
            return false
        }
        return values.map { Int($0) }
    }

    /// The number array attribute `name` of `objectPath`, flattened; a scalar gives one element.
    public func doublesAttribute(_ name: String, of objectPath: String = "/") throws -> [Double] {
        try numericAttribute(name, of: objectPath, as: Double.self, expected: "numbers") { $0.isNumeric }
    }

    /// The string array attribute `name` of `objectPath`, flattened; a scalar gives one element.
    public func stringsAttribute(_ name: String, of objectPath: String = "/") throws -> [String] {
        let site = attributeSite(name, objectPath)
        return try withAttribute(name, of: objectPath, site: site) { attribute in
            guard attribute.elementClass == .string else {
                throw site.error("holds \(attribute.elementClass) data, expected strings")
            }
            return try HDF5Strings.read(count: attribute.count, fileType: attribute.type, file: self,
                                        site: site, function: "H5Aread") { memoryType, buffer in
                H5Aread(attribute.id, memoryType, buffer)
            }
        }
    }
}

// MARK: - Helpers

extension HDF5File {
    /// Errors about an attribute name it and its owner in the object part.
    private func attributeSite(_ name: String, _ objectPath: String) -> HDF5Site {
        HDF5Site(file: path, object: "attribute \"\(name)\" of \(objectPath)")
    }

    private func single<T>(_ values: [T], site: HDF5Site) throws -> T {
        guard values.count == 1, let value = values.first else {
            throw site.error("expected a single value, found \(values.count)")
        }
        return value
    }

    private func setNumericAttribute<T: HDF5Scalar>(
        _ name: String, _ values: [T], shape: [Int], on objectPath: String
    ) throws {
        let site = attributeSite(name, objectPath)
        try values.withUnsafeBytes { bytes in
            try createAttribute(name, on: objectPath, shape: shape, type: T.nativeType, site: site,
                                data: values.isEmpty ? nil : bytes.baseAddress)
        }
    }

    private func setStringAttribute(_ name: String, _ values: [String], shape: [Int], on objectPath: String) throws {
        let site = attributeSite(name, objectPath)
        let type = try HDF5Strings.makeVariableLengthType(site: site)
        defer { closeHandle(type, H5Tclose) }
        try HDF5Strings.withCStringArray(values, site: site) { pointers in
            try createAttribute(name, on: objectPath, shape: shape, type: type, site: site, data: pointers)
        }
    }

    /// Creates (or replaces) the attribute and writes `data`, laid out as `type`.
    private func createAttribute(
        _ name: String, on objectPath: String, shape: [Int], type: hid_t, site: HDF5Site, data: UnsafeRawPointer?
    ) throws {
        let id = try fileID(site)
        guard contains(objectPath) else { throw site.error("no such object") }
        let exists = try site.call("H5Aexists_by_name") {
            H5Aexists_by_name(id, objectPath, name, CHDF5_P_DEFAULT())
        }
        if exists > 0 {
            try site.call("H5Adelete_by_name") { H5Adelete_by_name(id, objectPath, name, CHDF5_P_DEFAULT()) }
        }
        let space = try HDF5Dataspace.create(shape: shape, site: site)
        defer { closeHandle(space, H5Sclose) }
        let attribute = try site.call("H5Acreate_by_name") {
            H5Acreate_by_name(id, objectPath, name, type, space,
                              CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT())
        }
        defer { closeHandle(attribute, H5Aclose) }
        if let data {
            try site.call("H5Awrite") { H5Awrite(attribute, type, data) }
        }
    }

    /// An open attribute with its file datatype and dataspace, valid inside `withAttribute`.
    private struct OpenAttribute {
        let id: hid_t
        let type: hid_t
        let space: hid_t
        let elementClass: HDF5ElementClass
        let count: Int
    }

    private func withAttribute<R>(
        _ name: String, of objectPath: String, site: HDF5Site, _ body: (OpenAttribute) throws -> R
    ) throws -> R {
        let id = try fileID(site)
        guard contains(objectPath) else { throw site.error("no such object") }
        let exists = try site.call("H5Aexists_by_name") {
            H5Aexists_by_name(id, objectPath, name, CHDF5_P_DEFAULT())
        }
        guard exists > 0 else { throw site.error("no such attribute") }
        let attribute = try site.call("H5Aopen_by_name") {
            H5Aopen_by_name(id, objectPath, name, CHDF5_P_DEFAULT(), CHDF5_P_DEFAULT())
        }
        defer { closeHandle(attribute, H5Aclose) }
        let type = try site.call("H5Aget_type") { H5Aget_type(attribute) }
        defer { closeHandle(type, H5Tclose) }
        let space = try site.call("H5Aget_space") { H5Aget_space(attribute) }
        defer { closeHandle(space, H5Sclose) }
        let shape = try HDF5Dataspace.shape(of: space, site: site)
        let elementClass = try HDF5ElementClass(datatype: type, site: site)
        return try body(OpenAttribute(id: attribute, type: type, space: space, elementClass: elementClass,
                                      count: HDF5Dataspace.count(of: shape)))
    }

    /// Reads a numeric attribute converted to `T`, after `accepts` has approved its class.
    private func numericAttribute<T: HDF5Scalar>(
        _ name: String, of objectPath: String, as type: T.Type, expected: String,
        accepts: (HDF5ElementClass) -> Bool
    ) throws -> [T] {
        let site = attributeSite(name, objectPath)
        return try withAttribute(name, of: objectPath, site: site) { attribute in
            guard accepts(attribute.elementClass) else {
                throw site.error("holds \(attribute.elementClass) data, expected \(expected)")
            }
            _ = try HDF5Allocation.bytes(count: attribute.count, stride: MemoryLayout<T>.stride,
                                         what: "\(T.self) values", site: site)
            return try [T](unsafeUninitializedCapacity: attribute.count) { buffer, initializedCount in
                if let base = buffer.baseAddress, attribute.count > 0 {
                    try site.call("H5Aread") { H5Aread(attribute.id, T.nativeType, base) }
                }
                initializedCount = attribute.count
            }
        }
    }
}
