"""The grader's limits and fall-backs that need no kernel: the sandbox's resource limits
(each shown in a child process that would run on without it), the kernel's environment,
the size limits of submissions, and the `error` status of a grader failure.

tests/test_grade.py runs the same defences inside real grading kernels.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import grade, submissions

ROOT = Path(__file__).resolve().parents[1]


def run_limited(code: str, tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """``code`` in a fresh Python that first applies ``sandbox_kernel.apply_limits``."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=timeout, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_the_cpu_limit_kills_a_loop_that_ignores_interrupts(tmp_path):
    """1 s of CPU: the operating system ends the loop (SIGXCPU), although it ignores SIGINT."""
    done = run_limited("""
        import signal
        from course_lib.grading.sandbox_kernel import apply_limits
        apply_limits(memory_mb=1024, cpu_seconds=1)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            pass
    """, tmp_path)
    assert done.returncode in (-signal.SIGXCPU, -signal.SIGKILL), (done.returncode, done.stderr)


def test_the_file_size_limit_stops_a_huge_file(tmp_path):
    """A 1 MB limit: writing 3 MB fails with EFBIG and the file stops at 1 MB."""
    done = run_limited("""
        import errno
        from course_lib.grading.sandbox_kernel import apply_limits
        apply_limits(memory_mb=1024, cpu_seconds=30, file_mb=1)
        try:
            with open("big.bin", "wb") as fh:
                for _ in range(3):
                    fh.write(b"x" * 2**20)
            print("written")
        except OSError as err:
            print("refused", errno.errorcode[err.errno])
    """, tmp_path)
    assert done.stdout.split() == ["refused", "EFBIG"], (done.stdout, done.stderr)
    assert (tmp_path / "big.bin").stat().st_size == 2**20


def test_the_address_space_limit_refuses_what_the_system_would_grant(tmp_path):
    """An untouched 1 GB mapping costs no memory and the operating system grants it (checked
    first without limits); under a 512 MB address-space limit the same request fails."""
    child = """
        import mmap
        {limit}
        try:
            block = mmap.mmap(-1, 2**30)
            print("granted")
        except (OSError, MemoryError):
            print("refused")
    """
    free = run_limited(child.format(limit=""), tmp_path)
    assert free.stdout.strip() == "granted", free.stderr
    limited = run_limited(child.format(limit="from course_lib.grading.sandbox_kernel import apply_limits\n"
                                             "        apply_limits(memory_mb=512, cpu_seconds=30)"), tmp_path)
    assert limited.stdout.strip() == "refused", limited.stderr


def test_the_kernelspec_starts_the_sandbox_with_the_limits(tmp_path):
    limits = grade.Limits(cell_seconds=8, exercise_seconds=20, memory_mb=5000, startup_seconds=90)
    spec = json.loads((grade._kernelspec_dir(limits, tmp_path, exercises=3) / grade.KERNEL_NAME
                       / "kernel.json").read_text())
    argv = spec["argv"]
    assert argv[1:3] == ["-m", "course_lib.grading.sandbox_kernel"]
    assert argv[argv.index("--memory-mb") + 1] == "5000"
    cpu = int(argv[argv.index("--cpu-seconds") + 1])
    assert limits.startup_seconds + limits.submission_seconds(3) < cpu <= 90 + 3 * 20 + 8 + 60


def test_the_kernel_gets_a_minimal_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "do-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    monkeypatch.setenv("COURSE_PROFILE", "full")
    env = grade.kernel_environment(tmp_path)
    assert "GRADER_TEST_SECRET" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == env["TMPDIR"] == str(tmp_path)
    assert env["COURSE_PROFILE"] == "full" and env["PATH"]
    assert set(env) <= {"PATH", "LANG", "LC_ALL", "COURSE_PROFILE", "HOME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR",
                        "MPLBACKEND", "PYTHONPATH", "MALLOC_ARENA_MAX", "OMP_NUM_THREADS", "COURSE_CPU_THREADS",
                        "COURSE_DATA_DIR"}
    assert env["OMP_NUM_THREADS"] == env["COURSE_CPU_THREADS"] == "1"  # -j kernels share the cores
    assert env["PYTHONPATH"] == str(ROOT)  # the kernels import this course_lib


# ----------------------------------------------------------------------------------------
# Sizes of submissions


@pytest.fixture(scope="module")
def a0_source():
    return submissions.load_source("A0_probability_toolkit")


def test_a_file_over_20_mb_is_rejected_before_it_is_read(tmp_path, a0_source):
    big = tmp_path / "big.ipynb"
    with big.open("wb") as fh:
        fh.truncate(submissions.MAX_SUBMISSION_BYTES + 1)  # sparse: no disk used
    taken, reasons, _ = submissions.read_submission(big, a0_source)
    assert taken is None and "more than the 20 MB" in reasons[0]
    with big.open("r+b") as fh:
        fh.truncate(submissions.MAX_SUBMISSION_BYTES)  # at the limit: read (and then found not to be JSON)
    taken, reasons, _ = submissions.read_submission(big, a0_source)
    assert taken is None and "not valid JSON" in reasons[0]


def _with_cell(a0_source, tmp_path, gid: str, code: str) -> Path:
    nb = nbformat.read(ROOT / "assignments" / "A0_probability_toolkit.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid:
            cell.source = code
    path = tmp_path / f"{len(code)}.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_solution_cell_over_50k_characters_is_replaced_by_its_stub(tmp_path, a0_source):
    body = "def kl_divergence(p, q):\n    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1)\n"
    limit = submissions.MAX_SOLUTION_CELL_CHARS
    at_limit = body + "#" * (limit - len(body))
    taken, reasons, _ = submissions.read_submission(_with_cell(a0_source, tmp_path, "a0_kl", at_limit), a0_source)
    assert taken["a0_kl"] == at_limit and not reasons
    over = at_limit + "#"
    taken, reasons, _ = submissions.read_submission(_with_cell(a0_source, tmp_path, "a0_kl", over), a0_source)
    assert taken["a0_kl"] == a0_source.stubs["a0_kl"]
    assert reasons == [f"solution cell `a0_kl` is longer than {limit} characters: its checks score 0."]


# ----------------------------------------------------------------------------------------
# A failure of the grader itself


def test_a_grader_failure_is_an_error_result_and_is_graded_again(tmp_path, a0_source, monkeypatch):
    """A crash inside the grader becomes status `error` for that student (the batch goes on and
    the command exits 1); a re-run grades error results again, without --force."""
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(nbformat.read(ROOT / "assignments" / "A0_probability_toolkit.ipynb", as_version=4),
                   subs / "alice.ipynb")
    (subs / "bob.ipynb").write_text("not a notebook")

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(grade, "run_submission", broken)
    out = tmp_path / "out"
    results = {r.student: r for r in grade.grade_folder(a0_source, grade.find_submissions(subs), out,
                                                        grade.Limits(), log=lambda m: None)}
    assert results["alice"].status == "error" and results["alice"].total == 0
    assert results["bob"].status == "rejected"  # the other submission is unaffected
    assert "grader error (RuntimeError: the disk is full)" in (out / "feedback" / "alice.md").read_text()
    assert "alice,0,0,0,0,0,0,0,0,0,0,0,0,error" in (out / "points.csv").read_text()

    graded_again = []
    monkeypatch.setattr(grade, "run_submission", lambda *a, **k: graded_again.append(1) or broken())
    logs = []
    grade.grade_folder(a0_source, grade.find_submissions(subs), out, grade.Limits(), log=logs.append)
    assert graded_again == [1] and logs[0].startswith("skipping 1 submission")  # bob skipped, alice again
    assert grade.main(["A0_probability_toolkit", str(subs), "--out", str(out)]) == 1  # an error: exit 1
