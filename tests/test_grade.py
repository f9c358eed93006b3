"""course_lib.grading.grade: a folder of submissions -> points and feedback, whatever the submissions do.

The submissions are made afresh from the current assignment by tests/a0_submissions.py.
They are graded once, in one batch with -j 2 and short time limits; the tests then read
the results. About two minutes on two cores. Time limits are generous multiples of what
a cell needs, so that the tests do not flake on a loaded machine.
"""
from __future__ import annotations

import copy
import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_lib.grading import grade, submissions

ROOT = Path(__file__).resolve().parents[1]
# huge_output prints ~10 MB per call (~40 MB per check cell): dropped, not a flood; an endless
# print loop passes 100 MB in a second or two, well within the 8 s per cell.
LIMITS = grade.Limits(cell_seconds=8, exercise_seconds=20, memory_mb=6144, output_bytes=20_000,
                      flood_bytes=100_000_000)
FULL = 22
pytestmark = pytest.mark.timeout(600)

REJECTED_WHOLE = ["not_json", "json_not_notebook", "other_assignment"]


@pytest.fixture(scope="module")
def source():
    return submissions.load_source("A0_probability_toolkit")


@pytest.fixture(scope="module")
def a0_dir(tmp_path_factory):
    """A folder with every test submission, written from the assignment as it is now."""
    from a0_submissions import write_submissions

    folder = tmp_path_factory.mktemp("a0_submissions")
    write_submissions(folder)
    return folder


@pytest.fixture(scope="module")
def batch(source, a0_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("grades")
    subs = sorted(a0_dir.glob("*.ipynb"))
    started = time.monotonic()
    results = grade.grade_folder(source, subs, out, LIMITS, jobs=2, log=lambda m: None)
    seconds = time.monotonic() - started
    print(f"graded {len(subs)} submissions in {seconds:.1f} s")
    return out, {r.student: r for r in results}, seconds


def points(result):
    return {c.grade_id: c.points for c in result.checks}


def feedback(out, student):
    return (out / "feedback" / f"{student}.md").read_text()


def test_points_table_has_a_row_per_student_and_a_column_per_check(batch, source):
    out, results, _ = batch
    rows = list(csv.DictReader((out / "points.csv").open()))
    assert [r["student"] for r in rows] == sorted(results)
    assert list(rows[0]) == (["student"] + [c.grade_id for c in source.info.checks]
                             + ["total", "status", "flagged", "incidents"])
    by = {r["student"]: r for r in rows}
    assert by["perfect"]["total"] == str(FULL) and by["empty"]["total"] == "0"
    assert by["perfect"]["flagged"] == by["perfect"]["incidents"] == ""
    assert by["flagged_but_right"]["flagged"] == "a0_log_posterior" and by["flagged_but_right"]["total"] == str(FULL)
    assert by["infinite_loop"]["incidents"] == "a0_logsumexp: timed out"
    assert {p.stem for p in (out / "feedback").glob("*.md")} == set(results)
    assert not list(out.rglob("*.tmp")), "a temporary file was left behind"


def test_perfect_empty_partial_wrong(batch):
    out, results, _ = batch
    assert results["perfect"].total == FULL and results["perfect"].status == "graded"
    assert results["empty"].total == 0
    assert "not implemented yet" in feedback(out, "empty")
    assert results["partial"].total == 7  # log-sum-exp (4) and Bayes (3) done
    assert results["wrong"].total == 0
    text = feedback(out, "wrong")
    for hint in ("subtract the log evidence", "the naive formula", "arguments are swapped", "`>=`"):
        assert hint in text, hint


def test_edited_or_deleted_check_cells_change_nothing(batch):
    _, results, _ = batch
    assert results["edited_checks"].total == results["wrong"].total == 0
    assert results["deleted_checks"].total == FULL


def test_lost_metadata_is_found_by_function_and_missing_cells_score_zero(batch):
    out, results, _ = batch
    assert results["lost_metadata"].total == FULL
    assert "found by the function it defines" in feedback(out, "lost_metadata")
    r = points(results["missing_cells"])
    assert r["a0_kl_check"] == r["a0_kl_more"] == r["a0_sample_check"] == r["a0_sample_more"] == 0
    assert results["missing_cells"].total == FULL - 9  # KL (5) and sampling (4) lost
    assert "`a0_kl` was not found" in feedback(out, "missing_cells")


@pytest.mark.parametrize("student, reason", [
    ("not_json", "not valid JSON"),
    ("json_not_notebook", "not a Jupyter notebook"),
    ("other_assignment", "another assignment"),
])
def test_files_that_are_not_this_assignment_are_rejected(batch, student, reason):
    out, results, _ = batch
    assert results[student].status == "rejected" and results[student].total == 0
    assert reason in feedback(out, student)


def test_an_infinite_loop_costs_only_its_exercise_and_its_time_limit(batch):
    out, results, _ = batch
    r = results["infinite_loop"]
    assert points(r)["a0_logsumexp_check"] == 0 and r.total == FULL - 4
    assert r.incidents == ["a0_logsumexp: timed out"]
    text = feedback(out, "infinite_loop")
    assert "exercise `a0_logsumexp`: the notebook's cell" in text and "was stopped after 8 s" in text
    assert "replaced by its stub" in text
    # one cell time-out + two runs of the notebook (each a kernel start and `import torch`)
    assert r.seconds < LIMITS.cell_seconds + 2 * 40, r.seconds


def test_a_flood_of_output_costs_only_its_exercise(batch):
    out, results, _ = batch
    r = results["flood_in_ex3"]
    assert r.total == FULL - 5
    assert {g: p for g, p in points(r).items() if p == 0} == {"a0_kl_check": 0, "a0_kl_more": 0}
    # How far the flood gets within the cell's 8 s depends on the machine's load: on a
    # quiet machine it passes flood_bytes and is stopped as a flood; on a loaded one the
    # cell time-out comes first. Either way only its exercise is lost, and it is named.
    assert r.incidents in (["a0_kl: output flood"], ["a0_kl: timed out"]), r.incidents
    if r.incidents == ["a0_kl: output flood"]:
        assert f"printed more than {LIMITS.flood_bytes:,} bytes" in feedback(out, "flood_in_ex3")


def test_flagged_constructs_cost_nothing_and_are_marked(batch):
    out, results, _ = batch
    r = results["flagged_but_right"]
    assert r.total == FULL and len(r.flags) == 1
    assert "sets `torch.backends.cudnn.benchmark`" in r.flags[0]
    assert "Marked for your instructor" in feedback(out, "flagged_but_right")
    assert not results["perfect"].flags


def test_system_exit_huge_output_and_huge_memory_only_cost_their_exercise(batch):
    out, results, _ = batch
    assert results["system_exit"].total == FULL - 4  # log-sum-exp lost, the kernel lived on
    assert "solution cell `a0_logsumexp` raised SystemExit: bye" in feedback(out, "system_exit")
    assert results["huge_output"].total == FULL
    assert "bytes of output were dropped" in feedback(out, "huge_output")
    # 4 GB that the operating system would grant (overcommit) but the address-space limit refuses
    assert results["huge_memory"].total == FULL - 4 and not results["huge_memory"].incidents
    assert "can't allocate memory" in feedback(out, "huge_memory")


@pytest.mark.parametrize("student, exercise, reason", [
    ("os_exit", "a0_log_posterior", "`import os` is not allowed"),
    ("sys_exit", "a0_log_posterior", "`import sys` is not allowed"),
    ("segfault", "a0_kl", "`import os` is not allowed"),
    ("patch_checks", "a0_kl", "importing `checks` from `course_lib` is not allowed"),
    ("patch_torch", "a0_logsumexp", "replaces a function, class or module of `torch`"),
    ("read_history", "a0_sample", "`In` is not allowed"),
])
def test_hostile_solution_cells_are_refused_with_a_reason(batch, source, student, exercise, reason):
    out, results, _ = batch
    r = points(results[student])
    lost = {c.grade_id for c in source.info.checks if c.grade_id.startswith(exercise + "_")}
    assert all(r[g] == 0 for g in lost)
    assert results[student].total == FULL - sum(c.points for c in source.info.checks if c.grade_id in lost)
    text = feedback(out, student)
    assert f"solution cell `{exercise}` was refused by the grader's screen" in text and reason in text


def test_shadowing_a_builtin_is_accepted_and_changes_nothing(batch):
    """`AssertionError = KeyboardInterrupt` at top level: harmless, since check cells run with
    the real builtins; the wrong KL still fails its checks (as before the screen allowed it)."""
    out, results, _ = batch
    r = results["shadow_assert"]
    assert r.total == FULL - 5 and not r.flags
    assert "refused" not in feedback(out, "shadow_assert")


def test_a_tensor_lookalike_does_not_fool_the_checks(batch):
    """Its `.all()` says True, which would pass every comparison if the checks took tensor
    subclasses (shown in tests/test_checks.py); both KL checks fail, saying why."""
    out, results, _ = batch
    r = points(results["tensor_lookalike"])
    assert r["a0_kl_check"] == r["a0_kl_more"] == 0 and results["tensor_lookalike"].total == FULL - 5
    assert "should return a plain torch.Tensor" in feedback(out, "tensor_lookalike")


def test_patching_torch_during_a_check_is_caught_by_the_guard(batch):
    out, results, _ = batch
    r = points(results["sneaky_patch"])
    assert r["a0_kl_check"] == 0 and results["sneaky_patch"].total == FULL - 5
    assert "torch.Tensor.all (added)" in feedback(out, "sneaky_patch")


def test_without_the_screen_one_exercise_s_crash_costs_only_that_exercise(source, a0_dir, tmp_path):
    """Defence in depth: if the static screen missed them, the kernel sandbox still copes,
    and a dead kernel costs only the exercise whose cell killed it."""
    subs = [a0_dir / f"{name}.ipynb" for name in ("os_exit", "segfault", "patch_checks", "hang_exit_flood")]
    limits = grade.Limits(cell_seconds=8, exercise_seconds=20, flood_bytes=100_000_000, screen=False)
    results = {r.student: r for r in grade.grade_folder(source, subs, tmp_path, limits, jobs=2,
                                                        log=lambda m: None)}
    for name, exercise, lost in (("os_exit", "a0_log_posterior", 3), ("segfault", "a0_kl", 5)):
        assert results[name].status == "graded"
        assert results[name].total == FULL - lost
        assert results[name].incidents == [f"{exercise}: kernel died"]
        assert f"exercise `{exercise}`: the kernel died" in feedback(tmp_path, name)
    # hang in exercise 1, os._exit in exercise 2, endless output in exercise 3: exercises 4-7 still score
    r = results["hang_exit_flood"]
    assert r.incidents == ["a0_logsumexp: timed out", "a0_log_posterior: kernel died", "a0_kl: output flood"]
    assert r.total == FULL - 4 - 3 - 5 and points(r)["a0_sample_check"] == points(r)["a0_sample_more"] == 2
    # Patching the check module is undone by the guard's restore before each check cell: the
    # KL checks run the real checks and fail, and every check after the patch scores normally
    # (without the restore, the verify at the end of each check would fail them all).
    r = points(results["patch_checks"])
    assert r["a0_kl_check"] == r["a0_kl_more"] == 0
    assert results["patch_checks"].total == FULL - 5 and not results["patch_checks"].incidents
    ids = [c.grade_id for c in source.info.checks]
    after = source.info.checks[ids.index("a0_kl_more") + 1:]
    assert after and all(r[c.grade_id] == c.points for c in after), r


def test_an_interrupted_grader_loses_nothing_and_a_rerun_resumes(source, a0_dir, tmp_path):
    subs_dir, out = tmp_path / "subs", tmp_path / "out"
    subs_dir.mkdir()
    for name in ("perfect", "empty", "partial"):
        shutil.copy(a0_dir / f"{name}.ipynb", subs_dir)
    command = [sys.executable, "-m", "course_lib.grading.grade", "A0_probability_toolkit", str(subs_dir),
               "--out", str(out), "-j", "1", "--cell-timeout", "8", "--exercise-timeout", "20"]
    # As from an instructor's terminal: Ctrl-C at its default. A suite started as a background
    # job (`make test &`, nohup, some CI runners) has SIGINT ignored; a child inherits that,
    # and Python then installs no KeyboardInterrupt, so the grader would never see the Ctrl-C.
    grader = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list((out / "results").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    grader.send_signal(signal.SIGINT)  # the instructor presses Ctrl-C
    assert grader.wait(timeout=120) != 0
    stored = {p.stem: json.loads(p.read_text())["status"] for p in (out / "results").glob("*.json")}
    assert 1 <= len(stored) < 3 and not list(out.rglob("*.tmp"))
    assert not (out / "points.csv").exists()
    # The submission running when Ctrl-C came may be stored as an "error" (its grading was cut
    # short, or finished normally); an error is re-graded by the re-run, a finished one is not.
    finished = {name for name, status in stored.items() if status != "error"}
    assert finished, stored  # the first submission was finished before the Ctrl-C was sent
    logs = []
    results = grade.grade_folder(source, grade.find_submissions(subs_dir), out, LIMITS, jobs=2, log=logs.append)
    assert logs[0] == f"skipping {len(finished)} submission(s) graded before (use --force to re-grade)"
    assert len(logs) == 1 + 3 - len(finished)
    assert {r.student: r.total for r in results} == {"perfect": FULL, "empty": 0, "partial": 7}


def test_a_rerun_regrades_changed_files_and_everything_with_force(source, a0_dir, tmp_path):
    subs_dir, out = tmp_path / "subs", tmp_path / "out"
    subs_dir.mkdir()
    for name in REJECTED_WHOLE:  # rejected before any kernel starts: fast
        shutil.copy(a0_dir / f"{name}.ipynb", subs_dir)
    subs = grade.find_submissions(subs_dir)
    grade.grade_folder(source, subs, out, LIMITS, log=lambda m: None)
    logs = []
    grade.grade_folder(source, subs, out, LIMITS, log=logs.append)
    assert logs == ["skipping 3 submission(s) graded before (use --force to re-grade)"]
    (subs_dir / "not_json.ipynb").write_text("still not a notebook")  # a changed file is re-graded
    logs.clear()
    grade.grade_folder(source, subs, out, LIMITS, log=logs.append)
    assert len(logs) == 2 and "not_json" in logs[1]
    logs.clear()
    grade.grade_folder(source, subs, out, LIMITS, force=True, log=logs.append)
    assert len(logs) == len(subs)


def test_cli(a0_dir, tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(a0_dir / "not_json.ipynb", subs)
    code = grade.main(["A0_probability_toolkit", str(subs), "--out", str(tmp_path / "out"), "-j", "2"])
    assert code == 0
    text = capsys.readouterr().out
    assert f"{FULL} points" in text and "points.csv" in text
    row = json.loads((tmp_path / "out" / "results" / "not_json.json").read_text())
    assert row["status"] == "rejected"
    assert grade.main(["no_such_assignment", str(subs)]) == 2
    assert grade.main(["A0_probability_toolkit", str(tmp_path / "missing")]) == 2


def test_a_duplicated_solution_cell_is_noted_and_the_first_is_graded(source, a0_dir, tmp_path):
    import copy

    import nbformat

    nb = nbformat.read(a0_dir / "perfect.ipynb", as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "a0_kl")
    extra = copy.deepcopy(nb.cells[index])
    extra.id, extra.source = "copied", "def kl_divergence(p, q):\n    return p.sum(-1) * 0"
    nb.cells.insert(index + 1, extra)
    path = tmp_path / "dup.ipynb"
    nbformat.write(nb, path)
    solutions, reasons, flags = submissions.read_submission(path, source)
    assert "appears more than once" in reasons[0] and "torch.where" in solutions["a0_kl"] and not flags


def _mini_assignment(folder: Path, *, demos: int = 0, env_check: bool = False, hang: bool = False) -> Path:
    """A one-exercise solution notebook whose check cell uses a builtin and a variable of the
    instructor's; ``demos`` cells after the solution call it once each (they count towards the
    exercise's time budget); ``env_check`` adds a check of the kernel's environment."""
    import nbformat

    from course_lib.notebook_setup import SETUP_CELL

    def meta(gid, **kw):
        return {"nbgrader": {"grade_id": gid, "schema_version": 3, **kw}}

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny assignment"),
        nbformat.v4.new_code_cell(SETUP_CELL),
        nbformat.v4.new_code_cell("target = 4.0"),
        nbformat.v4.new_code_cell("def square(x):\n    \"\"\"x squared.\"\"\"\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                                  metadata=meta("mini_square", solution=True, grade=False, locked=False)),
        *[nbformat.v4.new_code_cell(f"print(square({i}.0))") for i in range(demos)],
        *([nbformat.v4.new_code_cell("import time\ntime.sleep(600)  # the instructor's own cell hangs")]
          if hang else []),
        nbformat.v4.new_code_cell('assert abs(square(2.0) - target) < 1e-9, "square(2) should be 4"',
                                  metadata=meta("mini_square_check", solution=False, grade=True, locked=True,
                                                points=1)),
    ]
    if env_check:  # the instructor's own check cell may import os
        nb.cells.append(nbformat.v4.new_code_cell(
            "import os, tempfile\n"
            "home = os.environ['HOME']\n"
            "assert os.getcwd() == home == os.environ['TMPDIR'] == tempfile.gettempdir(), (os.getcwd(), home)\n"
            f"assert home != {str(Path.home())!r} and os.path.basename(os.path.dirname(home))"
            ".startswith('grade-'), home\n"
            "assert 'GRADER_TEST_SECRET' not in os.environ, 'the instructor\\'s environment leaked'\n"
            "assert os.environ['OMP_NUM_THREADS'] == '1'\n"
            "from course_lib import runtime\n"
            "assert runtime.setup(seed=0).threads == 1, 'a -j kernel took more than one thread'",
            metadata=meta("mini_env_check", solution=False, grade=True, locked=True, points=1)))
    path = folder / "mini.ipynb"
    nbformat.write(nb, path)
    return path


def _grade_mini(folder: Path, answers: dict[str, str], limits: grade.Limits, **mini) -> dict[str, grade.Result]:
    import nbformat

    source = submissions.load_source(str(_mini_assignment(folder, **mini)))
    subs = folder / "subs"
    subs.mkdir()
    for name, code in answers.items():
        nb = copy.deepcopy(source.nb)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                cell.source = code
        nbformat.write(nb, subs / f"{name}.ipynb")
    return {r.student: r for r in grade.grade_folder(source, grade.find_submissions(subs), folder / "out",
                                                     limits, jobs=2, log=lambda m: None)}


def test_an_exercise_s_cells_share_one_time_budget(tmp_path):
    """Each of the exercise's cells stays well under the 8 s cell limit (2.5 s), but together
    they pass the exercise's 6 s budget: the cell running when it is spent is stopped and the
    exercise scores 0. An honest answer needs milliseconds of the same budget."""
    limits = grade.Limits(cell_seconds=8, exercise_seconds=6, output_bytes=20_000, flood_bytes=100_000_000)
    slow = "import time\n\ndef square(x):\n    time.sleep(2.5)\n    return x * x"
    results = _grade_mini(tmp_path, {"honest": "def square(x):\n    return x ** 2", "slow": slow}, limits, demos=4)
    assert results["honest"].total == 1 and not results["honest"].incidents
    assert results["slow"].total == 0
    assert results["slow"].incidents in (["mini_square: timed out"], ["mini_square: time budget"])
    text = feedback(tmp_path / "out", "slow")
    assert "of the exercise's 6 s" in text or "its whole time budget (6 s)" in text, text


def test_a_hang_the_stub_does_not_remove_stops_the_submission_with_the_reason(tmp_path):
    """When the exercise is already a stub and its cells still time out (here an instructor's
    cell hangs), grading stops there, and the feedback says so."""
    limits = grade.Limits(cell_seconds=3, exercise_seconds=20, output_bytes=20_000, flood_bytes=100_000_000)
    results = _grade_mini(tmp_path, {"honest": "def square(x):\n    return x ** 2"}, limits, hang=True)
    r = results["honest"]
    assert r.status == "graded" and r.total == 0
    assert r.incidents == ["mini_square: timed out", "mini_square: timed out, stopped"]
    assert "the checks after it did not run" in feedback(tmp_path / "out", "honest")


def test_a_faked_ok_reply_without_the_token_does_not_count_and_the_kernel_environment_is_minimal(
        tmp_path, monkeypatch):
    """With the screen off, a solution makes IPython drop the source of every later cell: each
    check cell then replies "ok" without having run. Only the completion token, which the
    check's own code prints at its end, tells the difference. The honest submission's second
    check asserts the kernel's environment: HOME, TMPDIR and the working folder are the
    submission's temporary folder, and the grader's own variables do not leak in."""
    monkeypatch.setenv("GRADER_TEST_SECRET", "do-not-leak")
    limits = grade.Limits(cell_seconds=8, exercise_seconds=20, output_bytes=20_000, flood_bytes=100_000_000,
                          screen=False)
    fake = ("get_ipython().input_transformers_cleanup.append(lambda lines: [])\n\n"
            "def square(x):\n    return 0.0")
    results = _grade_mini(tmp_path, {"honest": "def square(x):\n    return x ** 2", "fake_ok": fake}, limits,
                          env_check=True)
    assert results["honest"].total == 2, [c.message for c in results["honest"].checks]
    assert results["fake_ok"].total == 0 and not results["fake_ok"].incidents
    for check in results["fake_ok"].checks:
        assert check.message == "the check did not run to its end (its completion token was not printed).", check


def test_check_cells_see_the_real_builtins_and_the_instructor_s_names(tmp_path):
    """A solution that shadows `abs` and rebinds the instructor's `target` at top level would make
    the check's own assert pass; check cells run with the real builtins and the instructor's values."""
    results = _grade_mini(tmp_path, {"honest": "def square(x):\n    return x ** 2",
                                     "cheat": "abs = lambda v: 0.0\ntarget = 0.0\n\ndef square(x):\n    return 0.0"},
                          LIMITS)
    assert results["honest"].total == 1
    assert results["cheat"].total == 0 and not results["cheat"].reasons
    assert results["cheat"].checks[0].message == "square(2) should be 4"


# Functions of ungraded cells that check cells may call: each only shapes a hint, never a verdict.
HINT_ONLY = {("A3_gans", "kl_divergence"): "a3_jsd_check builds its known mistakes' hints from it"}


@pytest.mark.parametrize("name", ["A0_probability_toolkit", "A1_autoregressive", "A2_vae", "A3_gans"])
def test_check_cells_call_no_function_of_an_ungraded_cell(name):
    """A function defined in an ungraded cell of the instructor's looks its global names up in
    the notebook's namespace, where a solution cell can rebind them; check cells run with the
    instructor's names, but such a function would not. So what a check's verdict relies on is
    defined in course_lib (guarded by the grader) or in the check cells themselves (which run
    in a namespace of their own)."""
    import ast

    from course_lib.grading import authoring

    nb = authoring.read_solution(ROOT / "solutions" / f"{name}.ipynb")[0]
    defined, called = set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        if authoring.is_check_cell(cell):
            called |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        elif not authoring.is_solution_cell(cell):
            defined |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                     ast.ClassDef))}
            defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Lambda)
                        for t in n.targets if isinstance(t, ast.Name)}
    unsafe = {f for f in defined & called if (name, f) not in HINT_ONLY}
    assert not unsafe, f"check cells of {name} call {sorted(unsafe)}, defined in an ungraded cell"


# --- a kernel that does not start is the machine's fault: started once more ------------------

def _kernels_that_fail_to_start(monkeypatch, folder: Path, failures: int) -> Path:
    """Grading kernels launched through a wrapper that logs every launch; the first ``failures``
    launches exit at once, so that kernel never becomes ready (as one can under heavy load).
    Returns the launch log."""
    log, wrapper = folder / "launches.txt", folder / "launch.py"
    wrapper.write_text("import os, sys\n"
                       "log, failures = sys.argv[1], int(sys.argv[2])\n"
                       "with open(log, 'a') as fh:\n    fh.write('launch\\n')\n"
                       "if len(open(log).read().split()) <= failures:\n    sys.exit(3)\n"
                       "os.execv(sys.argv[3], sys.argv[3:])\n")
    make_spec = grade._kernelspec_dir

    def wrapped(limits, root, exercises):
        dirs = make_spec(limits, root, exercises)
        spec = dirs / grade.KERNEL_NAME / "kernel.json"
        data = json.loads(spec.read_text())
        data["argv"] = [sys.executable, str(wrapper), str(log), str(failures), *data["argv"]]
        spec.write_text(json.dumps(data))
        return dirs

    monkeypatch.setattr(grade, "_kernelspec_dir", wrapped)
    return log


def test_a_kernel_that_does_not_start_is_started_once_more_and_it_is_recorded(tmp_path, monkeypatch):
    launches = _kernels_that_fail_to_start(monkeypatch, tmp_path, failures=1)
    limits = grade.Limits(cell_seconds=8, exercise_seconds=20, output_bytes=20_000, flood_bytes=100_000_000)
    r = _grade_mini(tmp_path, {"honest": "def square(x):\n    return x ** 2"}, limits)["honest"]
    assert launches.read_text().split() == ["launch", "launch"]
    assert r.status == "graded" and r.total == 1, r
    assert r.incidents == ["grader: kernel did not start, started again"]
    assert "did not start at the first try" in feedback(tmp_path / "out", "honest")
    assert "grader: kernel did not start" in (tmp_path / "out" / "points.csv").read_text()


def test_a_kernel_that_does_not_start_twice_is_a_grader_error_not_the_student_s(tmp_path, monkeypatch):
    launches = _kernels_that_fail_to_start(monkeypatch, tmp_path, failures=2)
    limits = grade.Limits(cell_seconds=8, exercise_seconds=20, output_bytes=20_000, flood_bytes=100_000_000)
    r = _grade_mini(tmp_path, {"honest": "def square(x):\n    return x ** 2"}, limits)["honest"]
    assert launches.read_text().split() == ["launch", "launch"]       # retried once, not more
    assert r.status == "error" and r.total == 0
    assert "KernelStartError" in r.reasons[-1] and "not of the submission" in r.reasons[-1], r.reasons


def test_a_student_s_time_out_is_never_retried(tmp_path, monkeypatch):
    """The kernel started; the student's loop timed out: one run with it, one with the stub, no third."""
    launches = _kernels_that_fail_to_start(monkeypatch, tmp_path, failures=0)
    limits = grade.Limits(cell_seconds=3, exercise_seconds=20, output_bytes=20_000, flood_bytes=100_000_000)
    r = _grade_mini(tmp_path, {"loop": "def square(x):\n    while True:\n        pass"}, limits)["loop"]
    assert r.status == "graded" and r.total == 0 and r.incidents == ["mini_square: timed out"]
    assert launches.read_text().split() == ["launch", "launch"]
