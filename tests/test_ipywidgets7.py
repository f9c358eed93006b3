"""Colab ships ipywidgets 7: the course's widgets and progress bars must work with it.

They must work with the kernel Colab runs them in, too: ipywidgets 7.7.1 under Colab's
ipykernel 6 and IPython 7, not under this venv's much newer kernel (a pairing no student
ever has). `make env` installs Colab's versions of that stack into .venv/compat/ipywidgets7
(requirements/ipywidgets7.txt says where they come from). These tests put that folder first
on PYTHONPATH, so the kernel imports Colab's ipykernel, IPython and ipywidgets, and run what
uses widgets.

A notebook passes only if every cell finishes within CELL_TIMEOUT and the kernel reports
no error anywhere: no failing cell, no traceback in a cell's stderr (an exception in a
background thread, a widget callback or the kernel's own message loop lands there or in the
kernel's log) and nothing of the kind in the kernel process's own stderr.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.grading.client import ReliableNotebookClient

ROOT = Path(__file__).resolve().parents[1]
COMPAT = Path(sys.prefix) / "compat" / "ipywidgets7"
# Another folder built from the same requirements (to try new pins without touching .venv).
COMPAT = Path(os.environ.get("COURSE_IPYWIDGETS7_DIR", COMPAT))
REQUIREMENTS = ROOT / "requirements" / "ipywidgets7.txt"
WIDGET_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb")
                          if "widgets" in p.read_text())
# In the fast profile each widget notebook runs whole in 9-38 s here (this test, one pinned
# core, load 1.4-2.9), so no single cell comes near this: a cell still running after it is
# stuck, and waiting for nbclient's usual 600 s only hides that for ten minutes.
CELL_TIMEOUT = 120
# What a kernel writes when something went wrong outside the cell's own code: a traceback
# (an exception in a thread is printed, not raised), tornado/pyzmq's "Uncaught exception
# in ZMQStream callback", and ipykernel's warning that its IO thread did not answer.
KERNEL_TROUBLE = re.compile(r"Traceback \(most recent call last\)|Uncaught exception|Exception in thread"
                            r"|IOStream\.flush timed out")


def colab_pins() -> dict[str, str]:
    """The versions requirements/ipywidgets7.txt pins, by distribution name."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


PINS = colab_pins()
# The last cell of every notebook run here: proves the kernel ran Colab's versions.
PROVE_VERSION = ("import ipywidgets, ipykernel, IPython, tqdm\n"
                 "versions = (ipywidgets.__version__, ipykernel.__version__, IPython.__version__, tqdm.__version__)\n"
                 f"assert versions == {tuple(PINS[k] for k in ('ipywidgets', 'ipykernel', 'ipython', 'tqdm'))!r}, versions")


class KernelTrouble(AssertionError):
    """A cell timed out or failed, or the kernel reported an error (message names the cell)."""


def where(name: str, nb, index: int | None) -> str:
    if index is None:
        return f"{name}, before the first cell"
    if index >= len(nb.cells):
        return f"{name}, after the last cell"
    first = next((line for line in nb.cells[index].source.splitlines() if line.strip()), "")
    return f"{name}, cell {index} ({first.strip()[:80]!r})"


def run_notebook(nb, name: str, workdir: Path, log_path: Path, timeout: int = CELL_TIMEOUT):
    """Execute ``nb`` in a fresh kernel; raise KernelTrouble naming the cell at the first problem.

    The kernel process's stdout and stderr go to ``log_path``; after each cell both its
    stderr output and what the kernel wrote there since the previous cell are searched
    for KERNEL_TROUBLE. The kernel inherits os.environ (PYTHONPATH included).
    """
    state = {"index": None, "read": 0}

    def new_log_text() -> str:
        text = log_path.read_text(errors="replace")
        new, state["read"] = text[state["read"]:], len(text)
        return new

    def check(index, outputs=()):
        stderr = "".join(o.get("text", "") for o in outputs
                         if o.get("output_type") == "stream" and o.get("name") == "stderr")
        for source, text in (("its stderr output", stderr), ("the kernel's own stderr", new_log_text())):
            found = KERNEL_TROUBLE.search(text)
            if found:
                raise KernelTrouble(f"{where(name, nb, index)}: {found.group(0)!r} in {source}:\n"
                                    f"{text[max(0, found.start() - 500):found.start() + 3000]}")

    def on_cell_start(cell, cell_index):
        state["index"] = cell_index

    def on_cell_executed(cell, cell_index, execute_reply):
        check(cell_index, cell.get("outputs", []))

    client = ReliableNotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(workdir)}},
                                    on_cell_start=on_cell_start, on_cell_executed=on_cell_executed)
    with open(log_path, "w") as log:
        try:
            client.execute(stdout=log, stderr=log)
        except KernelTrouble:
            raise
        except CellTimeoutError as error:
            raise KernelTrouble(f"{where(name, nb, state['index'])}: still running after the {timeout} s "
                                f"time-out per cell. Kernel stderr:\n{log_path.read_text()[-3000:]}") from error
        except (CellExecutionError, DeadKernelError) as error:
            raise KernelTrouble(f"{where(name, nb, state['index'])}: {type(error).__name__}: "
                                f"{str(error)[-3000:]}") from error
    check(len(nb.cells))                       # anything logged after the last cell, at shutdown


@pytest.fixture(scope="module")
def ipywidgets7_env():
    if not (COMPAT / "ipywidgets" / "__init__.py").exists():
        message = f"ipywidgets 7 is not installed in {COMPAT}: run `make env`"
        # `make env` (and so `make test` and CI) always installs it: an environment it
        # built must run these tests, never skip them. Only a hand-made one may skip.
        if os.environ.get("CI") or (Path(sys.prefix) / ".installed").exists():
            pytest.fail(message)
        pytest.skip(message)
    installed = dict(p.name.removesuffix(".dist-info").lower().replace("_", "-").rsplit("-", 1)
                     for p in COMPAT.glob("*.dist-info"))
    stale = {name: installed.get(name) for name, version in PINS.items() if installed.get(name) != version}
    if stale:
        pytest.fail(f"{COMPAT} does not hold requirements/ipywidgets7.txt (found {stale}): run `make env`")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(COMPAT), *filter(None, [os.environ.get("PYTHONPATH")])])}


@pytest.fixture
def in_compat_env(ipywidgets7_env, monkeypatch):
    for key, value in ipywidgets7_env.items():
        monkeypatch.setenv(key, value)            # the kernel inherits this environment
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    # ipykernel 6 starts debugpy, which warns on every start that Python's frozen modules may
    # hide breakpoints: noise in the kernel log this test reads.
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def test_progress_bar_and_basic_widgets_under_ipywidgets7(ipywidgets7_env):
    code = PROVE_VERSION + """
from tqdm.auto import tqdm
from tqdm.notebook import tqdm as notebook_tqdm
import ipywidgets as w
bar = notebook_tqdm(total=3, display=False)  # builds the widget bar without a front end
bar.update(3); bar.close()
slider = w.IntSlider(value=1, min=0, max=5)
seen = []
box = w.interactive(lambda n: seen.append(n), n=slider)
slider.value = 4
assert seen[-1] == 4, seen
print("ok", ipywidgets.__version__)
"""
    done = subprocess.run([sys.executable, "-c", code], env=ipywidgets7_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == f"ok {PINS['ipywidgets']}"


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=[p.name for p in WIDGET_NOTEBOOKS])
def test_widget_notebooks_run_under_ipywidgets7(path, in_compat_env, tmp_path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell(PROVE_VERSION))
    run_notebook(nb, path.name, path.parent, tmp_path / "kernel.log")


# The checks above must be able to fail: a stuck cell, an exception in a background thread
# (how a widget callback or a progress bar's monitor thread fails) and a failing cell must
# each fail the run, naming the notebook and the cell.
@pytest.mark.parametrize("bad, expected", [
    ("import time\ntime.sleep(600)", r"probe\.ipynb, cell 1 \(.import time.\): still running after the 10 s"),
    ("import threading\nthread = threading.Thread(target=lambda: 1 / 0)\nthread.start(); thread.join()",
     r"probe\.ipynb, cell 1 \('import threading'\): .*(Exception in thread|Traceback)"),
    ("raise ValueError('broken')", r"probe\.ipynb, cell 1 \(\"raise ValueError\('broken'\)\"\): CellExecutionError"),
], ids=["time-out", "thread-exception", "cell-error"])
def test_kernel_trouble_fails_the_run_and_names_the_cell(bad, expected, in_compat_env, tmp_path):
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell(bad), new_code_cell("y = 2")])
    with pytest.raises(KernelTrouble, match=re.compile(expected, re.S)):
        run_notebook(nb, "probe.ipynb", tmp_path, tmp_path / "kernel.log", timeout=10)
    assert "outputs" not in nb.cells[2] or not nb.cells[2].outputs    # stopped at the bad cell
