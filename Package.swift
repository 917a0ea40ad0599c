// swift-tools-version: 6.1
// Backprop: a multicore data-parallel trainer for fully connected networks.
//
// Targets name the architecture:
//   CBLAS, CHDF5, CZlib  system libraries from Debian (OpenBLAS, HDF5, zlib), each
//                        reached through a tiny shim header
//   CMPI                 Open MPI (Debian's libopenmpi-dev), only with the `MPI` trait:
//                        `swift build -c release --traits MPI`; the default build
//                        neither needs nor consults it
//   CLinux               glibc's Linux-only calls (fallocate), through a shim header
//   HDF5                 a small safe Swift wrapper over the HDF5 C library
//   Backprop             the library: network math, the parallel engine, data, checkpoints
//   backprop             the command-line tool, a thin layer over Backprop
//   backprop-fuzz        seeded mutation fuzzing of backprop's file readers
import PackageDescription

let package = Package(
    name: "Backprop",
    products: [
        .library(name: "Backprop", targets: ["Backprop"]),
        .library(name: "HDF5", targets: ["HDF5"]),
        .executable(name: "backprop", targets: ["backprop"]),
        .executable(name: "backprop-fuzz", targets: ["backprop-fuzz"]),
    ],
    traits: [
        .trait(name: "MPI", description: "Run across processes and nodes under mpirun (needs libopenmpi-dev)"),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        .systemLibrary(name: "CLinux"),
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        .target(
            name: "Backprop",
            dependencies: [
                "CBLAS", "CLinux", "CZlib", "HDF5",
                .target(name: "CMPI", condition: .when(traits: ["MPI"])),
            ]
        ),
        .executableTarget(
            name: "backprop",
            dependencies: [
                "Backprop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "backprop-fuzz",
            dependencies: [
                "CZlib", "HDF5", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the tests and the fuzzer share (a scratch directory, a seeded
        // generator); not a product.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
        .testTarget(name: "BackpropTests", dependencies: ["Backprop", "HDF5", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["backprop", "backprop-fuzz", "Backprop", "HDF5", "TestSupport"]),
    ]
)
