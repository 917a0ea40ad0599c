// Reductions over long Float vectors (a gradient's sum of squares, a finiteness
// check of the parameters) in a fixed order that the vector units can run at
// full speed.
//
// A plain `for i in range { s += x[i] * x[i] }` is one chain of dependent adds.
// Float addition is not associative, so the compiler must keep that order, and
// the loop runs at one add's latency an element (4 cycles on Zen 3 and Zen 4)
// instead of 16 elements an instruction. On 784-256-128-10 at batch 32 the two
// such loops of a step took a third of its time (perf record). These sums keep
// 16 partial sums instead, lane k taking elements k, k + 16, k + 32, … of the
// range, and add the lanes in a fixed tree at the end. The order depends only
// on the range, never on which thread runs it, so the result is as
// reproducible as the serial sum's.

enum Lanes {
    typealias Vector = SIMD16<Float>

    /// Σ x[i]² over `range`.
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ range: Range<Int>) -> Float {
        var partial = Vector()
        var i = range.lowerBound
        while i + Vector.scalarCount <= range.upperBound {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
            partial += v * v
            i += Vector.scalarCount
        }
        var tail: Float = 0
        while i < range.upperBound {
            tail += x[i] * x[i]
            i += 1
        }
        return total(partial) + tail
    }

    /// Whether every x[i] in `range` is finite. x · 0 is 0 for every finite x
    /// and NaN for ±∞ and NaN, so the check is a multiply-add an element with
    /// no branch in the loop.
    static func allFinite(_ x: UnsafePointer<Float>, _ range: Range<Int>) -> Bool {
        var probe = Vector()
        var i = range.lowerBound
        while i + Vector.scalarCount <= range.upperBound {
            probe += UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self) * 0
            i += Vector.scalarCount
        }
        var tail: Float = 0
        while i < range.upperBound {
            tail += x[i] * 0
            i += 1
        }
        return total(probe) + tail == 0
    }

    /// The lanes of `v` added pairwise: halves, then quarters, and so on.
    private static func total(_ v: Vector) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }
}
