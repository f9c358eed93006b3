"""course_lib.grading.authoring: assignments are built from the solutions, byte for byte."""
from __future__ import annotations

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
