// Files built in memory and opened from bytes: nothing touches the disk until
// the caller writes the image, an image with the caller's header in front of it
// opens from memory and from disk (h5py's way), and bad bytes are an error.

import Foundation
@testable import HDF5
import Testing
import TestSupport

@Suite struct MemoryImageTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    /// A small file in memory with a 512-byte user block: its image and a header for it.
    func makeImage(named name: String) throws -> [UInt8] {
        let file = try HDF5File(inMemoryNamed: name, userBlockSize: 512)
        try file.write([Float(1.5), -2, 3], shape: [3], to: "group/x")
        try file.setAttribute("answer", 42, on: "group")
        let image = try file.image()
        file.close()
        return [UInt8]("my header\n".utf8) + [UInt8](repeating: 0, count: 512 - 10) + image
    }

    func expectContents(_ file: HDF5File) throws {
        #expect(try file.dataset("group/x").read(as: Float.self) == [1.5, -2, 3])
        #expect(try file.intAttribute("answer", of: "group") == 42)
    }

    @Test func anInMemoryFileWritesNothingToDisk() throws {
        let path = directory.path("named.h5")
        _ = try makeImage(named: path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func anImageWithAHeaderInFrontOpensFromMemoryAndFromDisk() throws {
        let path = directory.path("image.h5")
        let bytes = try makeImage(named: path)
        #expect(Array(bytes[512..<516]) == [0x89, 0x48, 0x44, 0x46], "the HDF5 signature follows the user block")

        // From memory, under a name that exists on disk: the name is only for errors.
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fromMemory = try HDF5File(image: bytes, name: path)
        #expect(fromMemory.path == path && fromMemory.mode == .readOnly)
        try expectContents(fromMemory)
        // Two images open at once, and the disk file too.
        let again = try HDF5File(image: bytes, name: path)
        try expectContents(again)
        try expectContents(try HDF5File(path: path))
    }

    @Test func bytesThatAreNotHDF5AreAnErrorNamingTheFile() throws {
        for bytes in [[UInt8](), [UInt8](repeating: 7, count: 2048)] {
            #expect {
                _ = try HDF5File(image: bytes, name: "given.h5")
            } throws: { error in
                guard let error = error as? HDF5Error else { return false }
                return error.file == "given.h5" && !error.description.contains("\n")
            }
        }
    }
}
