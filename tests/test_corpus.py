"""The correct-answer corpus, graded for real: every answer scores full points, none refused.

For every ``tests/corpus/<assignment>/correct_*.py`` (a docstring saying what is different,
then ``CELLS = {"<grade_id of a solution cell>": '''<full cell source>''', ...}``), a
submission is made from ``assignments/<assignment>.ipynb`` with every solution cell filled:
the cells the file lists take its source, the others the reference solution from
``solutions/<assignment>.ipynb``. All of them are graded in one batch by the real grader
(``-j 2``), which must give each one full points, no refused cell and no incident. Flags
(marked for the instructor, costing nothing) are allowed and printed: the closing summary
lists accepted / flagged / refused per assignment.

An assignment's corpus must hold at least 8 answers. Files named ``correct_grading_*.py`` are
the grader's own smoke tests (two for A0, written with the grader); while a folder holds only
those (its assignment's author has not added theirs yet), the count is not asserted, so
that the grader's branch can be merged first. As soon as the folder holds any other file,
the count is a real assertion.
"""
from __future__ import annotations

import ast
import copy
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import authoring, grade, submissions

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
MINIMUM = 8
LIMITS = grade.Limits(cell_seconds=60, exercise_seconds=180)  # generous: the corpus is not about limits
pytestmark = pytest.mark.timeout(1800)


def corpus_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("correct_*.py"))


def corpus_folders() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir() and corpus_files(p)) if CORPUS.exists() else []


def read_cells(path: Path) -> dict[str, str]:
    """``CELLS`` of a corpus file, read without running the file (it is data)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name}: start with a docstring saying what is different"
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["CELLS"]:
            cells = ast.literal_eval(node.value)
            assert isinstance(cells, dict) and cells and all(
                isinstance(k, str) and isinstance(v, str) for k, v in cells.items()), f"{path.name}: CELLS"
            return cells
    raise AssertionError(f"{path.name}: no `CELLS = {{...}}`")


def make_submission(assignment: str, cells: dict[str, str]):
    """The student notebook with every solution cell filled: from ``cells``, else the reference."""
    solution = nbformat.read(ROOT / "solutions" / f"{assignment}.ipynb", as_version=4)
    reference = {authoring.nbgrader_meta(c)["grade_id"]: c.source for c in solution.cells
                 if c.cell_type == "code" and authoring.is_solution_cell(c)}
    unknown = set(cells) - set(reference)
    assert not unknown, f"{assignment}: no solution cells {sorted(unknown)} (cells: {sorted(reference)})"
    nb = nbformat.read(ROOT / "assignments" / f"{assignment}.ipynb", as_version=4)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and authoring.is_solution_cell(cell):
            gid = authoring.nbgrader_meta(cell)["grade_id"]
            cell.source = cells.get(gid, reference[gid])
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every corpus answer of every assignment that has a solution notebook, graded in one batch each."""
    out = {}
    for folder in corpus_folders():
        assignment = folder.name
        if not (ROOT / "solutions" / f"{assignment}.ipynb").exists():
            continue
        subs = tmp_path_factory.mktemp(f"corpus_{assignment}")
        for path in corpus_files(folder):
            nbformat.write(make_submission(assignment, read_cells(path)), subs / f"{path.stem}.ipynb")
        source = submissions.load_source(assignment)
        results = grade.grade_folder(source, grade.find_submissions(subs), subs / "grades", LIMITS, jobs=2,
                                     log=lambda m: None)
        out[assignment] = (source, {r.student: r for r in results})
        flagged = sum(bool(r.flags) for r in results)
        refused = sum(any("refused by the grader's screen" in x for x in r.reasons) for r in results)
        print(f"\ncorpus {assignment}: {len(results)} answers: {len(results) - flagged - refused} accepted, "
              f"{flagged} flagged, {refused} refused; "
              f"{sum(r.total == r.max_total for r in results)} with full points")
        for r in results:
            for flag in r.flags:
                print(f"  flagged {r.student}: {flag}")
    return out


def test_there_is_a_corpus():
    assert corpus_folders(), "tests/corpus/<assignment>/correct_*.py: none found"


@pytest.mark.parametrize("folder", corpus_folders(), ids=lambda p: p.name)
def test_every_corpus_file_is_well_formed(folder):
    assignment = folder.name
    if not (ROOT / "solutions" / f"{assignment}.ipynb").exists():
        pytest.skip(f"{assignment}: no solution notebook in solutions/ (a student release, or not merged yet)")
    for path in corpus_files(folder):
        make_submission(assignment, read_cells(path))


@pytest.mark.parametrize("folder", corpus_folders(), ids=lambda p: p.name)
def test_each_assignment_has_enough_correct_answers(folder):
    files = corpus_files(folder)
    if not (ROOT / "solutions" / f"{folder.name}.ipynb").exists():
        pytest.skip(f"{folder.name}: no solution notebook in solutions/")
    if all(p.name.startswith("correct_grading_") for p in files):
        pytest.skip(f"{folder.name}: only the grader's own {len(files)} answers so far; the assignment's "
                    "author adds the rest (then at least 8 are required)")
    assert len(files) >= MINIMUM, f"{folder.name}: {len(files)} correct answers, at least {MINIMUM} needed"


def test_every_correct_answer_scores_full_points_unrefused(graded):
    failures = []
    for assignment, (source, results) in graded.items():
        for student, r in results.items():
            refused = [x for x in r.reasons if "refused by the grader's screen" in x or "was not found" in x]
            if r.status != "graded" or r.total != r.max_total or refused or r.incidents:
                lost = {c.grade_id: c.message[:300] for c in r.checks if not c.passed}
                failures.append(f"{assignment}/{student}: {r.total:g}/{r.max_total:g} {r.status} "
                                f"refused={refused} incidents={r.incidents} failed={lost} reasons={r.reasons}")
    assert not failures, "\n".join(failures)
