// A file the wrapper opens is not handed down to processes started while it is
// open: HDF5 opens without O_CLOEXEC, and an inherited descriptor would carry
// HDF5's flock on the file into the child for the child's whole life.

import Foundation
import Glibc
import HDF5
import Testing
import TestSupport

@Suite struct CloseOnExecTests {
    /// The descriptors of this process open on `path`, found through /proc/self/fd.
    func descriptors(of path: String) throws -> [Int32] {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap { name in
            guard let fd = Int32(name),
                  let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
                  link == target else { return nil }
            return fd
        }
    }

    @Test(arguments: [HDF5File.Mode.truncate, .readOnly, .readWrite])
    func theFileDescriptorIsCloseOnExec(mode: HDF5File.Mode) throws {
        let directory = try TestDirectory(prefix: "HDF5Tests")
        let path = directory.path("f.h5")
        if mode != .truncate {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.write([Float(1), 2], shape: [2], to: "x")
            file.close()
        }
        let file = try HDF5File(path: path, mode: mode)
        defer { file.close() }
        let open = try descriptors(of: path)
        try #require(!open.isEmpty, "no descriptor open on \(path)")
        for fd in open {
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0, "descriptor \(fd) would be inherited by a child")
        }
    }
}
