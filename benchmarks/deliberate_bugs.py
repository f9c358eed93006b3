"""Deliberate bugs: each one applied to a temporary copy of the course, then the tests meant
to catch it run there. Prints, per bug, whether a test failed (caught) or not (missed).

    .venv/bin/python benchmarks/deliberate_bugs.py                 every bug (about 15 min)
    .venv/bin/python benchmarks/deliberate_bugs.py --no-kernels    only bugs whose tests start no kernel
    .venv/bin/python benchmarks/deliberate_bugs.py --kernels       only those that grade in real kernels
    .venv/bin/python benchmarks/deliberate_bugs.py --only token,budget
    .venv/bin/python benchmarks/deliberate_bugs.py --baseline      first run the same tests unchanged

This is issue 13's audit made repeatable (mutation testing by hand, for the bugs that
matter most); `make mutation` is the broad, automatic version. Each bug is a text patch:
``old`` must occur exactly once in its file, or the bug is reported as "does not apply"
(the code moved on: update the patch). The copy holds the working tree as it is,
uncommitted changes included; the repository itself is never touched.

A test run counts as *caught* when pytest reports failures (exit 1), *missed* when every
named test passes (exit 0), and *error* otherwise (collection error, time-out), with the
tail of pytest's output. With ``--baseline``, each bug's tests first run on the unchanged
copy: if they fail there ("baseline fails"), "caught" would mean nothing. (On a machine
whose environment lacks ipywidgets 7, tests/test_ipywidgets7.py fails by design: that
bug's baseline fails there.)
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Bug:
    key: str
    what: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    kernels: bool = False  # its tests start grading kernels (slow)


BUGS = [
    # --- the table of issue 13
    Bug("token", "the grader ignores the completion token (a faked 'ok' reply counts)",
        "course_lib/grading/grade.py",
        'if reply.get("status") == "ok" and index in client.token_seen:',
        'if reply.get("status") == "ok":',
        ("tests/test_grade.py::test_a_faked_ok_reply_without_the_token_does_not_count_and_the_kernel_environment_is_minimal",),
        kernels=True),
    Bug("address-space", "no address-space limit in the grading kernel",
        "course_lib/grading/sandbox_kernel.py",
        "resource.setrlimit(resource.RLIMIT_AS, (mem, mem))", "pass  # no address-space limit",
        ("tests/test_sandbox.py::test_the_address_space_limit_refuses_what_the_system_would_grant",)),
    Bug("address-space-kernel", "no address-space limit in the grading kernel (seen by a graded submission)",
        "course_lib/grading/sandbox_kernel.py",
        "resource.setrlimit(resource.RLIMIT_AS, (mem, mem))", "pass  # no address-space limit",
        ("tests/test_grade.py::test_system_exit_huge_output_and_huge_memory_only_cost_their_exercise",),
        kernels=True),
    Bug("budget", "no time budget per exercise (only the per-cell time-out)",
        "course_lib/grading/grade.py",
        "left = limits.exercise_seconds - spent.get(group, 0.0)", "left = limits.exercise_seconds",
        ("tests/test_grade.py::test_an_exercise_s_cells_share_one_time_budget",), kernels=True),
    Bug("binarize-seed", "binarize re-seeds the global random generator",
        "course_lib/data.py",
        "generator = torch.Generator().manual_seed(seed)\n        noise = torch.rand(images.shape, generator=generator)",
        "torch.manual_seed(seed)\n        noise = torch.rand(images.shape)",
        ("tests/test_data.py",)),
    Bug("makefile", "the Makefile swallows pytest's failures (`|| true`)",
        "Makefile", "\t$(PY) -m pytest $(PYTEST_ARGS)\n", "\t$(PY) -m pytest $(PYTEST_ARGS) || true\n",
        ("tests/test_environment.py::test_the_real_makefile_passes_on_pytests_verdict",)),
    Bug("logsumexp-inf", "probability.logsumexp loses its all -inf handling",
        "course_lib/probability.py",
        "    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # all -inf: keep it -inf, not nan\n", "",
        ("tests/test_probability.py",)),
    Bug("no-compare", "check_function calls the student's function but never compares",
        "course_lib/checks.py", "        if not _same(found, expected, rtol, atol):\n", "        if False:\n",
        ("tests/test_checks.py", "tests/test_a0.py::test_every_visible_check_fails_on_plausible_wrong_stubs")),
    # --- tests added in the first session of issue 13
    Bug("device-order", "choose_device prefers mps over cuda",
        "course_lib/runtime.py",
        '    if torch.cuda.is_available():\n        return torch.device("cuda")\n    if _mps_available():\n'
        '        return torch.device("mps")\n',
        '    if _mps_available():\n        return torch.device("mps")\n    if torch.cuda.is_available():\n'
        '        return torch.device("cuda")\n',
        ("tests/test_runtime.py",)),
    Bug("offline", "COURSE_OFFLINE=1 is ignored (the network is probed anyway)",
        "course_lib/data.py", 'if os.environ.get("COURSE_OFFLINE", "") not in ("", "0"):', "if False:",
        ("tests/test_data.py",)),
    Bug("cache-dir", "the data cache defaults to another folder",
        "course_lib/runtime.py", 'Path.home() / ".cache" / "course_lib"', 'Path.home() / ".course_lib"',
        ("tests/test_runtime.py",)),
    Bug("ipywidgets7-missing", "the environment make built lacks ipywidgets 7 (its tests must fail, not skip)",
        "tests/test_ipywidgets7.py", 'COMPAT = Path(sys.prefix) / "compat" / "ipywidgets7"',
        'COMPAT = Path(sys.prefix) / "compat" / "not-installed"',
        ("tests/test_ipywidgets7.py::test_progress_bar_and_basic_widgets_under_ipywidgets7",)),
    Bug("notebook-guard", "the whole suite runs without noticing a notebook folder left out",
        "conftest.py", "    if missing:\n", "    if False:\n",
        ("tests/test_notebook_files.py::test_the_whole_suite_refuses_to_run_without_every_notebook",)),
    # --- claims of README and docs/instructors.md
    Bug("profile-branch", "a notebook runs other code in the fast profile (a branch, not a size)",
        "notebooks/04_autoencoders.py", "EPOCHS = profile.choose(full=20, fast=1)",
        "EPOCHS = 20\nif profile.fast:\n    EPOCHS = 1",
        ("tests/test_profile.py",)),
    Bug("reference-copies", "checks call the reference on the caller's tensors, not on copies",
        "course_lib/checks.py", "expected = _as_tensor(reference(*_clone_args(args)), \"reference\")",
        "expected = _as_tensor(reference(*args), \"reference\")",
        ("tests/test_checks.py::test_the_reference_is_called_on_copies_of_the_inputs",)),
    Bug("tensor-subclass", "checks accept tensor subclasses (a look-alike whose .all() says True)",
        "course_lib/checks.py", "    if type(value) is torch.Tensor:  # exact type", "    if isinstance(value, torch.Tensor):  #",
        ("tests/test_checks.py::test_a_tensor_lookalike_cannot_pass",)),
    Bug("tensor-subclass-kernel", "checks accept tensor subclasses (seen by a graded submission)",
        "course_lib/checks.py", "    if type(value) is torch.Tensor:  # exact type", "    if isinstance(value, torch.Tensor):  #",
        ("tests/test_grade.py::test_a_tensor_lookalike_does_not_fool_the_checks",), kernels=True),
    Bug("cpu-limit", "no CPU-time limit in the grading kernel",
        "course_lib/grading/sandbox_kernel.py",
        "resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))", "pass  # no CPU limit",
        ("tests/test_sandbox.py::test_the_cpu_limit_kills_a_loop_that_ignores_interrupts",)),
    Bug("file-size", "no file-size limit in the grading kernel",
        "course_lib/grading/sandbox_kernel.py",
        "resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * 2**20, file_mb * 2**20))", "pass  # no file limit",
        ("tests/test_sandbox.py::test_the_file_size_limit_stops_a_huge_file",)),
    Bug("environment", "the kernel inherits the grader's whole environment",
        "course_lib/grading/grade.py", "env = {k: os.environ[k] for k in keep if k in os.environ}",
        "env = dict(os.environ)",
        ("tests/test_sandbox.py::test_the_kernel_gets_a_minimal_environment",)),
    Bug("20mb", "files over 20 MB are read anyway",
        "course_lib/grading/submissions.py", "if size > MAX_SUBMISSION_BYTES:", "if False:",
        ("tests/test_sandbox.py::test_a_file_over_20_mb_is_rejected_before_it_is_read",)),
    Bug("50k", "solution cells over 50,000 characters are graded anyway",
        "course_lib/grading/submissions.py", "if len(src) > MAX_SOLUTION_CELL_CHARS:", "if False:",
        ("tests/test_sandbox.py::test_a_solution_cell_over_50k_characters_is_replaced_by_its_stub",)),
    Bug("error-regrade", "a re-run skips submissions whose grading failed (status error)",
        "course_lib/grading/grade.py", 'if old.sha256 == _sha256(path) and old.status != "error":',
        "if old.sha256 == _sha256(path):",
        ("tests/test_sandbox.py::test_a_grader_failure_is_an_error_result_and_is_graded_again",)),
    Bug("cli-validation", "the grader's command line takes out-of-range limits",
        "course_lib/grading/grade.py", "        check_arguments(args)\n", "",
        ("tests/test_cli.py",)),
    Bug("causal-no-grad", "check_causal crashes (RuntimeError) on an output without gradient",
        "course_lib/checks.py", "    if not out.requires_grad:  # nothing to differentiate",
        "    if False:  # nothing to differentiate",
        ("tests/test_checks.py::test_check_causal_fails_clearly_on_an_output_without_gradient",)),
    Bug("guard-restore", "the guard does not restore patched modules before a check",
        "course_lib/grading/guard.py", "    def restore() -> None:\n", "    def restore() -> None:\n        return\n",
        ("tests/test_guard.py",)),
    Bug("guard-restore-kernel", "the guard does not restore patched modules (seen by a graded submission)",
        "course_lib/grading/guard.py", "    def restore() -> None:\n", "    def restore() -> None:\n        return\n",
        ("tests/test_grade.py::test_without_the_screen_one_exercise_s_crash_costs_only_that_exercise",),
        kernels=True),
]


def copy_course(dest: Path) -> None:
    """The working tree as it is (tracked and untracked files, not the ignored ones)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_tests(copy: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, str, float]:
    env = {**os.environ, "PYTHONPATH": str(copy), "COURSE_PROFILE": "fast"}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x",
                               "--no-header", *tests], cwd=copy, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "error", f"timed out after {timeout:g} s", time.monotonic() - started
    seconds = time.monotonic() - started
    verdict = {0: "missed", 1: "caught"}.get(done.returncode, "error")
    lines = (done.stdout + done.stderr).strip().splitlines()
    if verdict == "caught":  # what failed, and the first line of why
        failed = [ln for ln in lines if ln.startswith("FAILED ")][:3]
        why = [ln for ln in lines if ln.startswith("E ")][:1]
        return verdict, "\n".join(failed + why), seconds
    return verdict, "\n".join(lines[-12:]), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated bug keys (default: every bug)")
    parser.add_argument("--no-kernels", action="store_true", help="skip bugs whose tests start grading kernels")
    parser.add_argument("--kernels", action="store_true", help="only bugs whose tests start grading kernels")
    parser.add_argument("--baseline", action="store_true",
                        help="before each bug, run its tests on the unchanged copy (they must pass)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per test run (default 1200)")
    parser.add_argument("--list", action="store_true", help="list the bugs and their tests, run nothing")
    args = parser.parse_args(argv)
    wanted = {k for k in args.only.split(",") if k}
    unknown = wanted - {b.key for b in BUGS}
    if unknown:
        print(f"error: unknown bug key(s) {sorted(unknown)}; --list shows them", file=sys.stderr)
        return 2
    bugs = [b for b in BUGS if (not wanted or b.key in wanted) and not (args.no_kernels and b.kernels)
            and not (args.kernels and not b.kernels)]
    if args.list:
        for b in bugs:
            print(f"{b.key:<20} {b.what}\n{'':<20} {b.file}; tests: {', '.join(b.tests)}")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="deliberate-bugs-") as tmp:
        copy = Path(tmp) / "course"
        copy_course(copy)
        for bug in bugs:
            path = copy / bug.file
            original = path.read_text()
            if original.count(bug.old) != 1:
                results.append((bug, "does not apply", f"{bug.old!r} occurs {original.count(bug.old)} times", 0.0))
            elif args.baseline and (base := run_tests(copy, bug.tests, args.timeout))[0] != "missed":
                # the named tests fail without the bug: "caught" would mean nothing
                results.append((bug, "baseline fails", base[1], base[2]))
            else:
                path.write_text(original.replace(bug.old, bug.new))
                try:
                    results.append((bug, *run_tests(copy, bug.tests, args.timeout)))
                finally:
                    path.write_text(original)
            bug_, verdict, tail, seconds = results[-1]
            print(f"{verdict:<15} {bug.key:<20} {seconds:6.0f} s  {bug.what}", flush=True)
            print("    " + tail.replace("\n", "\n    ")[:1500], flush=True)
    caught = sum(1 for _, v, _, _ in results if v == "caught")
    print(f"\n{caught} of {len(results)} deliberate bugs caught")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
