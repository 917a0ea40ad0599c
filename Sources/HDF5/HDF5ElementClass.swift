// What kind of element a dataset or attribute stores, as read from its file datatype,
// and the native memory type that matches a numeric class.

internal import CHDF5

/// The kind of element stored in a dataset or attribute.
public enum HDF5ElementClass: Equatable, Sendable {
    /// An integer of `bytes` bytes.
    case integer(signed: Bool, bytes: Int)
    /// An IEEE floating-point number of `bytes` bytes.
    case float(bytes: Int)
    /// A fixed- or variable-length string.
    case string
    /// Anything else (compound, enum, array, reference, ...); not readable here.
    case other

    /// Whether HDF5 can convert this class to any `HDF5Scalar`.
    public var isNumeric: Bool {
        switch self {
        case .integer, .float: return true
        case .string, .other: return false
        }
    }
}

extension HDF5ElementClass: CustomStringConvertible {
    /// numpy's spelling (`uint8`, `float32`, ...), which is how most users know these types.
    public var description: String {
        switch self {
        case .integer(let signed, let bytes): return "\(signed ? "int" : "uint")\(bytes * 8)"
        case .float(let bytes): return "float\(bytes * 8)"
        case .string: return "string"
        // h5py's booleans land here too: it stores them as an enum.
        case .other: return "compound/enum/other"
        }
    }
}

extension HDF5ElementClass {
    /// The class of an HDF5 datatype.
    init(datatype: hid_t, site: HDF5Site) throws {
        let typeClass = try site.call("H5Tget_class", failsWhen: { $0 == H5T_NO_CLASS }) {
            H5Tget_class(datatype)
        }
        switch typeClass {
        case H5T_INTEGER:
            let bytes = try site.call("H5Tget_size", failsWhen: { $0 == 0 }) { H5Tget_size(datatype) }
            try Self.checkBitLayout(datatype, bytes: bytes, site: site)
            let sign = try site.call("H5Tget_sign", failsWhen: { $0 == H5T_SGN_ERROR }) { H5Tget_sign(datatype) }
            self = .integer(signed: sign != H5T_SGN_NONE, bytes: bytes)
        case H5T_FLOAT:
            let bytes = try site.call("H5Tget_size", failsWhen: { $0 == 0 }) { H5Tget_size(datatype) }
            try Self.checkBitLayout(datatype, bytes: bytes, site: site)
            try Self.checkFloatFields(datatype, site: site)
            self = .float(bytes: bytes)
        case H5T_STRING:
            self = .string
        default:
            self = .other
        }
    }

    /// A number's bits must lie inside its bytes, and its size be one that some
    /// machine has: HDF5 converts whatever a (possibly damaged) file declares, and
    /// its soft conversions index bits by these fields.
    private static func checkBitLayout(_ datatype: hid_t, bytes: Int, site: HDF5Site) throws {
        guard [1, 2, 4, 8, 16].contains(bytes) else {
            throw site.error("numbers of \(bytes) bytes are not a type this reads (1, 2, 4, 8 or 16 bytes)")
        }
        let precision = try site.call("H5Tget_precision", failsWhen: { $0 == 0 }) { H5Tget_precision(datatype) }
        let offset = try site.call("H5Tget_offset") { H5Tget_offset(datatype) }
        guard precision + Int(offset) <= 8 * bytes else {
            throw site.error("datatype is damaged: \(precision) bits at bit \(offset) do not fit in \(bytes) bytes")
        }
    }

    /// Sign, exponent and mantissa must lie inside the precision, none overlapping the sign.
    private static func checkFloatFields(_ datatype: hid_t, site: HDF5Site) throws {
        var sign = 0, exponent = 0, exponentBits = 0, mantissa = 0, mantissaBits = 0
        try site.call("H5Tget_fields") {
            H5Tget_fields(datatype, &sign, &exponent, &exponentBits, &mantissa, &mantissaBits)
        }
        let precision = try site.call("H5Tget_precision", failsWhen: { $0 == 0 }) { H5Tget_precision(datatype) }
        let fits = sign < precision && exponentBits > 0 && mantissaBits > 0
            && exponent + exponentBits <= precision && mantissa + mantissaBits <= precision
            && exponentBits < 64 && mantissaBits < 128
        guard fits else {
            throw site.error("floating-point datatype is damaged: sign bit \(sign), exponent \(exponentBits) bits at \(exponent), mantissa \(mantissaBits) bits at \(mantissa), precision \(precision)")
        }
    }

    /// The native memory type for a numeric class. Only the classes of this module's
    /// own `HDF5Scalar` conformances are expected here.
    var nativeType: hid_t {
        switch self {
        case .float(4): return CHDF5_NATIVE_FLOAT()
        case .float(8): return CHDF5_NATIVE_DOUBLE()
        case .integer(true, 1): return CHDF5_NATIVE_INT8()
        case .integer(false, 1): return CHDF5_NATIVE_UINT8()
        case .integer(true, 2): return CHDF5_NATIVE_INT16()
        case .integer(false, 2): return CHDF5_NATIVE_UINT16()
        case .integer(true, 4): return CHDF5_NATIVE_INT32()
        case .integer(false, 4): return CHDF5_NATIVE_UINT32()
        case .integer(true, 8): return CHDF5_NATIVE_INT64()
        case .integer(false, 8): return CHDF5_NATIVE_UINT64()
        default: preconditionFailure("no native HDF5 type for \(self)")
        }
    }
}
