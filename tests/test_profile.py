""""The profile changes how much is computed, never which code runs" (README, "Profiles").

Checked where it could break, in the source of every notebook, solution and course_lib
module (the jupytext .py of each notebook is what runs):

* ``profile.choose(full=..., fast=...)`` picks *values*: numbers, sizes, lists and dicts
  of them, ``None`` — no function or lambda that would run other code in one profile;
* a branch on the profile (``if not profile.fast:``) holds nothing but ``assert``
  statements: the checks of the full run's figures, which one epoch of the fast profile
  cannot reach; no other statement runs in one profile only;
* course_lib reads the profile only in ``runtime`` (where it is defined) and the grader
  (which passes it to its kernels); no library function behaves differently per profile.

Each test names the file and line of what breaks the rule.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_SOURCES = sorted([*(ROOT / "notebooks").glob("*.py"), *(ROOT / "solutions").glob("*.py")])
LIBRARY = sorted((ROOT / "course_lib").rglob("*.py"))
# Calls that build a value, allowed inside profile.choose(...)
VALUE_CALLS = {"dict", "list", "tuple", "range", "len", "int", "float", "min", "max"}


def _mentions_profile(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "profile" or isinstance(n, ast.Attribute)
               and n.attr in ("profile", "fast") and _is_profile(n.value) for n in ast.walk(node))


def _is_profile(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "profile"
            or isinstance(node, ast.Attribute) and node.attr == "profile")


def _choose_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "choose"
                and _is_profile(node.func.value)):
            yield node


def problems_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for call in _choose_calls(tree):
        if sorted(k.arg for k in call.keywords) != ["fast", "full"] or call.args:
            found.append(f"{path.name}:{call.lineno}: profile.choose needs exactly full=... and fast=...")
        for keyword in call.keywords:
            for n in ast.walk(keyword.value):
                if isinstance(n, ast.Lambda) or (isinstance(n, ast.Call) and not (
                        isinstance(n.func, ast.Name) and n.func.id in VALUE_CALLS)):
                    found.append(f"{path.name}:{n.lineno}: profile.choose({keyword.arg}=...) runs code "
                                 f"({ast.unparse(n)[:60]}), not just a value")
                    break  # one report per argument
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.While)) and _mentions_profile(node.test):
            others = [s for s in node.body + node.orelse if not isinstance(s, ast.Assert)]
            for s in others:
                found.append(f"{path.name}:{s.lineno}: `{ast.unparse(s).splitlines()[0][:60]}` runs in one "
                             "profile only (a profile branch may hold only asserts on the full run's figures)")
        if isinstance(node, ast.IfExp) and _mentions_profile(node.test):
            found.append(f"{path.name}:{node.lineno}: a conditional expression on the profile: use profile.choose")
    return found


@pytest.mark.parametrize("path", NOTEBOOK_SOURCES, ids=[p.name for p in NOTEBOOK_SOURCES])
def test_the_profile_picks_values_and_guards_only_asserts(path):
    assert problems_in(path) == []


def test_the_library_does_not_depend_on_the_profile():
    allowed = {ROOT / "course_lib" / "runtime.py"} | set((ROOT / "course_lib" / "grading").glob("*.py"))
    readers = []
    for path in LIBRARY:
        text = path.read_text()
        if path not in allowed and any(word in text for word in ("current_profile", "PROFILE_ENV", "COURSE_PROFILE",
                                                                  ".profile")):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_the_rule_catches_what_it_should(tmp_path):
    """The checker itself: each kind of profile-dependent code path is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("epochs = profile.choose(full=10, fast=1)\n"
                   "train = profile.choose(full=lambda: fit(10), fast=lambda: None)\n"
                   "model = profile.choose(full=big_model(), fast=small_model())\n"
                   "if profile.fast:\n    skip_training()\n"
                   "if not env.profile.fast:\n    assert loss < 100\n"
                   "size = 10 if profile.fast else 100\n")
    problems = problems_in(bad)
    assert [p.split(":")[1] for p in problems] == ["2", "2", "3", "3", "5", "8"], problems
