"""Benchmark of the grader: print the figures issue 3 sets targets for (no pass/fail).

    .venv/bin/python benchmarks/grading.py        (or: make bench)

Grades 20 A0 submissions made by tests/a0_submissions.py (perfect, partial, wrong, empty,
edited and deleted checks) with -j 2, then the same 20 with one replaced by a submission
stuck in an endless loop. Target: <= 60 s for the 20; the hanging one costs its exercise
only: one cell time-out (--cell-timeout, 30 s by default), then a second run of the
notebook with that exercise's stub (issue 7).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ["perfect", "partial", "wrong", "empty", "edited_checks", "deleted_checks"]


def make_batch(fixtures: Path, folder: Path, hang: bool) -> None:
    folder.mkdir(parents=True)
    names = [f"{kind}_{i}" for i in range(4) for kind in KINDS][:20]
    if hang:
        names[-1] = "infinite_loop"
    for name in names:
        kind = name if name == "infinite_loop" else name.rsplit("_", 1)[0]
        shutil.copy(fixtures / f"{kind}.ipynb", folder / f"{name}.ipynb")


def grade_seconds(folder: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "course_lib.grading.grade", "A0_probability_toolkit", str(folder),
                    "--out", str(out), "-j", "2"], check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sys.path.insert(0, str(ROOT / "tests"))
        from a0_submissions import write_submissions

        write_submissions(tmp / "fixtures")
        make_batch(tmp / "fixtures", tmp / "plain", hang=False)
        make_batch(tmp / "fixtures", tmp / "hang", hang=True)
        plain = grade_seconds(tmp / "plain", tmp / "out-plain")
        print(f"grading 20 A0 submissions with -j 2: {plain:.1f} s  (target <= 60 s)")
        with_hang = grade_seconds(tmp / "hang", tmp / "out-hang")
        result = (tmp / "out-hang" / "results" / "infinite_loop.json").read_text()
        hung = json.loads(result)
        print(f"the same 20 with one endless loop: {with_hang:.1f} s; the hanging submission "
              f"took {hung['seconds']:.1f} s (a 30 s cell time-out, then a second run without "
              f"that exercise) and scored {sum(c['points'] for c in hung['checks']):g}/{sum(c['max_points'] for c in hung['checks']):g}")
