#!/usr/bin/env python3
"""Backprop side by side with PyTorch: same data, model, batch, optimizer and cores.

    swift build -c release                # the backprop binary this times
    scripts/setup --data                  # Fashion-MNIST (made into datasets/fashion-mnist.h5 if missing)
    python3 Benchmarks/compare.py         # 3 runs a side; --runs 5 for steadier medians

Training: `backprop train --workers W` against Benchmarks/peers/torch_mlp.py
--threads W, for 784-256-128-10 at batch 256 and 32 and 784-1024-1024-10 at
batch 512, W = 1 and 2. Both sides read datasets/fashion-mnist.h5 (uint8
features, scaled to [0, 1] batch by batch inside the timed steps), train with
SGD at learning rate 0.05 and momentum 0.9, and report whole epochs after the
first: the samples/s of epochs 2…E (median when E > 2).

Inference: `backprop evaluate --split train --json --workers W` (its forward
passes, reading the file excluded) against torch_mlp.py --mode inference (the
median of 3 passes after an untimed one, under torch.no_grad()), both over the
60,000 training rows in batches of 256, on untrained models of the same sizes.

Runs alternate between the two sides, and which goes first alternates too. The
Markdown table (standard output) gives medians, their ratio and each side's
spread; progress goes to standard error. Without PyTorch (or h5py) it prints
Backprop's side alone.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(ROOT, "Benchmarks", "peers", "torch_mlp.py")
SMALL, LARGE = "784,256,128,10", "784,1024,1024,10"
TRAINING = [(SMALL, 256), (SMALL, 32), (LARGE, 512)]
INFERENCE = [(SMALL, 256), (LARGE, 256)]
# torch_mlp.py's defaults, spelled out so that both sides visibly get the same.
OPTIMIZER = ["--learning-rate", "0.05", "--momentum", "0.9"]


def run(command, env=None):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"compare: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return done.stdout


def note(text):
    print(text, file=sys.stderr, flush=True)


class Ours:
    """The backprop binary; `kernels` is what `train -v` says about OpenBLAS."""

    def __init__(self, binary, data, scratch):
        self.binary, self.data, self.scratch = binary, data, scratch
        self.kernels = "unknown"
        self.checkpoints = {}

    def train(self, layers, batch, workers, epochs):
        log = os.path.join(self.scratch, "train.jsonl")
        self._note_kernels(run([self.binary, "train", self.data, "--layers", layers, "--activation", "relu",
                                *OPTIMIZER, "--batch-size", str(batch), "--epochs", str(epochs),
                                "--workers", str(workers), "--seed", "1", "--log", log, "-v"]))
        with open(log) as f:
            rates = [json.loads(line)["samples_per_second"] for line in f if line.strip()]
        return statistics.median(rates[1:])

    def infer(self, layers, workers):
        if layers not in self.checkpoints:  # the untrained model: --steps 0 writes it and stops
            path = os.path.join(self.scratch, f"model-{layers.replace(',', '-')}.h5")
            self._note_kernels(run([self.binary, "train", self.data, "--layers", layers, "--activation", "relu",
                                    "--steps", "0", "--checkpoint", path, "--overwrite", "-v"]))
            self.checkpoints[layers] = path
        out = run([self.binary, "evaluate", self.checkpoints[layers], self.data, "--split", "train",
                   "--json", "--workers", str(workers)])
        return json.loads(out)["samples_per_second"]

    def _note_kernels(self, verbose_output):
        for line in verbose_output.splitlines():  # "engine: …, BLAS kernels Cooperlake (OpenBLAS's choice …)"
            if line.startswith("engine:") and "BLAS kernels " in line:
                self.kernels = line.split("BLAS kernels ", 1)[1]


class Peer:
    """Benchmarks/peers/torch_mlp.py under this interpreter, pinned to `threads` cores."""

    def __init__(self, data):
        self.data = data

    @staticmethod
    def available():
        return all(importlib.util.find_spec(m) is not None for m in ("torch", "h5py", "numpy"))

    @staticmethod
    def describe():
        code = ("import re, torch; c = torch.__config__.show(); "
                "mkl = re.search(r'Math Kernel Library Version ([0-9.]+)', c); "
                "isa = re.search(r'CPU capability usage: (\\w+)', c); "
                "print(f'PyTorch {torch.__version__} (' + (f'MKL {mkl[1]}' if mkl else 'no MKL') "
                "+ (f', {isa[1]} kernels' if isa else '') + ')')")
        return run([sys.executable, "-c", code]).strip()

    def _run(self, threads, arguments):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        out = run([sys.executable, PEER, self.data, "--threads", str(threads), *arguments], env=env)
        fields = dict(item.split("=", 1) for item in out.split())
        return float(fields["samples_per_second"])

    def train(self, layers, batch, threads, epochs):
        return self._run(threads, ["--layers", layers, "--batch", str(batch), "--epochs", str(epochs)])

    def infer(self, layers, threads):
        return self._run(threads, ["--layers", layers, "--batch", "256", "--mode", "inference",
                                   "--split", "train", "--epochs", "3"])


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def spread(values):
    return f"{min(values):,.0f}–{max(values):,.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side per case (default 3)")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs per run; the first is not timed")
    parser.add_argument("--workers", default="1,2", help="worker / thread counts (default 1,2)")
    parser.add_argument("--modes", default="train,inference", help="train, inference or both")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "backprop"))
    parser.add_argument("--data", default=os.path.join(ROOT, "datasets", "fashion-mnist.h5"))
    parser.add_argument("--no-peer", action="store_true", help="time Backprop alone")
    args = parser.parse_args()
    if args.runs < 1 or args.epochs < 2:
        parser.error("--runs must be at least 1 and --epochs at least 2")
    workers = [int(w) for w in args.workers.split(",")]
    modes = args.modes.split(",")
    if not set(modes) <= {"train", "inference"}:
        parser.error(f"--modes {args.modes}: expected train, inference or train,inference")

    if not os.access(args.binary, os.X_OK):
        sys.exit(f"compare: no backprop binary at {args.binary}; build it with `swift build -c release`")
    if not os.path.exists(args.data):
        note(f"compare: {args.data} is missing; making it with datasets/make-fashion-mnist.sh")
        subprocess.run([os.path.join(ROOT, "datasets", "make-fashion-mnist.sh"), args.data],
                       env=dict(os.environ, BACKPROP=args.binary), check=True)

    peer = None if args.no_peer or not Peer.available() else Peer(args.data)
    alone = "--no-peer" if args.no_peer else "PyTorch is not installed (no torch, h5py or numpy module)"
    if peer is None:
        note(f"compare: {alone}: timing Backprop alone")
    with tempfile.TemporaryDirectory(prefix="backprop-compare-") as scratch:
        ours = Ours(args.binary, args.data, scratch)
        cases = []
        if "train" in modes:
            cases += [(f"train {layers.replace(',', '-')}, batch {batch}", w,
                       lambda l=layers, b=batch, w=w: ours.train(l, b, w, args.epochs),
                       lambda l=layers, b=batch, w=w: peer.train(l, b, w, args.epochs))
                      for layers, batch in TRAINING for w in workers]
        if "inference" in modes:
            cases += [(f"inference {layers.replace(',', '-')}, batch {batch}", w,
                       lambda l=layers, w=w: ours.infer(l, w),
                       lambda l=layers, w=w: peer.infer(l, w))
                      for layers, batch in INFERENCE for w in workers]

        rows = []
        started = time.monotonic()
        for name, w, time_ours, time_peer in cases:
            mine, theirs = [], []
            for i in range(args.runs):
                sides = [(mine, time_ours), (theirs, time_peer)] if peer else [(mine, time_ours)]
                for figures, measure in (sides if i % 2 == 0 else sides[::-1]):
                    figures.append(measure())
                note(f"{name}, {w} worker(s), run {i + 1}/{args.runs}: Backprop {mine[-1]:,.0f}"
                     + (f", PyTorch {theirs[-1]:,.0f}" if peer else "") + " samples/s")
            rows.append((name, w, mine, theirs))

    if peer:
        print(f"Backprop (commit {commit()}) side by side with {Peer.describe()}.")
    else:
        print(f"Backprop (commit {commit()}) alone: {alone}.")
    print(f"CPU: {cpu_model()}, {len(os.sched_getaffinity(0))} cores. OpenBLAS kernels: {ours.kernels}.")
    print(f"Data: {os.path.relpath(args.data, ROOT)} (8-bit features are scaled to [0, 1] batch by batch, inside the timing). "
          f"Medians of {args.runs} {'alternating ' if peer else ''}runs each; "
          f"training figures are epoch{'s 2…' if args.epochs > 2 else ' '}{args.epochs}.")
    print("Threads: Backprop `--workers W` (BLAS single-threaded in each worker)"
          + ("; PyTorch torch.set_num_threads(W), OMP_NUM_THREADS = MKL_NUM_THREADS = W." if peer else "."))
    print(f"Command: python3 Benchmarks/compare.py {' '.join(sys.argv[1:])}".rstrip()
          + f" ({(time.monotonic() - started) / 60:.0f} min)\n")
    if peer:
        print("| case | workers / threads | Backprop samples/s | PyTorch samples/s | ratio | Backprop spread | PyTorch spread |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    else:
        print("| case | workers | Backprop samples/s | Backprop spread |")
        print("| --- | ---: | ---: | ---: |")
    for name, w, mine, theirs in rows:
        if peer:
            ratio = statistics.median(mine) / statistics.median(theirs)
            print(f"| {name} | {w} | {statistics.median(mine):,.0f} | {statistics.median(theirs):,.0f} | "
                  f"{ratio:.2f}× | {spread(mine)} | {spread(theirs)} |")
        else:
            print(f"| {name} | {w} | {statistics.median(mine):,.0f} | {spread(mine)} |")


if __name__ == "__main__":
    main()
