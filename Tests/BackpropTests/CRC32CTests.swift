// CRC-32C against its published check value and TensorFlow's masking.

import Testing
@testable import Backprop

@Suite struct CRC32CTests {
    @Test func theCheckValueOf123456789() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func theMaskRotatesRightBy15AndAddsTheConstant() {
        let c = CRC32C.checksum([1, 2, 3])
        #expect(CRC32C.masked([1, 2, 3]) == ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }
}
