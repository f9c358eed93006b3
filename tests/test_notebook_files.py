"""House rules for every notebook: jupytext pairs in sync, no outputs, the setup cell."""
from pathlib import Path

import jupytext
import nbformat
import pytest

from course_lib.notebook_setup import SETUP_CELL, colab_badge

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "solutions", "assignments")
NOTEBOOKS = sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))
SCRIPTS = sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.py"))
ids = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def test_there_are_lecture_notebooks():
    assert any(p.parent.name == "notebooks" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_notebook_has_its_py_pair(path):
    assert path.with_suffix(".py").exists(), f"{path.name}: run `jupytext --sync {path}`"


@pytest.mark.parametrize("path", SCRIPTS, ids=[str(p.relative_to(ROOT)) for p in SCRIPTS])
def test_every_py_has_its_notebook(path):
    assert path.with_suffix(".ipynb").exists(), f"{path.name}: run `jupytext --sync {path}`"


def _cells(nb):
    return [(c.cell_type, c.source.strip(), c.metadata.get("nbgrader")) for c in nb.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_pair_is_in_sync(path):
    notebook = nbformat.read(path, as_version=4)
    script = jupytext.read(path.with_suffix(".py"))
    assert _cells(script) == _cells(notebook), (
        f"{path.name} and its .py differ: edit one, then run `jupytext --sync` on it")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name} has outputs: clear them before committing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_starts_with_badge_title_and_the_setup_cell(path):
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    rel = path.relative_to(ROOT).as_posix()
    assert colab_badge(rel) in first.source, f"{path.name}: the first cell needs its Colab badge"
    assert "\n# " in "\n" + first.source, f"{path.name}: the first cell needs a '# ' title"
    code = next(c for c in notebook.cells if c.cell_type == "code")
    assert code.source == SETUP_CELL, (
        f"{path.name}: the first code cell must be the standard setup cell "
        "(python -m course_lib.notebook_setup rewrites it)")


def test_lecture_notebooks_are_numbered_in_order():
    numbers = [p.name.split("_")[0] for p in NOTEBOOKS if p.parent.name == "notebooks"]
    assert numbers == sorted(numbers) and all(n.isdigit() and len(n) == 2 for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_rewrite_updates_setup_cells_and_badges(tmp_path, monkeypatch):
    """Publishing under another name: one command updates every notebook, pairs in sync."""
    import shutil

    from course_lib import notebook_setup

    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, tmp_path / folder)
    assert notebook_setup.rewrite_setup_cells(tmp_path) == []  # already up to date
    monkeypatch.setattr(notebook_setup, "REPOSITORY", "someone/elsewhere")
    monkeypatch.setattr(notebook_setup, "SETUP_CELL", SETUP_CELL.replace(
        "deep-generative-course/course", "someone/elsewhere"))
    changed = notebook_setup.rewrite_setup_cells(tmp_path)
    assert len(changed) == len(NOTEBOOKS)
    for path in changed:
        nb = nbformat.read(path, as_version=4)
        assert "someone/elsewhere@main" in next(c for c in nb.cells if c.cell_type == "code").source
        assert "github/someone/elsewhere/blob/main/" in nb.cells[0].source
        script = jupytext.read(path.with_suffix(".py"))
        assert _cells(script) == _cells(nb)


def test_the_whole_suite_refuses_to_run_without_every_notebook():
    """`make test` must execute every notebook: leaving a folder out stops the run."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "--collect-only", "-o", "testpaths=tests notebooks"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "were not collected" in done.stdout + done.stderr
    assert "solutions/" in done.stdout + done.stderr
