"""Grade a folder of submitted notebooks: a points table and feedback for each student.

    python -m course_lib.grading.grade A0_probability_toolkit submissions/ --out grades/ -j 2
    python -m course_lib.grading.grade solutions/A0_probability_toolkit.ipynb submissions/ --force

Writes ``<out>/points.csv`` (one row per student = submission file stem, one column per
check ``grade_id``, then ``total`` and ``status``), ``<out>/feedback/<student>.md`` (every
failed check with its hint, and the reasons a solution cell or a submission was
rejected) and ``<out>/results/<student>.json`` (the raw result; a re-run skips a
submission whose result exists for the same file contents, unless ``--force``).

How a submission is graded
--------------------------
1. The file must be a notebook of this assignment. From it we take **only the solution
   cells**, matched by nbgrader ``grade_id`` (or, if a cell's metadata was lost, by the
   function it defines). A missing cell, or one rejected by the static screen
   (:mod:`course_lib.grading.screen`), is replaced by the stub: its exercise scores 0 and the
   feedback says why.
2. These cells are put into the **instructor's solution notebook** in place of the
   solutions; check cells and hidden tests are the instructor's, so a student who
   edits, deletes or adds check cells changes nothing.
3. The notebook runs in a fresh kernel (:mod:`course_lib.grading.sandbox_kernel`: memory and CPU
   limits) with a time limit per cell and per submission; outputs are capped. Up to
   ``-j`` submissions run in parallel; a crash, a hang or a grader error in one becomes
   that student's feedback and never stops the batch.
4. A check passes only if its cell finished without error **and** printed a random token
   that the grader appended to the cell at run time (a fresh one per check cell and
   run): the verdict is decided here, outside the kernel, and cannot be printed by code
   that never saw the check cell's source. Before each check the modules the checks
   rely on (torch, builtins, course_lib's ...) are restored to their state before any
   student code ran, and a check during which they changed fails
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
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_lib.grading import authoring
from course_lib.files import atomic_write_text
from course_lib.grading.submissions import Source, load_source, read_submission
from course_lib.viz import markdown_table

KERNEL_NAME = "course-grader"


@dataclass
class Limits:
    cell_seconds: float = 30.0        # one cell
    submission_seconds: float = 120.0  # all cells from the first solution cell on
    memory_mb: int = 6144             # the kernel's address space (see sandbox_kernel)
    output_bytes: int = 100_000       # kept output per cell; the rest is dropped
    startup_seconds: float = 90.0     # the instructor's cells before the first solution cell
    screen: bool = True               # the static screen of solution cells (off only to test the sandbox)


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
    """Source of the cell that snapshots the namespaces the checks rely on (grading_guard)."""
    modules = {"course_lib.checks"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for m in _COURSE_IMPORTS.finditer(cell.source):
                for name in (m.group(1) or m.group(2)).split(","):
                    name = name.strip().split(" as ")[0].strip("() ")
                    if name.isidentifier():
                        modules.add(f"course_lib.{name}")
    return ("from course_lib.grading.guard import install as __grader_install\n"
            f"__grader_restore, __grader_verify = __grader_install({sorted(modules)!r})\n"
            "del __grader_install\n")


def build_graded_notebook(source: Source, solutions: dict[str, str]) -> tuple[object, dict[int, tuple[str, str]]]:
    """The instructor's notebook with the student's solution cells; tokens per check cell index.

    A guard cell goes just before the first solution cell; each check cell becomes
    ``restore(); <check>; verify(); print(<token>)``. The ``__grader`` names cannot be
    reached by solutions: the screen refuses names that start with two underscores.
    """
    import nbformat

    nb = copy.deepcopy(source.nb)
    first = min(i for i, c in enumerate(nb.cells) if authoring.is_solution_cell(c))
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
            token = secrets.token_hex(16)
            tokens[index] = (gid, token)
            cell.source = f"__grader_restore()\n{cell.source}\n__grader_verify()\nprint({token!r})\n"
    return nb, tokens


def _kernelspec_dir(limits: Limits, root: Path) -> Path:
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    cpu = int(limits.startup_seconds + limits.submission_seconds + limits.cell_seconds + 30)
    argv = [sys.executable, "-m", "course_lib.grading.sandbox_kernel", "--memory-mb", str(limits.memory_mb),
            "--cpu-seconds", str(cpu), "--", "-f", "{connection_file}", "--HistoryManager.enabled=False"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "course grader",
                                                  "language": "python"}))
    return root / "kernels"


def _make_client_class():
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """nbclient with capped outputs, and a record of each cell's reply and token."""

        def __init__(self, nb, *, limits: Limits, tokens: dict[int, tuple[str, str]], **kw):
            super().__init__(nb, on_cell_executed=self._record_reply, **kw)
            self.limits = limits
            self.tokens = tokens
            self.replies: dict[int, dict] = {}
            self.token_seen: set[int] = set()
            self.dropped: dict[int, int] = {}
            self._bytes: dict[int, int] = {}
            self._tail: dict[int, str] = {}

        def _record_reply(self, cell, cell_index, execute_reply):
            self.replies[cell_index] = (execute_reply or {}).get("content", {})

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if msg.get("msg_type") == "stream" and content.get("name") == "stdout" and cell_index in self.tokens:
                text = self._tail.get(cell_index, "") + content.get("text", "")
                if self.tokens[cell_index][1] in text:
                    self.token_seen.add(cell_index)
                self._tail[cell_index] = text[-64:]
            size = len(json.dumps(content, default=str))
            used = self._bytes.get(cell_index, 0)
            if used + size > self.limits.output_bytes and msg.get("msg_type") != "error":
                self.dropped[cell_index] = self.dropped.get(cell_index, 0) + size
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
    course_root = str(Path(__file__).resolve().parents[1])
    env.update(HOME=str(workdir), TMPDIR=str(workdir), IPYTHONDIR=str(workdir / ".ipython"),
               MPLCONFIGDIR=str(workdir / ".matplotlib"), MPLBACKEND="Agg",
               PYTHONPATH=course_root, MALLOC_ARENA_MAX="2",  # fewer malloc arenas: less address space
               OMP_NUM_THREADS="1",  # -j kernels share the cores; one thread each avoids oversubscription
               COURSE_DATA_DIR=os.environ.get("COURSE_DATA_DIR") or str(Path.home() / ".cache" / "course_lib"))
    env.setdefault("COURSE_PROFILE", "fast")  # the checks do not depend on the profile; the demos get faster
    return env


def run_submission(source: Source, solutions: dict[str, str], limits: Limits, kernel_dirs: Path,
                   workdir: Path) -> tuple[list[CheckResult], list[str]]:
    """Run the graded notebook in a sandbox kernel; the check verdicts and run-time notes."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    nb, tokens = build_graded_notebook(source, solutions)
    km = AsyncKernelManager(kernel_name=KERNEL_NAME,
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dirs)]))
    client = _make_client_class()(
        nb, limits=limits, tokens=tokens, km=km, timeout=int(limits.cell_seconds), allow_errors=True,
        interrupt_on_timeout=True, startup_timeout=90, shutdown_kernel="immediate",
        error_on_timeout={"ename": "TimeoutError", "evalue": "", "traceback": []})
    results = {gid: CheckResult(gid, c.points) for gid, c in
               ((c.grade_id, c) for c in source.info.checks)}
    notes: list[str] = []
    env = kernel_environment(workdir)
    # The kernel's own chatter (and a student's writes to file descriptor 2) stay out of the log.
    try:
        _run_cells(client, nb, tokens, results, notes, limits, env, workdir)
    finally:  # we own the kernel manager, so nbclient leaves the kernel to us
        if km.has_kernel:
            from jupyter_core.utils import run_sync

            run_sync(km.shutdown_kernel)(now=True)
    return [results[c.grade_id] for c in source.info.checks], notes


def _run_cells(client, nb, tokens, results, notes, limits: Limits, env, workdir) -> None:
    from nbclient.exceptions import DeadKernelError

    stopped = ""
    # No student code runs before the first solution cell (the set-up and import cells are
    # the instructor's): those cells get the start-up limit and the clock starts after them.
    first_solution = min(i for i, c in enumerate(nb.cells) if authoring.is_solution_cell(c))
    with client.setup_kernel(env=env, cwd=str(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        deadline = None
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if index < first_solution:
                client.timeout = int(limits.startup_seconds)
            else:
                deadline = deadline or time.monotonic() + limits.submission_seconds
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    stopped = (f"the submission used its whole time limit ({limits.submission_seconds:g} s); "
                               "the remaining checks did not run.")
                    break
                client.timeout = max(1, int(min(limits.cell_seconds, remaining)))
            started = time.monotonic()
            try:
                client.execute_cell(cell, index, store_history=False)
            except DeadKernelError:
                stopped = ("the kernel died (a crash such as a segmentation fault, os._exit or sys.exit "
                           "at kernel level, or the memory limit) while running "
                           + _describe(cell, index, tokens) + "; the remaining checks did not run.")
                break
            reply = client.replies.get(index, {})
            if reply.get("ename") == "TimeoutError" and not reply.get("evalue"):
                notes.append(f"{_describe(cell, index, tokens)} was stopped after "
                             f"{time.monotonic() - started:.0f} s (time limit per cell: {client.timeout} s).")
            if authoring.is_solution_cell(cell) and reply.get("status") == "error" and reply.get("evalue"):
                notes.append(f"{_describe(cell, index, tokens)} raised {_error_text(reply, cell)[:300]} "
                             "when it ran, so what it defines may be missing.")
            if index in client.dropped:
                notes.append(f"{_describe(cell, index, tokens)} printed too much: "
                             f"{client.dropped[index]:,} bytes of output were dropped.")
            if index in tokens:
                gid = tokens[index][0]
                res = results[gid]
                if reply.get("status") == "ok" and index in client.token_seen:
                    res.passed, res.points = True, res.max_points
                elif reply.get("status") == "ok":
                    res.message = "the check did not run to its end (its completion token was not printed)."
                elif reply.get("ename") == "TimeoutError" and not reply.get("evalue"):
                    res.message = f"the check took longer than the time limit ({client.timeout} s): an endless loop?"
                else:
                    res.message = _error_text(reply, cell)
    if stopped:
        notes.append(stopped)
        for res in results.values():
            if not res.passed and not res.message:
                res.message = "not run: " + stopped


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
        solutions, reasons = read_submission(path, source, limits.screen)
        result.reasons += reasons
        if solutions is None:
            result.status = "rejected"
            for c in result.checks:
                c.message = "submission rejected: " + reasons[0]
        else:
            with tempfile.TemporaryDirectory(prefix="grade-", ignore_cleanup_errors=True) as work:
                result.checks, notes = run_submission(source, solutions, limits, kernel_dirs, Path(work))
            result.reasons += notes
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
    writer.writerow(["student"] + ids + ["total", "status"])
    for r in sorted(results, key=lambda r: r.student):
        points = {c.grade_id: c.points for c in r.checks}
        writer.writerow([r.student] + [f"{points.get(i, 0):g}" for i in ids] + [f"{r.total:g}", r.status])
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
        kernel_dirs = _kernelspec_dir(limits, Path(tmp))

        def work(path: Path) -> Result:
            result = grade_one(path, source, limits, kernel_dirs)
            # Written as soon as it is known: an interrupted batch loses nothing finished.
            atomic_write_text(results_dir / f"{path.stem}.json",
                          json.dumps(asdict(result) | {"total": result.total}, indent=1))
            atomic_write_text(feedback_dir / f"{path.stem}.md", feedback_markdown(result, source))
            log(f"{result.student:<24} {result.total:>5g} / {result.max_total:g}  {result.status:<8} "
                f"{result.seconds:5.1f} s")
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
    stems = [p.stem for p in found]
    if len(set(stems)) != len(stems):
        raise ValueError("two submissions have the same name")
    return found


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
    parser.add_argument("--timeout", type=float, default=Limits.submission_seconds,
                        help="seconds per submission, counted from its first solution cell "
                             f"(default {Limits.submission_seconds:g})")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                        help=f"kernel address-space limit in MB (default {Limits.memory_mb})")
    parser.add_argument("--output-bytes", type=int, default=Limits.output_bytes,
                        help=f"output kept per cell (default {Limits.output_bytes})")
    parser.add_argument("--no-screen", action="store_true",
                        help="skip the static screen of solution cells (only to test the sandbox; unsafe)")
    args = parser.parse_args(argv)
    try:
        if args.jobs < 1 or args.cell_timeout <= 0 or args.timeout <= 0 or args.memory_mb < 1024:
            raise ValueError("-j must be >= 1, time limits > 0, and --memory-mb >= 1024")
        source = load_source(args.assignment)
        submissions = find_submissions(Path(args.submissions))
        out = Path(args.out) if args.out else Path("grades") / source.info.name
        limits = Limits(args.cell_timeout, args.timeout, args.memory_mb, args.output_bytes,
                        screen=not args.no_screen)
        if args.timeout < args.cell_timeout:
            raise ValueError("--timeout (per submission) must be at least --cell-timeout")
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
