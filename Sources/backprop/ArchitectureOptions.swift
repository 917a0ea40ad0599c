// The flags that describe a network: widths, activations, loss.

import ArgumentParser
import Backprop

struct ArchitectureOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Layer widths from input to output, e.g. 784,256,128,10.", valueName: "n0,n1,…,nL"))
    var layers: String

    @Option(help: ArgumentHelp("Hidden-layer activation: \(Activation.allNames.dropLast().joined(separator: ", ")).", valueName: "name"))
    var activation = "relu"

    @Option(help: ArgumentHelp("Output activation (default: the one that matches --loss).", valueName: "name"))
    var outputActivation: String?

    @Option(parsing: .unconditional, help: "Slope of leaky-relu for z < 0.")
    var leakySlope = Activation.defaultLeakySlope

    @Option(help: ArgumentHelp("Loss: \(Loss.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
    var loss = Loss.softmaxCrossEntropy.rawValue

    func validate() throws {
        _ = try architecture()
    }

    func architecture() throws -> Architecture {
        let parts = layers.split(separator: ",", omittingEmptySubsequences: false)
        let sizes = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard sizes.count == parts.count, sizes.count >= 2 else {
            throw ValidationError("--layers expects comma-separated widths from input to output, e.g. 784,256,10; got '\(layers)'")
        }
        guard let hidden = Activation(name: activation, leakySlope: leakySlope) else {
            throw ValidationError("--activation: unknown '\(activation)'; expected one of \(Activation.allNames.dropLast().joined(separator: ", "))")
        }
        let output = try outputActivation.map { name -> Activation in
            guard let a = Activation(name: name, leakySlope: leakySlope) else {
                throw ValidationError("--output-activation: unknown '\(name)'; expected one of \(Activation.allNames.joined(separator: ", "))")
            }
            return a
        }
        guard let loss = Loss(name: loss) else {
            throw ValidationError("--loss: unknown '\(self.loss)'; expected one of \(Loss.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        do {
            return try Architecture(layerSizes: sizes, hiddenActivation: hidden, outputActivation: output, loss: loss)
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
    }
}
