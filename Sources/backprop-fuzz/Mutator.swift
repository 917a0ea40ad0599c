// Seeded byte-level mutations of a file: bit flips, random bytes, runs of random
// bytes, zeroed ranges, boundary values written over size fields, truncation.
// Most land in the first 4 KiB, where an HDF5 file keeps its superblock, object
// headers and attribute messages (and an IDX file its header); some land anywhere.

import TestSupport

extension SplitMix64 {
    /// The seed of mutant `index` of the run seeded `seed` for `stream`: each mutant
    /// can be rebuilt alone, whatever order or how many jobs ran the others.
    static func mutantSeed(run seed: UInt64, stream: String, index: Int) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a of the stream name
        for byte in stream.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var generator = SplitMix64(seed: seed ^ hash ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        return generator.next()
    }
}

/// One change made to a file.
enum Mutation: CustomStringConvertible {
    case flipBit(offset: Int, bit: Int)
    case setByte(offset: Int, value: UInt8)
    case randomRun(offset: Int, bytes: [UInt8])
    case zeroRange(offset: Int, count: Int)
    /// A boundary value (0, 1, all ones, the sign bit, …) little-endian over `width`
    /// bytes: where a length, an extent or an address is, this is what breaks it.
    case boundary(offset: Int, width: Int, value: UInt64)
    case truncate(length: Int)

    var description: String {
        switch self {
        case .flipBit(let offset, let bit): "flip bit \(bit) of byte \(offset)"
        case .setByte(let offset, let value): "byte \(offset) = 0x\(String(value, radix: 16))"
        case .randomRun(let offset, let bytes): "\(bytes.count) random bytes at \(offset)"
        case .zeroRange(let offset, let count): "zero \(count) bytes at \(offset)"
        case .boundary(let offset, let width, let value): "\(width)-byte 0x\(String(value, radix: 16)) at \(offset)"
        case .truncate(let length): "truncate to \(length) bytes"
        }
    }

    func apply(to bytes: inout [UInt8]) {
        switch self {
        case .flipBit(let offset, let bit):
            bytes[offset] ^= UInt8(1) << bit
        case .setByte(let offset, let value):
            bytes[offset] = value
        case .randomRun(let offset, let run):
            for (i, byte) in run.enumerated() where offset + i < bytes.count { bytes[offset + i] = byte }
        case .zeroRange(let offset, let count):
            for i in offset..<min(offset + count, bytes.count) { bytes[i] = 0 }
        case .boundary(let offset, let width, let value):
            for i in 0..<width where offset + i < bytes.count { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        case .truncate(let length):
            bytes.removeSubrange(min(length, bytes.count)...)
        }
    }
}

enum Mutator {
    /// Where most mutations land: HDF5 puts its metadata at the front of small files.
    static let metadataBytes = 4096

    /// `bytes` with 1 to 8 mutations drawn from `seed` (fewer more often), and the list of them.
    static func mutate(_ bytes: [UInt8], seed: UInt64) -> (bytes: [UInt8], mutations: [Mutation]) {
        precondition(!bytes.isEmpty, "cannot mutate an empty file")
        var generator = SplitMix64(seed: seed)
        var count = 1
        while count < 8 && generator.next() % 2 == 0 { count += 1 }
        var mutations: [Mutation] = []
        for _ in 0..<count {
            mutations.append(mutation(for: bytes.count, using: &generator))
        }
        // Truncation is rarer, and comes last so the other changes are not cut off first.
        if generator.next() % 20 == 0 {
            mutations.append(.truncate(length: Int(generator.next() % UInt64(bytes.count))))
        }
        var mutated = bytes
        for mutation in mutations { mutation.apply(to: &mutated) }
        return (mutated, mutations)
    }

    private static func mutation(for size: Int, using generator: inout SplitMix64) -> Mutation {
        let offset = generator.next() % 100 < 85
            ? Int(generator.next() % UInt64(min(size, metadataBytes)))
            : Int(generator.next() % UInt64(size))
        switch generator.next() % 10 {
        case 0, 1, 2:
            return .flipBit(offset: offset, bit: Int(generator.next() % 8))
        case 3, 4:
            return .setByte(offset: offset, value: UInt8(truncatingIfNeeded: generator.next()))
        case 5:
            let length = 2 + Int(generator.next() % 15)
            return .randomRun(offset: offset, bytes: (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        case 6:
            return .zeroRange(offset: offset, count: 1 + Int(generator.next() % 64))
        default:
            let width = [1, 2, 4, 8][Int(generator.next() % 4)]
            let values: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                    0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max, 0x1_0000_0000, 1 << 40]
            return .boundary(offset: offset, width: width, value: values[Int(generator.next() % UInt64(values.count))])
        }
    }
}
