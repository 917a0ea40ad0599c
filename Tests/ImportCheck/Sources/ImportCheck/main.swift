// Backprop and swift-numerics in one file, as a user's code would have them.
// Every call below must resolve to exactly one declaration.

import Backprop
import Numerics

// swift-numerics' elementary functions on the standard types.
let e = Float.exp(1), ln2 = Double.log(2), t = Float.tanh(0.5), l = Float.log(onePlus: 1e-3)
guard abs(e - 2.7182817) < 1e-6, abs(ln2 - 0.6931471805599453) < 1e-15, abs(t - 0.46211717) < 1e-6, l > 0 else {
    fatalError("swift-numerics gave unexpected values: \(e) \(ln2) \(t) \(l)")
}

// Backprop's public API next to it: a small network, a prediction.
let architecture = try Architecture(layerSizes: [3, 4, 2], hiddenActivation: .tanh, loss: .softmaxCrossEntropy)
let model = Model(architecture: architecture, seed: 1)
let scores = model.predict([0.1, 0.2, 0.3])
guard scores.count == 2, abs(scores.reduce(0, +) - 1) < 1e-5 else {
    fatalError("a softmax output should sum to 1: \(scores)")
}
print("import check: Backprop and Numerics coexist (exp(1) = \(e), softmax scores \(scores))")
