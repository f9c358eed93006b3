"""How often nbclient misses a kernel's reply, and whether the course's client reads it (course_lib/grading/client.py).

    python benchmarks/missed_replies.py                 # 10 runs with each client
    python benchmarks/missed_replies.py --runs 3 --cells 10 --client course

Each run executes a small notebook in a fresh kernel: the course's set-up cell, then
``--cells`` cells that each show notebook 06's 1-D GAN playground (an ``ipywidgets.interact``
with a figure), the cell where notebook 06 was seen to hang. A reply is counted as *missed*
when the next cell starts more than 0.5 s after the kernel reported itself idle. With
nbclient's own client a missed reply is read only when the poll's time-out expires (pyzmq
then looks once more and finds it), so each costs the whole ``--timeout``: in ``make course``
an hour per miss, which is what was seen as a hang. With the course's client it costs at most
one poll slice (1 s). Nothing is asserted: the rate depends on the machine and its load.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SET_UP = """\
import torch
from course_lib import data, runtime
from course_lib.gan_playground import GANPlayground
env = runtime.setup()
g = torch.Generator().manual_seed(0)
shots = [{"epoch": i, "samples": torch.randn(2000, 1, generator=g) + 0.3 * i,
          "d_grid": torch.rand(101, generator=g)} for i in range(5)]
playground = GANPlayground(shots, data.bimodal_1d(), torch.linspace(-5, 5, 101))"""


def notebook(cells: int):
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(SET_UP)] + [new_code_cell("playground.show()") for _ in range(cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def client_class(kind: str):
    """nbclient's client or the course's, both recording how late each reply was read."""
    from nbclient import NotebookClient

    from course_lib.grading.client import ReliableNotebookClient

    class Watched(ReliableNotebookClient if kind == "course" else NotebookClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.idle_at, self.late = None, []

        def process_message(self, msg, cell, cell_index):
            if msg.get("msg_type") == "status" and msg["content"].get("execution_state") == "idle":
                self.idle_at = time.monotonic()
            return super().process_message(msg, cell, cell_index)

        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            if self.idle_at is not None and time.monotonic() - self.idle_at > 0.5:
                self.late.append(round(time.monotonic() - self.idle_at, 2))
            self.idle_at = None
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    return Watched


def run(kind: str, runs: int, cells: int, timeout: int) -> dict:
    late, seconds = [], []
    for i in range(runs):
        client = client_class(kind)(notebook(cells), timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(ROOT)}})
        started = time.monotonic()
        client.execute()
        seconds.append(time.monotonic() - started)
        late += client.late
        print(f"  {kind} run {i + 1}: {seconds[-1]:.1f} s; replies read late (s): {client.late}", flush=True)
    return {"client": kind, "runs": runs, "cells": runs * (cells + 1), "late": late,
            "mean_seconds": sum(seconds) / runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/missed_replies.py", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per client (default 10)")
    parser.add_argument("--cells", type=int, default=20, help="interact cells per run (default 20)")
    parser.add_argument("--timeout", type=int, default=30, help="nbclient's time-out per cell (default 30 s)")
    parser.add_argument("--client", choices=["nbclient", "course", "both"], default="both")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.cells < 1 or args.timeout < 5:
        parser.error("--runs and --cells must be >= 1 and --timeout >= 5")
    kinds = ["nbclient", "course"] if args.client == "both" else [args.client]
    for row in [run(kind, args.runs, args.cells, args.timeout) for kind in kinds]:
        print(f"{row['client']}: {len(row['late'])} of {row['cells']} replies missed, read "
              f"{', '.join(f'{s:.2f}' for s in row['late']) or '-'} s late (cell time-out {args.timeout} s); "
              f"mean {row['mean_seconds']:.1f} s per run of {args.cells + 1} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
