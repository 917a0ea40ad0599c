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
        // HDF5 allows 32 dimensions; a damaged file may claim more.
        guard rank <= 32 else { throw site.error("dataspace has \(rank) dimensions; HDF5 allows at most 32") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try site.call("H5Sget_simple_extent_dims") { H5Sget_simple_extent_dims(space, &dims, nil) }
        // A damaged extent can be anything up to 2^64 - 1; Int(_:) would trap on it.
        guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }) else {
            throw site.error("dataspace extent \(dims) does not fit a 64-bit signed integer")
        }
        let shape = dims.map { Int($0) }
        guard checkedCount(of: shape) != nil else {
            throw site.error("dataspace extent \(shape) has more elements than a 64-bit integer can count")
        }
        return shape
    }

    /// Number of elements in an array of `shape`; a scalar (`[]`) holds one.
    /// Shapes read from a file have passed `checkedCount` in `shape(of:site:)`.
    static func count(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Number of elements in an array of `shape`, or nil if it overflows `Int`.
    static func checkedCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow || dimension < 0 { return nil }
            count = product
        }
        return count
    }
}
