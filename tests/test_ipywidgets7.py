"""Colab ships ipywidgets 7: the course's widgets and progress bars must work with it.

`make env` installs ipywidgets 7.7.1 into .venv/compat/ipywidgets7 (see
requirements/ipywidgets7.txt). These tests put that folder first on PYTHONPATH, so
the kernel imports ipywidgets 7 instead of the venv's 8, and run what uses widgets.
"""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[1]
COMPAT = Path(sys.prefix) / "compat" / "ipywidgets7"
WIDGET_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb")
                          if "widgets" in p.read_text())
PROVE_VERSION = ("import ipywidgets\n"
                 "assert ipywidgets.__version__.startswith('7.'), ipywidgets.__version__")


@pytest.fixture(scope="module")
def ipywidgets7_env():
    if not (COMPAT / "ipywidgets" / "__init__.py").exists():
        message = f"ipywidgets 7 is not installed in {COMPAT}: run `make env`"
        # `make env` (and so `make test` and CI) always installs it: an environment it
        # built must run these tests, never skip them. Only a hand-made one may skip.
        if os.environ.get("CI") or (Path(sys.prefix) / ".installed").exists():
            pytest.fail(message)
        pytest.skip(message)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(COMPAT), *filter(None, [os.environ.get("PYTHONPATH")])])}


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
    assert done.stdout.strip().splitlines()[-1] == "ok 7.7.1"


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=[p.name for p in WIDGET_NOTEBOOKS])
def test_widget_notebooks_run_under_ipywidgets7(path, ipywidgets7_env, monkeypatch):
    for key, value in ipywidgets7_env.items():
        monkeypatch.setenv(key, value)            # the kernel inherits this environment
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell(PROVE_VERSION))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
