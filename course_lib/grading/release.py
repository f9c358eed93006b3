"""Write the student-facing course: everything tracked by git except the solutions.

    python course_lib/grading/release.py DEST        (make release DEST=folder)

Copies every file git tracks (as it is on disk) into ``DEST``, a new or empty folder,
except :data:`PRIVATE`: ``solutions/`` (the answers and hidden tests), the correct-answer
corpus and the grader's test submissions (full answers too), and the tests and benchmarks
that need ``solutions/`` to run. Before writing anything it checks that no file it would
ship still carries a solution region or hidden tests (``### BEGIN SOLUTION``, ``### BEGIN
HIDDEN TESTS`` on a line of their own, as in a solution notebook): ``assignments/`` is
generated without them, and this proves it. Standard library only, so it runs without
the course's environment.

What students can still read, by design: ``course_lib/`` with the lectures' reference
code, including ``course_lib/probability.py`` (A0's reference answers) and the models the
later assignments compare against. See docs/instructors.md, "Publishing the course".
"""
from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRIVATE = (
    "solutions/*",                 # the one source of truth: answers and hidden tests
    "tests/corpus/*",              # correct answers, in several styles
    "tests/a[0-9]_submissions.py",  # the grader's test submissions (a full answer among them)
    "tests/test_a[0-9]*.py",       # each assignment's tests run its solution notebook
    "tests/test_authoring.py",     # rebuilds assignments/ from solutions/
    "tests/test_grade.py",         # grades submissions against solutions/
    "tests/test_corpus.py",        # grades the corpus against solutions/
    "benchmarks/grading.py",       # grades submissions against solutions/
)
_MARKER = re.compile(r"^\s*### BEGIN (SOLUTION|HIDDEN TESTS)\s*$")


def tracked_files(root: Path = ROOT) -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise ValueError(f"{root} is not a git checkout of the course (git ls-files failed: {err})") from err
    return sorted(p for p in out.decode().split("\0") if p and (root / p).is_file())


def is_private(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in PRIVATE)


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(text)
            return [line for cell in nb.get("cells", [])
                    for line in "".join(cell.get("source", "")).splitlines()]
        except (ValueError, AttributeError):
            pass
    return text.splitlines()


def leaks(root: Path, files: list[str]) -> list[str]:
    """Shipped files that still hold a solution region or hidden tests."""
    return [f"{p}: line `{line.strip()}`" for p in files if p.endswith((".py", ".ipynb", ".md"))
            for line in _lines(root / p) if _MARKER.match(line)]


def release(dest: Path, root: Path = ROOT) -> tuple[list[str], list[str]]:
    """Copy the student-facing files to ``dest``; return (shipped, withheld)."""
    dest = Path(dest).resolve()
    if dest == root.resolve() or root.resolve() in dest.parents:
        raise ValueError(f"{dest} is inside the course folder: choose a folder outside it")
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"{dest} exists and is not empty: choose a new or empty folder")
    files = tracked_files(root)
    shipped = [p for p in files if not is_private(p)]
    withheld = [p for p in files if is_private(p)]
    found = leaks(root, shipped)
    if found:
        raise ValueError("these files would ship solutions or hidden tests:\n  " + "\n  ".join(found))
    for p in shipped:
        target = dest / p
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / p, target)
    return shipped, withheld


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python course_lib/grading/release.py DEST   (make release DEST=folder)", file=sys.stderr)
        return 2
    try:
        shipped, withheld = release(Path(argv[0]))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(shipped)} files to {argv[0]}; withheld {len(withheld)}:")
    for p in withheld:
        print(f"  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
