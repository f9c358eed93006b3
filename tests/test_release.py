"""`make release` writes the student-facing course; the Makefile picks a Python it can use.

The release test copies the tracked files (what `make release` ships) to a temporary
folder and runs pytest's collection there: every test that ships must import without
solutions/. The Makefile tests run `make which-python` with fake interpreters on PATH,
so they never touch the course's environment.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.grading import release

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
# A student release has no solutions/ and need not be a git checkout: nothing to release from.
instructor_checkout = pytest.mark.skipif(not (ROOT / "solutions").is_dir() or not (ROOT / ".git").exists(),
                                         reason="make release runs in the instructor's git checkout "
                                                "(this copy has no solutions/ or no .git)")


@instructor_checkout
def test_release_ships_everything_but_the_solutions(tmp_path):
    dest = tmp_path / "course"
    shipped, withheld = release.release(dest)
    assert shipped and withheld
    assert not (dest / "solutions").exists() and not (dest / "tests" / "corpus").exists()
    for name in ("tests/test_grade.py", "tests/test_corpus.py", "tests/test_authoring.py", "tests/a0_submissions.py",
                 "tests/test_a0.py", "benchmarks/grading.py"):
        assert not (dest / name).exists(), name
    assert any(p.startswith("solutions/") for p in withheld)
    for name in ("assignments/A0_probability_toolkit.ipynb", "course_lib/probability.py", "README.md",
                 "Makefile", "pyproject.toml", "tests/test_screen.py", "course_lib/grading/grade.py"):
        assert (dest / name).exists(), name
    # The student notebooks carry no solution and no hidden test: the stubs and visible checks only.
    nb = json.loads((dest / "assignments" / "A0_probability_toolkit.ipynb").read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "NotImplementedError" in text and "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    assert release.leaks(dest, [p for p in shipped if (dest / p).exists()]) == []
    with pytest.raises(ValueError, match="not empty"):
        release.release(dest)


@instructor_checkout
def test_a_file_with_hidden_tests_is_not_shipped(tmp_path):
    leak = tmp_path / "assignments" / "A9.py"
    leak.parent.mkdir()
    leak.write_text("x = 1\n    ### BEGIN HIDDEN TESTS\nassert x\n")
    ok = tmp_path / "authoring.py"
    ok.write_text('BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"\n')
    assert release.leaks(tmp_path, ["assignments/A9.py", "authoring.py"]) == [
        "assignments/A9.py: line `### BEGIN HIDDEN TESTS`"]
    with pytest.raises(ValueError, match="inside the course folder"):
        release.release(ROOT / "build" / "release")


@instructor_checkout
@pytest.mark.timeout(300)
def test_the_released_tests_collect_without_solutions(tmp_path):
    dest = tmp_path / "course"
    release.release(dest)
    env = {**os.environ, "PYTHONPATH": str(dest)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
                          cwd=dest, env=env, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "error" not in done.stdout.lower().split("\n")[-2], done.stdout[-2000:]
    assert "tests/test_screen.py" in done.stdout and "solutions/" not in done.stdout


def _fake_python(folder: Path, name: str, version: str) -> None:
    """A stand-in interpreter: `-c <code>` exits 0 if its version is >= 3.10, `--version` prints it."""
    major, minor = (int(x) for x in version.split(".")[:2])
    ok = 0 if (major, minor) >= (3, 10) else 1
    path = folder / name
    path.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python {version}"; exit 0; fi\nexit {ok}\n')
    path.chmod(0o755)


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
@pytest.mark.parametrize("interpreters, chosen", [
    ({"python3.13": "3.13.1", "python3.12": "3.12.4", "python3": "3.12.4"}, "using python3.13 (Python 3.13.1)"),
    ({"python3.13": "3.9.0", "python3.12": "3.12.4"}, "using python3.12 (Python 3.12.4)"),  # too old: skipped
    ({"python3.11": "3.11.7", "python3.13": "3.13.1"}, "using python3.11 (Python 3.11.7)"),  # the pinned torch's
    ({"python3": "3.10.2"}, "using python3 (Python 3.10.2)"),
    ({"python3": "3.9.18"}, "no Python >= 3.10 found"),
])
def test_the_makefile_picks_the_first_python_it_can_use(tmp_path, interpreters, chosen):
    for name, version in interpreters.items():
        _fake_python(tmp_path, name, version)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "MAKEFLAGS", "MAKELEVEL")}
    env["PATH"] = str(tmp_path)
    done = subprocess.run([MAKE, "--no-print-directory", "-f", str(ROOT / "Makefile"), "which-python"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert chosen in done.stdout, done.stdout + done.stderr
    assert (done.returncode == 0) == chosen.startswith("using")


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
def test_make_release_needs_a_destination():
    done = subprocess.run([MAKE, "--no-print-directory", "-f", str(ROOT / "Makefile"), "release"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "usage: make release DEST=folder" in done.stdout
