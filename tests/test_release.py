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


# Found by mutation testing (benchmarks/mutation.py release): the tests above need the
# instructor's own checkout, so none of them could run on a mutant of release.py (all 139
# survived). The ones below build a small course in a temporary git repository and release it.
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")

SOLUTION_NB = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                          "source": ["def f():\n", "    ### BEGIN SOLUTION\n", "    return 1\n",
                                     "    ### END SOLUTION"]}],
               "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
STUDENT_NB = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                         "source": ["def f():\n", "    # YOUR CODE HERE\n", "    raise NotImplementedError('f')"]}],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
# path -> content; every one is tracked by git
COURSE = {
    "solutions/A9_demo.ipynb": json.dumps(SOLUTION_NB),
    "solutions/A9_demo.py": "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
    "tests/corpus/A9_demo/style.ipynb": json.dumps(SOLUTION_NB),
    "tests/a9_submissions.py": "FULL = 'return 1'\n",
    "tests/test_a9.py": "def test_a9(): pass\n",
    "tests/test_a12.py": "def test_a12(): pass\n",
    "tests/test_authoring.py": "def test_rebuild(): pass\n",
    "tests/test_grade.py": "def test_grade(): pass\n",
    "tests/test_corpus.py": "def test_corpus(): pass\n",
    "benchmarks/grading.py": "print('grading')\n",
    # shipped:
    "assignments/A9_demo.ipynb": json.dumps(STUDENT_NB),
    "assignments/A9_demo.py": "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError('f')\n",
    "tests/test_authoring_tags.py": "def test_tags(): pass\n",  # test_a + a letter: not an assignment's
    "tests/test_screen.py": "def test_screen(): pass\n",
    "benchmarks/bench.py": "print('bench')\n",
    "course_lib/grading/authoring.py": 'BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"\n',  # not on a line of its own
    "docs/notes.md": "Mark the answer with `### BEGIN SOLUTION` in a solution cell.\n",
    "notes.txt": "### BEGIN SOLUTION\n",  # neither code nor a notebook nor Markdown: not read
    "README.md": "The course.\n",
}
SHIPPED = sorted(["assignments/A9_demo.ipynb", "assignments/A9_demo.py", "tests/test_authoring_tags.py",
                  "tests/test_screen.py", "benchmarks/bench.py", "course_lib/grading/authoring.py",
                  "docs/notes.md", "notes.txt", "README.md"])
WITHHELD = sorted(set(COURSE) - set(SHIPPED))


def _git(root: Path, *args: str) -> None:
    subprocess.run([GIT, *args], cwd=root, check=True, capture_output=True, timeout=60)


@pytest.fixture
def course(tmp_path) -> Path:
    """A small course checkout: the files of COURSE tracked by git (added, not committed), plus
    an untracked file and a tracked file deleted from the disk (neither is shipped)."""
    root = tmp_path / "course"
    for name, text in COURSE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    _git(root, "init", "-q")
    (root / "gone.py").write_text("x = 1\n")
    _git(root, "add", "-A")
    (root / "gone.py").unlink()
    (root / "untracked.py").write_text("### BEGIN SOLUTION\n")
    return root


@needs_git
def test_release_ships_exactly_the_tracked_student_files(course, tmp_path):
    dest = tmp_path / "public"
    shipped, withheld = release.release(dest, root=course)
    assert shipped == SHIPPED and withheld == WITHHELD
    on_disk = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert on_disk == SHIPPED
    for name in SHIPPED:
        assert (dest / name).read_bytes() == (course / name).read_bytes(), name


@needs_git
def test_release_into_an_existing_empty_folder_and_with_a_relative_path(course, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    assert release.release(tmp_path / "empty", root=course)[0] == SHIPPED
    monkeypatch.chdir(tmp_path)
    assert release.release(Path("relative"), root=course)[0] == SHIPPED
    assert (tmp_path / "relative" / "assignments" / "A9_demo.py").is_file()


@needs_git
def test_release_refuses_a_destination_in_the_course_or_not_empty(course, tmp_path):
    for dest in (course, course / "build" / "release", course / "assignments"):
        with pytest.raises(ValueError) as err:
            release.release(dest, root=course)
        assert str(err.value) == f"{dest} is inside the course folder: choose a folder outside it"
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.txt").write_text("old")
    with pytest.raises(ValueError) as err:
        release.release(full, root=course)
    assert str(err.value) == f"{full} exists and is not empty: choose a new or empty folder"
    assert [p.name for p in full.iterdir()] == ["old.txt"]
    # a folder beside the course whose name starts with the course's is outside it
    assert release.release(tmp_path / "course-public", root=course)[0] == SHIPPED


@needs_git
def test_a_leak_stops_the_release_before_any_file_is_written(course, tmp_path):
    nb = json.loads(COURSE["assignments/A9_demo.ipynb"])
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": ["check()\n", "### BEGIN HIDDEN TESTS  \n", "check_more()"]})
    (course / "assignments" / "A9_demo.ipynb").write_text(json.dumps(nb))
    (course / "README.md").write_text("Intro\n\t### BEGIN SOLUTION\n")
    dest = tmp_path / "public"
    with pytest.raises(ValueError) as err:
        release.release(dest, root=course)
    assert str(err.value) == ("these files would ship solutions or hidden tests:\n"
                              "  README.md: line `### BEGIN SOLUTION`\n"
                              "  assignments/A9_demo.ipynb: line `### BEGIN HIDDEN TESTS`")
    assert not dest.exists()


def test_leaks_reads_notebook_cells_and_text_files(tmp_path):
    files = {
        "a.ipynb": json.dumps({"cells": [{"source": "x = 1\n### BEGIN SOLUTION"},
                                         {"source": ["y = 2\n", "  ### BEGIN HIDDEN TESTS\n"]}]}),
        "b.ipynb": "### BEGIN SOLUTION\nnot json",            # not a notebook: read as text
        "c.ipynb": json.dumps(["### BEGIN HIDDEN TESTS"]),    # JSON but not a notebook: read as text
        "d.py": b"# caf\xe9 in Latin-1\n### BEGIN SOLUTION\n",  # not UTF-8: read anyway
        "e.md": "Use `### BEGIN SOLUTION`.\n### BEGIN SOLUTIONS\n#### BEGIN SOLUTION\n",  # none is a marker
        "f.txt": "### BEGIN SOLUTION\n",                      # not checked
        "g.ipynb": json.dumps({"cells": [{"source": "### END SOLUTION"}]}),  # an END alone: no region
        "h.ipynb": json.dumps({"metadata": {}}),               # no cells: nothing to read
        "i.ipynb": json.dumps({"cells": [{"cell_type": "raw"}, {"source": "  ### BEGIN SOLUTION"}]}),  # no source
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    assert release.leaks(tmp_path, sorted(files)) == [
        "a.ipynb: line `### BEGIN SOLUTION`", "a.ipynb: line `### BEGIN HIDDEN TESTS`",
        "b.ipynb: line `### BEGIN SOLUTION`", "d.py: line `### BEGIN SOLUTION`",
        "i.ipynb: line `### BEGIN SOLUTION`"]


def test_is_private_matches_the_withheld_patterns():
    for path in WITHHELD + ["tests/test_a0.py", "tests/test_a3_extra.py", "tests/a0_submissions.py"]:
        assert release.is_private(path), path
    for path in SHIPPED + ["solutions.md", "tests/test_authoring_tags.py", "tests/test_about.py",
                           "tests/a10_submissions.py", "benchmarks/grading_notes.py", "docs/solutions/x.md"]:
        assert not release.is_private(path), path


def test_tracked_files_outside_git_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"is not a git checkout of the course \(git ls-files failed"):
        release.tracked_files(tmp_path)


@needs_git
def test_the_command_line_releases_or_says_what_is_wrong(course, tmp_path, monkeypatch, capsys):
    real = release.release
    monkeypatch.setattr(release, "release", lambda dest: real(dest, root=course))  # main's default root is ROOT
    for argv in ([], ["a", "b"], ["-h"], ["--dest"]):
        assert release.main(argv) == 2
        out, err = capsys.readouterr()
        assert (out, err) == ("", "usage: python course_lib/grading/release.py DEST   (make release DEST=folder)\n")
    assert release.main([str(course / "out")]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {course / 'out'} is inside the course folder: choose a folder outside it\n")
    dest = tmp_path / "public"
    monkeypatch.setattr(sys, "argv", ["release.py", str(dest)])  # main() reads sys.argv
    assert release.main() == 0
    out, err = capsys.readouterr()
    assert err == "" and out == (f"wrote {len(SHIPPED)} files to {dest}; withheld {len(WITHHELD)}:\n"
                                 + "".join(f"  {p}\n" for p in WITHHELD))
    assert (dest / "README.md").is_file()
