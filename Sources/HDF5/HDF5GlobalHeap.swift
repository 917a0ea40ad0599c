// Variable-length strings read without trusting the file.
//
// HDF5 keeps a variable-length string's bytes in a "global heap" collection and
// stores, in the attribute or dataset, only {length, collection address, object
// index}. HDF5 1.10.8 reads those back (H5HG_read) with assertions only: a
// damaged index reads a heap slot that does not exist, a damaged length or heap
// size memcpy's past a buffer, a damaged collection size loops. Each is a
// segfault, an abort or a hang, inside the library, where no error check of ours
// can help; and the global heap has no checksum in any file format version.
//
// So these strings are read in two steps that never reach H5HG_read:
//  1. H5Aread / H5Dread into an opaque memory type of the on-disk reference size.
//     HDF5 has no conversion from a string to an opaque type, so a soft
//     conversion registered here provides one that leaves the bytes as they are:
//     the buffer receives each reference exactly as the file stores it.
//  2. Each reference's collection is read from the file here and every length,
//     offset and index checked against the collection and the file before a byte
//     of it is used. The layout (HDF5 file format specification, "Global Heap"):
//       "GCOL", version 1, 3 reserved bytes, collection size (sizeof_size bytes);
//       then objects, each: index (2), reference count (2), reserved (4),
//       size (sizeof_size), data padded to a multiple of 8; index 0 is free space.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHDF5

/// How a file lays out addresses: what a global heap reference and collection need.
struct HDF5FileGeometry {
    /// Bytes in a file address (sizeof_addr), 8 for files HDF5 writes by default.
    let addressBytes: Int
    /// Bytes in a length field (sizeof_size).
    let lengthBytes: Int
    /// File offset that addresses count from: the user block's size.
    let baseAddress: Int

    /// Bytes of one variable-length reference on disk: length, collection address, index.
    var referenceBytes: Int { 4 + addressBytes + 4 }

    init(file: hid_t, site: HDF5Site) throws {
        let creation = try site.call("H5Fget_create_plist") { H5Fget_create_plist(file) }
        defer { closeHandle(creation, H5Pclose) }
        var addressBytes = 0, lengthBytes = 0
        var userBlock: hsize_t = 0
        try site.call("H5Pget_sizes") { H5Pget_sizes(creation, &addressBytes, &lengthBytes) }
        try site.call("H5Pget_userblock") { H5Pget_userblock(creation, &userBlock) }
        guard [2, 4, 8].contains(addressBytes), [2, 4, 8].contains(lengthBytes), userBlock < (1 << 48) else {
            throw site.error("file declares \(addressBytes)-byte addresses, \(lengthBytes)-byte lengths and a \(userBlock)-byte user block")
        }
        self.addressBytes = addressBytes
        self.lengthBytes = lengthBytes
        self.baseAddress = Int(userBlock)
    }
}

enum HDF5RawReferences {
    /// Tag of the opaque memory type that receives references unconverted.
    private static let tag = "backprop.raw-variable-length-reference"

    /// Registers the pass-through conversion once per process.
    private static let registration: Result<Void, HDF5Error> = {
        let site = HDF5Site(file: "(HDF5 library)")
        do {
            let string = try HDF5Strings.makeVariableLengthType(site: site)
            defer { closeHandle(string, H5Tclose) }
            let opaque = try site.call("H5Tcreate") { H5Tcreate(H5T_OPAQUE, 16) }
            defer { closeHandle(opaque, H5Tclose) }
            // Soft: HDF5 offers it every (variable-length, opaque) pair and it takes
            // only string-to-this-tag ones of the same size; see `passThrough`.
            try site.call("H5Tregister") {
                H5Tregister(H5T_PERS_SOFT, "backprop raw vlen string", string, opaque, passThrough)
            }
            return .success(())
        } catch let error as HDF5Error {
            return .failure(error)
        } catch {
            return .failure(site.error("\(error)"))
        }
    }()

    /// A "conversion" from a variable-length string on disk to an opaque type of
    /// the same size that changes nothing, so the reference bytes arrive as stored.
    private static let passThrough: H5T_conv_t = { source, destination, cdata, _, _, _, _, _, _ in
        guard let cdata else { return -1 }
        switch cdata.pointee.command {
        case H5T_CONV_INIT:
            cdata.pointee.need_bkg = H5T_BKG_NO
            guard H5Tis_variable_str(source) > 0, H5Tget_class(destination) == H5T_OPAQUE,
                  H5Tget_size(source) == H5Tget_size(destination),
                  let tagPointer = H5Tget_tag(destination) else { return -1 }
            defer { H5free_memory(tagPointer) }
            return String(cString: tagPointer) == HDF5RawReferences.tag ? 0 : -1
        default:
            // H5T_CONV_CONV: the bytes already are what is wanted; H5T_CONV_FREE: nothing was kept.
            return 0
        }
    }

    /// A new memory type that receives `geometry.referenceBytes`-byte references
    /// unconverted. The caller closes it.
    static func memoryType(_ geometry: HDF5FileGeometry, site: HDF5Site) throws -> hid_t {
        HDF5Library.prepareThread()
        try registration.get()
        let type = try site.call("H5Tcreate") { H5Tcreate(H5T_OPAQUE, geometry.referenceBytes) }
        do {
            try site.call("H5Tset_tag") { H5Tset_tag(type, tag) }
        } catch {
            closeHandle(type, H5Tclose)
            throw error
        }
        return type
    }
}

/// The global heap collections of one file, read and checked on demand.
struct HDF5GlobalHeap: ~Copyable {
    private let descriptor: Int32
    private let fileSize: Int
    private let geometry: HDF5FileGeometry
    private let site: HDF5Site
    private var collections: [Int: [UInt8]] = [:]

    init(path: String, geometry: HDF5FileGeometry, site: HDF5Site) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw site.error("cannot open to read strings: \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            Glibc.close(descriptor)
            throw site.error("cannot stat to read strings: \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.fileSize = Int(status.st_size)
        self.geometry = geometry
        self.site = site
    }

    deinit { Glibc.close(descriptor) }

    /// The string a `geometry.referenceBytes`-byte reference points to.
    mutating func string(reference: UnsafeRawBufferPointer, element: Int) throws -> String {
        let length = Self.unsigned(reference, at: 0, width: 4)
        let address = Self.unsigned(reference, at: 4, width: geometry.addressBytes)
        let index = Self.unsigned(reference, at: 4 + geometry.addressBytes, width: 4)
        // Address 0 is HDF5's null string (the superblock is always there).
        if address == 0 { return "" }
        let bytes = try object(collection: address, index: index, element: element)
        guard UInt64(bytes.count) == length else {
            throw site.error("string \(element) is \(length) bytes long but its global heap object holds \(bytes.count)")
        }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private mutating func object(collection address: UInt64, index: UInt64, element: Int) throws -> ArraySlice<UInt8> {
        let headerBytes = 8 + geometry.lengthBytes, objectHeaderBytes = 8 + geometry.lengthBytes
        guard address < UInt64(Int.max - geometry.baseAddress) else {
            throw site.error("string \(element) points to global heap address \(address), past the end of the file")
        }
        let offset = geometry.baseAddress + Int(address)
        if collections[offset] == nil {
            guard offset <= fileSize - headerBytes else {
                throw site.error("string \(element) points to global heap address \(address), past the end of the file (\(fileSize) bytes)")
            }
            let header = try read(count: headerBytes, at: offset)
            guard header.starts(with: Array("GCOL".utf8)), header[4] == 1 else {
                throw site.error("string \(element) points to address \(address), which holds no global heap collection")
            }
            let size = header.withUnsafeBytes { Self.unsigned($0, at: 8, width: geometry.lengthBytes) }
            guard size >= UInt64(headerBytes), size <= UInt64(fileSize - offset) else {
                throw site.error("global heap collection at \(address) declares \(size) bytes; the file has \(fileSize - offset) from there")
            }
            collections[offset] = try read(count: Int(size), at: offset)
        }
        let heap = collections[offset]!
        return try heap.withUnsafeBytes { bytes in
            var position = headerBytes
            while position + objectHeaderBytes <= heap.count {
                let objectIndex = Self.unsigned(bytes, at: position, width: 2)
                if objectIndex == 0 { break }  // the free space runs to the end
                let size = Self.unsigned(bytes, at: position + 8, width: geometry.lengthBytes)
                let start = position + objectHeaderBytes
                guard size <= UInt64(heap.count - start) else {
                    throw site.error("global heap collection at \(address): object \(objectIndex) declares \(size) bytes, past the collection's end")
                }
                if objectIndex == index { return heap[start..<(start + Int(size))] }
                position = start + (Int(size) + 7) / 8 * 8
            }
            throw site.error("string \(element) refers to object \(index) of the global heap collection at \(address), which has no such object")
        }
    }

    private func read(count: Int, at offset: Int) throws -> [UInt8] {
        _ = try HDF5Allocation.bytes(count: count, stride: 1, what: "bytes of global heap", site: site)
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw site.error("cannot read the global heap at byte \(offset + done)") }
            done += got
        }
        return bytes
    }

    /// A little-endian unsigned integer of `width` bytes at `offset`.
    private static func unsigned(_ bytes: UnsafeRawBufferPointer, at offset: Int, width: Int) -> UInt64 {
        (0..<width).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
}
