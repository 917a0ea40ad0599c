#!/usr/bin/env python3
"""The PyTorch side of Backprop's side-by-side figures.

Trains (or runs inference with) the same fully connected ReLU network that
`backprop train` trains, on the same HDF5 dataset layout, with the same number
of threads, and prints one line of `key=value` figures that Backprop's own
benchmark output can be set beside.

    python3 Benchmarks/peers/torch_mlp.py DATA.h5 --threads 2 --layers 784,256,128,10 --batch 256
    python3 Benchmarks/peers/torch_mlp.py DATA.h5 --threads 2 --layers 784,256,128,10 --mode inference

Training mode mirrors

    backprop train DATA.h5 --layers L --activation relu --learning-rate 0.05 \
        --momentum 0.9 --batch-size B --epochs 2 --workers W --seed 1

SGD with momentum 0.9 at learning rate 0.05, softmax cross-entropy, each epoch a
fresh random permutation; like Backprop's figure it times whole epochs after the
first (the first pays for warming caches and allocator pools). Inference mode
times forward passes over a split (--split, default test) in batches under
torch.no_grad(), after one untimed pass; `backprop evaluate --json` reports the
same figure for Backprop.

The features stay as the file stores them, and each batch is gathered and
converted as it is used, as Backprop does: 8-bit features are scaled to [0, 1]
batch by batch, inside the timed loop. (Converting the whole split once, before
the clock starts, would leave out work that Backprop's figure includes.)

Needs numpy, h5py and torch (CPU build): pip install torch h5py numpy.
"""
import argparse
import time

import h5py
import numpy as np
import torch


def load(path, split):
    """x as stored when it is uint8 (see `gather`), float32 otherwise; y as int64 labels."""
    with h5py.File(path, "r") as f:
        x = f[f"{split}/x"][:]
        y = f[f"{split}/y"][:]
    if x.dtype != np.uint8:
        x = x.astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64).reshape(-1))


def gather(x, rows):
    """The network's inputs for `rows` (an index tensor or a slice): Backprop scales
    8-bit features to [0, 1] as it gathers each batch, and so does this."""
    batch = x[rows]
    return batch.float().div_(255) if batch.dtype == torch.uint8 else batch


def network(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def train(args, widths):
    x, y = load(args.data, "train")
    model = network(widths)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    rates = []
    for epoch in range(args.epochs):
        order = torch.randperm(n)
        start = time.perf_counter()
        for lower in range(0, n, args.batch):
            rows = order[lower:lower + args.batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(gather(x, rows)), y[rows]).backward()
            optimizer.step()
        rates.append(n / (time.perf_counter() - start))
    timed = rates[1:] or rates
    return sorted(timed)[len(timed) // 2]


def inference(args, widths):
    x, _ = load(args.data, args.split)
    model = network(widths).eval()
    n = x.shape[0]
    with torch.no_grad():
        for lower in range(0, n, args.batch):  # one untimed pass
            model(gather(x, slice(lower, lower + args.batch)))
        rates = []
        for _ in range(max(args.epochs, 3)):
            start = time.perf_counter()
            for lower in range(0, n, args.batch):
                model(gather(x, slice(lower, lower + args.batch)))
            rates.append(n / (time.perf_counter() - start))
    return sorted(rates)[len(rates) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="HDF5 dataset with train/x, train/y, test/x, test/y")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--layers", default="784,256,128,10")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--mode", choices=["train", "inference"], default="train")
    parser.add_argument("--split", choices=["train", "test"], default="test", help="the split inference runs on")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    widths = [int(w) for w in args.layers.split(",")]
    samples_per_second = (train if args.mode == "train" else inference)(args, widths)
    weights = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    # A training example costs 6 flops per weight (forward, delta, dW); inference 2.
    flops = (6 if args.mode == "train" else 2) * weights * samples_per_second
    print(f"peer=torch-{torch.__version__} mode={args.mode} threads={args.threads} layers={args.layers} "
          f"batch={args.batch} samples_per_second={samples_per_second:.0f} gflops={flops / 1e9:.1f}")


if __name__ == "__main__":
    main()
