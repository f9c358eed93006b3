"""Build the student assignments from the solution notebooks: one source of truth.

    python -m course_lib.grading.authoring build            # solutions/*.ipynb -> assignments/
    python -m course_lib.grading.authoring check            # exit 1 if assignments/ is out of date
    python -m course_lib.grading.authoring build solutions/A0_probability_toolkit.ipynb

An instructor edits only ``solutions/<name>.ipynb`` (or its jupytext ``.py`` twin, then
``jupytext --sync``). The markup is nbgrader's, so nbgrader users can take our solutions
as their source notebooks unchanged:

* a solution cell carries ``metadata.nbgrader = {"solution": true, "grade": false,
  "locked": false, "grade_id": ..., "schema_version": 3}``; inside it, the lines between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are the answer. The student gets
  ``raise NotImplementedError("<function>: <hint>")`` instead; the hint is the region's
  ``# HINT: ...`` line, else the enclosing function's docstring;
* a check cell carries ``{"grade": true, "solution": false, "locked": true, "grade_id": ...,
  "points": N, "schema_version": 3}``; lines between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS`` are removed from the student's copy (the grader runs them).

Why not nbgrader itself? It is a fine tool, but as a *required* dependency it pulls in a
Jupyter server stack, a database and its own course directory layout; building a student
copy is a ~150-line text transformation that we can test byte for byte. Instructors who
prefer nbgrader can use it on ``solutions/`` directly (see docs/instructors.md).

Every code cell of the student's copy that depends on a stub (it calls a stubbed function,
or uses a name that a failing cell would have defined) is tagged ``raises-exception``:
nbval then runs ``assignments/`` in CI, proving that every other cell runs and, through
conftest.py, that each tagged cell does fail. :func:`stub_dependent_cells` finds them.

The output is deterministic (cell ids are kept, outputs stripped), so
``tests/test_authoring.py`` can check that a rebuild gives exactly the committed files.
"""
from __future__ import annotations

import argparse
import ast
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.files import atomic_write_text, find_notebooks

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
HINT_PREFIX = "# HINT:"
STUB_COMMENT = "# YOUR CODE HERE"
MARKDOWN_STUB = "YOUR ANSWER HERE"
_VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "trusted")


@dataclass
class Check:
    grade_id: str
    points: float
    has_hidden: bool


@dataclass
class AssignmentInfo:
    """What an assignment is made of, read from its solution notebook."""

    name: str
    solution_ids: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def total_points(self) -> float:
        return sum(c.points for c in self.checks)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution_cell(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_check_cell(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade")) and cell.get("cell_type") == "code"


def _regions(lines: list[str], begin: str, end: str, where: str) -> list[tuple[int, int]]:
    """(start, stop) line indices of each begin/end region; stop is the END line."""
    regions, start = [], None
    for i, line in enumerate(lines):
        text = line.strip()
        if text == begin:
            if start is not None:
                raise ValueError(f"{where}: '{begin}' on line {i + 1} before the previous region ended")
            start = i
        elif text == end:
            if start is None:
                raise ValueError(f"{where}: '{end}' on line {i + 1} without a '{begin}' before it")
            regions.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"{where}: '{begin}' on line {start + 1} is never closed by '{end}'")
    return regions


def _enclosing_function(source: str, line_index: int) -> tuple[str | None, str | None]:
    """Name and docstring (first line) of the innermost function around ``line_index``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None, None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.lineno - 1 <= line_index <= (node.end_lineno or node.lineno) - 1:
                if best is None or node.lineno > best.lineno:
                    best = node
    if best is None:
        return None, None
    doc = ast.get_docstring(best)
    return best.name, (doc.strip().splitlines()[0] if doc else None)


STUB_WIDTH = 88  # a stub line longer than this is wrapped, so that it fits the cell


def _raise_lines(indent: str, message: str) -> list[str]:
    """``raise NotImplementedError('message')``, on one line if it fits in STUB_WIDTH, else
    with the message split at spaces into adjacent string literals, one per line."""
    one = indent + f"raise NotImplementedError({message!r})"
    if len(one) <= STUB_WIDTH:
        return [one]
    inner = indent + "    "
    room = max(20, STUB_WIDTH - len(inner) - 3)  # quotes and a closing parenthesis
    chunks, current = [], ""
    for word in message.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and len(repr(candidate)) > room:
            chunks.append(current + " ")
            current = word
        else:
            current = candidate
    chunks.append(current)
    body = [inner + repr(chunk) for chunk in chunks]
    body[-1] += ")"
    return [indent + "raise NotImplementedError("] + body


def stub_code(source: str, where: str) -> str:
    """A solution cell's source with each solution region replaced by a hinted stub."""
    lines = source.split("\n")
    regions = _regions(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    if not regions:
        raise ValueError(f"{where}: a solution cell needs a '{BEGIN_SOLUTION}' ... '{END_SOLUTION}' region")
    out, last = [], 0
    for start, stop in regions:
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        hints = [ln.strip()[len(HINT_PREFIX):].strip() for ln in lines[start + 1: stop]
                 if ln.strip().startswith(HINT_PREFIX)]
        function, doc = _enclosing_function(source, start)
        hint = hints[0] if hints else doc
        if not hint:
            raise ValueError(f"{where}: the solution region on line {start + 1} has no '{HINT_PREFIX} ...' "
                             "line and no enclosing function docstring to take a hint from")
        message = f"{function}: {hint}" if function else hint
        out += lines[last:start]
        out += [indent + STUB_COMMENT] + _raise_lines(indent, message)
        last = stop + 1
    out += lines[last:]
    return "\n".join(out)


def stub_markdown(source: str, where: str) -> str:
    lines = source.split("\n")
    regions = _regions(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    if not regions:
        return MARKDOWN_STUB  # nbgrader's convention: the whole cell is the answer
    out, last = [], 0
    for start, stop in regions:
        out += lines[last:start] + [MARKDOWN_STUB]
        last = stop + 1
    return "\n".join(out + lines[last:])


def strip_hidden(source: str, where: str) -> str:
    """A check cell's source without its hidden-test regions (and trailing blank lines)."""
    lines = source.split("\n")
    keep = [True] * len(lines)
    for start, stop in _regions(lines, BEGIN_HIDDEN, END_HIDDEN, where):
        keep[start: stop + 1] = [False] * (stop + 1 - start)
    return "\n".join(ln for ln, k in zip(lines, keep) if k).rstrip()



RAISES_TAG = "raises-exception"  # nbval's tag: the cell is expected to raise


class _Names(ast.NodeVisitor):
    """The names a cell reads while it runs, the names it binds, and what its defs read.

    A ``def`` or ``lambda`` body runs only when called, so its reads count against the
    name it binds (calling that name reads them), not against the cell. For a class,
    ``deferred`` holds what calling it runs (``__init__``), ``methods`` what its other
    methods read (they run only on an instance).
    """

    def __init__(self):
        self.reads, self.binds, self.deferred, self.methods = set(), set(), {}, {}

    def visit_Name(self, node):
        (self.reads if isinstance(node.ctx, ast.Load) else self.binds).add(node.id)

    def _function(self, node):
        inner = set()
        for part in (node.body if isinstance(node.body, list) else [node.body]):
            inner |= {n.id for n in ast.walk(part) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        for deco in getattr(node, "decorator_list", []):
            self.visit(deco)
        return inner

    def visit_FunctionDef(self, node):
        self.binds.add(node.name)
        self.deferred[node.name] = self.deferred.get(node.name, set()) | self._function(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self.reads |= self._function(node)  # a lambda is usually called right where it is made

    def visit_ClassDef(self, node):
        self.binds.add(node.name)
        init, other = set(), set()
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                (init if item.name == "__init__" else other).update(self._function(item))
            else:
                self.visit(item)
        for base in node.bases + node.decorator_list:
            self.visit(base)
        self.deferred[node.name] = init
        self.methods[node.name] = other

    def visit_Import(self, node):
        for alias in node.names:
            self.binds.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import


def _stubbed_definitions(source: str, where: str) -> tuple[set[str], set[str], bool]:
    """Where a solution cell's stubs sit: the functions and classes whose call reaches one
    (a stub in a function, or in a class's ``__init__``), the classes whose instances do
    (a stub in another method), and whether a region lies outside any def (the cell
    itself then raises; so does a region in a class body outside its methods, which runs
    when the class is defined)."""
    lines = source.split("\n")
    regions = _regions(lines, BEGIN_SOLUTION, END_SOLUTION, where)
    tree = ast.parse(source)
    calls, instances, top_level = set(), set(), False

    def inside(node, line):
        return node.lineno - 1 <= line <= (node.end_lineno or node.lineno) - 1

    for start, _ in regions:
        owner = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and inside(n, start)), None)
        if owner is None:
            top_level = True
        elif isinstance(owner, ast.ClassDef):
            method = next((m for m in owner.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                           and inside(m, start)), None)
            if method is None:
                top_level = True
            else:
                (calls if method.name == "__init__" else instances).add(owner.name)
        else:
            calls.add(owner.name)
    return calls, instances, top_level


def stub_dependent_cells(nb, name: str = "notebook") -> list[int]:
    """Indices of the code cells of a *solution* notebook that fail in the student's copy
    (where solution regions are stubs and check cells have no hidden tests).

    A cell fails when it reads, while running, a name that reaches a stub: a stubbed
    function, a class whose ``__init__`` is stubbed, a function or class whose call reads
    such a name, or any name a failing cell binds (it may never be bound). A cell that only
    makes an instance of a class with a stubbed method runs, but what it binds fails
    when used. A solution region outside any def makes its own cell fail. Decided from the
    source (ast), not by running it; conftest.py checks under nbval that every cell found
    here does raise, and nbval that every other cell runs. An error names the cell as
    ``<name>, cell <index> (<grade_id>)``, like :func:`student_version`.
    """
    tainted: set[str] = set()    # reading one raises
    makers: set[str] = set()     # classes whose instances raise when used
    failing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{name}, cell {index} ({nbgrader_meta(cell).get('grade_id', '-')})"
        # what the student's copy runs: a check cell without its hidden tests
        source = strip_hidden(cell.source, where) if is_check_cell(cell) else cell.source
        try:
            tree = ast.parse(_python_only(source))
        except SyntaxError:
            continue
        names = _Names()
        for statement in tree.body:  # in order: a value bound earlier in the cell is no stub's
            seen = names.binds - set(names.deferred) - set(names.methods)  # (a def may reach one)
            part = _Names()
            part.visit(statement)
            names.reads |= part.reads - seen
            names.binds |= part.binds
            names.deferred.update(part.deferred)
            names.methods.update(part.methods)
        calls, instances, top_level = (_stubbed_definitions(cell.source, where) if is_solution_cell(cell)
                                       else (set(), set(), False))
        reaching, making = set(calls), set(instances)
        changed = True
        while changed:  # to a fixed point: defs reading defs of this cell
            changed = False
            bad = tainted | reaching
            for defined, reads in names.deferred.items():
                if defined not in reaching and reads & bad:
                    reaching.add(defined)
                    changed = True
            for defined, reads in names.methods.items():
                if defined not in reaching | making and reads & bad:
                    making.add(defined)
                    changed = True
        defined = set(names.deferred)
        if top_level or names.reads & (tainted | reaching):
            failing.append(index)
            tainted |= names.binds
        else:
            taints_results = bool(names.reads & (makers | making))
            tainted -= names.binds
            makers -= names.binds
            tainted |= reaching
            if taints_results:
                tainted |= names.binds - defined
        makers |= making - reaching
    return failing


def _python_only(source: str) -> str:
    """The cell's Python, with IPython's magics and shell escapes blanked out."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def read_solution(path: Path):
    """Read a solution notebook and check it is a valid source; return (nb, info)."""
    import jupytext

    from course_lib.notebook_setup import SETUP_CELL

    path = Path(path)
    if path.suffix != ".ipynb" or not path.exists():
        raise ValueError(f"{path}: expected an existing solution notebook (.ipynb)")
    nb = jupytext.read(path)
    twin = path.with_suffix(".py")
    if twin.exists():
        py = jupytext.read(twin)
        if [(c.cell_type, c.source) for c in py.cells] != [(c.cell_type, c.source) for c in nb.cells]:
            raise ValueError(f"{twin} and {path.name} differ: run `jupytext --sync {path}` first")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[0].source != SETUP_CELL:
        raise ValueError(f"{path}: the first code cell must be course_lib.notebook_setup.SETUP_CELL")
    info = AssignmentInfo(name=path.stem)
    seen = set()
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        grade_id = meta.get("grade_id")
        where = f"{path.name}, cell {index} ({grade_id})"
        if not grade_id or grade_id in seen:
            raise ValueError(f"{where}: every nbgrader cell needs a unique grade_id")
        seen.add(grade_id)
        if meta.get("schema_version") != 3:
            raise ValueError(f"{where}: nbgrader schema_version must be 3")
        if is_check_cell(cell):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or points <= 0:
                raise ValueError(f"{where}: a check cell needs positive points, got {points!r}")
            if not meta.get("locked"):
                raise ValueError(f"{where}: a check cell must be locked")
            hidden = bool(_regions(cell.source.split("\n"), BEGIN_HIDDEN, END_HIDDEN, where))
            if not strip_hidden(cell.source, where).strip():
                raise ValueError(f"{where}: a check cell needs a visible part, so the student "
                                 "can run it and so that it fails on the stub")
            info.checks.append(Check(grade_id, points, hidden))
        elif is_solution_cell(cell):
            info.solution_ids.append(grade_id)
    if not info.checks or not info.solution_ids:
        raise ValueError(f"{path}: no check cells or no solution cells (nbgrader metadata) found")
    return nb, info


def student_version(nb, name: str):
    """The student's notebook: stubs for solutions, no hidden tests, no outputs."""
    import copy

    nb = copy.deepcopy(nb)
    failing = set(stub_dependent_cells(nb, name))
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index} ({nbgrader_meta(cell).get('grade_id', '-')})"
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        tags = [t for t in cell.metadata.get("tags", []) if t != RAISES_TAG]
        if index in failing:
            tags.append(RAISES_TAG)
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if is_solution_cell(cell):
                cell.source = stub_code(cell.source, where)
            elif is_check_cell(cell):
                cell.source = strip_hidden(cell.source, where)
        elif cell.cell_type == "markdown":
            if is_solution_cell(cell):
                cell.source = stub_markdown(cell.source, where)
            cell.source = cell.source.replace(f"solutions/{name}.ipynb", f"assignments/{name}.ipynb")
    return nb


def build(solution: Path, out_dir: Path) -> AssignmentInfo:
    """Write ``out_dir/<name>.ipynb`` and its percent-format ``.py`` twin."""
    import jupytext

    nb, info = read_solution(solution)
    student = student_version(nb, info.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    for suffix, fmt in ((".ipynb", "ipynb"), (".py", "py:percent")):
        text = jupytext.writes(student, fmt=fmt)
        atomic_write_text(out_dir / (info.name + suffix), text if text.endswith("\n") else text + "\n")
    return info


def points_report(info: AssignmentInfo) -> str:
    lines = [f"{info.name}: {len(info.checks)} checks, {info.total_points:g} points"]
    for c in info.checks:
        lines.append(f"  {c.grade_id:<28} {c.points:>4g}{'  (+hidden tests)' if c.has_hidden else ''}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading.authoring",
                                     description="Build student assignments from solution notebooks.")
    parser.add_argument("command", choices=["build", "check"],
                        help="build: write assignments; check: fail if the committed ones are out of date")
    parser.add_argument("solutions", nargs="*", default=["solutions"],
                        help="solution notebooks or folders (default: solutions)")
    parser.add_argument("--out", default="assignments", help="output folder (default: assignments)")
    args = parser.parse_args(argv)
    try:
        sources = find_notebooks(args.solutions)
        out = Path(args.out)
        if args.command == "build":
            for src in sources:
                print(points_report(build(src, out)))
                print(f"  wrote {out / (src.stem + '.ipynb')} and {out / (src.stem + '.py')}")
            return 0
        stale = []
        with tempfile.TemporaryDirectory() as tmp:
            for src in sources:
                info = build(src, Path(tmp))
                print(points_report(info))
                for suffix in (".ipynb", ".py"):
                    fresh, committed = Path(tmp) / (src.stem + suffix), out / (src.stem + suffix)
                    if not committed.exists() or committed.read_bytes() != fresh.read_bytes():
                        stale.append(str(committed))
        if stale:
            print("out of date (run `python -m course_lib.grading.authoring build`):", *stale, sep="\n  ")
            return 1
        print("assignments are up to date")
        return 0
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
