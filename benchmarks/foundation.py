"""Benchmarks of the foundation: print the figures the issues ask for (no pass/fail).

    .venv/bin/python benchmarks/foundation.py        (or: make bench)

Speed targets are read from these figures, not asserted by timed tests that flake.
Targets (issue 2): offline MNIST load <= 2 s; notebook 00 in the fast profile <= 30 s.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def offline_load_seconds() -> tuple[float, float]:
    """Cold (CSV parse + cache) and warm (cached .npz) load of both offline splits."""
    code = """
import time, torch, torchvision
from course_lib import data
data._network_reachable = lambda timeout=2.0: False
times = []
for _ in range(2):
    t = time.perf_counter()
    data.load_mnist('train', verbose=False); data.load_mnist('test', verbose=False)
    times.append(time.perf_counter() - t)
print(*times)
"""
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env={**os.environ, "COURSE_DATA_DIR": cache}).stdout
    cold, warm = map(float, out.split())
    return cold, warm


def notebook_seconds(name: str, profile: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "course_lib.grading.execute", str(ROOT / "notebooks" / name),
                        "--out", out, "--profile", profile], check=True, capture_output=True)
        return time.perf_counter() - started


if __name__ == "__main__":
    cold, warm = offline_load_seconds()
    print(f"offline MNIST load, train + test: cold {cold:.3f} s, cached {warm:.3f} s  (target <= 2 s)")
    seconds = notebook_seconds("00_welcome.ipynb", "fast")
    print(f"notebook 00, fast profile, incl. kernel start: {seconds:.1f} s  (target <= 30 s)")
