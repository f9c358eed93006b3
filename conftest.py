"""pytest set-up for the whole repository (unit tests and notebooks alike).

The test suite always runs in the ``fast`` profile unless the caller sets
COURSE_PROFILE: nbval's kernels inherit this environment.

A run of the whole suite (``make test``: pytest with no paths, so the ``testpaths`` of
pyproject.toml) must execute every lecture notebook and every solution under nbval. If
a notebook were silently left out (a renamed folder, a changed ``norecursedirs``), the
run stops with an error naming it instead of passing without it.
"""
import os
from pathlib import Path

import pytest

os.environ.setdefault("COURSE_PROFILE", "fast")

ROOT = Path(__file__).resolve().parent
EXECUTED_FOLDERS = ("notebooks", "solutions")


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


def pytest_collection_modifyitems(session, config, items):
    _skip_gpu_tests_without_a_gpu(items)
    whole_suite = not config.args or [Path(a).resolve() for a in config.args] == [
        (ROOT / p).resolve() for p in config.getini("testpaths")]
    if not whole_suite or config.getoption("-k") or config.getoption("-m"):
        return
    collected = {Path(str(item.fspath)).resolve() for item in items}
    missing = sorted(str(p.relative_to(ROOT)) for p in expected_notebooks() - collected)
    if missing:
        raise pytest.UsageError("the whole test suite must execute every notebook, but these "
                                f"were not collected: {missing}")
    config.stash[NOTEBOOK_COUNT] = len(expected_notebooks())


NOTEBOOK_COUNT = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config):
    count = config.stash.get(NOTEBOOK_COUNT, None)
    if count is not None:
        terminalreporter.write_line(f"notebooks run under nbval: {count} "
                                    f"({', '.join(EXECUTED_FOLDERS)})")
