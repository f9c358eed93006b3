"""Command lines of the instructor's tools: a wrong argument is a clear error (exit 2, one
line on stderr naming the option and the value), never a traceback or a silent default."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.grading import authoring, grade, release

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def subs(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "alice.ipynb").write_text("{}")
    return folder


@pytest.mark.parametrize("options, message", [
    (["-j", "0"], "-j must be at least 1, got 0"),
    (["--cell-timeout", "0"], "--cell-timeout must be more than 0 seconds, got 0"),
    (["--exercise-timeout", "-5"], "--exercise-timeout must be more than 0 seconds, got -5"),
    (["--cell-timeout", "30", "--exercise-timeout", "10"], "--exercise-timeout (10) must be at least --cell-timeout (30)"),
    (["--memory-mb", "512"], "--memory-mb must be at least 1024 (importing torch needs more), got 512"),
    (["--output-bytes", "-1"], "--output-bytes must be 0 or more, got -1"),
    (["--output-bytes", "1000", "--flood-bytes", "10"], "--flood-bytes (10) must be at least --output-bytes (1000)"),
])
def test_grade_rejects_out_of_range_limits(subs, tmp_path, capsys, options, message):
    assert grade.main(["A0_probability_toolkit", str(subs), "--out", str(tmp_path / "out"), *options]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {message}\n"
    assert not (tmp_path / "out").exists()  # nothing was graded


def test_grade_rejects_a_missing_assignment_or_folder(subs, tmp_path, capsys):
    assert grade.main(["no_such_assignment", str(subs)]) == 2
    assert "no solution notebook for assignment 'no_such_assignment'" in capsys.readouterr().err
    assert grade.main(["A0_probability_toolkit", str(tmp_path / "missing")]) == 2
    assert "is not a folder of submissions" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert grade.main(["A0_probability_toolkit", str(empty)]) == 2
    assert "no .ipynb files in" in capsys.readouterr().err
    assert grade.main([str(tmp_path / "nowhere.ipynb"), str(subs)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_grade_rejects_a_value_that_is_not_a_number(subs, capsys):
    with pytest.raises(SystemExit) as stop:
        grade.main(["A0_probability_toolkit", str(subs), "-j", "two"])
    assert stop.value.code == 2 and "argument -j/--jobs: invalid int value: 'two'" in capsys.readouterr().err


def test_the_module_command_line_exits_2_with_one_line(subs):
    done = subprocess.run([sys.executable, "-m", "course_lib.grading", "A0_probability_toolkit", str(subs),
                           "--memory-mb", "100"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr == "error: --memory-mb must be at least 1024 (importing torch needs more), got 100\n"


def test_authoring_and_release_reject_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        authoring.main(["publish"])
    assert stop.value.code == 2 and "invalid choice: 'publish'" in capsys.readouterr().err
    assert release.main([]) == 2 and capsys.readouterr().err.startswith("usage: ")
    assert release.main(["--force"]) == 2 and capsys.readouterr().err.startswith("usage: ")
    assert release.main([str(ROOT)]) == 2  # into the course itself
    assert capsys.readouterr().err == f"error: {ROOT} is inside the course folder: choose a folder outside it\n"
