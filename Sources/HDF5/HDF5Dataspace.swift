// Conversions between Swift shapes ([Int], row-major) and HDF5 dataspaces.

internal import CHDF5

enum HDF5Dataspace {
    /// A new dataspace of `shape`: scalar for `[]`, simple otherwise (zero-length
    /// dimensions allowed). The caller closes it.
    static func create(shape: [Int], site: HDF5Site) throws -> hid_t {
        if shape.isEmpty {
            return try site.call("H5Screate") { H5Screate(H5S_SCALAR) }
        }
        let dims = shape.map { hsize_t($0) }
        return try site.call("H5Screate_simple") { H5Screate_simple(Int32(dims.count), dims, nil) }
    }

    /// The shape of dataspace `space`. A scalar is `[]`; a null dataspace (no
    /// elements at all) is `[0]` so that its element count is 0.
    static func shape(of space: hid_t, site: HDF5Site) throws -> [Int] {
        let kind = try site.call("H5Sget_simple_extent_type", failsWhen: { $0 == H5S_NO_CLASS }) {
            H5Sget_simple_extent_type(space)
        }
        switch kind {
        case H5S_SCALAR: return []
        case H5S_NULL: return [0]
        default: break
        }
        let rank = try site.call("H5Sget_simple_extent_ndims") { H5Sget_simple_extent_ndims(space) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try site.call("H5Sget_simple_extent_dims") { H5Sget_simple_extent_dims(space, &dims, nil) }
        return dims.map { Int($0) }
    }

    /// Number of elements in an array of `shape`; a scalar (`[]`) holds one.
    static func count(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }
}
