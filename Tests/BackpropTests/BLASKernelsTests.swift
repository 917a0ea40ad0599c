// Choosing OpenBLAS kernels: the decision from CPU features, and the self-test
// that stands between a faster kernel set and training.

import Testing
@testable import Backprop

@Suite struct BLASKernelsTests {
    let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]

    @Test func theCPUsFeaturesPickTheKernels() {
        #expect(BLASKernels.preferredCore(flags: avx512, vendor: "GenuineIntel") == "SkylakeX")
        #expect(BLASKernels.preferredCore(flags: ["avx", "avx2", "fma"], vendor: "AuthenticAMD") == "Zen")
        #expect(BLASKernels.preferredCore(flags: ["avx", "avx2", "fma"], vendor: "GenuineIntel") == "Haswell")
        #expect(BLASKernels.preferredCore(flags: ["avx"], vendor: "GenuineIntel") == "Sandybridge")
        #expect(BLASKernels.preferredCore(flags: ["sse3"], vendor: "GenuineIntel") == nil)
        // AVX-512 foundation alone (Knights Landing) is not enough for the SkylakeX kernels.
        #expect(BLASKernels.preferredCore(flags: ["avx", "avx2", "fma", "avx512f"], vendor: "GenuineIntel") == "Haswell")
    }

    @Test func onlyWeakerKernelsAreReplaced() {
        #expect(BLASKernels.shouldReplace(current: "Prescott", with: "SkylakeX"))
        #expect(BLASKernels.shouldReplace(current: "Haswell", with: "SkylakeX"))
        #expect(BLASKernels.shouldReplace(current: "Nehalem", with: "Zen"))
        #expect(!BLASKernels.shouldReplace(current: "Zen", with: "Zen"))
        #expect(!BLASKernels.shouldReplace(current: "Zen", with: "Haswell"))
        #expect(!BLASKernels.shouldReplace(current: "SapphireRapids", with: "SkylakeX"))
        #expect(!BLASKernels.shouldReplace(current: "Cooperlake", with: "Haswell"))
    }

    @Test func theLoadedKernelsPassTheSelfTest() {
        BLASThreads.useCallingThreadOnly()
        #expect(BLASKernels.selfTest())
    }

    @Test func thisMachinesFeaturesAreRead() {
        let cpu = BLASKernels.cpuFeatures()
        #expect(!cpu.vendor.isEmpty)
        #expect(cpu.flags.contains("sse2"))
    }
}
