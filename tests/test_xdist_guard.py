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


def test_notebook_kernels_under_xdist_take_their_share_of_the_cores(tmp_path):
    """nbval's kernels inherit the worker count, so runtime.setup() in a notebook run by
    `make test -n 2` on a 2-core machine takes 1 thread, not both cores (docs/cpu_tuning.md:
    two threads on a busy core ran up to 50x slower). The same notebook run serially takes
    the machine's share for one process."""
    pytest.importorskip("xdist")
    import nbformat

    from course_lib import runtime

    cores = min(runtime.usable_cores(), runtime.MAX_THREADS)
    for i in range(2):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(
            "import os\nfrom course_lib import runtime\n"
            "workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT') or 1)\n"
            f"expected = max(1, {cores} // workers)\n"
            "threads = runtime.setup(seed=0).threads\n"
            "assert threads == expected, (threads, expected, workers)\n"
            "print('workers', workers)")]
        nbformat.write(nb, tmp_path / f"kernel{i}.ipynb")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in (runtime.THREADS_ENV, "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_WORKER")}
    env["PYTHONPATH"] = str(ROOT)
    for extra in (["-n", "2"], []):
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval-lax",
                               "--rootdir", str(tmp_path), *extra, "kernel0.ipynb", "kernel1.ipynb"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        out = done.stdout + done.stderr
        assert done.returncode == 0 and "2 passed" in out, (extra, out[-2000:])
