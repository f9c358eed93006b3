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
(:mod:`course_lib.grading.screen`) refuses private attributes of modules.

:func:`isolate_checks` runs each check cell in a namespace of its own: the notebook's
names, except that every name an instructor's cell bound has the value that cell gave it
and a student's top-level name that shadows a builtin (``abs = ...``) is left out. So a
solution that rebinds ``checks``, ``torch``, ``AssertionError`` or a variable of the
instructor's at top level changes nothing in what a check cell's own code sees, while the
student's functions keep seeing their own names.
"""
from __future__ import annotations

import builtins
import importlib
import sys
import types
from collections.abc import Callable

MODULES = ("builtins", "math", "torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.special",
           "torch.distributions", "numpy")
CLASSES = ("torch.Tensor", "torch.nn.Module", "torch.nn.Parameter")
# Every module already imported under these packages is guarded too (the layers' own modules,
# torch.nn.modules.conv say, whose globals such as `F` their forward methods use).
PACKAGES = ("torch.nn.", "torch.distributions.", "torch.optim.")


def _same(a, b) -> bool:
    if a is b:
        return True
    # IPython re-creates bound methods such as builtins.get_ipython on every cell.
    return (type(a) is type(b) is types.MethodType and a.__func__ is b.__func__ and a.__self__ is b.__self__)


def install(extra_modules: list[str] = (), modules: tuple[str, ...] = MODULES,
            classes: tuple[str, ...] = CLASSES, packages: tuple[str, ...] = PACKAGES
            ) -> tuple[Callable[[], None], Callable[[], None]]:
    """Snapshot the namespaces now; return ``(restore, verify)``.

    Modules: their public names. Classes: all their names, private and special ones too
    (``torch.nn.Module.__call__`` replaced would change what every layer returns).
    """
    names = list(modules) + sorted(n for n in sys.modules if n.startswith(packages) and n not in modules)
    targets = [(name, sys.modules[name]) for name in names if name in sys.modules]  # no new imports
    for name in extra_modules:
        try:
            targets.append((name, importlib.import_module(name)))
        except ImportError:
            continue
    snapshot = [(label, obj, {k: v for k, v in vars(obj).items() if not k.startswith("_")}, "_")
                for label, obj in targets]
    for path in classes:
        module, _, attr = path.rpartition(".")
        if module in sys.modules and hasattr(sys.modules[module], attr):
            cls = getattr(sys.modules[module], attr)
            snapshot.append((path, cls, dict(vars(cls)), "\0"))  # "\0": no name is skipped
    # Bound now, before any student code runs, so that later patches cannot reach them.
    _vars, _list, _setattr, _delattr, _isinstance, _module = vars, list, setattr, delattr, isinstance, types.ModuleType

    def changes() -> list[str]:
        found = []
        for label, obj, saved, skip in snapshot:
            now = _vars(obj)
            for key in _list(now):
                if key.startswith(skip):
                    continue
                if key not in saved:
                    if not _isinstance(now[key], _module):
                        found.append(f"{label}.{key} (added)")
                elif not _same(now[key], saved[key]):
                    found.append(f"{label}.{key} (replaced)")
            found += [f"{label}.{key} (deleted)" for key in saved if key not in now]
        return found

    def restore() -> None:
        for _label, obj, saved, skip in snapshot:
            now = _vars(obj)
            for key in _list(now):
                if not key.startswith(skip) and key not in saved and not _isinstance(now[key], _module):
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


def isolate_checks(namespace: dict, restore: Callable[[], None], verify: Callable[[], None]):
    """Return ``(check, keep)`` for the notebook namespace ``namespace`` (IPython's user_ns).

    ``keep(names)`` records the current values of names an instructor's cell just bound
    (the grader appends it to those cells); every public name present now counts as the
    instructor's. ``check(source, token)`` restores the modules, runs the check cell's
    source in a copy of the namespace with the instructor's values and without
    builtin-shadowing names, verifies nothing was patched meanwhile, copies the names the
    check bound back, and prints ``token``.
    """
    _builtin_names = frozenset(dir(builtins))
    _builtins_module, _print, _exec, _compile, _dict = builtins, print, exec, compile, dict
    kept = {k: v for k, v in namespace.items() if not k.startswith("_")}

    def keep(names) -> None:
        for name in names:
            if name in namespace:
                kept[name] = namespace[name]

    def check(source: str, token: str) -> None:
        restore()
        scope = {k: v for k, v in namespace.items() if k not in _builtin_names or k in kept}
        scope.update(kept)
        scope["__builtins__"] = _builtins_module
        before = _dict(scope)
        try:
            _exec(_compile(source, "<check cell>", "exec"), scope)
        except BaseException:
            restore()
            raise
        verify()
        for key, value in scope.items():
            # Helpers a check cell defines for later checks (``_distribution``) are the
            # instructor's too; only dunders and IPython's ``_`` stay behind.
            if not key.startswith("__") and key != "_" and (key not in before or before[key] is not value):
                namespace[key] = kept[key] = value
        _print(token, flush=True)

    return check, keep
