"""Links between notebooks: every relative link to a notebook resolves, or says "(coming)".

Notebooks 00-02 point ahead to notebooks and assignments written later. While a target is
missing the link must be followed by "(coming)"; once it exists the mark must go (a stale
"(coming)" would be a false sentence), so this test tells whoever merges a new notebook
which marks to drop.
"""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# [text](target.ipynb) with an optional "(coming)" right after it (spaces or a line break between)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+?\.ipynb)(?:#[^)]*)?\)(\s*\(coming\))?")


def notebook_links(path):
    """(target, marked coming) for every relative link to a notebook in a notebook's markdown."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for match in LINK.finditer(cell.source):
            target = match.group(1)
            if re.match(r"[a-z]+://", target):
                continue                              # Colab badges and other absolute URLs
            yield target, bool(match.group(2))


def test_the_pattern_reads_links_and_marks():
    text = "[03](03_autoregressive.ipynb) (coming), [01](01_x.ipynb), [A](../assignments/A1.ipynb)\n  (coming)"
    found = [(m.group(1), bool(m.group(2))) for m in LINK.finditer(text)]
    assert found == [("03_autoregressive.ipynb", True), ("01_x.ipynb", False), ("../assignments/A1.ipynb", True)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_links_resolve_or_say_coming(path):
    for target, coming in notebook_links(path):
        exists = (path.parent / target).resolve().exists()
        if coming:
            assert not exists, (f"{path.name}: {target} exists now: drop the '(coming)' after its link "
                                "(in the .py, then jupytext --sync)")
        else:
            assert exists, f"{path.name}: {target} does not exist: add '(coming)' after the link, or fix it"


def test_lecture_notebooks_point_ahead():
    """The welcome's map links every lecture notebook, present or coming."""
    targets = {target for target, _ in notebook_links(ROOT / "notebooks" / "00_welcome.ipynb")}
    for name in ("01_supervised_unsupervised", "02_taxonomy", "03_autoregressive", "04_autoencoders",
                 "05_variational_autoencoders", "06_gans"):
        assert f"{name}.ipynb" in targets
