"""The static screen of a student's solution cells: what is refused, what is only flagged.

Used by :mod:`course_lib.grading.submissions` before any code runs; the policy is written
out for instructors in docs/instructors.md ("The grading policy"). Student code runs in
the same Python process as the instructor's checks, so a solution could try to make the
checks pass without solving the exercise. The run-time defences do most of the work:
:mod:`course_lib.grading.guard` restores ``torch``, builtins and the course's modules
before every check and fails a check during which they changed, runs each check cell's
own code with the instructor's names, and a random token printed at the end of each
check cell decides its verdict outside the kernel. This screen closes the routes *around*
those defences, and only those: an honest student must never lose an exercise for a
correct answer written in ordinary PyTorch.

**Refused** (the exercise scores 0, the feedback gives the line and the reason) — only
constructs that no honest answer needs:

* imports of modules that reach the interpreter, the operating system or native code
  (:data:`REFUSED_MODULES`: ``os``, ``sys``, ``ctypes``, ``subprocess``, ``importlib``,
  ``builtins``, ``gc``, ``inspect`` ...; torch's and numpy's doors to native code and other
  processes; any private module), and of ``course_lib.checks`` / ``course_lib.grading``;
* ``eval``, ``exec``, ``compile``, ``__import__``, ``globals``, ``locals``, ``vars``, ``open``,
  ``breakpoint``, ``get_ipython``, IPython's history (``In``, ``Out``, ``_ih``, ``_i3`` ...),
  names that start with two underscores (the grader's own ``__grader_*`` among them), the
  check module ``checks``, and IPython magics other than ``%time``/``%timeit``/``%matplotlib``;
* ``getattr``/``setattr``/``delattr``/``hasattr`` with a name that is not a string literal,
  and ``operator.attrgetter``/``methodcaller`` (computed attribute names reach anything);
* dunder attributes other than the ordinary ones an honest class uses
  (:data:`ORDINARY_DUNDERS`: ``super().__init__(...)``, ``__call__``, ``__name__`` ...), any
  assignment to a dunder attribute, and string constants that name other dunders;
  private attributes (``x._y``) except those the cell itself defines (``self._mask``);
  frame and code attributes (``tb_frame``, ``f_back``, ``co_code`` ...) and the attributes that
  lead to other modules or native code (:data:`REFUSED_ATTRIBUTES`: ``.os``, ``.sys``,
  ``.cpp_extension``, ``.load`` ...);
* patching a library: assigning to (or deleting) an attribute of a module when that
  attribute is a function, class or module (``torch.isclose = ...``, ``F.relu = ...``,
  ``torch.Tensor.all = ...``), and any change to the course's modules;
* defining the hooks that change what Python or torch does with an object
  (:data:`REFUSED_DEFINITIONS`: ``__torch_function__``, ``__getattribute__``,
  ``__instancecheck__``, ``__del__`` ...).

**Flagged** (graded normally, marked in points.csv and the feedback, costs nothing) —
unusual, possibly innocent, and harmless to the verdict because of the run-time defences:
imports of modules the course does not use (``scipy``, ``pandas`` ...) or of the course's
reference code; setting a non-function attribute of a module (``torch.backends.cudnn.benchmark
= True``) or adding one (``torch.foo = ...``); assigning to attributes of objects the cell did
not create (a notebook variable, the result of a call); rebinding a module name the
instructor's notebook uses (``import numpy as torch``); binding a module to another name;
using the course's reference code (``probability.logsumexp``); subclassing ``torch.Tensor``;
defining other special methods (``__eq__``, ``__bool__`` ...); ``from m import *``.

Everything else is accepted: classes with ``super().__init__()``, ``register_buffer``,
``self.weight.data *= self.mask``, ``for p in D.parameters(): p.requires_grad = False``,
``with torch.no_grad():``, ``torch.distributions``, optimiser steps, helpers and classes
inside the cell, ``global``, and top-level names that shadow builtins (check cells do not
see them).
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REFUSED, FLAGGED = "refused", "flagged"

# Modules an answer may import without remark (and their submodules, minus the refused ones).
ACCEPTED_MODULES = {"torch", "math", "numpy", "itertools", "functools", "collections", "typing", "dataclasses",
                    "copy", "random", "abc", "enum", "numbers", "statistics", "time", "warnings", "string",
                    "operator", "tqdm", "matplotlib", "torchvision", "einops"}
# Modules no answer needs: they reach the interpreter, the operating system or native code.
REFUSED_MODULES = {
    "os", "sys", "ctypes", "subprocess", "importlib", "builtins", "gc", "inspect", "posix", "nt", "pty",
    "signal", "socket", "shutil", "pathlib", "io", "tempfile", "glob", "fcntl", "mmap", "select", "resource",
    "pickle", "marshal", "shelve", "dbm", "copyreg", "types", "threading", "multiprocessing", "concurrent",
    "asyncio", "code", "codeop", "runpy", "pdb", "bdb", "trace", "traceback", "linecache", "dis", "weakref",
    "faulthandler", "atexit", "site", "sysconfig", "pkgutil", "zipimport", "urllib", "http", "ftplib",
    "smtplib", "webbrowser", "requests", "IPython", "ipykernel", "jupyter_client", "jupyter_core",
    "nbformat", "nbclient", "zmq", "cffi", "numba", "cython", "Cython", "setuptools", "distutils", "pip",
    "torch.utils.cpp_extension", "torch.multiprocessing", "torch.distributed", "torch.package", "torch.hub",
    "torch.library", "torch.ops", "numpy.ctypeslib", "numpy.f2py", "numpy.distutils",
    "course_lib.checks", "course_lib.grading",
}
# Dunder attributes an honest answer reads (and the special methods it may define).
ORDINARY_DUNDERS = {"__init__", "__call__", "__name__", "__class__", "__doc__", "__repr__", "__str__",
                    "__len__", "__getitem__", "__setitem__", "__iter__", "__next__", "__contains__",
                    "__enter__", "__exit__"}
# Special methods that change what Python or torch does with an object: a lookalike's tools.
REFUSED_DEFINITIONS = {"__torch_function__", "__torch_dispatch__", "__getattribute__", "__instancecheck__",
                       "__subclasscheck__", "__subclasshook__", "__del__", "__init_subclass__", "__set_name__",
                       "__class_getitem__", "__mro_entries__", "__prepare__", "__reduce__", "__reduce_ex__",
                       "__setstate__", "__getstate__"}
REFUSED_NAMES = {"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "open", "breakpoint",
                 "get_ipython", "In", "Out", "_ih", "_oh", "_dh", "_i", "_ii", "_iii", "memoryview"}
DYNAMIC_ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "delattr", "hasattr"}
REFUSED_ATTRIBUTES = {
    # frames, code objects and tracebacks: the way to the checks' own variables
    "f_back", "f_globals", "f_locals", "f_code", "f_builtins", "f_trace", "tb_frame", "tb_next",
    "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "co_consts", "co_code",
    "co_names", "func_globals", "with_traceback", "attrgetter", "methodcaller",
    # torch and numpy doors to native code, other processes and files
    "cpp_extension", "load_inline", "multiprocessing", "distributed", "package", "f2py", "distutils",
    "ctypeslib", "memmap", "fromfile", "from_file", "load", "hub", "ops", "library", "system", "popen",
    "settrace", "setprofile", "exec_module",
    # modules that other modules expose as attributes (torch.os, numpy.core.numeric.sys ...)
    "os", "sys", "builtins", "gc", "inspect", "importlib", "ctypes", "subprocess", "signal", "threading",
    "shutil", "socket", "pickle", "marshal", "types", "weakref", "resource", "pathlib",
}
ALLOWED_MAGICS = {"time", "timeit", "matplotlib"}
_IPYTHON_HISTORY = re.compile(r"^_i\d+$|^_\d+$|^_i+$|^__+$")
_DUNDER_IN_STRING = re.compile(r"__\w+__|_getframe|__grader")


@dataclass(frozen=True)
class Finding:
    line: int
    reason: str
    severity: str = REFUSED

    @property
    def refused(self) -> bool:
        return self.severity == REFUSED

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Context:
    """What the screen knows of the instructor's notebook: the module each name is bound to."""

    modules: Mapping[str, str] = field(default_factory=lambda: {
        "torch": "torch", "math": "math", "np": "numpy", "F": "torch.nn.functional", "nn": "torch.nn",
        "course_lib": "course_lib", "checks": "course_lib.checks", "probability": "course_lib.probability"})

    @classmethod
    def from_cells(cls, sources: Iterable[str]) -> Context:
        """The modules the instructor's cells import, by the name they are bound to."""
        modules = dict(cls().modules)
        for source in sources:
            modules.update(_imported_modules(source))
        return cls(modules)


def _imported_modules(source: str) -> dict[str, str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*" and _is_module(f"{node.module}.{alias.name}"):
                    out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def top_level_names(source: str) -> list[str]:
    """The names a cell binds at top level (assignments, imports, defs, loop and with targets)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return sorted(_bound_names(tree.body))


def _bound_names(body: list[ast.stmt], params: ast.arguments | None = None) -> set[str]:
    """Names bound in one scope: its parameters and what its statements bind, not nested scopes."""
    names: set[str] = set()
    if params is not None:
        for arg in params.posonlyargs + params.args + params.kwonlyargs + [params.vararg, params.kwarg]:
            if arg is not None:
                names.add(arg.arg)
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    return names


def _chain(node: ast.AST) -> tuple[ast.AST, list[str]]:
    """``a.b[0].c()`` -> (Name a, ["b", "[]", "c", "()"])."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.insert(0, node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            parts.insert(0, "[]")
            node = node.value
        elif isinstance(node, ast.Call):
            parts.insert(0, "()")
            node = node.func
        else:
            return node, parts


def _literal_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
        return node.value
    return None


_MISSING = object()


def _is_module(name: str) -> bool:
    """Whether ``name`` is a module, found on disk without importing anything (the grader
    need not import torch to screen ``from torch import nn``)."""
    parts = name.split(".")
    if parts[0] not in ACCEPTED_MODULES | {"course_lib"}:
        return False
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level name: nothing is imported
    except (ImportError, ValueError):
        return False
    locations = list(spec.submodule_search_locations or []) if spec else []
    if spec is None or (len(parts) > 1 and not locations):
        return False
    for part in parts[1:]:
        found = None
        for folder in map(Path, locations):
            if (folder / part / "__init__.py").is_file():
                found = [str(folder / part)]
            elif (folder / f"{part}.py").is_file() or any(folder.glob(f"{part}.*.so")):
                found = []
            if found is not None:
                break
        if found is None:
            return False
        locations = found
    return True


def _current_value(module: str, attrs: list[str]):
    """What ``module.attrs...`` is in this process (the grader's), or _MISSING."""
    if module.split(".")[0] not in ACCEPTED_MODULES:
        return _MISSING
    try:
        obj = importlib.import_module(module)
        for attr in attrs:
            obj = getattr(obj, attr)
        return obj
    except Exception:  # not importable here, or no such attribute
        return _MISSING


class _Screen(ast.NodeVisitor):
    def __init__(self, context: Context, tree: ast.Module):
        self.context = context
        self.findings: list[Finding] = []
        self.aliases: dict[str, str] = dict(context.modules)  # name -> module, as far as this cell knows
        self.scopes: list[set[str]] = [_bound_names(tree.body)]  # innermost last
        self.top_level_imports: set[str] = set()
        self.checked_calls: set[int] = set()
        self.docstrings: set[int] = set()
        # Private attributes the cell defines itself (self._mask = ..., a class-level _x, def _helper).
        self.own_private: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr.startswith("_"):
                self.own_private.add(node.attr)
            elif isinstance(node, ast.ClassDef):
                self.own_private |= {n for n in _bound_names(node.body) if n.startswith("_")}
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    self.docstrings.add(id(first.value))
        self.parents: dict[int, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[id(child)] = parent

    # --- helpers -----------------------------------------------------------------------
    def add(self, node: ast.AST, reason: str, severity: str = REFUSED) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), reason, severity))

    def is_local(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def module_of(self, name: str) -> str | None:
        """The module a name refers to: one the cell imported, or one of the instructor's not rebound here."""
        if name in self.top_level_imports or (name in self.aliases and not self.is_local(name)):
            return self.aliases.get(name)
        return None

    # --- imports -----------------------------------------------------------------------
    def _check_module(self, node: ast.AST, module: str) -> None:
        parts = module.split(".")
        if any(module == m or module.startswith(m + ".") for m in REFUSED_MODULES) or \
                any(p.startswith("_") for p in parts):
            self.add(node, f"`import {module}` is not allowed in a solution: it reaches the interpreter, "
                           "the operating system, native code or the grader, which no answer needs")
        elif parts[0] == "course_lib":
            self.add(node, f"imports the course's reference code (`{module}`)", FLAGGED)
        elif parts[0] not in ACCEPTED_MODULES:
            self.add(node, f"imports `{module}`, a module this course's answers do not use", FLAGGED)

    def _bind_import(self, node: ast.AST, bound: str, module: str) -> None:
        if bound in self.context.modules and self.context.modules[bound] != module:
            self.add(node, f"rebinds `{bound}`, a module name of the instructor's notebook, to `{module}`",
                     FLAGGED)
        self.aliases[bound] = module
        self.top_level_imports.add(bound)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
            if alias.asname:
                self._bind_import(node, alias.asname, alias.name)
            else:
                self._bind_import(node, alias.name.split(".")[0], alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            self.add(node, "relative imports are not allowed in a solution")
            return
        self._check_module(node, module)
        for alias in node.names:
            if alias.name == "*":
                self.add(node, f"`from {module} import *`", FLAGGED)
                continue
            full = f"{module}.{alias.name}"
            if alias.name.startswith("_") or alias.name in REFUSED_ATTRIBUTES or alias.name in REFUSED_NAMES \
                    or full in REFUSED_MODULES:
                self.add(node, f"importing `{alias.name}` from `{module}` is not allowed in a solution")
            bound = alias.asname or alias.name
            if _is_module(full):  # `from torch import nn`; not `from collections import Counter`
                self._bind_import(node, bound, full)
            else:
                self.top_level_imports.discard(bound)

    # --- names -------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name in REFUSED_NAMES or _IPYTHON_HISTORY.match(name) or name.startswith("__"):
            self.add(node, f"`{name}` is not allowed in a solution (it gives access to the interpreter, "
                           "IPython's history or the grader)")
        elif name in DYNAMIC_ATTRIBUTE_FUNCTIONS - {"hasattr"} and id(node) not in self.checked_calls \
                and not self.is_local(name):
            self.add(node, f"`{name}` may only be called directly, with a string literal as the attribute name")
        elif isinstance(node.ctx, ast.Load):
            module = self.module_of(name)
            if module == "course_lib.checks" or (module or "").startswith("course_lib.grading"):
                self.add(node, f"`{name}` is the course's checking code: a solution has no use for it")
            elif module is not None:
                parent = self.parents.get(id(node))
                if not (isinstance(parent, ast.Attribute) and parent.value is node) and id(node) not in self.checked_calls:
                    self.add(node, f"binds or passes the module `{name}` as a value", FLAGGED)
        if isinstance(node.ctx, ast.Store) and len(self.scopes) == 1 and name in self.context.modules \
                and name not in self.top_level_imports:
            self.add(node, f"rebinds `{name}`, a module name of the instructor's notebook "
                           "(check cells still see the instructor's)", FLAGGED)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.docstrings:
            for word in _DUNDER_IN_STRING.findall(node.value):
                if word not in ORDINARY_DUNDERS:
                    self.add(node, f"a string that names `{word}` is not allowed in a solution "
                                   "(dunder and frame names reach the interpreter's internals)")
                    break

    # --- attributes --------------------------------------------------------------------
    def _attribute_rules(self, node: ast.AST, owner: ast.AST, attr: str, store: bool) -> None:
        root, parts = _chain(owner)
        root_name = root.id if isinstance(root, ast.Name) else None
        module = self.module_of(root_name) if root_name else None
        if attr.startswith("__") and attr.endswith("__"):
            if store:
                self.add(node, f"assigning to `.{attr}` is not allowed in a solution")
            elif attr not in ORDINARY_DUNDERS:
                self.add(node, f"the attribute `.{attr}` is not allowed in a solution (dunder attributes "
                               "reach the interpreter's internals)")
        elif attr.startswith("_") and attr not in self.own_private:
            self.add(node, f"the private attribute `.{attr}` is not allowed in a solution: use the public API "
                           "(private attributes the cell defines itself, like `self._mask`, are fine)")
        elif attr in REFUSED_ATTRIBUTES:
            self.add(node, f"the attribute `.{attr}` is not allowed in a solution (it leads to other modules, "
                           "files or native code)")
        elif module is not None and module.split(".")[0] == "course_lib" and not store and not parts:
            full = f"{module}.{attr}"
            if full.startswith(("course_lib.checks", "course_lib.grading")):
                self.add(node, f"`{full}` is the course's checking code: a solution has no use for it")
            else:
                self.add(node, f"uses the course's reference code (`{full}`)", FLAGGED)
        if store:
            self._assignment_rules(node, root, root_name, module, parts + [attr])

    def _assignment_rules(self, node, root, root_name, module, path: list[str]) -> None:
        dotted = ".".join([root_name or "<expression>"] + path)
        if module is not None:
            if module.split(".")[0] == "course_lib":
                self.add(node, f"`{dotted} = ...` changes the course's code: not allowed in a solution")
                return
            plain = [p for p in path if p not in ("[]", "()")]
            current = _current_value(module, plain) if plain == path else _MISSING
            if current is not _MISSING and (callable(current) or isinstance(current, types.ModuleType)):
                self.add(node, f"`{dotted} = ...` replaces a function, class or module of `{module}`: "
                               "a solution must not patch the libraries the checks use")
            elif current is not _MISSING:
                self.add(node, f"sets `{dotted}`, a setting of `{module}`", FLAGGED)
            else:
                self.add(node, f"assigns to `{dotted}`, an attribute of the module `{module}`", FLAGGED)
        elif root_name is None or not self.is_local(root_name):
            self.add(node, f"assigns to an attribute of `{root_name or 'an expression'}`, which this cell did "
                           "not create", FLAGGED)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._attribute_rules(node, node.value, node.attr, isinstance(node.ctx, (ast.Store, ast.Del)))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in DYNAMIC_ATTRIBUTE_FUNCTIONS and not self.is_local(func.id):
            name = _literal_name(node.args[1]) if len(node.args) >= 2 else None
            if name is None and func.id == "hasattr":
                pass  # a computed name only gives a bool
            elif name is None:
                self.add(node, f"`{func.id}` with a computed attribute name is not allowed in a solution (it can "
                               "reach anything): use a literal name, or an nn.ModuleList / a dict")
            else:
                self._attribute_rules(node, node.args[0], name, store=func.id in ("setattr", "delattr"))
            self.checked_calls.add(id(func))
            if node.args:
                self.checked_calls.add(id(node.args[0]))  # getattr(torch, "x") is not "passing torch around"
        elif isinstance(func, ast.Name) and func.id == "type" and len(node.args) == 3:
            self.add(node, "`type(name, bases, dict)` is not allowed in a solution: write a class statement")
        self.generic_visit(node)

    # --- scopes and definitions --------------------------------------------------------
    def _visit_function(self, node) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        self.visit(node.args)
        if node.returns:
            self.visit(node.returns)
        self._definition_rules(node)
        self.scopes.append(_bound_names(node.body, node.args))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def _definition_rules(self, node) -> None:
        name = node.name
        if name in REFUSED_DEFINITIONS:
            self.add(node, f"defining `{name}` is not allowed in a solution: it changes what Python or torch "
                           "does with an object")
        elif name.startswith("__") and name.endswith("__") and name not in ORDINARY_DUNDERS:
            self.add(node, f"defines the special method `{name}`", FLAGGED)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        for base in node.bases:
            self.visit(base)
            root, parts = _chain(base)
            if isinstance(root, ast.Name) and parts == ["Tensor"] and self.module_of(root.id) == "torch":
                self.add(node, f"`{node.name}` subclasses torch.Tensor (the checks accept plain tensors only)",
                         FLAGGED)
        for keyword in node.keywords:
            self.visit(keyword)
        self.scopes.append(_bound_names(node.body))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self.scopes.append(_bound_names([], node.args))
        self.visit(node.body)
        self.scopes.pop()

    def _visit_comprehension(self, node) -> None:
        names = set()
        for gen in node.generators:
            names |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        self.scopes.append(names)
        self.generic_visit(node)
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension


def _strip_magics(source: str) -> tuple[str, Finding | None]:
    """The source with the allowed magics blanked out (line numbers kept), or the refusal."""
    lines = source.splitlines()
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if not stripped.startswith(("%", "!")):
            continue
        magic = re.match(r"%%?(\w+)", stripped)
        cell_magic = stripped.startswith("%%")
        if stripped.startswith("!") or not magic or magic.group(1) not in ALLOWED_MAGICS \
                or (cell_magic and number != 1) or (magic.group(1) == "matplotlib" and cell_magic):
            return source, Finding(number, "IPython magics and shell escapes (% and !) other than %time, "
                                           "%timeit and %matplotlib are not allowed in a solution")
        indent = line[: len(line) - len(stripped)]
        rest = stripped.split(None, 1)[1] if len(stripped.split(None, 1)) > 1 and not cell_magic else ""
        if magic.group(1) == "matplotlib":
            rest = ""
        while rest.startswith("-"):  # %timeit -n 3 -r 1 expr: drop the options
            rest = re.sub(r"^-\w+(\s+\d+)?\s*", "", rest)
        lines[number - 1] = indent + (rest or "pass")
    return "\n".join(lines), None


def screen_source(source: str, context: Context | None = None) -> list[Finding]:
    """What the screen finds in a solution cell's source: refused and flagged findings."""
    source, refused = _strip_magics(source)
    if refused:
        return [refused]
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return [Finding(err.lineno or 0, f"syntax error: {err.msg}")]
    screen = _Screen(context or Context(), tree)
    screen.visit(tree)
    return screen.findings
