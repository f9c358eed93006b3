"""Reading a submission for the grader: which of the student's cells to take, and why not.

Used by :mod:`course_lib.grading.grade` (see its docstring for the whole procedure, and
docs/instructors.md for the threat model).

The instructor's side is a :class:`Source`: the solution notebook, its checks and points,
and the stub of every solution cell. :func:`read_submission` takes from a student's file
only the solution cells, matched by nbgrader ``grade_id`` (or, when an editor lost a
cell's metadata, by the functions it defines; never by position), and replaces by its
stub every cell that is missing, too long, or refused by the static screen
(:mod:`course_lib.grading.screen`), with a reason the feedback shows. A file that is not a
notebook of this assignment is rejected as a whole.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from course_lib.grading import authoring
from course_lib.grading.screen import Context, screen_source

MAX_SUBMISSION_BYTES = 20 * 2**20
MAX_SOLUTION_CELL_CHARS = 50_000


@dataclass
class Source:
    """The instructor's notebook and what the grader needs from it."""

    path: Path
    nb: object
    info: authoring.AssignmentInfo
    stubs: dict[str, str]            # solution grade_id -> stub source
    functions: dict[str, set[str]]   # solution grade_id -> names of the functions it defines
    context: Context = Context()     # what the screen knows of the instructor's cells


def resolve_assignment(assignment: str) -> Path:
    """An assignment name (``A0_probability_toolkit``) or a solution notebook path."""
    p = Path(assignment)
    if p.suffix == ".ipynb":
        if not p.exists():
            raise ValueError(f"solution notebook {p} does not exist")
        return p
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = root / "solutions" / f"{assignment}.ipynb"
        if candidate.exists():
            return candidate
    raise ValueError(f"no solution notebook for assignment {assignment!r} (looked for "
                     f"solutions/{assignment}.ipynb here and in the course folder)")


def _defined_functions(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def load_source(assignment: str) -> Source:
    path = resolve_assignment(assignment)
    nb, info = authoring.read_solution(path)
    stubs, functions, instructor = {}, {}, []
    for cell in nb.cells:
        if authoring.is_solution_cell(cell) and cell.cell_type == "code":
            gid = authoring.nbgrader_meta(cell)["grade_id"]
            stubs[gid] = authoring.stub_code(cell.source, gid)
            functions[gid] = _defined_functions(cell.source)
        elif cell.cell_type == "code":
            instructor.append(cell.source)
    return Source(path, nb, info, stubs, functions, Context.from_cells(instructor))


def read_submission(path: Path, source: Source, screen: bool = True
                    ) -> tuple[dict[str, str] | None, list[str], list[str]]:
    """The student's solution sources by grade_id (stubs where refused), the reasons, the flags.

    Returns ``(None, reasons, [])`` when the whole submission is rejected. Each flag reads
    ``"<grade_id>: line N: <what>"``: the screen marked it for the instructor; it costs nothing.
    """
    import nbformat

    size = path.stat().st_size
    if size > MAX_SUBMISSION_BYTES:  # checked before reading: the grader's memory is not the student's
        return None, [f"the file is {size / 2**20:.0f} MB, more than the "
                      f"{MAX_SUBMISSION_BYTES // 2**20} MB a notebook of this assignment can need: clear the outputs"], []
    data = path.read_bytes()
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, [f"the file is not a Jupyter notebook: it is not valid JSON ({err}). "
                      "Submit the .ipynb file saved by Jupyter or Colab (File > Download .ipynb)."], []
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, ["the file is JSON but not a Jupyter notebook (it has no list of cells)."], []
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as err:
        return None, [f"the file is not a valid Jupyter notebook ({type(err).__name__}: {str(err)[:200]})."], []

    cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    by_id: dict[str, str] = {}
    other_ids, duplicates = [], set()
    for cell in cells:
        meta = authoring.nbgrader_meta(cell)
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(gid, str):
            continue
        if gid in source.stubs:
            if gid in by_id:
                duplicates.add(gid)
            by_id.setdefault(gid, cell.source)
        elif gid not in {c.grade_id for c in source.info.checks}:
            other_ids.append(gid)

    reasons: list[str] = [f"solution cell `{gid}` appears more than once (a copied cell?): the first "
                          "one was graded." for gid in sorted(duplicates)]
    if not by_id and other_ids:
        return None, [f"this is not a notebook of {source.info.name}: its graded cells "
                      f"({', '.join(sorted(set(other_ids))[:5])}) belong to another assignment."], []
    taken: dict[str, str] = {}
    flags: list[str] = []
    for gid, stub in source.stubs.items():
        src = by_id.get(gid)
        if src is None:
            # Metadata can be lost by some editors: fall back to the cell that defines
            # the same functions (never to a cell's position, which students change).
            wanted = source.functions[gid]
            matches = [c.source for c in cells if wanted and wanted <= _defined_functions(c.source)]
            if matches:
                src = matches[-1]
                reasons.append(f"solution cell `{gid}` had lost its grade id; it was found by the "
                               f"function it defines ({', '.join(sorted(wanted))}).")
        if src is None:
            reasons.append(f"solution cell `{gid}` was not found (deleted, or renamed so that it no "
                           f"longer defines {', '.join(sorted(source.functions[gid])) or 'its function'}): "
                           "its checks score 0.")
            taken[gid] = stub
            continue
        if len(src) > MAX_SOLUTION_CELL_CHARS:
            reasons.append(f"solution cell `{gid}` is longer than {MAX_SOLUTION_CELL_CHARS} characters: "
                           "its checks score 0.")
            taken[gid] = stub
            continue
        findings = screen_source(src, source.context) if screen else []
        refused = [f for f in findings if f.refused]
        if refused:
            reasons.append(f"solution cell `{gid}` was refused by the grader's screen, its checks score 0 "
                           "(see the grading policy): " + "; ".join(str(f) for f in refused[:5]))
            taken[gid] = stub
            continue
        flags += [f"{gid}: {f}" for f in findings]
        taken[gid] = src
    if not any("was not found" not in r for r in reasons) and not by_id:
        return None, [f"no solution cell of {source.info.name} was found in this notebook "
                      "(is it a notebook of this assignment?)."], []
    return taken, reasons, flags
