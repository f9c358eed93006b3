"""course_lib.grading without a kernel: what the grader decides and writes around the runs.

test_grade.py grades real submissions in sandbox kernels (minutes). These tests pin, in well
under a second each, the parts that need no kernel, so that mutation testing can run them
once per mutant (docs/mutation.md, targets grade-offline and submissions): the command-line
limits, how the graded notebook is assembled (which cell belongs to which exercise, where the
guard goes, which cells are wrapped), the kernel's environment, the points table, the
feedback, the stored results and the re-run rule, and how a submission file is read.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import grade, submissions
from course_lib.grading.authoring import Check, AssignmentInfo
from course_lib.notebook_setup import SETUP_CELL


def _meta(gid, **kw):
    return {"nbgrader": {"grade_id": gid, "schema_version": 3, **kw}}


SQUARE = "def square(x):\n    \"\"\"x squared.\"\"\"\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
CUBE = "def cube(x):\n    \"\"\"x cubed.\"\"\"\n    ### BEGIN SOLUTION\n    return x ** 3\n    ### END SOLUTION"


def _solution_notebook(folder: Path) -> Path:
    """Two exercises: square (two checks, a demo cell between them) and cube (one check)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny assignment"),
        nbformat.v4.new_code_cell(SETUP_CELL),
        nbformat.v4.new_code_cell("import numpy as np\nfrom course_lib import probability, data as d\n"
                                  "import course_lib.viz\ntarget = 4.0"),
        nbformat.v4.new_code_cell(SQUARE, metadata=_meta("ex_square", solution=True, grade=False, locked=False)),
        nbformat.v4.new_code_cell("assert square(2.0) == target",
                                  metadata=_meta("ex_square_check", solution=False, grade=True, locked=True,
                                                 points=2)),
        nbformat.v4.new_markdown_cell("A demo follows."),
        nbformat.v4.new_code_cell("shown = square(3.0)\n_private = 1\nprint(shown)"),
        nbformat.v4.new_code_cell("print(square(1.0))"),
        nbformat.v4.new_code_cell("assert square(-1.0) == 1.0",
                                  metadata=_meta("ex_square_check2", solution=False, grade=True, locked=True,
                                                 points=1)),
        nbformat.v4.new_code_cell(CUBE, metadata=_meta("ex_cube", solution=True, grade=False, locked=False)),
        nbformat.v4.new_code_cell("assert cube(2.0) == 8.0",
                                  metadata=_meta("ex_cube_check", solution=False, grade=True, locked=True,
                                                 points=1.5)),
    ]
    path = folder / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def source(tmp_path):
    return submissions.load_source(str(_solution_notebook(tmp_path)))


# ----------------------------------------------------------------------------------------
# Command-line limits


def _args(**kw):
    base = dict(jobs=1, cell_timeout=30.0, exercise_timeout=120.0, memory_mb=6144, output_bytes=100, flood_bytes=200)
    return argparse.Namespace(**(base | kw))


@pytest.mark.parametrize("kw", [dict(jobs=1), dict(cell_timeout=0.5, exercise_timeout=0.5),
                                dict(memory_mb=1024), dict(output_bytes=0, flood_bytes=0),
                                dict(output_bytes=7, flood_bytes=7)])
def test_limits_on_the_boundary_are_accepted(kw):
    grade.check_arguments(_args(**kw))


@pytest.mark.parametrize("kw, message", [
    (dict(jobs=0), "-j must be at least 1, got 0"),
    (dict(cell_timeout=0.0), "--cell-timeout must be more than 0 seconds, got 0"),
    (dict(exercise_timeout=0.0, cell_timeout=-1.0), "--cell-timeout must be more than 0 seconds, got -1"),
    (dict(exercise_timeout=0.0), "--exercise-timeout must be more than 0 seconds, got 0"),
    (dict(exercise_timeout=29.5), "--exercise-timeout (29.5) must be at least --cell-timeout (30)"),
    (dict(memory_mb=1023), "--memory-mb must be at least 1024 (importing torch needs more), got 1023"),
    (dict(output_bytes=-1, flood_bytes=-1), "--output-bytes must be 0 or more, got -1"),
    (dict(output_bytes=8, flood_bytes=7), "--flood-bytes (7) must be at least --output-bytes (8)"),
])
def test_the_first_limit_out_of_range_is_named_with_its_value(kw, message):
    with pytest.raises(ValueError) as err:
        grade.check_arguments(_args(**kw))
    assert str(err.value) == message


def test_a_submission_s_time_limit_scales_with_its_exercises():
    assert grade.Limits(exercise_seconds=7.5).submission_seconds(4) == 30.0
    assert grade.Limits().submission_seconds(0) == 0


def test_the_kernel_spec_gets_the_memory_limit_and_a_cpu_limit_past_every_time_limit(tmp_path):
    limits = grade.Limits(cell_seconds=8, exercise_seconds=20, memory_mb=2048, startup_seconds=40)
    kernels = grade._kernelspec_dir(limits, tmp_path, exercises=3)
    assert kernels == tmp_path / "kernels"
    spec = json.loads((kernels / grade.KERNEL_NAME / "kernel.json").read_text())
    argv = spec["argv"]
    assert argv[1:3] == ["-m", "course_lib.grading.sandbox_kernel"]
    assert argv[argv.index("--memory-mb") + 1] == "2048"
    assert argv[argv.index("--cpu-seconds") + 1] == str(40 + 3 * 20 + 8 + 30)
    assert argv[-3:] == ["-f", "{connection_file}", "--HistoryManager.enabled=False"]
    assert spec["language"] == "python" and spec["display_name"] == "course grader"


# ----------------------------------------------------------------------------------------
# The graded notebook: exercises, the guard, wrapped check cells


def test_each_cell_belongs_to_the_exercise_of_the_last_solution_cell_before_it(source):
    groups = grade.exercise_of_cells(source.nb)
    assert groups == [None, None, None] + ["ex_square"] * 6 + ["ex_cube"] * 2
    assert grade.checks_by_exercise(source.nb) == {"ex_square": ["ex_square_check", "ex_square_check2"],
                                                   "ex_cube": ["ex_cube_check"]}


def test_the_guard_snapshots_checks_and_every_course_module_the_notebook_imports(source):
    cell = grade._guard_cell(source.nb)
    modules = ["course_lib.checks", "course_lib.data", "course_lib.probability", "course_lib.viz"]
    assert f"__grader_install({modules!r})" in cell
    assert "__grader_isolate(globals(), __grader_restore, __grader_verify)" in cell


def test_the_graded_notebook_has_the_student_s_cells_the_guard_and_wrapped_checks(source):
    answers = {"ex_square": "def square(x):\n    return x ** 2", "ex_cube": "def cube(x):\n    return x * x * x"}
    nb, tokens = grade.build_graded_notebook(source, answers)
    assert len(nb.cells) == len(source.nb.cells) + 1
    guard = nb.cells[3]
    assert guard.source == grade._guard_cell(source.nb)                      # just before the first solution
    assert nb.cells[4].source == answers["ex_square"] and nb.cells[10].source == answers["ex_cube"]
    assert sorted(tokens) == [5, 9, 11]
    for index, gid in ((5, "ex_square_check"), (9, "ex_square_check2"), (11, "ex_cube_check")):
        original = next(c.source for c in source.nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
        token = tokens[index][1]
        assert tokens[index][0] == gid and len(token) == 32
        assert nb.cells[index].source == f"__grader_check({original!r}, {token!r})\n"
    assert len({t for _, t in tokens.values()}) == 3                         # a fresh token per check
    # instructor cells after the guard keep their public names; those before it are untouched
    assert nb.cells[7].source == "shown = square(3.0)\n_private = 1\nprint(shown)\n__grader_keep(['shown'])\n"
    assert nb.cells[8].source == "print(square(1.0))"
    assert nb.cells[2].source == source.nb.cells[2].source
    assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code")
    assert source.nb.cells[3].source == SQUARE                                # the source notebook is unchanged


def test_a_check_cell_before_the_first_solution_cell_is_an_error(source):
    source.nb.cells.insert(2, nbformat.v4.new_code_cell(
        "assert True", metadata=_meta("early_check", solution=False, grade=True, locked=True, points=1)))
    with pytest.raises(ValueError, match="check cell early_check comes before the first solution cell"):
        grade.build_graded_notebook(source, {"ex_square": "", "ex_cube": ""})


def test_the_kernel_environment_is_minimal_and_local_to_the_submission(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "x")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", "/data/here")
    env = grade.kernel_environment(tmp_path)
    assert "GRADER_TEST_SECRET" not in env and env["LANG"] == env["LC_ALL"] == "C.UTF-8"
    assert env["PATH"] == "/usr/bin:/bin"
    assert env["HOME"] == env["TMPDIR"] == str(tmp_path)
    assert env["IPYTHONDIR"] == str(tmp_path / ".ipython") and env["MPLCONFIGDIR"] == str(tmp_path / ".matplotlib")
    assert env["MPLBACKEND"] == "Agg" and env["OMP_NUM_THREADS"] == env["COURSE_CPU_THREADS"] == "1"
    assert env["MALLOC_ARENA_MAX"] == "2"
    assert env["PYTHONPATH"] == str(Path(grade.__file__).resolve().parents[2])
    assert env["COURSE_DATA_DIR"] == "/data/here" and env["COURSE_PROFILE"] == "fast"
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.delenv("COURSE_DATA_DIR")
    env = grade.kernel_environment(tmp_path)
    assert env["COURSE_PROFILE"] == "full"
    assert env["COURSE_DATA_DIR"] == str(Path.home() / ".cache" / "course_lib")


@pytest.mark.parametrize("reply, text", [
    ({"ename": "AssertionError", "evalue": "  `f` is wrong.\n"}, "`f` is wrong."),
    ({"ename": "AssertionError", "evalue": ""}, "an assertion failed (no message)"),
    ({"ename": "ValueError", "evalue": "bad"}, "ValueError: bad"),
    ({"ename": "KeyError", "evalue": ""}, "KeyError"),
    ({}, ""),
])
def test_error_text(reply, text):
    assert grade._error_text(reply, None) == text


def test_describe_names_checks_solutions_and_other_cells(source):
    tokens = {4: ("ex_square_check", "t")}
    assert grade._describe(source.nb.cells[4], 4, tokens) == "check `ex_square_check`"
    assert grade._describe(source.nb.cells[3], 3, tokens) == "solution cell `ex_square`"
    assert grade._describe(source.nb.cells[6], 6, tokens) == "the notebook's cell 6 (not a check)"


# ----------------------------------------------------------------------------------------
# Results, the points table, the feedback, re-runs


def _result(student="bob", points=(2.0, 0.0, 1.5), **kw):
    ids = ["ex_square_check", "ex_square_check2", "ex_cube_check"]
    maxima = [2.0, 1.0, 1.5]
    checks = [grade.CheckResult(g, m, p, p == m, "" if p == m else f"{g} failed: the hint")
              for g, m, p in zip(ids, maxima, points)]
    return grade.Result(student=student, submission=f"{student}.ipynb", sha256="ab", status="graded",
                        checks=checks, **kw)


def test_totals_add_points_and_maxima():
    r = _result()
    assert r.total == 3.5 and r.max_total == 4.5


def test_points_csv_has_a_row_per_student_sorted_and_a_column_per_check(source):
    results = [_result("zoe", (0.0, 1.0, 1.5), flags=["ex_cube: line 2: x", "ex_cube: line 3: y", "ex_square: line 1: z"],
                       incidents=["ex_square: timed out", "ex_cube: kernel died"]),
               _result("amy", (2.0, 1.0, 1.5))]
    results[0].checks = results[0].checks[1:]                     # a check with no result scores 0
    text = grade.points_csv(results, source)
    assert "\r" not in text and text.endswith("\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["student", "ex_square_check", "ex_square_check2", "ex_cube_check", "total", "status",
                       "flagged", "incidents"]
    assert rows[1] == ["amy", "2", "1", "1.5", "4.5", "graded", "", ""]
    assert rows[2] == ["zoe", "0", "1", "1.5", "2.5", "graded", "ex_cube ex_square",
                       "ex_square: timed out; ex_cube: kernel died"]
    assert len(rows) == 3


def test_feedback_lists_the_score_notes_flags_and_every_failed_check_with_its_message(source):
    r = _result(reasons=["solution cell `ex_cube` was refused"], flags=["ex_cube: line 1: imports scipy"])
    r.checks[1].message = "x" * 2500
    text = grade.feedback_markdown(r, source)
    assert text.startswith("# tiny: feedback for bob\n\n**Score: 3.5 / 4.5**  (graded)\n")
    assert "## Notes on your submission\n\n- solution cell `ex_cube` was refused\n" in text
    assert "## Marked for your instructor to read (this costs no points)\n\n- ex_cube: line 1: imports scipy\n" in text
    assert "| ex_square_check | 2 / 2 | passed |" in text and "| ex_square_check2 | 0 / 1 | failed |" in text
    assert "## What went wrong\n\n### ex_square_check2\n\n```\n" + "x" * 2000 + "\n```" in text
    assert "x" * 2001 not in text and "### ex_square_check\n" not in text and text.endswith("\n")
    r.checks[1].message = ""
    assert "### ex_square_check2\n\n```\nfailed\n```" in grade.feedback_markdown(r, source)
    clean = grade.feedback_markdown(_result(points=(2.0, 1.0, 1.5)), source)
    assert "## Notes" not in clean and "## Marked" not in clean and "## What went wrong" not in clean
    assert not clean.endswith("\n\n")


def test_a_stored_result_reads_back_as_it_was():
    r = _result(reasons=["a"], flags=["b"], incidents=["c"], seconds=1.5)
    text = json.dumps(asdict(r) | {"total": r.total})
    back = grade._result_from_json(text)
    assert back == r and isinstance(back.checks[0], grade.CheckResult)


def test_find_submissions(tmp_path):
    with pytest.raises(ValueError, match="is not a folder of submissions"):
        grade.find_submissions(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".hidden.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="no .ipynb files in"):
        grade.find_submissions(tmp_path)
    for name in ("zoe", "amy"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    assert grade.find_submissions(tmp_path) == [tmp_path / "amy.ipynb", tmp_path / "zoe.ipynb"]


@pytest.mark.parametrize("first, second", [("amy", "Amy"), ("Jos\u00e9", "Jose\u0301")],
                         ids=["case", "accent as one character or two"])
def test_find_submissions_refuses_two_files_that_name_the_same_student(tmp_path, first, second):
    """Two files one folder can hold (on Linux) whose student name writes the same results/ and
    feedback/ files on a disk that ignores case or Unicode normalisation: refused, both named."""
    (tmp_path / f"{first}.ipynb").write_text("{}")
    (tmp_path / f"{second}.ipynb").write_text("{}")
    if len(list(tmp_path.glob("*.ipynb"))) < 2:
        pytest.skip("this disk itself treats the two names as one file")
    with pytest.raises(ValueError, match="name the same student") as caught:
        grade.find_submissions(tmp_path)
    assert f"{first}.ipynb" in str(caught.value) and f"{second}.ipynb" in str(caught.value)
    (tmp_path / f"{second}.ipynb").rename(tmp_path / "bob.ipynb")       # renamed: accepted
    assert sorted(p.stem for p in grade.find_submissions(tmp_path)) == sorted(["bob", first])


def test_a_rerun_skips_finished_results_and_regrades_changed_files_and_errors(source, tmp_path, monkeypatch):
    """grade_folder's bookkeeping, with grade_one replaced (no kernel): a result is reused only
    for the same file contents and when it is not an error; --force re-grades everything."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("amy", "bob", "cat"):
        (subs / f"{name}.ipynb").write_text(name)
    graded = []

    def fake_grade_one(path, source_, limits, kernel_dirs):
        graded.append(path.stem)
        status = "error" if path.stem == "cat" else "graded"
        return grade.Result(student=path.stem, submission=path.name, sha256=grade._sha256(path), status=status,
                            checks=[grade.CheckResult(c.grade_id, c.points, c.points, True) for c in source.info.checks])

    monkeypatch.setattr(grade, "grade_one", fake_grade_one)
    out, logs = tmp_path / "out", []
    paths = grade.find_submissions(subs)
    results = grade.grade_folder(source, paths, out, grade.Limits(), log=logs.append)
    assert [r.student for r in results] == ["amy", "bob", "cat"] and graded == ["amy", "bob", "cat"]
    assert json.loads((out / "results" / "amy.json").read_text())["total"] == 4.5
    assert (out / "feedback" / "bob.md").read_text().startswith("# tiny: feedback for bob")
    assert (out / "points.csv").read_text().splitlines()[1].startswith("amy,2,1,1.5,4.5,graded")
    assert not any("skipping" in m for m in logs)

    graded.clear()
    (subs / "bob.ipynb").write_text("bob, changed")
    (out / "results" / "amy.json").write_text((out / "results" / "amy.json").read_text())
    results = grade.grade_folder(source, paths, out, grade.Limits(), log=logs.append)
    assert graded == ["bob", "cat"]                      # amy unchanged; bob changed; cat was an error
    assert logs[-3] == "skipping 1 submission(s) graded before (use --force to re-grade)"
    assert logs[-1].split() == ["cat", "4.5", "/", "4.5", "error", "0.0", "s"]
    assert [r.student for r in results] == ["amy", "bob", "cat"]

    graded.clear()
    (out / "results" / "bob.json").write_text("{not json")
    grade.grade_folder(source, paths, out, grade.Limits(), log=logs.append)
    assert graded == ["bob", "cat"]                      # an unreadable result is graded again
    graded.clear()
    grade.grade_folder(source, paths, out, grade.Limits(), force=True, log=logs.append)
    assert graded == ["amy", "bob", "cat"]


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc" * 1_000_000)
    import hashlib

    assert grade._sha256(path) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()


# ----------------------------------------------------------------------------------------
# Reading a submission (submissions.py)


def _submission(source, folder: Path, answers: dict[str, str | None], name="sub", drop_meta=(), extra=()) -> Path:
    """The assignment with the given solution sources; None deletes the cell; ``drop_meta`` loses
    the grade id of those cells; ``extra`` appends (source, grade_id) code cells."""
    import copy

    nb = copy.deepcopy(source.nb)
    kept = []
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            if answers[gid] is None:
                continue
            cell.source = answers[gid]
        if gid in drop_meta:
            cell.metadata = {}
        kept.append(cell)
    for src, gid in extra:
        kept.append(nbformat.v4.new_code_cell(src, metadata=_meta(gid, solution=True, grade=False)))
    nb.cells = kept
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


GOOD = {"ex_square": "def square(x):\n    return x ** 2", "ex_cube": "def cube(x):\n    return x * x * x"}


def test_load_source_knows_stubs_functions_and_the_instructor_s_imports(source, tmp_path):
    assert sorted(source.stubs) == ["ex_cube", "ex_square"]
    assert "raise NotImplementedError" in source.stubs["ex_square"] and "x * x" not in source.stubs["ex_square"]
    assert source.functions == {"ex_square": {"square"}, "ex_cube": {"cube"}}
    assert source.context.modules["np"] == "numpy" and source.context.modules["d"] == "course_lib.data"
    assert source.info.name == "tiny" and [c.points for c in source.info.checks] == [2, 1, 1.5]


def test_resolve_assignment(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="solution notebook .*missing.ipynb does not exist"):
        submissions.resolve_assignment(str(tmp_path / "missing.ipynb"))
    with pytest.raises(ValueError, match="no solution notebook for assignment 'A9_none'"):
        submissions.resolve_assignment("A9_none")
    root = Path(submissions.__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)
    assert submissions.resolve_assignment("A0_probability_toolkit") == root / "solutions" / "A0_probability_toolkit.ipynb"
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "A0_probability_toolkit.ipynb").write_text("{}")  # the working folder comes first
    assert submissions.resolve_assignment("A0_probability_toolkit") == \
        tmp_path / "solutions" / "A0_probability_toolkit.ipynb"


def test_an_honest_submission_is_taken_as_written(source, tmp_path):
    taken, reasons, flags = submissions.read_submission(_submission(source, tmp_path, GOOD), source)
    assert taken == GOOD and reasons == [] and flags == []


def test_a_file_that_is_not_a_notebook_of_this_assignment_is_rejected_whole(source, tmp_path, monkeypatch):
    path = tmp_path / "x.ipynb"
    path.write_bytes(b"\xff\xfe not json")
    taken, reasons, flags = submissions.read_submission(path, source)
    assert taken is None and flags == [] and reasons[0].startswith("the file is not a Jupyter notebook: it is not valid JSON")
    path.write_text("[1, 2]")
    assert submissions.read_submission(path, source) == (
        None, ["the file is JSON but not a Jupyter notebook (it has no list of cells)."], [])
    path.write_text('{"cells": {}}')
    assert submissions.read_submission(path, source)[1] == [
        "the file is JSON but not a Jupyter notebook (it has no list of cells)."]
    path.write_text('{"cells": [], "nbformat": 99}')
    assert submissions.read_submission(path, source) == (
        None, ["the file is not a valid Jupyter notebook (NBFormatError: Unsupported nbformat version 99)."], [])
    other = _submission(source, tmp_path, {"ex_square": None, "ex_cube": None}, name="other",
                        extra=[("def f(): pass", "b1_f"), ("def g(): pass", "a1_g"), ("def h(): pass", "a1_g")])
    assert submissions.read_submission(other, source) == (
        None, ["this is not a notebook of tiny: its graded cells (a1_g, b1_f) belong to another assignment."], [])
    empty = _submission(source, tmp_path, {"ex_square": None, "ex_cube": None}, name="empty")
    assert submissions.read_submission(empty, source) == (
        None, ["no solution cell of tiny was found in this notebook (is it a notebook of this assignment?)."], [])
    honest = _submission(source, tmp_path, GOOD, name="big")
    monkeypatch.setattr(submissions, "MAX_SUBMISSION_BYTES", 2**20)
    honest.write_text(honest.read_text() + " " * (2**20 + 2**19))
    assert submissions.read_submission(honest, source) == (
        None, ["the file is 2 MB, more than the 1 MB a notebook of this assignment can need: clear the outputs"], [])


def test_the_limit_on_a_file_is_20_mb_and_on_a_solution_cell_50000_characters(source, tmp_path):
    assert submissions.MAX_SUBMISSION_BYTES == 20 * 2**20 and submissions.MAX_SOLUTION_CELL_CHARS == 50_000
    edge = "def cube(x):\n    return x * x * x\n"
    edge += "#" * (50_000 - len(edge))
    taken, reasons, _ = submissions.read_submission(
        _submission(source, tmp_path, GOOD | {"ex_cube": edge}), source)
    assert taken["ex_cube"] == edge and reasons == []
    taken, reasons, _ = submissions.read_submission(
        _submission(source, tmp_path, GOOD | {"ex_cube": edge + "#"}), source)
    assert taken["ex_cube"] == source.stubs["ex_cube"]
    assert reasons == ["solution cell `ex_cube` is longer than 50000 characters: its checks score 0."]


def test_missing_lost_duplicated_refused_and_flagged_cells(source, tmp_path):
    # ex_cube deleted; ex_square lost its metadata but still defines square
    path = _submission(source, tmp_path, {"ex_square": "def square(x):\n    return x ** 2", "ex_cube": None},
                       drop_meta=["ex_square"])
    taken, reasons, flags = submissions.read_submission(path, source)
    assert taken == {"ex_square": "def square(x):\n    return x ** 2", "ex_cube": source.stubs["ex_cube"]}
    assert reasons == ["solution cell `ex_square` had lost its grade id; it was found by the function it "
                       "defines (square).",
                       "solution cell `ex_cube` was not found (deleted, or renamed so that it no longer defines "
                       "cube): its checks score 0."]
    # the last cell that defines the function is taken
    path = _submission(source, tmp_path, {"ex_square": "def square(x):\n    return 0", "ex_cube": GOOD["ex_cube"]},
                       drop_meta=["ex_square"])
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import math\n\ndef square(x):\n    return x * x"))
    nbformat.write(nb, path)
    assert submissions.read_submission(path, source)[0]["ex_square"] == "import math\n\ndef square(x):\n    return x * x"
    # a duplicate: the first is graded and the reason says so
    path = _submission(source, tmp_path, GOOD, extra=[("def square(x):\n    return 0", "ex_square")])
    taken, reasons, _ = submissions.read_submission(path, source)
    assert taken == GOOD
    assert reasons == ["solution cell `ex_square` appears more than once (a copied cell?): the first one was graded."]
    # refused by the screen, and only flagged
    path = _submission(source, tmp_path, {"ex_square": "import os\ndef square(x):\n    return x ** 2",
                                          "ex_cube": "import scipy\ndef cube(x):\n    return x ** 3"})
    taken, reasons, flags = submissions.read_submission(path, source)
    assert taken == {"ex_square": source.stubs["ex_square"], "ex_cube": "import scipy\ndef cube(x):\n    return x ** 3"}
    assert len(reasons) == 1 and reasons[0].startswith(
        "solution cell `ex_square` was refused by the grader's screen, its checks score 0 (see the grading "
        "policy): line 1: `import os` is not allowed")
    assert flags == ["ex_cube: line 1: imports `scipy`, a module this course's answers do not use"]
    # with the screen off, both are taken and nothing is flagged
    taken, reasons, flags = submissions.read_submission(path, source, screen=False)
    assert taken["ex_square"].startswith("import os") and reasons == [] and flags == []


def test_a_refusal_lists_at_most_five_findings(source, tmp_path):
    bad = "import os\nimport sys\nimport gc\nimport ctypes\nimport inspect\nimport pty\ndef square(x):\n    return x"
    path = _submission(source, tmp_path, GOOD | {"ex_square": bad})
    reasons = submissions.read_submission(path, source)[1]
    assert "line 5: `import inspect`" in reasons[0] and "line 6" not in reasons[0]
    assert reasons[0].count("; line ") == 4


def test_every_cell_missing_but_a_lost_one_found_by_its_function_is_not_rejected(source, tmp_path):
    path = _submission(source, tmp_path, {"ex_square": GOOD["ex_square"], "ex_cube": None}, drop_meta=["ex_square"])
    taken, reasons, _ = submissions.read_submission(path, source)
    assert taken is not None and taken["ex_square"] == GOOD["ex_square"]
    # only "not found" reasons and no graded cell at all: the file is not this assignment's
    path = _submission(source, tmp_path, {"ex_square": None, "ex_cube": None}, name="nothing",
                       extra=[("x = 1", "ex_square_check")])
    taken, reasons, _ = submissions.read_submission(path, source)
    assert taken is None and reasons[0].startswith("no solution cell of tiny was found")


def test_defined_functions_are_top_level_defs_and_classes():
    assert submissions._defined_functions("def f():\n    def g(): pass\nclass C: pass\nx = 1") == {"f", "C"}
    assert submissions._defined_functions("def f(:") == set()


def test_an_interrupted_batch_keeps_what_was_finished(source, tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("amy", "bob"):
        (subs / f"{name}.ipynb").write_text(name)

    def fake_grade_one(path, source_, limits, kernel_dirs):
        if path.stem == "bob":
            raise KeyboardInterrupt
        return grade.Result(student=path.stem, submission=path.name, sha256=grade._sha256(path), status="graded")

    monkeypatch.setattr(grade, "grade_one", fake_grade_one)
    with pytest.raises(KeyboardInterrupt):
        grade.grade_folder(source, grade.find_submissions(subs), tmp_path / "out", grade.Limits(), log=lambda m: None)
    assert (tmp_path / "out" / "results" / "amy.json").exists() and not (tmp_path / "out" / "points.csv").exists()


def test_the_feedback_in_full(source):
    from course_lib.viz import markdown_table

    r = _result(reasons=["a note"], flags=["ex_cube: line 1: x"])
    table = markdown_table(["check", "points", "result"],
                           [["ex_square_check", "2 / 2", "passed"], ["ex_square_check2", "0 / 1", "failed"],
                            ["ex_cube_check", "1.5 / 1.5", "passed"]], align="lrl")
    assert grade.feedback_markdown(r, source) == (
        "# tiny: feedback for bob\n\n**Score: 3.5 / 4.5**  (graded)\n\n"
        "## Notes on your submission\n\n- a note\n\n"
        "## Marked for your instructor to read (this costs no points)\n\n- ex_cube: line 1: x\n\n"
        f"## Checks\n\n{table}\n\n"
        "## What went wrong\n\n### ex_square_check2\n\n```\nex_square_check2 failed: the hint\n```\n")


def test_error_text_keeps_the_message_s_own_characters():
    assert grade._error_text({"ename": "ValueError", "evalue": "bad X"}, None) == "ValueError: bad X"


# ----------------------------------------------------------------------------------------
# Found by mutation testing (docs/mutation.md, target submissions): each pins what an
# instructor or a student reads, on a case the tests above did not reach.


def test_load_source_keeps_the_path_and_names_a_malformed_solution_cell(tmp_path):
    path = _solution_notebook(tmp_path)
    assert submissions.load_source(str(path)).path == path
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = "def square(x):\n    return x * x"   # no solution region
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match=r"^ex_square: a solution cell needs a '### BEGIN SOLUTION'"):
        submissions.load_source(str(path))


def test_a_file_of_exactly_the_limit_is_read(source, tmp_path, monkeypatch):
    path = _submission(source, tmp_path, GOOD)
    monkeypatch.setattr(submissions, "MAX_SUBMISSION_BYTES", path.stat().st_size)
    assert submissions.read_submission(path, source) == (GOOD, [], [])


def test_the_messages_of_a_rejected_file_in_full(source, tmp_path, monkeypatch):
    path = tmp_path / "x.ipynb"
    path.write_text("{not json")
    reasons = submissions.read_submission(path, source)[1]
    assert reasons == ["the file is not a Jupyter notebook: it is not valid JSON (Expecting property name "
                       "enclosed in double quotes: line 1 column 2 (char 1)). Submit the .ipynb file saved "
                       "by Jupyter or Colab (File > Download .ipynb)."]
    # a validation error is cut to 200 characters
    path.write_text('{"cells": []}')

    def reads(*args, **kwargs):
        raise ValueError("v" * 300)
    monkeypatch.setattr(nbformat, "reads", reads)
    assert submissions.read_submission(path, source)[1] == [
        f"the file is not a valid Jupyter notebook (ValueError: {'v' * 200})."]


def test_another_assignment_s_cells_are_named_up_to_five(source, tmp_path):
    extra = [("def f(): pass", f"z{i}_f") for i in range(7)]
    other = _submission(source, tmp_path, {"ex_square": None, "ex_cube": None}, extra=extra)
    assert submissions.read_submission(other, source)[1] == [
        "this is not a notebook of tiny: its graded cells (z0_f, z1_f, z2_f, z3_f, z4_f) belong to "
        "another assignment."]


def test_a_cell_of_several_functions_is_named_by_all_of_them(source, tmp_path):
    source.functions["ex_square"] = {"square", "helper"}
    two = "def helper(x):\n    return x\n\ndef square(x):\n    return x * x"
    path = _submission(source, tmp_path, {"ex_square": two}, drop_meta=["ex_square"])
    assert submissions.read_submission(path, source)[1] == [
        "solution cell `ex_square` had lost its grade id; it was found by the function it defines "
        "(helper, square)."]
    path = _submission(source, tmp_path, {"ex_square": None}, name="gone")
    assert submissions.read_submission(path, source)[1] == [
        "solution cell `ex_square` was not found (deleted, or renamed so that it no longer defines "
        "helper, square): its checks score 0."]
    source.functions["ex_square"] = set()   # a solution cell that defines no function
    assert submissions.read_submission(path, source)[1] == [
        "solution cell `ex_square` was not found (deleted, or renamed so that it no longer defines "
        "its function): its checks score 0."]


def test_a_missing_or_too_long_first_cell_does_not_stop_the_next_one(source, tmp_path):
    path = _submission(source, tmp_path, {"ex_square": None, "ex_cube": GOOD["ex_cube"]})
    taken = submissions.read_submission(path, source)[0]
    assert taken == {"ex_square": source.stubs["ex_square"], "ex_cube": GOOD["ex_cube"]}
    path = _submission(source, tmp_path, GOOD | {"ex_square": "#" * 50_001}, name="long")
    taken = submissions.read_submission(path, source)[0]
    assert taken == {"ex_square": source.stubs["ex_square"], "ex_cube": GOOD["ex_cube"]}


def test_the_screen_knows_the_instructor_s_imports_and_flags_every_cell(source, tmp_path):
    # `d` is course_lib.data in the instructor's cells: replacing its function is refused
    path = _submission(source, tmp_path, GOOD | {"ex_square": "d.binarize = None\n" + GOOD["ex_square"]})
    taken, reasons, _ = submissions.read_submission(path, source)
    assert taken["ex_square"] == source.stubs["ex_square"] and len(reasons) == 1
    path = _submission(source, tmp_path, {"ex_square": "import scipy\n" + GOOD["ex_square"],
                                          "ex_cube": "import scipy\n" + GOOD["ex_cube"]}, name="flags")
    assert submissions.read_submission(path, source)[2] == [
        "ex_square: line 1: imports `scipy`, a module this course's answers do not use",
        "ex_cube: line 1: imports `scipy`, a module this course's answers do not use"]


def test_a_cell_whose_nbgrader_metadata_is_not_a_mapping_is_ignored(source, tmp_path):
    path = _submission(source, tmp_path, GOOD)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": ["ex_square"]}))
    nbformat.write(nb, path)
    assert submissions.read_submission(path, source) == (GOOD, [], [])


# ----------------------------------------------------------------------------------------
# Found by mutation testing (docs/mutation.md, target grade-offline)


def test_the_guard_cell_in_full_with_every_way_of_importing_a_course_module():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from course_lib import ( probability as p,\n"),
                nbformat.v4.new_code_cell("from course_lib import (data)\nimport course_lib.viz as v"),
                nbformat.v4.new_markdown_cell("from course_lib import likelihood")]
    modules = ["course_lib.checks", "course_lib.data", "course_lib.probability", "course_lib.viz"]
    cell = grade._guard_cell(nb)
    assert cell == (
        "from course_lib.grading.guard import install as __grader_install, isolate_checks as __grader_isolate\n"
        f"__grader_restore, __grader_verify = __grader_install({modules!r})\n"
        "__grader_check, __grader_keep = __grader_isolate(globals(), __grader_restore, __grader_verify)\n"
        "del __grader_install, __grader_isolate\n")
    compile(cell, "guard", "exec")


def test_the_sandbox_kernel_s_own_options_end_at_a_double_dash(tmp_path):
    # sandbox_kernel.main splits its argv at "--": its own options before, the kernel's after
    argv = json.loads((grade._kernelspec_dir(grade.Limits(), tmp_path, 1) / grade.KERNEL_NAME / "kernel.json")
                      .read_text())["argv"]
    assert argv[argv.index("--cpu-seconds") + 2] == "--" and argv.index("--") == len(argv) - 4


def _folder(tmp_path, names):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in names:
        (subs / f"{name}.ipynb").write_text(name)
    return grade.find_submissions(subs)


def test_grade_folder_passes_its_arguments_and_logs_flags_and_incidents(source, tmp_path, monkeypatch):
    limits, seen = grade.Limits(memory_mb=2048), []

    def fake_grade_one(path, source_, limits_, kernel_dirs):
        seen.append((source_ is source, limits_ is limits,
                     (kernel_dirs / grade.KERNEL_NAME / "kernel.json").is_file()))
        return grade.Result(student=path.stem, submission=path.name, sha256="0", status="graded",
                            flags=["ex_cube: line 1: x"] if path.stem == "amy" else [],
                            incidents=["a", "b"] if path.stem == "amy" else [])

    monkeypatch.setattr(grade, "grade_one", fake_grade_one)
    logs = []
    grade.grade_folder(source, _folder(tmp_path, ["amy", "bob"]), tmp_path / "out", limits, log=logs.append)
    assert seen == [(True, True, True)] * 2
    assert logs[0].endswith(" s  flagged  (a; b)") and logs[1].endswith(" s")
    # the stored result is indented one space per level, for an instructor reading it
    assert (tmp_path / "out" / "results" / "amy.json").read_text().startswith('{\n "student": "amy",\n')


def test_grade_folder_grades_one_at_a_time_unless_told_otherwise(source, tmp_path, monkeypatch):
    import threading
    import time

    lock, running, most = threading.Lock(), [0], [0]

    def fake_grade_one(path, source_, limits, kernel_dirs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return grade.Result(student=path.stem, submission=path.name, sha256="0", status="graded")

    monkeypatch.setattr(grade, "grade_one", fake_grade_one)
    paths = _folder(tmp_path, ["amy", "bob", "cat"])
    grade.grade_folder(source, paths, tmp_path / "out", grade.Limits(), log=lambda m: None)
    assert most[0] == 1
    grade.grade_folder(source, paths, tmp_path / "out2", grade.Limits(), jobs=1, log=lambda m: None)
    assert most[0] == 1
    grade.grade_folder(source, paths, tmp_path / "out3", grade.Limits(), jobs=3, log=lambda m: None)
    assert most[0] > 1


def test_ctrl_c_drops_the_queue_and_does_not_wait_for_the_running_submission(source, tmp_path, monkeypatch):
    """Ctrl-C while amy is being graded: bob and cat are never started, and the grader stops at
    once (amy finishes in the background and is written)."""
    import signal
    import threading
    import time

    graded, release = [], threading.Event()

    def ctrl_c():
        # a real SIGINT to the main thread, by then waiting for amy's result (sent from the
        # grading thread at once it could land while the pool is still starting its thread)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def fake_grade_one(path, source_, limits, kernel_dirs):
        graded.append(path.stem)
        if path.stem == "amy":
            threading.Timer(0.2, ctrl_c).start()
            release.wait(3.0)
        return grade.Result(student=path.stem, submission=path.name, sha256="0", status="graded")

    monkeypatch.setattr(grade, "grade_one", fake_grade_one)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        grade.grade_folder(source, _folder(tmp_path, ["amy", "bob", "cat"]), tmp_path / "out", grade.Limits(),
                           log=lambda m: None)
    assert time.perf_counter() - start < 1.5      # not waiting for amy (3 s)
    release.set()
    for thread in threading.enumerate():          # the pool's worker ends once amy is written
        if thread.name.startswith("ThreadPoolExecutor"):
            thread.join(5.0)
    assert graded == ["amy"] and (tmp_path / "out" / "results" / "amy.json").exists()


def test_the_j_threads_take_turns_to_parse_student_code(source, tmp_path, monkeypatch):
    """CPython 3.11's ast is not thread-safe (a shared recursion counter: "AST constructor
    recursion depth mismatch"), so reading a submission (the screen parses it) and building the
    graded notebook (which parses its cells) never run in two -j threads at once. The kernel
    is replaced by nothing here: only the in-process steps run."""
    import threading
    import time

    inside, most, lock = [0], [0], threading.Lock()

    def one_at_a_time(step):
        def run(*args, **kwargs):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.2)                        # long enough for the other thread to arrive
            try:
                return step(*args, **kwargs)
            finally:
                with lock:
                    inside[0] -= 1
        return run

    monkeypatch.setattr(grade, "read_submission",
                        one_at_a_time(lambda path, source_, screen: (dict(source_.stubs), [], [])))
    monkeypatch.setattr(grade, "build_graded_notebook", one_at_a_time(grade.build_graded_notebook))
    monkeypatch.setattr(grade, "_run_cells", lambda *args: None)
    results = grade.grade_folder(source, _folder(tmp_path, ["amy", "bob", "cat", "dan"]), tmp_path / "out",
                                 grade.Limits(), jobs=2, log=lambda m: None)
    assert [r.status for r in results] == ["graded"] * 4, [r.reasons for r in results]
    assert most[0] == 1
