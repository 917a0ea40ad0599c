// A model as an ONNX file (opset 13, IR version 7, which ONNX Runtime has run
// since 1.6): the input scaling as Mul (the uint8 factor), Sub (μ) and Div (σ),
// exactly the float operations `InputScaling` does, then for each layer
// Gemm(a, W, b, transB = 1), which takes Backprop's W (n[l] × n[l-1]) as it is,
// and the layer's activation. Input "input" [batch, n0], output "output" [batch, nL].
// Field numbers are those of onnx/onnx.proto, which never change.

extension Model {
    /// The model as the bytes of an .onnx file.
    public func onnx() -> [UInt8] {
        var model = ProtobufWriter()
        model.int(1, 7)  // ir_version
        model.string(2, "backprop")  // producer_name
        model.message(7) { graph in onnxGraph(&graph) }
        model.message(8) { opset in opset.string(1, ""); opset.int(2, 13) }  // opset_import: ai.onnx 13
        return model.bytes
    }

    private func onnxGraph(_ graph: inout ProtobufWriter) {
        var current = "input"
        var initializers: [(name: String, dims: [Int], values: [Float])] = []
        func node(_ op: String, _ inputs: [String], _ output: String, attributes: (inout ProtobufWriter) -> Void = { _ in }) {
            graph.message(1) { n in
                for input in inputs { n.string(1, input) }
                n.string(2, output)
                n.string(3, output)  // name
                n.string(4, op)
                attributes(&n)
            }
        }
        // Input scaling, as InputScaling.applyToRaw does it.
        if inputScaling.factor != 1 {
            initializers.append(("input_factor", [], [inputScaling.factor]))
            node("Mul", [current, "input_factor"], "scaled")
            current = "scaled"
        }
        if inputScaling.isStandardized {
            initializers.append(("input_mean", [inputScaling.mean.count], inputScaling.mean))
            initializers.append(("input_deviation", [inputScaling.deviation.count], inputScaling.deviation))
            node("Sub", [current, "input_mean"], "centered")
            node("Div", ["centered", "input_deviation"], "standardized")
            current = "standardized"
        }
        let layers = architecture.layerSizes.count - 1
        for l in 1...layers {
            let (inputs, outputs) = (architecture.layerSizes[l - 1], architecture.layerSizes[l])
            initializers.append(("layer\(l).W", [outputs, inputs], Array(weights(layer: l))))
            initializers.append(("layer\(l).b", [outputs], Array(biases(layer: l))))
            let z = "layer\(l).z", a = l == layers ? "output" : "layer\(l).a"
            // z[l] = a[l-1] · W[l]ᵀ + b[l]
            node("Gemm", [current, "layer\(l).W", "layer\(l).b"], z) { n in
                n.message(5) { attribute in attribute.string(1, "transB"); attribute.int(3, 1); attribute.int(20, 2) }  // INT
            }
            switch architecture.activations[l - 1] {
            case .identity: node("Identity", [z], a)
            case .sigmoid: node("Sigmoid", [z], a)
            case .tanh: node("Tanh", [z], a)
            case .relu: node("Relu", [z], a)
            case .leakyReLU(let slope):
                node("LeakyRelu", [z], a) { n in
                    n.message(5) { attribute in attribute.string(1, "alpha"); attribute.float(2, Float(slope)); attribute.int(20, 1) }  // FLOAT
                }
            case .softmax:
                node("Softmax", [z], a) { n in
                    n.message(5) { attribute in attribute.string(1, "axis"); attribute.int(3, 1); attribute.int(20, 2) }
                }
            }
            current = a
        }
        graph.string(2, "backprop_mlp")
        for (name, dims, values) in initializers {
            graph.message(5) { tensor in
                for d in dims { tensor.int(1, d) }
                tensor.int(2, 1)  // FLOAT
                tensor.string(8, name)
                var raw = [UInt8]()
                raw.reserveCapacity(values.count * 4)
                for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
                tensor.bytes(9, raw)  // raw_data, little-endian
            }
        }
        for (field, name, width) in [(11, "input", architecture.inputWidth), (12, "output", architecture.outputWidth)] {
            graph.message(field) { info in
                info.string(1, name)
                info.message(2) { type in
                    type.message(1) { tensor in
                        tensor.int(1, 1)  // elem_type FLOAT
                        tensor.message(2) { shape in
                            shape.message(1) { dim in dim.string(2, "batch") }
                            shape.message(1) { dim in dim.int(1, width) }
                        }
                    }
                }
            }
        }
    }
}
