// What `import Backprop` gives a user's module, checked from a file that imports
// it as a user does (no @testable, no SPI). That `Float.exp` and the engine's
// internals stay out of it cannot be checked from inside one test module (its
// own declarations would shadow Backprop's): a separate package does that.

import Testing
import Backprop

@Suite struct PublicSurfaceTests {
    /// The optimizers are public configuration: built, compared and named by users.
    @Test func optimizersAreConfiguration() {
        let optimizers: [any Optimizer] = [SGD(momentum: 0.9, nesterov: true), Adam(weightDecay: 0.01), RMSprop(rho: 0.9)]
        #expect(optimizers.map(\.name) == ["sgd", "adamw", "rmsprop"])
        #expect(optimizers.map(\.stateCount) == [1, 2, 1])
        #expect(Adam(beta1: 0.8) != Adam())
    }
}
