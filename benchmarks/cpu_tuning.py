"""CPU speed measured, not assumed: threads, batch size, channels_last and torch.compile.

    /work/bin/cpu-run --cores 2 python benchmarks/cpu_tuning.py --write docs/cpu_tuning.md

Times one training step (forward, loss, backward, Adam) of each course model at the
notebooks' full-profile size (benchmarks/course_models.py) over a short window, under:

* **threads**: 1 vs 2 intra-op threads (``torch.set_num_threads``), notebook batch size;
* **batch size**: half and double the notebook's, at 1 thread;
* **channels_last**: NHWC weights and inputs (convolutional models), at 1 thread;
* **torch.compile**: the default inductor backend, at 1 thread; the compile time (the
  first steps) is reported apart from the steady-state throughput.

It must run with the whole machine to itself (the thread comparison means nothing on a
loaded machine): the load average is printed with the table. ``--write`` replaces the
measurements section of the given markdown file atomically, keeping the text above it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

import course_models  # noqa: E402
from course_lib.files import atomic_write_text  # noqa: E402
from course_lib.viz import markdown_table  # noqa: E402

CONV = {"pixelcnn_plain", "pixelcnn_gated", "dcgan", "conditional_gan"}
MARKER = "<!-- measurements: written by benchmarks/cpu_tuning.py -->"


def measure(name: str, window: float, threads: int, batch: int | None = None, **options) -> dict:
    torch.set_num_threads(threads)
    work = course_models.workload(name, "cpu", **options)
    started = time.perf_counter()
    work.step(batch or work.batch_size)  # the first step: compiles under torch.compile
    first = time.perf_counter() - started
    result = course_models.throughput(work, window, batch, warmup=1)
    return {**result, "first_step_seconds": first}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="*", default=list(course_models.MODELS))
    parser.add_argument("--window", type=float, default=2.0, help="seconds timed per setting")
    parser.add_argument("--compile", nargs="*", default=["pixelcnn_gated", "vae", "dcgan"],
                        help="models tried under torch.compile (each compiles for tens of seconds)")
    parser.add_argument("--write", default=None, help="markdown file whose measurements section to replace")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    rows, started = [], time.perf_counter()
    for name in args.models:
        base = {}
        for threads in (1, 2):
            base[threads] = measure(name, args.window, threads)
        default_batch = base[1]["batch_size"]
        one = base[1]["images_per_second"]
        row = [name, str(default_batch), f"{one:.0f}", f"{base[2]['images_per_second']:.0f}",
               f"{base[2]['images_per_second'] / one:.2f}"]
        for batch in (default_batch // 2, default_batch * 2):
            row.append(f"{measure(name, args.window, 1, batch)['images_per_second']:.0f}")
        if name in CONV:
            cl = measure(name, args.window, 1, channels_last=True)["images_per_second"]
            row.append(f"{cl:.0f} ({cl / one:.2f}x)")
        else:
            row.append("-")
        if name in args.compile:
            try:
                compiled = measure(name, args.window, 1, compile=True)
                row.append(f"{compiled['images_per_second']:.0f} ({compiled['images_per_second'] / one:.2f}x; "
                           f"first step {compiled['first_step_seconds']:.0f} s)")
            except Exception as err:  # no C++ compiler, an unsupported op: say so, keep going
                row.append(f"failed: {type(err).__name__}")
        else:
            row.append("-")
        rows.append(row)
        print(" | ".join(row), flush=True)
    table = markdown_table(["model", "batch", "1 thread", "2 threads", "2 vs 1", "half batch (1 thread)",
                            "double batch (1 thread)", "channels_last (1 thread)", "torch.compile (1 thread)"],
                           rows, align="lrrrrrrrl")
    text = (f"{MARKER}\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
            f"`cpu-run --cores 2 python benchmarks/cpu_tuning.py --window {args.window:g}` "
            f"(torch {torch.__version__}, {os.cpu_count()} CPUs; load average "
            f"{load_start[0]:.2f} before, {os.getloadavg()[0]:.2f} after; "
            f"{time.perf_counter() - started:.0f} s). Training images per second, higher is better.\n\n"
            f"{table}\n")
    print(text)
    if args.write:
        path = Path(args.write)
        head = path.read_text().split(MARKER)[0] if path.exists() else ""
        atomic_write_text(path, head + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
