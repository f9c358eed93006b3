"""Naive vs fast sampling of 16 digits from notebook 03's gated PixelCNN, at 1 and 2 threads.

    /work/bin/cpu-run --cores 2 python benchmarks/pixelcnn_sampling.py

Prints one JSON line per (threads, method): seconds, and whether the samples equal the
naive ones. The weights are random (speed does not depend on them; equality is checked
on whatever the weights are). Used to decide whether the sampler should pin itself to one
thread (issue 8); results in docs/pixelcnn_tuning.md.
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from course_lib.models import pixelcnn as pc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--kernel-size", type=int, default=3, help="the gated layers' kernel size")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = pc.GatedPixelCNN(channels=args.channels, layers=args.layers, kernel_size=args.kernel_size)
    for threads in args.threads:
        torch.set_num_threads(threads)
        reference = None
        for method in ("naive", "fast"):
            started = time.perf_counter()
            out = pc.sample(model, args.n, seed=1, method=method)
            seconds = time.perf_counter() - started
            reference = out if reference is None else reference
            print(json.dumps({"threads": threads, "method": method, "n": args.n,
                              "seconds": round(seconds, 2),
                              "same_as_naive": bool(torch.equal(out, reference))}), flush=True)


if __name__ == "__main__":
    main()
