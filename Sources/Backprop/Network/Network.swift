// The forward and backward passes of backprop-math.md in matrix form, one
// batch of rows at a time. With row-major batches a[l]: (B, n[l]) and
// W[l]: (n[l], n[l-1]), every matrix product is one gemm:
//
//     z[l]       = a[l-1] · W[l]ᵀ + b[l]                 (B, n[l])
//     a[l]       = g[l](z[l])
//     delta[L]   = ∂L/∂a[L] ⊙ g[L]'(z[L])                (B, n[L])
//     delta[l-1] = (delta[l] · W[l]) ⊙ g[l-1]'(z[l-1])    (B, n[l-1])
//     dW[l]      = delta[l]ᵀ · a[l-1]                     (n[l], n[l-1])
//     db[l]      = Σ_rows delta[l]                        (n[l])
//
// Layers are numbered 1 … L as in the equations, a[0] being the input, and the
// comments use that numbering. The arrays that hold them (`layout.layers`,
// `architecture.activations`, `workspace.z/a/delta`) are 0-based: layer l is at
// index i = l − 1, which is what the code's `i` counts.
//
// dW and db are written, not accumulated: each micro-shard has a gradient slot
// of its own (see GradientSlots), so there is nothing to add to, and gemm with
// beta = 0 overwrites without reading the slot first. The slot receives sums
// over the shard's examples, not means: the parameter store divides by the
// minibatch size m once, after the slots are reduced, so that a sum split
// across workers stays exact.

/// The math of one architecture, over parameter and gradient buffers laid out
/// by `ParameterLayout`.
struct Network: Sendable {
    let architecture: Architecture
    let layout: ParameterLayout

    init(_ architecture: Architecture) {
        self.architecture = architecture
        self.layout = ParameterLayout(architecture)
    }

    /// Runs the forward pass on the first `rows` rows of `workspace.input`.
    func forward<S: BLASScalar>(parameters: UnsafePointer<S>, workspace: Workspace<S>, rows: Int) {
        precondition(rows > 0 && rows <= workspace.capacity, "batch of \(rows) rows exceeds the workspace")
        var aPrevious = UnsafePointer(workspace.input)
        for (i, layer) in layout.layers.enumerated() {  // layer l = i + 1
            let W = parameters + layer.weights.lowerBound, b = parameters + layer.biases.lowerBound
            let z = workspace.z[i], a = workspace.a[i]
            // z[l] = a[l-1] · W[l]ᵀ + b[l]
            for r in 0..<rows { (z + r * layer.outputs).update(from: b, count: layer.outputs) }
            S.gemm(.none, .transposed, m: rows, n: layer.outputs, k: layer.inputs,
                   alpha: 1, a: aPrevious, lda: layer.inputs, b: W, ldb: layer.inputs,
                   beta: 1, c: z, ldc: layer.outputs)
            // a[l] = g[l](z[l])
            architecture.activations[i].forward(z: z, a: a, rows: rows, width: layer.outputs)
            aPrevious = UnsafePointer(a)
        }
    }

    /// Σ over the first `rows` examples of L(a[L], y), after `forward`.
    func lossSum<S: BLASScalar>(workspace: Workspace<S>, rows: Int) -> Double {
        let last = layout.layers.count - 1  // layer L
        return architecture.loss.sum(
            a: workspace.a[last], z: workspace.z[last], y: workspace.target,
            rows: rows, width: layout.layers[last].outputs, outputActivation: architecture.outputActivation)
    }

    /// Runs the backward pass after `forward`, overwriting `gradient` with Σ_i ∂L_i/∂θ
    /// over the first `rows` examples.
    func backward<S: BLASScalar>(
        parameters: UnsafePointer<S>, workspace: Workspace<S>, rows: Int, gradient: UnsafeMutablePointer<S>
    ) {
        let last = layout.layers.count - 1  // layer L
        // delta[L] = ∂L/∂a[L] ⊙ g[L]'(z[L])   (a[L] − y for the matching pairs)
        architecture.loss.outputDelta(
            a: workspace.a[last], z: workspace.z[last], y: workspace.target, delta: workspace.delta[last],
            rows: rows, width: layout.layers[last].outputs, outputActivation: architecture.outputActivation)

        for i in stride(from: last, through: 0, by: -1) {  // layer l = i + 1, from L down to 1
            let layer = layout.layers[i]
            let delta = UnsafePointer(workspace.delta[i])
            let aPrevious = UnsafePointer(i == 0 ? workspace.input : workspace.a[i - 1])
            let dW = gradient + layer.weights.lowerBound, db = gradient + layer.biases.lowerBound
            // dW[l] = delta[l]ᵀ · a[l-1]   (beta = 0: overwrite)
            S.gemm(.transposed, .none, m: layer.outputs, n: layer.inputs, k: rows,
                   alpha: 1, a: delta, lda: layer.outputs, b: aPrevious, ldb: layer.inputs,
                   beta: 0, c: dW, ldc: layer.inputs)
            // db[l] = Σ_rows delta[l], summed in row order so the result is reproducible
            db.update(repeating: 0, count: layer.outputs)
            for r in 0..<rows {
                let row = delta + r * layer.outputs
                for j in 0..<layer.outputs { db[j] += row[j] }
            }
            guard i > 0 else { break }
            // delta[l-1] = (delta[l] · W[l]) ⊙ g[l-1]'(z[l-1])
            let W = parameters + layer.weights.lowerBound
            let deltaPrevious = workspace.delta[i - 1]
            S.gemm(.none, .none, m: rows, n: layer.inputs, k: layer.outputs,
                   alpha: 1, a: delta, lda: layer.outputs, b: W, ldb: layer.inputs,
                   beta: 0, c: deltaPrevious, ldc: layer.inputs)
            architecture.activations[i - 1].backward(
                delta: deltaPrevious, z: workspace.z[i - 1], a: workspace.a[i - 1],
                rows: rows, width: layer.inputs)
        }
    }

    /// How many of the first `rows` outputs match their targets: the arg-max
    /// for several outputs, the 0.5 threshold for a single one.
    func correctCount<S: BLASScalar>(workspace: Workspace<S>, rows: Int) -> Int {
        let width = architecture.outputWidth
        let output = workspace.output, target = workspace.target
        var correct = 0
        for r in 0..<rows {
            let o = output + r * width, y = target + r * width
            if width == 1 {
                if (o[0] >= 0.5) == (y[0] >= 0.5) { correct += 1 }
            } else if argmax(o, width) == argmax(y, width) {
                correct += 1
            }
        }
        return correct
    }

    func argmax<S: BLASScalar>(_ row: UnsafePointer<S>, _ width: Int) -> Int {
        var best = 0
        for k in 1..<width where row[k] > row[best] { best = k }
        return best
    }
}
