"""Running an assignment notebook in-process, for tests/test_a0.py ... test_a3.py.

The notebook's code cells run one after the other with ``exec`` in one namespace (a
fraction of a second per exercise; tests/test_grade.py runs notebooks in real kernels).
What each test file used to carry on its own:

* :class:`Assignment` — the solution and the student's notebook of one assignment, its
  check ids per exercise, the solved and the stub source of every solution cell, and
  :meth:`Assignment.run`, which returns each check cell's exception (or None);
* the verdicts the tests ask for: :func:`assert_all_pass`, :func:`assert_fails_on_the_stub`
  (every check fails with its *own* "not implemented yet" message) and
  :func:`assert_fails_as_wrong` (every check of an exercise fails with an AssertionError
  raised by the check's comparison, not by a stub: a check cell that only *calls* the
  student's function cannot pass this);
* :func:`checks_without_a_named_mistake` — every check id must be shown to catch at
  least one named mistake;
* :func:`load_corpus` — the correct answers in other styles (tests/corpus/<name>).
"""
from __future__ import annotations

import ast
import contextlib
import io
import linecache
from pathlib import Path

import nbformat
import torch

from course_lib.grading import authoring
from course_lib.grading.grade import checks_by_exercise

ROOT = Path(__file__).resolve().parents[1]
NOT_IMPLEMENTED = "not implemented yet"

Outcome = dict[str, BaseException | None]


class Assignment:
    """One assignment: ``solutions/<name>.ipynb`` and ``assignments/<name>.ipynb``.

    ``skip_demos``: :meth:`run` skips the ungraded cells after the first solution cell
    (demos that train or sample), unless ``full=True``. ``stop_at``: :meth:`run` stops at
    the markdown cell that contains this text (the training section), unless ``full=True``.
    ``threads``: torch's thread count while a notebook runs (tiny models run faster on one).
    """

    def __init__(self, name: str, *, skip_demos: bool = False, stop_at: str | None = None,
                 threads: int | None = None):
        self.name = name
        self.solution = ROOT / "solutions" / f"{name}.ipynb"
        self.assignment = ROOT / "assignments" / f"{name}.ipynb"
        self.corpus_dir = ROOT / "tests" / "corpus" / name
        self.nb, self.info = authoring.read_solution(self.solution)
        self.check_ids = [c.grade_id for c in self.info.checks]
        self.exercises = list(self.info.solution_ids)
        self.has_hidden = {c.grade_id for c in self.info.checks if c.has_hidden}
        self.checks_of = checks_by_exercise(self.nb)
        cells = [c for c in self.nb.cells if c.cell_type == "code" and authoring.is_solution_cell(c)]
        self.solved = {authoring.nbgrader_meta(c)["grade_id"]: c.source for c in cells}
        self.stubs = {authoring.nbgrader_meta(c)["grade_id"]: authoring.stub_code(c.source, "test") for c in cells}
        self.skip_demos, self.stop_at, self.threads = skip_demos, stop_at, threads

    def owner(self, check_id: str) -> str:
        return next(ex for ex, ids in self.checks_of.items() if check_id in ids)

    def run(self, notebook: Path | object | None = None, replace: dict[str, str] | None = None, *,
            full: bool = False, stop_after: str | None = None) -> Outcome:
        """Run ``notebook`` (a path or a notebook; default the solution) with the solution
        cells in ``replace`` swapped; each check cell's exception, or None if it passed.

        An error in an ungraded cell of the unchanged notebook is raised: the instructor's
        own cells must run. ``stop_after`` ends the run after that check cell.
        """
        nb = notebook if notebook is not None and not isinstance(notebook, Path) else \
            nbformat.read(notebook or self.solution, as_version=4)
        threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            return self._run_cells(nb, replace or {}, full, stop_after)
        finally:
            torch.set_num_threads(threads)

    def _run_cells(self, nb, replace: dict[str, str], full: bool, stop_after: str | None) -> Outcome:
        namespace: dict = {"__name__": "__notebook__"}
        outcome: Outcome = {}
        started = False
        for cell in nb.cells:
            if cell.cell_type == "markdown" and self.stop_at and self.stop_at in cell.source and not full:
                break
            if cell.cell_type != "code":
                continue
            gid = authoring.nbgrader_meta(cell).get("grade_id")
            started = started or authoring.is_solution_cell(cell)
            if started and gid is None and self.skip_demos and not full:
                continue
            source = replace.get(gid, cell.source)
            filename = f"<cell {gid or 'ungraded'}>"  # registered for tracebacks, as IPython does
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    exec(compile(source, filename, "exec"), namespace)
                error = None
            except Exception as err:  # a check failing, or a demo cell calling a stub
                error = err
            if authoring.is_check_cell(cell):
                outcome[gid] = error
                if gid == stop_after:
                    break
            elif gid is None and error is not None and not replace:
                raise error
        return outcome

    def visible(self) -> object:
        """The student's notebook as the builder makes it from the solution (no hidden tests)."""
        return authoring.student_version(nbformat.read(self.solution, as_version=4), self.name)

    def load_corpus(self) -> dict[str, dict[str, str]]:
        return load_corpus(self.corpus_dir, self.exercises)


# ----------------------------------------------------------------------------------------
# Verdicts


def failures(outcome: Outcome) -> dict[str, str]:
    return {gid: f"{type(err).__name__}: {err}" for gid, err in outcome.items() if err is not None}


def assert_all_pass(outcome: Outcome, check_ids: list[str]) -> None:
    assert list(outcome) == check_ids, (list(outcome), check_ids)
    assert failures(outcome) == {}


def assert_fails_on_the_stub(outcome: Outcome, check_ids: list[str]) -> None:
    """Every check fails with an AssertionError whose message is the check's own (the stub's
    NotImplementedError turned into "not implemented yet", with the task)."""
    assert list(outcome) == check_ids, (list(outcome), check_ids)
    passed = [gid for gid, err in outcome.items() if err is None]
    assert passed == [], f"these checks pass on the stub: {passed}"
    for gid, err in outcome.items():
        assert type(err) is AssertionError, (gid, repr(err))  # not the NotImplementedError escaping
        assert NOT_IMPLEMENTED in str(err), (gid, str(err))


def assert_fails_as_wrong(outcome: Outcome, check_ids, what: str) -> None:
    """Every check in ``check_ids`` fails with an AssertionError that is not about a stub: the
    check compared (or inspected) a plausible value and found it wrong."""
    for gid in check_ids:
        err = outcome[gid]
        assert err is not None, f"{gid} passes the wrong answer:\n{what}"
        assert type(err) is AssertionError, (gid, repr(err))
        assert NOT_IMPLEMENTED not in str(err), (gid, str(err))


def checks_without_a_named_mistake(check_ids, mistakes) -> list[str]:
    """The check ids that no entry ``(exercise, wrong code, {check id: words})`` names with
    non-empty words (the tests of each entry prove that the check's message has those words)."""
    named = {gid for _, _, expected in mistakes for gid, words in expected.items() if words}
    return [gid for gid in check_ids if gid not in named]


# ----------------------------------------------------------------------------------------
# Correct answers in other styles


def load_corpus(folder: Path, exercises: list[str]) -> dict[str, dict[str, str]]:
    """``{file stem: CELLS}`` of ``folder/correct_*.py`` (not the grader's own
    ``correct_grading_*``): each starts with a docstring saying what is different and
    replaces only solution cells."""
    out = {}
    for path in sorted(folder.glob("correct_*.py")):
        if path.name.startswith("correct_grading_"):
            continue  # written and run by the grading tests
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.name}: start with a docstring saying what is different"
        namespace: dict = {}
        exec(compile(tree, str(path), "exec"), namespace)
        cells = namespace["CELLS"]
        assert set(cells) <= set(exercises), f"{path.name}: unknown grade ids {set(cells) - set(exercises)}"
        out[path.stem] = cells
    return out
