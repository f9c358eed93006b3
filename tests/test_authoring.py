"""course_lib.grading.authoring: assignments are built from the solutions, byte for byte."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

from course_lib.grading import authoring
from course_lib.notebook_setup import SETUP_CELL

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXPECTED_TOTALS = {"A0_probability_toolkit": 22}


def test_every_solution_has_a_committed_assignment():
    assert SOLUTIONS, "no solution notebooks"
    built = {p.stem for p in (ROOT / "assignments").glob("*.ipynb")}
    assert built == {p.stem for p in SOLUTIONS}


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_rebuilding_gives_exactly_the_committed_assignment(solution, tmp_path):
    authoring.build(solution, tmp_path)
    for suffix in (".ipynb", ".py"):
        fresh = (tmp_path / (solution.stem + suffix)).read_bytes()
        committed = (ROOT / "assignments" / (solution.stem + suffix)).read_bytes()
        assert fresh == committed, f"assignments/{solution.stem}{suffix} is stale: run `make assignments`"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_points_are_complete_and_the_total_is_reported(solution, capsys):
    _, info = authoring.read_solution(solution)
    assert all(c.points > 0 for c in info.checks)
    assert len({c.grade_id for c in info.checks}) == len(info.checks)
    if solution.stem in EXPECTED_TOTALS:
        assert info.total_points == EXPECTED_TOTALS[solution.stem]
    assert authoring.main(["check", str(solution)]) == 0
    assert f"{info.total_points:g} points" in capsys.readouterr().out


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_the_assignment_hides_solutions_and_hidden_tests(solution):
    nb = jupytext.read(ROOT / "assignments" / solution.name)
    text = "\n".join(c.source for c in nb.cells)
    for marker in (authoring.BEGIN_SOLUTION, authoring.END_SOLUTION, authoring.BEGIN_HIDDEN, "HINT:"):
        assert marker not in text
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == SETUP_CELL
    for cell in nb.cells:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
        meta = authoring.nbgrader_meta(cell)
        if meta:  # nbgrader can use our notebooks: the metadata is complete
            assert meta["schema_version"] == 3 and meta["grade_id"]
            assert set(meta) >= {"grade", "solution", "locked", "grade_id", "schema_version"}
            if meta["grade"]:
                assert meta["points"] > 0 and meta["locked"] and not meta["solution"]
    stubs = [c.source for c in nb.cells if authoring.is_solution_cell(c)]
    assert stubs and all("raise NotImplementedError(" in s for s in stubs)


def test_stub_takes_the_hint_line_or_the_docstring():
    with_hint = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    # HINT: square it.\n    return x * x\n    ### END SOLUTION'
    assert authoring.stub_code(with_hint, "t") == (
        "def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError('f: square it.')")
    with_doc = 'def f(x):\n    """Return x squared.\n\n    More."""\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION\n'
    assert "raise NotImplementedError('f: Return x squared.')" in authoring.stub_code(with_doc, "t")
    with pytest.raises(ValueError, match="no '# HINT:"):
        authoring.stub_code("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION", "t")


def test_unbalanced_markers_are_clear_errors():
    with pytest.raises(ValueError, match="never closed"):
        authoring.stub_code("### BEGIN SOLUTION\nx = 1", "cell 3")
    with pytest.raises(ValueError, match="without a"):
        authoring.strip_hidden("x = 1\n### END HIDDEN TESTS", "cell 4")
    with pytest.raises(ValueError, match="needs a"):
        authoring.stub_code("x = 1", "cell 5")


def test_strip_hidden_keeps_the_visible_part():
    src = "check(a)\n### BEGIN HIDDEN TESTS\ncheck(b)\n### END HIDDEN TESTS\ncheck(c)"
    assert authoring.strip_hidden(src, "t") == "check(a)\ncheck(c)"


def test_bad_solutions_are_rejected(tmp_path):
    nb = jupytext.read(SOLUTIONS[0])
    check = next(c for c in nb.cells if authoring.is_check_cell(c))
    check.metadata["nbgrader"]["points"] = 0
    bad = tmp_path / "bad.ipynb"
    jupytext.write(nb, bad)
    with pytest.raises(ValueError, match="positive points"):
        authoring.read_solution(bad)
    with pytest.raises(ValueError, match="expected an existing solution notebook"):
        authoring.read_solution(tmp_path / "missing.ipynb")


# Found by mutation testing (benchmarks/mutation.py authoring): the command line, the points
# report, written answers (markdown solution cells) and most refusals had no test. These build a small
# solution notebook of their own, so they do not depend on solutions/.
def _meta(kind: str, grade_id: str, points: float = 1) -> dict:
    if kind == "solution":
        return {"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": grade_id,
                             "schema_version": 3}}
    return {"nbgrader": {"solution": False, "grade": True, "locked": True, "grade_id": grade_id,
                         "points": points, "schema_version": 3}}


def small_solution(folder: Path, name: str = "A9_demo") -> Path:
    """solutions/<name>.ipynb of a two-exercise assignment, with a written answer."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[
        new_markdown_cell(f"# {name}\nOpen `solutions/{name}.ipynb` in Jupyter."),
        new_code_cell(SETUP_CELL),
        new_code_cell('def double(x):\n    """Return twice x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n'
                      '    ### END SOLUTION', metadata=_meta("solution", "double")),
        new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2\n"
                      "### END HIDDEN TESTS", metadata=_meta("check", "check_double", 2.5)),
        new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\nThanks.",
                          metadata=_meta("solution", "why")),
        new_code_cell("assert double(0) == 0", metadata=_meta("check", "check_zero", 10)),
    ])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    jupytext.write(nb, path)
    return path


def test_the_student_copy_of_a_small_solution(tmp_path):
    nb, info = authoring.read_solution(small_solution(tmp_path / "solutions"))
    student = authoring.student_version(nb, "A9_demo")
    sources = [c.source for c in student.cells]
    assert sources[0] == "# A9_demo\nOpen `assignments/A9_demo.ipynb` in Jupyter."
    assert sources[2] == ('def double(x):\n    """Return twice x."""\n    # YOUR CODE HERE\n'
                          "    raise NotImplementedError('double: Return twice x.')")
    assert sources[3] == "assert double(2) == 4"
    assert sources[4] == "Why?\nYOUR ANSWER HERE\nThanks."
    assert sources[5] == "assert double(0) == 0"
    assert [c.metadata.get("tags") for c in student.cells] == [None, None, None, ["raises-exception"], None,
                                                                ["raises-exception"]]
    assert [(c.grade_id, c.points, c.has_hidden) for c in info.checks] == [
        ("check_double", 2.5, True), ("check_zero", 10, False)]
    assert info.solution_ids == ["double", "why"] and info.total_points == 12.5


def test_written_answers_are_replaced_region_by_region_or_whole():
    assert authoring.stub_markdown("My answer, with no markers.", "t") == "YOUR ANSWER HERE"
    two = ("Intro\n### BEGIN SOLUTION\nfirst\n### END SOLUTION\nmiddle\n### BEGIN SOLUTION\nsecond\nmore\n"
           "### END SOLUTION\nend")
    assert authoring.stub_markdown(two, "t") == "Intro\nYOUR ANSWER HERE\nmiddle\nYOUR ANSWER HERE\nend"
    assert authoring.stub_markdown("### BEGIN SOLUTION\nonly\n### END SOLUTION", "t") == "YOUR ANSWER HERE"
    with pytest.raises(ValueError) as err:
        authoring.stub_markdown("### BEGIN SOLUTION\nx", "A9, cell 4 (why)")
    assert str(err.value) == "A9, cell 4 (why): '### BEGIN SOLUTION' on line 1 is never closed by '### END SOLUTION'"


def test_the_points_report():
    info = authoring.AssignmentInfo("A9", ["double"], [authoring.Check("check_double", 2.5, True),
                                                        authoring.Check("check_zero", 10, False)])
    assert authoring.points_report(info) == (
        "A9: 2 checks, 12.5 points\n"
        f"  {'check_double':<28}  2.5  (+hidden tests)\n"
        f"  {'check_zero':<28}   10")


def test_the_command_line_builds_and_checks(tmp_path, capsys):
    solution = small_solution(tmp_path / "solutions")
    out = tmp_path / "course" / "assignments"  # made, with its parent
    report = authoring.points_report(authoring.read_solution(solution)[1])
    assert authoring.main(["build", str(solution), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{report}\n  wrote {out / 'A9_demo.ipynb'} and {out / 'A9_demo.py'}\n"
    reference = tmp_path / "reference"
    authoring.build(solution, reference)
    for suffix in (".ipynb", ".py"):
        assert (out / f"A9_demo{suffix}").read_bytes() == (reference / f"A9_demo{suffix}").read_bytes()
    assert authoring.main(["check", str(solution), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{report}\nassignments are up to date\n"
    stale = out / "A9_demo.py"
    stale.write_text(stale.read_text() + "# edited by hand\n")
    (out / "A9_demo.ipynb").unlink()
    assert authoring.main(["check", str(solution), "--out", str(out)]) == 1
    assert capsys.readouterr().out == (f"{report}\nout of date (run `python -m course_lib.grading.authoring "
                                       f"build`):\n  {out / 'A9_demo.ipynb'}\n  {stale}\n")
    assert not (out / "A9_demo.ipynb").exists()  # check writes nothing


def test_the_command_line_defaults_to_solutions_and_assignments(tmp_path, monkeypatch, capsys):
    small_solution(tmp_path / "solutions")
    monkeypatch.chdir(tmp_path)
    assert authoring.main(["build"]) == 0
    assert sorted(p.name for p in (tmp_path / "assignments").iterdir()) == ["A9_demo.ipynb", "A9_demo.py"]
    assert "wrote assignments/A9_demo.ipynb and assignments/A9_demo.py" in capsys.readouterr().out


def test_the_command_line_s_errors_and_help(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nothing.ipynb"
    assert authoring.main(["build", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and str(missing) in err
    solution = small_solution(tmp_path / "solutions")
    nb = jupytext.read(solution)
    nb.cells[1].source = "import course_lib"
    jupytext.write(nb, solution)
    assert authoring.main(["check", str(solution), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"error: {solution}: the first code cell must be "
                                       "course_lib.notebook_setup.SETUP_CELL\n")
    with pytest.raises(SystemExit) as stop:
        authoring.main(["BUILD"])
    assert stop.value.code == 2 and "invalid choice: 'BUILD' (choose from" in capsys.readouterr().err
    monkeypatch.setenv("COLUMNS", "200")  # argparse wraps the help to the terminal's width
    with pytest.raises(SystemExit) as stop:
        authoring.main(["--help"])
    text = capsys.readouterr().out
    assert stop.value.code == 0
    assert text.startswith("usage: python -m course_lib.grading.authoring [-h] [--out OUT] {build,check} "
                           "[solutions ...]\n\nBuild student assignments from solution notebooks.\n")
    for line in ("build: write assignments; check: fail if the committed ones are out of date",
                 "solution notebooks or folders (default: solutions)", "output folder (default: assignments)"):
        assert re.search(r"\s" + re.escape(line) + r"\n", text), line  # the whole help, as written


def _rewrite(path: Path, change) -> Path:
    nb = jupytext.read(path)
    change(nb)
    jupytext.write(nb, path)
    return path


def _set(index: int, key: str, value):
    def change(nb):
        if value is None:
            del nb.cells[index].metadata["nbgrader"][key]
        else:
            nb.cells[index].metadata["nbgrader"][key] = value
    return change


@pytest.mark.parametrize("change, message", [
    (_set(3, "grade_id", None), "A9_demo.ipynb, cell 3 (None): every nbgrader cell needs a unique grade_id"),
    (_set(5, "grade_id", "check_double"),
     "A9_demo.ipynb, cell 5 (check_double): every nbgrader cell needs a unique grade_id"),
    (_set(4, "schema_version", 2), "A9_demo.ipynb, cell 4 (why): nbgrader schema_version must be 3"),
    (_set(5, "points", -1), "A9_demo.ipynb, cell 5 (check_zero): a check cell needs positive points, got -1"),
    (_set(5, "points", "10"), "A9_demo.ipynb, cell 5 (check_zero): a check cell needs positive points, got '10'"),
    (_set(5, "locked", False), "A9_demo.ipynb, cell 5 (check_zero): a check cell must be locked"),
    (lambda nb: setattr(nb.cells[3], "source", "### BEGIN HIDDEN TESTS\nassert double(2) == 4\n"
                                               "### END HIDDEN TESTS\n"),
     "A9_demo.ipynb, cell 3 (check_double): a check cell needs a visible part, so the student can run it "
     "and so that it fails on the stub"),
    (lambda nb: setattr(nb.cells[3], "source", "assert double(2) == 4\n### END HIDDEN TESTS"),
     "A9_demo.ipynb, cell 3 (check_double): '### END HIDDEN TESTS' on line 2 without a "
     "'### BEGIN HIDDEN TESTS' before it"),
    (lambda nb: [c.metadata.pop("nbgrader") for c in nb.cells[2:5:2]],
     "{path}: no check cells or no solution cells (nbgrader metadata) found"),
    (lambda nb: [c.metadata.pop("nbgrader") for c in nb.cells[3::2]],
     "{path}: no check cells or no solution cells (nbgrader metadata) found"),
    (lambda nb: setattr(nb.cells[1], "source", "import course_lib"),
     "{path}: the first code cell must be course_lib.notebook_setup.SETUP_CELL"),
    (lambda nb: setattr(nb, "cells", nb.cells[:1]),
     "{path}: the first code cell must be course_lib.notebook_setup.SETUP_CELL"),
], ids=["no-grade-id", "same-grade-id", "schema", "negative-points", "text-points", "unlocked",
        "hidden-only", "unbalanced-hidden", "no-solution", "no-check", "no-setup-cell", "no-code-cell"])
def test_a_bad_solution_is_refused_with_the_cell_named(tmp_path, change, message):
    path = _rewrite(small_solution(tmp_path), change)
    with pytest.raises(ValueError) as err:
        authoring.read_solution(path)
    assert str(err.value) == message.format(path=path)


def test_the_py_twin_must_match_the_notebook(tmp_path):
    path = small_solution(tmp_path)
    jupytext.write(jupytext.read(path), path.with_suffix(".py"), fmt="py:percent")
    assert authoring.read_solution(path)[1].total_points == 12.5  # in sync: accepted
    _rewrite(path, lambda nb: setattr(nb.cells[5], "source", "assert double(0) == 0  # edited"))
    with pytest.raises(ValueError) as err:
        authoring.read_solution(path)
    assert str(err.value) == f"{path.with_suffix('.py')} and A9_demo.ipynb differ: run `jupytext --sync {path}` first"


def test_a_solution_cell_without_a_region_is_named_in_the_student_version():
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("y = 2", metadata=_meta("solution", "y"))])
    with pytest.raises(ValueError) as err:
        authoring.student_version(nb, "A9")
    assert str(err.value) == ("A9, cell 1 (y): a solution cell needs a '### BEGIN SOLUTION' ... "
                              "'### END SOLUTION' region")
    del nb.cells[1].metadata["nbgrader"]["grade_id"]
    with pytest.raises(ValueError, match=r"^A9, cell 1 \(-\): a solution cell needs"):
        authoring.student_version(nb, "A9")


def test_marker_errors_name_the_cell_and_the_line():
    with pytest.raises(ValueError) as err:
        authoring.stub_code("x = 1\n\n### BEGIN SOLUTION\nx = 2", "A9, cell 3 (x)")
    assert str(err.value) == "A9, cell 3 (x): '### BEGIN SOLUTION' on line 3 is never closed by '### END SOLUTION'"
    with pytest.raises(ValueError) as err:
        authoring.strip_hidden("a\n### BEGIN HIDDEN TESTS\nb\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS", "c4")
    assert str(err.value) == "c4: '### BEGIN HIDDEN TESTS' on line 4 before the previous region ended"
    with pytest.raises(ValueError) as err:
        authoring.strip_hidden("a\nb\n### END HIDDEN TESTS", "c5")
    assert str(err.value) == "c5: '### END HIDDEN TESTS' on line 3 without a '### BEGIN HIDDEN TESTS' before it"
    with pytest.raises(ValueError) as err:
        authoring.stub_code("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION", "c6")
    assert str(err.value) == ("c6: the solution region on line 2 has no '# HINT: ...' line and no enclosing "
                              "function docstring to take a hint from")


def test_strip_hidden_removes_every_region_and_only_trailing_blank_lines():
    src = ("\n# visible\ncheck(a)\n### BEGIN HIDDEN TESTS\nh1\nh2\n### END HIDDEN TESTS\ncheck(b)\n"
           "### BEGIN HIDDEN TESTS\nh3\n### END HIDDEN TESTS\ncheck(c)\n\n")
    assert authoring.strip_hidden(src, "t") == "\n# visible\ncheck(a)\ncheck(b)\ncheck(c)"


def _raised(stub: str) -> str:
    """The message the student's stub raises."""
    with pytest.raises(NotImplementedError) as err:
        exec(stub, {})
    return str(err.value)


def test_a_stub_raises_its_hint_whole_however_it_is_wrapped():
    # a region outside any function: the hint alone, no "None: " in front
    top = authoring.stub_code("### BEGIN SOLUTION\n# HINT: set the answer\nanswer = 1\n### END SOLUTION", "t")
    assert top == "# YOUR CODE HERE\nraise NotImplementedError('set the answer')"
    # a region just before a def (the def is part of the answer) has no enclosing function
    before = authoring.stub_code("### BEGIN SOLUTION\ndef f():\n    # HINT: write f\n    return 1\n"
                                 "### END SOLUTION", "t")
    assert _raised(before) == "write f"
    # a region just after a function is not in it
    after = authoring.stub_code('def f():\n    """F."""\n    return 1\n### BEGIN SOLUTION\n# HINT: call f\n'
                                "f()\n### END SOLUTION", "t")
    assert _raised(after) == "call f"
    # exactly STUB_WIDTH characters fit on one line; one more is wrapped
    room = authoring.STUB_WIDTH - len("raise NotImplementedError('f: ')")
    one = authoring._raise_lines("", "f: " + "a" * (room - 3) + " bc")
    assert len(one) == 1 and len(one[0]) == authoring.STUB_WIDTH
    wrapped = authoring._raise_lines("", "f: " + "a" * (room - 3) + " bcd")
    assert len(wrapped) == 2 and max(len(line) for line in wrapped) <= authoring.STUB_WIDTH
    assert _raised("\n".join(wrapped)) == "f: " + "a" * (room - 3) + " bcd"
    hint = ("Return the log-probability  of every pixel, summed over the image: a tensor of shape (N,) "
            "with two  spaces kept, as the hint says.")
    source = f'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    # HINT: {hint}\n    return x\n    ### END SOLUTION\nf(1)'
    stub = authoring.stub_code(source, "t")
    assert max(len(line) for line in stub.split("\n")) <= authoring.STUB_WIDTH
    assert _raised(stub) == f"f: {hint}"
    deep = " " * 64  # so deep that only the 20-character minimum is left per line
    message = "one two three fives six seven"
    lines = authoring._raise_lines(deep, message)
    literals = [ast.literal_eval(line.strip().rstrip(")")) for line in lines[1:]]
    assert "".join(literals) == message and len(literals) == 2
    assert all(len(repr(text.rstrip())) <= 20 for text in literals), literals


def test_the_student_copy_drops_volatile_metadata_and_reads_cells_without_metadata(tmp_path):
    nb, _ = authoring.read_solution(small_solution(tmp_path))
    volatile = {"execution": {"iopub.status.busy": "2026"}, "collapsed": True, "scrolled": False,
                "ExecuteTime": {"end_time": "2026"}, "trusted": True}
    nb.cells[1].metadata.update(volatile, keep_me=1)
    student = authoring.student_version(nb, "A9_demo")
    assert student.cells[1].metadata == {"keep_me": 1}
    assert authoring.nbgrader_meta({"cell_type": "code", "source": ""}) == {}
    assert not authoring.is_solution_cell({"cell_type": "code"}) and not authoring.is_check_cell({"cell_type": "code"})
