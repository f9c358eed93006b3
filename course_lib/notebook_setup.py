"""What every notebook shares: the first code cell and the Colab badge.

Every notebook (lectures, solutions, assignments) starts with ``SETUP_CELL`` as its
first code cell, word for word; ``tests/test_notebook_files.py`` checks it. To change
it, edit it here and run ``python -m course_lib.notebook_setup`` to rewrite the
notebooks (both files of each jupytext pair).

``REPOSITORY`` is where the course is published; Colab installs ``course_lib`` from it.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = "deep-generative-course/course"  # GitHub owner/name, used by Colab only
BRANCH = "main"

SETUP_CELL = f'''\
# Setup, the same first cell in every notebook of the course.
# On Colab it installs the course package (Colab's own torch is kept); on your own
# machine `make lab` or `pip install -e .` has installed it already.
import sys

if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "course-lib @ git+https://github.com/{REPOSITORY}@{BRANCH}"], check=True)
try:
    import course_lib
except ModuleNotFoundError:  # a clone of the course opened without installing it
    sys.path.insert(0, "..")
    import course_lib'''


def colab_badge(notebook_path: str) -> str:
    """Markdown for an 'Open in Colab' badge of a notebook (path relative to the repo root)."""
    url = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook_path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def notebook_folders(root: Path) -> list[Path]:
    return [root / "notebooks", root / "solutions", root / "assignments"]


def rewrite_setup_cells(root: Path) -> list[Path]:
    """Replace the first code cell of every notebook with ``SETUP_CELL``; sync the .py pairs."""
    import jupytext

    changed = []
    for folder in notebook_folders(root):
        for path in sorted(folder.glob("*.ipynb")):
            nb = jupytext.read(path)
            first = next(c for c in nb.cells if c.cell_type == "code")
            if first.source != SETUP_CELL:
                first.source = SETUP_CELL
                jupytext.write(nb, path)
                jupytext.write(nb, path.with_suffix(".py"), fmt="py:percent")
                changed.append(path)
    return changed


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    for p in rewrite_setup_cells(root):
        print("rewrote", p)
