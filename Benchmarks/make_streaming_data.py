#!/usr/bin/env python3
"""Writes an N x 784 uint8 dataset (MNIST-like: 10 classes, each with its own
pixel pattern plus noise), 65,536 rows at a time, so a file far larger than
memory is written in bounded memory. Chunks of (1024, 784) = 784 KiB, no
compression, libver v110 so Debian's HDF5 1.10 reads it.

usage: make_streaming_data.py OUT.h5 ROWS [SEED]"""
import sys
import h5py
import numpy as np

out, rows = sys.argv[1], int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
rng = np.random.default_rng(seed)
patterns = rng.integers(0, 256, size=(10, 784), dtype=np.uint8)
step = 65536
with h5py.File(out, "w", libver=("earliest", "v110")) as f:
    x = f.create_dataset("train/x", shape=(rows, 784), dtype="uint8", chunks=(1024, 784))
    y = f.create_dataset("train/y", shape=(rows,), dtype="int64", chunks=(65536,))
    for start in range(0, rows, step):
        n = min(step, rows - start)
        labels = rng.integers(0, 10, size=n)
        noise = rng.integers(0, 128, size=(n, 784), dtype=np.uint8)
        x[start:start + n] = (patterns[labels] >> 1) + noise
        y[start:start + n] = labels
    labels = rng.integers(0, 10, size=10000)
    f["test/x"] = (patterns[labels] >> 1) + rng.integers(0, 128, size=(10000, 784), dtype=np.uint8)
    f["test/y"] = labels
