"""What every notebook shares: the first code cell and the Colab badge.

Every notebook (lectures, solutions, assignments) starts with a markdown cell holding
its Colab badge and title, then ``SETUP_CELL`` as its first code cell, word for word;
``tests/test_notebook_files.py`` checks both. To change them (for instance after setting
``REPOSITORY``), edit this file and run ``python -m course_lib.notebook_setup``: it
rewrites the setup cell and the badge of every notebook (both files of each pair);
then run ``make assignments`` so that the generated notebooks match their builder byte
for byte.

``REPOSITORY`` is where the course is published: Colab installs ``course_lib`` from it,
and the badges open the notebooks from it.
"""
from __future__ import annotations

import re
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


_BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def rewrite_setup_cells(root: Path) -> list[Path]:
    """Give every notebook today's ``SETUP_CELL`` and Colab badge; sync the .py pairs."""
    import jupytext

    changed = []
    for folder in notebook_folders(root):
        for path in sorted(folder.glob("*.ipynb")):
            nb = jupytext.read(path)
            first_code = next(c for c in nb.cells if c.cell_type == "code")
            title = nb.cells[0]
            badge = colab_badge(path.relative_to(root).as_posix())
            new_title = _BADGE.sub(lambda _: badge, title.source, count=1)
            if first_code.source != SETUP_CELL or new_title != title.source:
                first_code.source = SETUP_CELL
                title.source = new_title
                jupytext.write(nb, path)
                jupytext.write(nb, path.with_suffix(".py"), fmt="py:percent")
                changed.append(path)
    return changed


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    for p in rewrite_setup_cells(root):
        print("rewrote", p)
