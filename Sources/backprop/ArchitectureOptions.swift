// The flags that describe a network: widths, activations, loss.

import ArgumentParser
import Backprop

struct ArchitectureOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Layer widths from input to output, e.g. 784,256,128,10.", valueName: "n0,n1,…,nL"))
    var layers: String

    @Option(help: ArgumentHelp("Hidden-layer activation.", valueName: "name"))
    var activation = HiddenActivationName.relu

    @Option(help: ArgumentHelp("Output activation (default: the one that matches --loss).", valueName: "name"))
    var outputActivation: OutputActivationName?

    @Option(parsing: .unconditional, help: "Slope of leaky-relu for z < 0.")
    var leakySlope = Activation.defaultLeakySlope

    @Option(help: ArgumentHelp("Loss.", valueName: "name"))
    var loss = Loss.softmaxCrossEntropy

    func validate() throws {
        _ = try architecture()
    }

    func architecture() throws -> Architecture {
        let parts = layers.split(separator: ",", omittingEmptySubsequences: false)
        let sizes = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard sizes.count == parts.count, sizes.count >= 2 else {
            throw ValidationError("--layers expects comma-separated widths from input to output, e.g. 784,256,10; got '\(layers)'")
        }
        do {
            return try Architecture(
                layerSizes: sizes, hiddenActivation: activation.activation(leakySlope: leakySlope),
                outputActivation: outputActivation?.activation(leakySlope: leakySlope), loss: loss)
        } catch let error as ConfigurationError {
            throw ValidationError(error)
        }
    }
}
