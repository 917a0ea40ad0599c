// swift-tools-version: 6.1
// A package of a user's kind: it imports Backprop beside swift-numerics and uses
// both. It exists to fail the build if Backprop ever leaks names into the
// standard types again (a public `Float.exp` made `Float.exp(1)` ambiguous for
// anyone who also imported Numerics). `scripts/test` builds and runs it.
import PackageDescription

let package = Package(
    name: "ImportCheck",
    dependencies: [
        .package(name: "Backprop", path: "../.."),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        .executableTarget(
            name: "ImportCheck",
            dependencies: [
                .product(name: "Backprop", package: "Backprop"),
                .product(name: "Numerics", package: "swift-numerics"),
            ]
        ),
    ]
)
