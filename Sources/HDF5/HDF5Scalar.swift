// Swift numeric types that HDF5 datasets can be read into and written from.

internal import CHDF5

/// A numeric type with a native HDF5 counterpart.
///
/// The memory type of every read and write comes from the Swift element type, never
/// from the file, so HDF5 converts what is stored (a float64 or uint8 dataset read
/// as `[Float]`) and a buffer is never written past its end.
public protocol HDF5Scalar: BitwiseCopyable {
    /// This type's layout in memory; its byte count must equal `MemoryLayout<Self>.size`.
    static var hdf5ElementClass: HDF5ElementClass { get }
}

extension HDF5Scalar {
    /// The native HDF5 type matching `Self` in memory.
    static var nativeType: hid_t {
        let elementClass = hdf5ElementClass
        switch elementClass {
        case .integer(_, let bytes), .float(let bytes):
            precondition(bytes == MemoryLayout<Self>.size,
                         "\(Self.self) declares \(bytes) bytes but is \(MemoryLayout<Self>.size)")
        case .string, .other:
            preconditionFailure("\(Self.self) must declare an integer or float layout, not \(elementClass)")
        }
        return elementClass.nativeType
    }
}

extension Float: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .float(bytes: 4) }
}

extension Double: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .float(bytes: 8) }
}

extension Int8: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: true, bytes: 1) }
}

extension UInt8: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: false, bytes: 1) }
}

extension Int16: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: true, bytes: 2) }
}

extension UInt16: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: false, bytes: 2) }
}

extension Int32: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: true, bytes: 4) }
}

extension UInt32: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: false, bytes: 4) }
}

extension Int64: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: true, bytes: 8) }
}

extension UInt64: HDF5Scalar {
    public static var hdf5ElementClass: HDF5ElementClass { .integer(signed: false, bytes: 8) }
}

extension Int: HDF5Scalar {
    /// Stored with its own width: int64 on the 64-bit platforms this project runs on.
    public static var hdf5ElementClass: HDF5ElementClass {
        .integer(signed: true, bytes: MemoryLayout<Int>.size)
    }
}
