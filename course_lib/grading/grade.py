"""Grade a folder of submitted notebooks: a points table and feedback for each student.

    python -m course_lib.grading.grade A0_probability_toolkit submissions/ --out grades/ -j 2
    python -m course_lib.grading.grade solutions/A0_probability_toolkit.ipynb submissions/ --force

Writes ``<out>/points.csv`` (one row per student = submission file stem, one column per
check ``grade_id``, then ``total``, ``status``, ``flagged`` (exercises marked for the
instructor) and ``incidents`` (exercises that timed out, flooded or crashed)),
``<out>/feedback/<student>.md`` (every failed check with its hint, the reasons a solution
cell or a submission was rejected, what was flagged) and ``<out>/results/<student>.json``
(the raw result; a re-run skips a submission whose result exists for the same file
contents, unless ``--force``).

How a submission is graded
--------------------------
1. The file must be a notebook of this assignment. From it we take **only the solution
   cells**, matched by nbgrader ``grade_id`` (or, if a cell's metadata was lost, by the
   function it defines). A missing cell, or one the static screen refuses
   (:mod:`course_lib.grading.screen`), is replaced by the stub: its exercise scores 0 and the
   feedback says why. What the screen only flags is graded normally and marked.
2. These cells are put into the **instructor's solution notebook** in place of the
   solutions; check cells and hidden tests are the instructor's, so a student who
   edits, deletes or adds check cells changes nothing.
3. The notebook runs in a fresh kernel (:mod:`course_lib.grading.sandbox_kernel`: memory and CPU
   limits) with a time limit per cell and per exercise (so per submission: the exercise
   limit times the number of exercises); outputs are capped. **One exercise's failure
   costs only that exercise**: if a cell of an exercise times out, floods its output or
   kills the kernel, that exercise's solution is replaced by its stub and the notebook runs
   again in a fresh kernel. Up to ``-j`` submissions run in parallel; a crash, a hang or a
   grader error in one becomes that student's feedback and never stops the batch.
4. A check passes only if its cell finished without error **and** printed a random token
   that the grader put into the cell at run time (a fresh one per check cell and run):
   the verdict is decided here, outside the kernel, and cannot be printed by code that
   never saw the check cell's source. Before each check the modules the checks rely on
   (torch, builtins, course_lib's ...) are restored to their state before any student
   code ran, a check during which they changed fails, and the check's own code runs in a
   namespace where the instructor's names have the instructor's values
   (:mod:`course_lib.grading.guard`).

Threat model (what this does and does not defend): see docs/instructors.md.
"""
from __future__ import annotations

import argparse
import copy
import csv
import hashlib
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_lib.grading import authoring
from course_lib.files import atomic_write_text
from course_lib.grading.screen import top_level_names
from course_lib.grading.submissions import Source, load_source, read_submission
from course_lib.viz import markdown_table

KERNEL_NAME = "course-grader"

# The -j submissions are graded in threads of one process, and parsing their code with `ast`
# (the screen, the graded notebook's names) is not thread-safe in CPython 3.11: its AST
# construction keeps a recursion counter in state the threads share, and two parses at once
# can fail with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905;
# seen once in test_corpus at -j 2 under load, as a grader error). Parsing takes milliseconds:
# the threads take turns.
_PARSING = threading.Lock()


@dataclass
class Limits:
    cell_seconds: float = 30.0        # one cell
    exercise_seconds: float = 120.0   # all the cells of one exercise (solution, demos, checks), per run
    memory_mb: int = 6144             # the kernel's address space (see sandbox_kernel)
    output_bytes: int = 100_000       # kept output per cell; the rest is dropped (costs nothing)
    flood_bytes: int = 200_000_000    # output of one cell past which it is stopped (costs its exercise)
    startup_seconds: float = 90.0     # the instructor's cells before the first solution cell
    screen: bool = True               # the static screen of solution cells (off only to test the sandbox)

    def submission_seconds(self, exercises: int) -> float:
        """The time limit of one run of a submission: it scales with the number of exercises."""
        return self.exercise_seconds * exercises


@dataclass
class CheckResult:
    grade_id: str
    max_points: float
    points: float = 0.0
    passed: bool = False
    message: str = ""


@dataclass
class Result:
    student: str
    submission: str
    sha256: str
    status: str  # graded | rejected | error
    checks: list[CheckResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)      # "<exercise>: <what>", marked for the instructor
    incidents: list[str] = field(default_factory=list)  # "<exercise>: <what happened>" (stubbed and re-run)

    @property
    def total(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_total(self) -> float:
        return sum(c.max_points for c in self.checks)


# ----------------------------------------------------------------------------------------
# Running it


_COURSE_IMPORTS = re.compile(r"^\s*from\s+course_lib\s+import\s+(.+)$|^\s*import\s+course_lib\.(\w+)", re.M)


def _guard_cell(nb) -> str:
    """Source of the cell that snapshots the namespaces the checks rely on (guard.py)."""
    modules = {"course_lib.checks"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for m in _COURSE_IMPORTS.finditer(cell.source):
                for name in (m.group(1) or m.group(2)).split(","):
                    name = name.strip().split(" as ")[0].strip("() ")
                    if name.isidentifier():
                        modules.add(f"course_lib.{name}")
    return ("from course_lib.grading.guard import install as __grader_install, isolate_checks as __grader_isolate\n"
            f"__grader_restore, __grader_verify = __grader_install({sorted(modules)!r})\n"
            "__grader_check, __grader_keep = __grader_isolate(globals(), __grader_restore, __grader_verify)\n"
            "del __grader_install, __grader_isolate\n")


def exercise_of_cells(nb) -> list[str | None]:
    """For each cell, the exercise it belongs to: the grade id of the last solution cell at or
    before it (its demos and check cells follow it), None before the first solution cell."""
    group, groups = None, []
    for cell in nb.cells:
        if cell.cell_type == "code" and authoring.is_solution_cell(cell):
            group = authoring.nbgrader_meta(cell)["grade_id"]
        groups.append(group)
    return groups


def checks_by_exercise(nb) -> dict[str, list[str]]:
    """Solution grade id -> the grade ids of the check cells of its exercise."""
    out: dict[str, list[str]] = {}
    for cell, group in zip(nb.cells, exercise_of_cells(nb)):
        if group is not None:
            out.setdefault(group, [])
            if authoring.is_check_cell(cell):
                out[group].append(authoring.nbgrader_meta(cell)["grade_id"])
    return out


def build_graded_notebook(source: Source, solutions: dict[str, str]) -> tuple[object, dict[int, tuple[str, str]]]:
    """The instructor's notebook with the student's solution cells; tokens per check cell index.

    A guard cell goes just before the first solution cell. Each check cell becomes
    ``__grader_check(<its source>, <token>)``: it runs in a namespace of its own, between the
    guard's restore and verify, then prints the token. Each other instructor cell after the
    guard ends with ``__grader_keep(<names it binds>)``, so that check cells see the
    instructor's values of those names whatever a solution rebinds. The ``__grader`` names
    cannot be reached by solutions: the screen refuses names that start with two underscores.
    """
    import nbformat

    nb = copy.deepcopy(source.nb)
    first = min(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and authoring.is_solution_cell(c))
    nb.cells.insert(first, nbformat.v4.new_code_cell(_guard_cell(nb)))
    tokens: dict[int, tuple[str, str]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        gid = authoring.nbgrader_meta(cell).get("grade_id")
        if authoring.is_solution_cell(cell):
            cell.source = solutions[gid]
        elif authoring.is_check_cell(cell):
            if index < first:
                raise ValueError(f"check cell {gid} comes before the first solution cell")
            token = secrets.token_hex(16)
            tokens[index] = (gid, token)
            cell.source = f"__grader_check({cell.source!r}, {token!r})\n"
        elif index > first:
            names = [n for n in top_level_names(cell.source) if not n.startswith("_")]
            if names:
                cell.source = f"{cell.source}\n__grader_keep({names!r})\n"
    return nb, tokens


def _kernelspec_dir(limits: Limits, root: Path, exercises: int) -> Path:
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    # Each run has a kernel of its own; a loop that ignores interrupts is killed by the OS.
    cpu = int(limits.startup_seconds + limits.submission_seconds(exercises) + limits.cell_seconds + 30)
    argv = [sys.executable, "-m", "course_lib.grading.sandbox_kernel", "--memory-mb", str(limits.memory_mb),
            "--cpu-seconds", str(cpu), "--", "-f", "{connection_file}", "--HistoryManager.enabled=False"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "course grader",
                                                  "language": "python"}))
    return root / "kernels"


def _make_client_class():
    from course_lib.grading.client import ReliableNotebookClient

    class GradingClient(ReliableNotebookClient):
        """nbclient with capped outputs, a stop on floods, and a record of each cell's reply and token."""

        def __init__(self, nb, *, limits: Limits, tokens: dict[int, tuple[str, str]], **kw):
            super().__init__(nb, on_cell_executed=self._record_reply, **kw)
            self.limits = limits
            self.tokens = tokens
            self.replies: dict[int, dict] = {}
            self.token_seen: set[int] = set()
            self.dropped: dict[int, int] = {}
            self.flooded: int | None = None  # the cell whose output passed limits.flood_bytes
            self._bytes: dict[int, int] = {}
            self._tail: dict[int, str] = {}

        def _record_reply(self, cell, cell_index, execute_reply):
            self.replies[cell_index] = (execute_reply or {}).get("content", {})

        def output(self, outs, msg, display_id, cell_index):
            if self.flooded is not None:
                return None
            content = msg.get("content", {})
            if msg.get("msg_type") == "stream" and content.get("name") == "stdout" and cell_index in self.tokens:
                text = self._tail.get(cell_index, "") + content.get("text", "")
                if self.tokens[cell_index][1] in text:
                    self.token_seen.add(cell_index)
                self._tail[cell_index] = text[-64:]
            size = len(json.dumps(content, default=str))
            used, dropped = self._bytes.get(cell_index, 0), self.dropped.get(cell_index, 0)
            if used + dropped + size > self.limits.flood_bytes:
                # Stop the cell now: waiting for its reply would keep the grader reading the flood.
                # Cancelling the reply task makes nbclient raise DeadKernelError; the run ends there.
                self.flooded = cell_index
                if self.task_poll_for_reply is not None:
                    self.task_poll_for_reply.cancel()
                return None
            if used + size > self.limits.output_bytes and msg.get("msg_type") != "error":
                self.dropped[cell_index] = dropped + size
                return None
            self._bytes[cell_index] = used + size
            return super().output(outs, msg, display_id, cell_index)

    return GradingClient


def _error_text(reply: dict, cell) -> str:
    ename, evalue = reply.get("ename", ""), reply.get("evalue", "")
    if ename == "AssertionError":
        return evalue.strip() or "an assertion failed (no message)"
    return f"{ename}: {evalue}".strip(": ")


def kernel_environment(workdir: Path) -> dict[str, str]:
    """A minimal environment for the kernel: none of the instructor's variables (tokens,
    credentials) leak in; HOME and temporary files live in the submission's own folder."""
    keep = ("PATH", "LANG", "LC_ALL", "COURSE_PROFILE")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    course_root = str(Path(__file__).resolve().parents[2])
    env.update(HOME=str(workdir), TMPDIR=str(workdir), IPYTHONDIR=str(workdir / ".ipython"),
               MPLCONFIGDIR=str(workdir / ".matplotlib"), MPLBACKEND="Agg",
               PYTHONPATH=course_root, MALLOC_ARENA_MAX="2",  # fewer malloc arenas: less address space
               # -j kernels share the cores; one thread each avoids oversubscription (torch's
               # own default and runtime.setup's would each take every core)
               OMP_NUM_THREADS="1", COURSE_CPU_THREADS="1",
               COURSE_DATA_DIR=os.environ.get("COURSE_DATA_DIR") or str(Path.home() / ".cache" / "course_lib"))
    env.setdefault("COURSE_PROFILE", "fast")  # the checks do not depend on the profile; the demos get faster
    return env


class KernelStartError(RuntimeError):
    """The grading kernel never became ready: the machine's fault (load, a broken install), not the student's."""


@dataclass
class _Run:
    """One run of the graded notebook in a fresh kernel."""

    results: dict[str, CheckResult]
    notes: list[str] = field(default_factory=list)
    incident: tuple[str | None, str, str] | None = None  # (exercise or None, short label, what happened)


def run_submission(source: Source, solutions: dict[str, str], limits: Limits, kernel_dirs: Path,
                   workdir: Path) -> tuple[list[CheckResult], list[str], list[str]]:
    """Run the graded notebook in sandbox kernels: verdicts, notes, and incidents.

    One exercise's failure costs only that exercise: when a cell of an exercise times out,
    floods its output or kills the kernel, that exercise's solution is replaced by its stub
    and the notebook runs again in a fresh kernel, until a run has no incident (at most one
    run more than there are exercises).
    """
    stubbed: dict[str, tuple[str, str]] = {}  # exercise -> (short label, what happened)
    stopped: tuple[str | None, str, str] | None = None
    restarts: list[str] = []                   # kernels that did not start and were started again
    for attempt in range(len(source.stubs) + 1):
        current = {gid: source.stubs[gid] if gid in stubbed else src for gid, src in solutions.items()}
        rundir = workdir / f"run{attempt}"
        rundir.mkdir()
        run = _run_started(source, current, limits, kernel_dirs, rundir, restarts)
        if run.incident is None:
            break
        gid, short, what = run.incident
        if gid is None or gid in stubbed or current[gid] == source.stubs[gid]:
            stopped = run.incident  # nothing of the student's left to take out: report and stop
            break
        stubbed[gid] = (short, what)
    notes = [f"exercise `{gid}`: {what}. It scores 0: its solution was replaced by the stub and the "
             "notebook was run again for the other exercises." for gid, (_, what) in stubbed.items()]
    notes += run.notes
    notes += [f"the grading kernel did not start at the first try ({why}); it was started again. This was "
              "the grading machine's fault and cost nothing." for why in restarts]
    incidents = [f"{gid}: {short}" for gid, (short, _) in stubbed.items()]
    incidents += ["grader: kernel did not start, started again"] * len(restarts)
    by_exercise = checks_by_exercise(source.nb)
    for gid, (_, what) in stubbed.items():
        for check_id in by_exercise.get(gid, []):
            res = run.results[check_id]
            if not res.passed:
                res.message = f"not graded: {what} (so your solution cell `{gid}` was replaced by its stub)."
    if stopped:
        gid, short, what = stopped
        notes.append(f"{what}; the checks after it did not run.")
        incidents.append(f"{gid or 'start-up'}: {short}, stopped")
        for res in run.results.values():
            if not res.passed and not res.message:
                res.message = "not run: " + what + "."
    return [run.results[c.grade_id] for c in source.info.checks], notes, incidents


def _run_started(source: Source, solutions: dict[str, str], limits: Limits, kernel_dirs: Path,
                 workdir: Path, restarts: list[str]) -> _Run:
    """:func:`_run_once`, started once more if its kernel never became ready (appended to ``restarts``).

    Only a kernel that did not *start* is retried: once the first cell runs, whatever
    happens (a time-out, a crash, the memory limit) is the submission's and is never retried.
    A second failure to start is raised: the submission gets the status ``error``, which a
    re-run grades again.
    """
    try:
        return _run_once(source, solutions, limits, kernel_dirs, workdir)
    except KernelStartError as first:
        restarts.append(str(first))
        again = workdir.with_name(workdir.name + "-restart")
        again.mkdir()
        try:
            return _run_once(source, solutions, limits, kernel_dirs, again)
        except KernelStartError as second:
            raise KernelStartError(f"the grading kernel did not start, twice ({first}; then {second}): a "
                                   "problem of the grading machine, not of the submission") from second


def _run_once(source: Source, solutions: dict[str, str], limits: Limits, kernel_dirs: Path,
              workdir: Path) -> _Run:
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    with _PARSING:
        nb, tokens = build_graded_notebook(source, solutions)
    km = AsyncKernelManager(kernel_name=KERNEL_NAME,
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dirs)]))
    # interrupt_on_timeout=False: a cell that times out raises CellTimeoutError, and the run ends
    # there (the kernel is killed; the next run starts a fresh one).
    client = _make_client_class()(
        nb, limits=limits, tokens=tokens, km=km, timeout=int(limits.cell_seconds), allow_errors=True,
        interrupt_on_timeout=False, startup_timeout=90, shutdown_kernel="immediate")
    run = _Run({c.grade_id: CheckResult(c.grade_id, c.points) for c in source.info.checks})
    try:
        _run_cells(client, nb, tokens, run, limits, kernel_environment(workdir), workdir)
    finally:  # we own the kernel manager, so nbclient leaves the kernel to us
        if km.has_kernel:
            from jupyter_core.utils import run_sync

            run_sync(km.shutdown_kernel)(now=True)
    return run


def _run_cells(client, nb, tokens, run: _Run, limits: Limits, env, workdir) -> None:
    """Start the kernel, then run the cells; a kernel that never became ready is a :class:`KernelStartError`."""
    groups = exercise_of_cells(nb)
    spent: dict[str, float] = {}
    started_kernel = False
    try:
        with client.setup_kernel(env=env, cwd=str(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            started_kernel = True          # the kernel answered: from here on, what happens is the notebook's
            _run_cells_in(client, nb, tokens, run, limits, groups, spent)
    except Exception as err:
        if started_kernel:
            raise
        raise KernelStartError(f"{type(err).__name__}: {str(err)[:200]}") from err


def _run_cells_in(client, nb, tokens, run: _Run, limits: Limits, groups, spent) -> None:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    # No student code runs before the first solution cell (the set-up and import cells are
    # the instructor's): those cells get the start-up limit. After it, every cell is charged
    # to its exercise, whose cells together get limits.exercise_seconds per run.
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        group = groups[index]
        what = _describe(cell, index, tokens)
        if group is None:
            client.timeout = int(limits.startup_seconds)
        else:
            left = limits.exercise_seconds - spent.get(group, 0.0)
            if left < 1:
                run.incident = (group, "time budget", f"the exercise used its whole time budget "
                                f"({limits.exercise_seconds:g} s) before {what}")
                return
            client.timeout = max(1, int(min(limits.cell_seconds, left)))
        started = time.monotonic()
        try:
            client.execute_cell(cell, index, store_history=False)
        except CellTimeoutError:
            limit = ("the time limit per cell" if client.timeout >= limits.cell_seconds
                     else f"what was left of the exercise's {limits.exercise_seconds:g} s")
            run.incident = (group, "timed out", f"{what} was stopped after {client.timeout} s "
                            f"({limit}; an endless loop?)")
            return
        except DeadKernelError:
            if client.flooded == index:
                run.incident = (group, "output flood", f"{what} printed more than "
                                f"{limits.flood_bytes:,} bytes of output, so it was stopped")
            else:
                run.incident = (group, "kernel died", f"the kernel died (a crash such as a segmentation "
                                f"fault or os._exit, or the memory limit) while running {what}")
            return
        finally:
            if group is not None:
                spent[group] = spent.get(group, 0.0) + time.monotonic() - started
        reply = client.replies.get(index, {})
        if authoring.is_solution_cell(cell) and reply.get("status") == "error" and reply.get("evalue"):
            run.notes.append(f"{what} raised {_error_text(reply, cell)[:300]} "
                             "when it ran, so what it defines may be missing.")
        if index in client.dropped:
            run.notes.append(f"{what} printed too much: {client.dropped[index]:,} bytes of output were dropped.")
        if index in tokens:
            res = run.results[tokens[index][0]]
            if reply.get("status") == "ok" and index in client.token_seen:
                res.passed, res.points = True, res.max_points
            elif reply.get("status") == "ok":
                res.message = "the check did not run to its end (its completion token was not printed)."
            else:
                res.message = _error_text(reply, cell)


def _describe(cell, index: int, tokens: dict) -> str:
    if index in tokens:
        return f"check `{tokens[index][0]}`"
    gid = authoring.nbgrader_meta(cell).get("grade_id")
    return f"solution cell `{gid}`" if gid else f"the notebook's cell {index} (not a check)"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def grade_one(path: Path, source: Source, limits: Limits, kernel_dirs: Path) -> Result:
    """Grade one submission; never raises (a grader error becomes the student's result)."""
    started = time.monotonic()
    result = Result(student=path.stem, submission=path.name, sha256="",
                    status="graded", checks=[CheckResult(c.grade_id, c.points) for c in source.info.checks])
    try:
        result.sha256 = _sha256(path)
        with _PARSING:
            solutions, reasons, flags = read_submission(path, source, limits.screen)
        result.reasons += reasons
        result.flags += flags
        if solutions is None:
            result.status = "rejected"
            for c in result.checks:
                c.message = "submission rejected: " + reasons[0]
        else:
            with tempfile.TemporaryDirectory(prefix="grade-", ignore_cleanup_errors=True) as work:
                result.checks, notes, incidents = run_submission(source, solutions, limits, kernel_dirs,
                                                                 Path(work))
            result.reasons += notes
            result.incidents += incidents
    except Exception as err:  # the grader's own failure must not stop the batch
        result.status = "error"
        result.reasons.append(f"grader error ({type(err).__name__}: {err}); ask your instructor to re-run it.")
    result.seconds = round(time.monotonic() - started, 2)
    return result


# ----------------------------------------------------------------------------------------
# Writing the results


def feedback_markdown(result: Result, source: Source) -> str:
    lines = [f"# {source.info.name}: feedback for {result.student}", "",
             f"**Score: {result.total:g} / {result.max_total:g}**  ({result.status})", ""]
    if result.reasons:
        lines += ["## Notes on your submission", ""] + [f"- {r}" for r in result.reasons] + [""]
    if result.flags:
        lines += ["## Marked for your instructor to read (this costs no points)", ""]
        lines += [f"- {f}" for f in result.flags] + [""]
    lines += ["## Checks", "", markdown_table(
        ["check", "points", "result"],
        [[c.grade_id, f"{c.points:g} / {c.max_points:g}", "passed" if c.passed else "failed"]
         for c in result.checks], align="lrl")]
    failed = [c for c in result.checks if not c.passed]
    if failed:
        lines += ["", "## What went wrong", ""]
        for c in failed:
            message = c.message[:2000] or "failed"
            lines += [f"### {c.grade_id}", "", "```", message, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def points_csv(results: list[Result], source: Source) -> str:
    ids = [c.grade_id for c in source.info.checks]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student"] + ids + ["total", "status", "flagged", "incidents"])
    for r in sorted(results, key=lambda r: r.student):
        points = {c.grade_id: c.points for c in r.checks}
        flagged = sorted({f.split(":", 1)[0] for f in r.flags})  # the exercises; the feedback says why
        writer.writerow([r.student] + [f"{points.get(i, 0):g}" for i in ids]
                        + [f"{r.total:g}", r.status, " ".join(flagged), "; ".join(r.incidents)])
    return buf.getvalue()


def _result_from_json(text: str) -> Result:
    raw = json.loads(text)
    raw["checks"] = [CheckResult(**c) for c in raw["checks"]]
    return Result(**{k: v for k, v in raw.items() if k in Result.__dataclass_fields__})


def grade_folder(source: Source, submissions: list[Path], out: Path, limits: Limits, jobs: int = 1,
                 force: bool = False, log=print) -> list[Result]:
    """Grade every submission (skipping finished ones unless ``force``); write all outputs."""
    results_dir, feedback_dir = out / "results", out / "feedback"
    todo, results = [], {}
    for path in submissions:
        done = results_dir / f"{path.stem}.json"
        if not force and done.exists():
            try:
                old = _result_from_json(done.read_text(encoding="utf-8"))
                if old.sha256 == _sha256(path) and old.status != "error":
                    results[path.stem] = old
                    continue
            except (ValueError, KeyError, TypeError, OSError):
                pass  # an unreadable old result: grade again
        todo.append(path)
    if results:
        log(f"skipping {len(results)} submission(s) graded before (use --force to re-grade)")

    with tempfile.TemporaryDirectory(prefix="grader-kernels-") as tmp:
        kernel_dirs = _kernelspec_dir(limits, Path(tmp), len(source.stubs))

        def work(path: Path) -> Result:
            result = grade_one(path, source, limits, kernel_dirs)
            # Written as soon as it is known: an interrupted batch loses nothing finished.
            atomic_write_text(results_dir / f"{path.stem}.json",
                          json.dumps(asdict(result) | {"total": result.total}, indent=1))
            atomic_write_text(feedback_dir / f"{path.stem}.md", feedback_markdown(result, source))
            log(f"{result.student:<24} {result.total:>5g} / {result.max_total:g}  {result.status:<8} "
                f"{result.seconds:5.1f} s" + ("  flagged" if result.flags else "")
                + (f"  ({'; '.join(result.incidents)})" if result.incidents else ""))
            return result

        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            for future in [pool.submit(work, path) for path in todo]:
                result = future.result()
                results[result.student] = result
        except BaseException:
            # Ctrl-C: drop the queue; what is running finishes (within its time limit) and
            # is written; everything finished so far is on disk, and a re-run resumes.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    ordered = [results[p.stem] for p in submissions]
    atomic_write_text(out / "points.csv", points_csv(ordered, source))
    return ordered


def find_submissions(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of submissions")
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise ValueError(f"no .ipynb files in {folder}")
    # Names in one folder differ, but the student's name (the file's stem) also names the files
    # written for them, results/<student>.json and feedback/<student>.md: on a disk that ignores
    # case or Unicode normalisation (macOS, Windows) "Amy" and "amy", or an "é" typed as one
    # character and as e + accent, are the same file, and one student's result would overwrite
    # the other's. Refuse the batch before grading, naming both files: which is which is for the
    # instructor to decide, not the grader.
    seen: dict[str, Path] = {}
    for p in found:
        key = unicodedata.normalize("NFC", p.stem).casefold()
        if key in seen:
            raise ValueError(f"{seen[key].name!r} and {p.name!r} name the same student once case and "
                             "Unicode normalisation are ignored (their results and feedback files would "
                             "overwrite each other on macOS or Windows): rename one of them")
        seen[key] = p
    return found


def check_arguments(args) -> None:
    """A ValueError naming the first option out of range, with the value given."""
    rules = [
        (args.jobs >= 1, f"-j must be at least 1, got {args.jobs}"),
        (args.cell_timeout > 0, f"--cell-timeout must be more than 0 seconds, got {args.cell_timeout:g}"),
        (args.exercise_timeout > 0, f"--exercise-timeout must be more than 0 seconds, got {args.exercise_timeout:g}"),
        (args.exercise_timeout >= args.cell_timeout,
         f"--exercise-timeout ({args.exercise_timeout:g}) must be at least --cell-timeout ({args.cell_timeout:g})"),
        (args.memory_mb >= 1024, f"--memory-mb must be at least 1024 (importing torch needs more), got {args.memory_mb}"),
        (args.output_bytes >= 0, f"--output-bytes must be 0 or more, got {args.output_bytes}"),
        (args.flood_bytes >= args.output_bytes,
         f"--flood-bytes ({args.flood_bytes}) must be at least --output-bytes ({args.output_bytes})"),
    ]
    for ok, message in rules:
        if not ok:
            raise ValueError(message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading.grade",
                                     description="Grade a folder of submitted notebooks.")
    parser.add_argument("assignment", help="assignment name (e.g. A0_probability_toolkit) or solution .ipynb")
    parser.add_argument("submissions", help="folder of submitted .ipynb files (file stem = student)")
    parser.add_argument("--out", default=None, help="output folder (default: grades/<assignment>)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    parser.add_argument("--force", action="store_true", help="re-grade submissions graded before")
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_seconds,
                        help=f"seconds per cell (default {Limits.cell_seconds:g})")
    parser.add_argument("--exercise-timeout", type=float, default=Limits.exercise_seconds,
                        help="seconds for all the cells of one exercise (its solution, demos and checks); "
                             "a submission's limit is this times the number of exercises "
                             f"(default {Limits.exercise_seconds:g})")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                        help=f"kernel address-space limit in MB (default {Limits.memory_mb})")
    parser.add_argument("--output-bytes", type=int, default=Limits.output_bytes,
                        help=f"output kept per cell, the rest is dropped (default {Limits.output_bytes})")
    parser.add_argument("--flood-bytes", type=int, default=Limits.flood_bytes,
                        help="output of one cell past which it is stopped and its exercise scores 0 "
                             f"(default {Limits.flood_bytes})")
    parser.add_argument("--no-screen", action="store_true",
                        help="skip the static screen of solution cells (only to test the sandbox; unsafe)")
    args = parser.parse_args(argv)
    try:
        check_arguments(args)
        source = load_source(args.assignment)
        submissions = find_submissions(Path(args.submissions))
        out = Path(args.out) if args.out else Path("grades") / source.info.name
        limits = Limits(args.cell_timeout, args.exercise_timeout, args.memory_mb, args.output_bytes,
                        args.flood_bytes, screen=not args.no_screen)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(authoring.points_report(source.info))
    print(f"grading {len(submissions)} submission(s) with -j {args.jobs} ...", flush=True)
    started = time.monotonic()
    results = grade_folder(source, submissions, out, limits, jobs=args.jobs, force=args.force,
                           log=lambda m: print(m, flush=True))
    print(f"done in {time.monotonic() - started:.1f} s: wrote {out / 'points.csv'} and {out / 'feedback'}/")
    return 0 if all(r.status != "error" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
