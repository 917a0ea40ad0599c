// Small helpers shared by the Backprop tests: synthetic datasets and buffers.

@_spi(Benchmarking) @testable import Backprop
import Foundation

/// A seeded dataset of `count` examples with `features` inputs and `classes`
/// classes, where the class depends on the inputs so a network can learn it.
func syntheticClassification(count: Int, features: Int, classes: Int, seed: UInt64 = 7) -> Dataset {
    var generator = RandomGenerator(seed: seed, stream: 99)
    var x = [Float](), labels = [Int32]()
    for _ in 0..<count {
        let row = (0..<features).map { _ in Float(generator.nextUniform(limit: 1)) }
        x += row
        // The class is the arg-max of a fixed linear "teacher": learnable, not noise.
        let scores = (0..<classes).map { k in
            row.enumerated().reduce(0.0) { $0 + Double($1.element) * sin(Double(7 * k + $1.offset)) }
        }
        labels.append(Int32(scores.indices.max { scores[$0] < scores[$1] }!))
    }
    return Dataset(name: "synthetic", features: x, featureCount: features, targets: .classes(labels))
}

/// Copies `values` into a workspace buffer.
func fill<S: BLASScalar>(_ pointer: UnsafeMutablePointer<S>, _ values: [S]) {
    values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
}

func array<S>(_ pointer: UnsafeMutablePointer<S>, _ count: Int) -> [S] {
    Array(UnsafeBufferPointer(start: pointer, count: count))
}
