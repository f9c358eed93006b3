"""pytest set-up for the whole repository (unit tests and notebooks alike).

The test suite always runs in the ``fast`` profile unless the caller sets
COURSE_PROFILE: nbval's kernels inherit this environment.

A run of the whole suite (``make test``: pytest with no paths, so the ``testpaths`` of
pyproject.toml) must execute every lecture notebook, every solution and every student
assignment under nbval. If a notebook were silently left out (a renamed folder, a changed
``norecursedirs``), the run stops with an error naming it instead of passing without it.

In a student assignment, the builder (course_lib/grading/authoring.py) tags each cell that
depends on a stub with nbval's ``raises-exception``. nbval alone only *allows* such a cell
to raise; :func:`pytest_runtest_call` below makes it a failure when the cell runs cleanly,
so the run proves both halves: every other cell runs, every tagged cell fails.

Tests marked ``gpu`` need CUDA: skipped here with the reason, run by the same command on a
GPU machine (README, "Running the tests on a GPU").
"""
import os
from pathlib import Path

import pytest

os.environ.setdefault("COURSE_PROFILE", "fast")

ROOT = Path(__file__).resolve().parent
EXECUTED_FOLDERS = ("notebooks", "solutions", "assignments")
RAISES_TAG = "raises-exception"


def expected_notebooks() -> set[Path]:
    return {p for folder in EXECUTED_FOLDERS for p in (ROOT / folder).glob("*.ipynb")}


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU; skipped, with the reason, elsewhere")


def _skip_gpu_tests_without_a_gpu(items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (none here): on a GPU machine, or a "
                                   "Colab GPU runtime, `make test` runs it")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


def _whole_suite(config) -> bool:
    whole_suite = not config.args or [Path(a).resolve() for a in config.args] == [
        (ROOT / p).resolve() for p in config.getini("testpaths")]
    return whole_suite and not config.getoption("-k") and not config.getoption("-m")


def _missing_notebooks(config, collected: set[Path]) -> list[str]:
    """The notebooks a whole-suite run left out (sets the count to report if none)."""
    missing = sorted(str(p.relative_to(ROOT)) for p in expected_notebooks() - collected)
    if not missing:
        config.stash[NOTEBOOK_COUNT] = len(expected_notebooks())
    return missing


def _not_collected(missing: list[str]) -> str:
    return f"the whole test suite must execute every notebook, but these were not collected: {missing}"


def pytest_collection_modifyitems(session, config, items):
    _skip_gpu_tests_without_a_gpu(items)
    if hasattr(config, "workerinput") or not _whole_suite(config):
        return  # under pytest-xdist the controller checks what the workers collected (below)
    missing = _missing_notebooks(config, {Path(str(item.fspath)).resolve() for item in items})
    if missing:
        raise pytest.UsageError(_not_collected(missing))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """pytest -n N: the same guard, on the test ids a worker collected, before any runs."""
    config = node.config
    if not _whole_suite(config):
        return
    missing = _missing_notebooks(config, {(ROOT / i.split("::")[0]).resolve() for i in ids})
    if missing:
        config.pluginmanager.getplugin("dsession").shouldstop = _not_collected(missing)


NOTEBOOK_COUNT = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config):
    count = config.stash.get(NOTEBOOK_COUNT, None)
    if count is not None:
        terminalreporter.write_line(f"notebooks run under nbval: {count} "
                                    f"({', '.join(EXECUTED_FOLDERS)})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if _expected_to_raise(item) and not any(
            out.get("output_type") == "error" or "ename" in out for out in (item.test_outputs or [])):
        pytest.fail(f"cell {item.cell_num} of {Path(str(item.fspath)).name} is tagged '{RAISES_TAG}' "
                    "(it depends on a stub) but ran without an error: the stub no longer makes it "
                    "fail, or the builder's analysis (authoring.stub_dependent_cells) is wrong",
                    pytrace=False)
    return result


def _expected_to_raise(item) -> bool:
    """An nbval cell of a student assignment that the builder tagged raises-exception."""
    cell = getattr(item, "cell", None)
    if cell is None or not hasattr(item, "test_outputs"):
        return False
    return (Path(str(item.fspath)).resolve().parent == ROOT / "assignments"
            and RAISES_TAG in cell.get("metadata", {}).get("tags", []))


# --- tests that time real kernels run alone, even under pytest-xdist ------------------------
# The grader's tests give kernels seconds-long limits (cell time-outs, exercise budgets) and
# then assert what those limits did. With a second xdist worker running notebooks beside
# them, a loaded machine reaches a time-out that a quiet one does not (CI of 2026-11-23:
# an 8 s cell time-out and a missed Ctrl-C). So those files hold an exclusive lock while
# every other test holds a shared one: they run with the machine to themselves, and the
# rest still run two at a time. A "gate" lock gives the exclusive side priority, so the
# other worker cannot starve it by taking shared locks back to back. test_corpus.py grades
# every correct answer with two kernels at a time; under the second worker's load one of
# them ended as a grader error in a later CI run (same day), so it runs alone too.
RUN_ALONE = {"test_grade.py", "test_sandbox.py", "test_corpus.py"}
_LOCK_DIR = Path(os.environ.get("PYTEST_LOCK_DIR", "/tmp")) / f"course-tests-{os.getuid()}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return (yield)                                    # one process: nothing runs beside it
    import fcntl
    _LOCK_DIR.mkdir(parents=True, exist_ok=True)
    alone = Path(str(item.fspath)).name in RUN_ALONE
    with open(_LOCK_DIR / "gate.lock", "w") as gate, open(_LOCK_DIR / "run.lock", "w") as run:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(run, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            return (yield)
        finally:
            fcntl.flock(run, fcntl.LOCK_UN)
            if alone:
                fcntl.flock(gate, fcntl.LOCK_UN)
