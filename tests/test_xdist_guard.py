"""`make test` under pytest-xdist (-n 2) keeps conftest's guard: every notebook or no run."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_whole_suite_under_xdist_refuses_to_run_without_every_notebook():
    pytest.importorskip("xdist")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "-n", "2", "--dist", "loadfile", "-o", "testpaths=tests notebooks"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-2000:]
    assert "were not collected" in out and "solutions/" in out
    assert " passed" not in out and " failed" not in out, "the guard must stop the run before any test"
