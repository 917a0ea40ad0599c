// swift-tools-version: 6.1
// Benchmarks for Backprop, with ordo-one/benchmark: a package of its own so that
// the root package's `swift build` and `swift test` never compile the benchmark
// dependency. Run from this folder: `swift package benchmark`.
//
//   Kernels        the pieces of one training step: the sgemm shapes of
//                  784-1024-1024-10 at micro-batch 64, activations, loss, tree reduction
//   TrainingStep   whole steps (Scheduler.trainStep) of both models, with malloc counts
import PackageDescription

let package = Package(
    name: "BackpropBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Backprop", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Kernels",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Backprop", package: "Backprop"),
            ],
            path: "Benchmarks/Kernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TrainingStep",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Backprop", package: "Backprop"),
            ],
            path: "Benchmarks/TrainingStep",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
