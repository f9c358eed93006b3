"""Run the lecture notebooks end to end and summarise them: the course's main job.

    python -m course_lib.grading.execute notebooks --out build            # full profile
    COURSE_PROFILE=fast python -m course_lib.grading.execute notebooks     # CI-sized run

(``make course`` and ``make course PROFILE=fast`` do the same.) Each notebook is run
in a fresh kernel; the executed copy is written to ``<out>/notebooks/``; a summary table
(notebook, status, wall time, the key figures it reported with
:func:`course_lib.runtime.report`) is written to ``<out>/summary.md`` and
``<out>/summary.csv``. A failing notebook does not stop the others; the exit code
says whether all succeeded.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.files import atomic_write_text, find_notebooks
from course_lib.runtime import PROFILE_ENV, PROFILES, REPORT_ENV
from course_lib.viz import markdown_table


@dataclass
class Result:
    notebook: str
    status: str
    seconds: float
    figures: list[dict] = field(default_factory=list)
    error: str = ""


def run_notebook(path: Path, out_dir: Path, timeout: int) -> Result:
    """Execute one notebook in a fresh kernel; keep the executed copy even if it fails."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    from course_lib.grading.client import ReliableNotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        report_file = Path(tmp) / "figures.jsonl"
        report_file.touch()
        os.environ[REPORT_ENV] = str(report_file)
        client = ReliableNotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        started = time.perf_counter()
        status, error = "ok", ""
        try:
            client.execute()
        except CellExecutionError as err:
            status, error = "failed", f"{err.ename}: {err.evalue}"[:300]
        except Exception as err:  # a dead kernel, a timeout
            status, error = "failed", f"{type(err).__name__}: {err}"[:300]
        finally:
            os.environ.pop(REPORT_ENV, None)
        seconds = time.perf_counter() - started
        figures = [json.loads(line) for line in report_file.read_text().splitlines() if line.strip()]
    atomic_write_text(out_dir / "notebooks" / path.name, nbformat.writes(nb))
    return Result(path.name, status, seconds, figures, error)


def summary_markdown(results: list[Result], profile: str) -> str:
    rows = []
    for r in results:
        figures = "; ".join(f"{f['name']}: {f['value']}{(' ' + f['unit']) if f['unit'] else ''}"
                            for f in r.figures) or "-"
        status = r.status if not r.error else f"{r.status}: {r.error}"
        rows.append([r.notebook, status, f"{r.seconds:.1f}", figures])
    table = markdown_table(["notebook", "status", "wall time (s)", "key figures"], rows, align="llrl")
    total = sum(r.seconds for r in results)
    return (f"# Course run ({profile} profile)\n\n{table}\n\n"
            f"{sum(r.status == 'ok' for r in results)}/{len(results)} notebooks ran; total {total:.1f} s.\n")


def summary_csv(results: list[Result]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["notebook", "status", "seconds", "figure", "value", "unit", "error"])
    for r in results:
        for f in r.figures or [{"name": "", "value": "", "unit": ""}]:
            writer.writerow([r.notebook, r.status, f"{r.seconds:.2f}", f["name"], f["value"],
                             f["unit"], r.error])
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grading.execute", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=["notebooks"], help="notebooks or folders (default: notebooks)")
    parser.add_argument("--out", default="build", help="output folder (default: build)")
    parser.add_argument("--profile", choices=PROFILES, default=None,
                        help=f"run profile (default: ${PROFILE_ENV}, else full)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default 3600)")
    args = parser.parse_args(argv)
    if args.profile:
        os.environ[PROFILE_ENV] = args.profile
    profile = os.environ.get(PROFILE_ENV) or "full"
    out_dir = Path(args.out)
    try:
        notebooks = find_notebooks(args.paths)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    results = []
    for path in notebooks:
        print(f"running {path} ({profile}) ...", flush=True)
        result = run_notebook(path, out_dir, args.timeout)
        results.append(result)
        print(f"  {result.status} in {result.seconds:.1f} s"
              + "".join(f"\n  {f['name']}: {f['value']} {f['unit']}".rstrip() for f in result.figures)
              + (f"\n  error: {result.error}" if result.error else ""), flush=True)
    atomic_write_text(out_dir / "summary.md", summary_markdown(results, profile))
    atomic_write_text(out_dir / "summary.csv", summary_csv(results))
    print(f"\nwrote {out_dir / 'summary.md'} and {out_dir / 'summary.csv'}")
    print(summary_markdown(results, profile))
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
