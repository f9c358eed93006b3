"""Runs inside the grading kernel: undo and detect patching of the modules the checks use.

Used by :mod:`course_lib.grading.grade`, which calls :func:`install` in a cell of its own just
before the first solution cell (so before any student code has run), then calls
``restore()`` at the top of every check cell and ``verify()`` at its end, before the
completion token is printed.

``install`` snapshots the public names of some modules, if already imported (``torch``, ``torch.nn.functional``,
``math``, ``builtins``, the ``course_lib`` modules the checks import ...) and classes
(``torch.Tensor``, ``torch.nn.Module``). ``restore`` puts every snapshotted name back and
removes added ones; ``verify`` fails the check if anything changed *while it ran*, e.g. a
student's function that replaced ``torch.Tensor.all`` when called, then restores.
Newly imported submodules (``torch.distributions`` appearing on ``torch``) are normal and
ignored. Private names (``_x``) are not tracked: the static screen
(:mod:`course_lib.grading.screen`) already keeps solutions away from them.
"""
from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable

MODULES = ("builtins", "math", "torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.special",
           "torch.distributions", "numpy")
CLASSES = ("torch.Tensor", "torch.nn.Module", "torch.nn.Parameter")


def _same(a, b) -> bool:
    if a is b:
        return True
    # IPython re-creates bound methods such as builtins.get_ipython on every cell.
    return (type(a) is type(b) is types.MethodType and a.__func__ is b.__func__ and a.__self__ is b.__self__)


def install(extra_modules: list[str] = (), modules: tuple[str, ...] = MODULES,
            classes: tuple[str, ...] = CLASSES) -> tuple[Callable[[], None], Callable[[], None]]:
    """Snapshot the namespaces now; return ``(restore, verify)``."""
    targets = [(name, sys.modules[name]) for name in modules if name in sys.modules]  # no new imports
    for name in extra_modules:
        try:
            targets.append((name, importlib.import_module(name)))
        except ImportError:
            continue
    for path in classes:
        module, _, attr = path.rpartition(".")
        if module in sys.modules and hasattr(sys.modules[module], attr):
            targets.append((path, getattr(sys.modules[module], attr)))
    snapshot = [(label, obj, {k: v for k, v in vars(obj).items() if not k.startswith("_")})
                for label, obj in targets]
    # Bound now, before any student code runs, so that later patches cannot reach them.
    _vars, _list, _setattr, _delattr, _isinstance, _module = vars, list, setattr, delattr, isinstance, types.ModuleType

    def changes() -> list[str]:
        found = []
        for label, obj, saved in snapshot:
            now = _vars(obj)
            for key in _list(now):
                if key.startswith("_"):
                    continue
                if key not in saved:
                    if not _isinstance(now[key], _module):
                        found.append(f"{label}.{key} (added)")
                elif not _same(now[key], saved[key]):
                    found.append(f"{label}.{key} (replaced)")
            found += [f"{label}.{key} (deleted)" for key in saved if key not in now]
        return found

    def restore() -> None:
        for _label, obj, saved in snapshot:
            now = _vars(obj)
            for key in _list(now):
                if not key.startswith("_") and key not in saved and not _isinstance(now[key], _module):
                    _delattr(obj, key)
            for key, value in saved.items():
                if key not in now or not _same(now[key], value):
                    _setattr(obj, key, value)

    def verify() -> None:
        changed = changes()
        restore()
        if changed:
            raise AssertionError("this check does not count: while it ran, your code changed "
                                 + ", ".join(changed[:5]) + ". Solutions must not modify torch, "
                                 "Python's builtins or the course's modules.")

    return restore, verify
