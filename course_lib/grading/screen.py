"""A static screen of a student's solution cells, run by the grader before any code runs.

Used by :mod:`course_lib.grading.grade`. Student code runs in the same Python process as the
instructor's checks, so a solution could try to make the checks pass without solving
the exercise: patch ``course_lib.checks`` or ``torch``, shadow ``AssertionError`` or
``print``, read the check cell's source from IPython's history, walk the call stack.
This screen rejects a solution cell that uses any of the routes to do so. It is
deliberately strict: solutions to the course's exercises need none of them, and a
rejected cell gets a reason that says which line and why, so an honest student can fix it.

What it allows: imports of :data:`ALLOWED_MODULES`; ordinary Python inside functions
(local names may be anything); attribute assignment only on ``self`` in a method.
What it rejects, with the reason:

* imports of anything else (``os``, ``sys``, ``ctypes``, ``gc``, ``inspect``, ``importlib``,
  ``builtins``, ``course_lib`` ...), and ``from torch import *``;
* the names that open the interpreter up: ``eval``, ``exec``, ``compile``, ``open``,
  ``globals``, ``locals``, ``vars``, ``getattr``/``setattr``/``delattr``, ``__import__``,
  ``__builtins__``, ``breakpoint``, ``input``, ``exit``/``quit``, ``get_ipython``, IPython's
  history (``In``, ``Out``, ``_ih``, ``_i3`` ...) and ``course_lib``/``checks``/``probability``;
* any attribute that starts with an underscore (``x.__class__``, ``f.__globals__``,
  ``torch._C``, ``sys._getframe``) except ``__init__``; frame and code attributes
  (``f_back``, ``tb_frame``, ``gi_frame``, ``co_consts`` ...); doors to native code, other
  processes and files (``torch.utils.cpp_extension``, ``torch.multiprocessing``, ``torch.load``,
  ``numpy.ctypeslib``, ``numpy.memmap`` ...);
* a module name used other than as ``module.attribute`` (so it cannot be aliased and then patched);
* attribute assignment or deletion on anything but ``self`` inside a method (even so a
  method can be called on another object: :mod:`course_lib.grading.guard` catches that);
* ``global``/``nonlocal`` statements, and top-level names that shadow a builtin
  (``AssertionError``, ``print``, ``isinstance`` ...) or a module the checks use;
* defining dunder methods other than ``__init__`` (a tensor lookalike that equals everything).
"""
from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

ALLOWED_MODULES = {"math": "math", "torch": "torch", "numpy": "np", "itertools": "itertools",
                   "functools": "functools", "collections": "collections", "typing": "typing"}
ALLOWED_SUBMODULE_PREFIXES = ("torch.nn", "torch.distributions", "torch.nn.functional", "collections.abc")
# Names the setup cell and the check cells use: a solution may not rebind or reach them.
PROTECTED_NAMES = {"course_lib", "checks", "probability", "torch", "math", "np", "sys", "F", "nn"}
# The only modules a protected name may be bound to (by an import of that very module).
CANONICAL = {"torch": "torch", "math": "math", "np": "numpy", "F": "torch.nn.functional", "nn": "torch.nn"}
FORBIDDEN_NAMES = {
    "eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "__import__", "__builtins__", "__builtin__", "builtins", "breakpoint", "input", "exit", "quit",
    "get_ipython", "In", "Out", "_ih", "_oh", "_dh", "_i", "_ii", "_iii", "help", "memoryview",
    "course_lib", "checks", "probability", "sys", "os", "gc", "inspect", "ctypes", "importlib",
    "__loader__", "__spec__", "__file__", "__name__", "type", "object",
}
FORBIDDEN_ATTRIBUTES = {
    "f_back", "f_globals", "f_locals", "f_code", "f_builtins", "f_trace", "tb_frame", "tb_next",
    "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "co_consts", "co_code",
    "co_names", "func_globals", "with_traceback", "modules", "load", "hub", "ops", "library",
    "ctypeslib", "system", "popen", "settrace", "setprofile", "exec_module",
    # torch and numpy doors to native code, other processes and files
    "cpp_extension", "load_inline", "multiprocessing", "distributed", "package", "f2py", "distutils",
    "memmap", "fromfile", "from_file",
    # modules that other modules expose as attributes (torch.os, numpy.core.numeric.sys ...)
    "os", "sys", "builtins", "gc", "inspect", "importlib", "ctypes", "subprocess", "signal", "threading",
    "shutil", "socket", "pickle", "marshal", "types", "weakref", "resource", "pathlib",
}
ALLOWED_DUNDERS = {"__init__"}
_IPYTHON_HISTORY = re.compile(r"^_i\d*$|^_\d+$|^_i+$|^__+$")
_BUILTIN_NAMES = set(dir(builtins))


@dataclass(frozen=True)
class Finding:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


class _Screen(ast.NodeVisitor):
    def __init__(self):
        self.findings: list[Finding] = []
        self.module_aliases: set[str] = set()
        self.depth = 0  # > 0 inside a function or class body
        self.scopes: list[ast.AST] = []  # the enclosing functions and classes, innermost last
        self.parents: dict[ast.AST, ast.AST] = {}

    def _in_method(self) -> bool:
        """Inside a function defined directly in a class body, whose first parameter is self."""
        if len(self.scopes) < 2 or not isinstance(self.scopes[-1], (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        args = self.scopes[-1].args.posonlyargs + self.scopes[-1].args.args
        return isinstance(self.scopes[-2], ast.ClassDef) and bool(args) and args[0].arg == "self"

    def flag(self, node: ast.AST, reason: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), reason))

    # --- imports ---------------------------------------------------------------------
    def _check_module(self, node, module: str) -> bool:
        if module in ALLOWED_MODULES or any(module == p or module.startswith(p + ".")
                                            for p in ALLOWED_SUBMODULE_PREFIXES):
            return True
        self.flag(node, f"`import {module}` is not allowed in a solution "
                        f"(allowed: {', '.join(sorted(ALLOWED_MODULES))}, torch.nn, torch.distributions)")
        return False

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if self._check_module(node, alias.name):
                bound = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else alias.name.split(".")[0]
                if bound in PROTECTED_NAMES and CANONICAL.get(bound) != target:
                    self.flag(node, f"`import {alias.name} as {bound}` rebinds `{bound}`, a name the checks use")
                self.module_aliases.add(bound)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not self._check_module(node, module):
            if node.level:
                self.flag(node, "relative imports are not allowed in a solution")
            return
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"`from {module} import *` is not allowed: import the names you need")
            bound = alias.asname or alias.name
            if CANONICAL.get(bound) == f"{module}.{alias.name}":
                self.module_aliases.add(bound)  # `from torch import nn`: the very module
            elif bound in PROTECTED_NAMES or (self.depth == 0 and bound in _BUILTIN_NAMES):
                self.flag(node, f"`from {module} import {alias.name}` rebinds `{bound}`, a name the checks use")
            if bound.startswith("_") or alias.name.startswith("_"):
                self.flag(node, f"importing the private name `{alias.name}` is not allowed")

    # --- names and attributes --------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name in FORBIDDEN_NAMES or _IPYTHON_HISTORY.match(name) or name.startswith("__"):
            self.flag(node, f"`{name}` is not allowed in a solution (it gives access to the interpreter, "
                            "IPython's history or the course's checks)")
        elif name in self.module_aliases | PROTECTED_NAMES and isinstance(node.ctx, ast.Load):
            parent = self.parents.get(node)
            if not (isinstance(parent, ast.Attribute) and parent.value is node):
                self.flag(node, f"the module `{name}` may only be used as `{name}.something`, "
                                "not passed around or aliased")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and self.depth == 0:
            self._check_binding(node, name)
        self.generic_visit(node)

    def _check_binding(self, node: ast.AST, name: str) -> None:
        if name in _BUILTIN_NAMES:
            self.flag(node, f"`{name}` is a Python builtin: a solution may not redefine it at top level")
        elif name in PROTECTED_NAMES:
            self.flag(node, f"`{name}` is a name the checks use: a solution may not redefine it")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("_") and attr not in ALLOWED_DUNDERS:
            self.flag(node, f"the attribute `.{attr}` is not allowed in a solution (private and dunder "
                            "attributes reach the interpreter's internals)")
        elif attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"the attribute `.{attr}` is not allowed in a solution")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = node.value
            if not (isinstance(root, ast.Name) and root.id == "self" and self._in_method()):
                self.flag(node, "assigning to (or deleting) an attribute is only allowed on `self` inside "
                                "a method: a solution must not modify modules or other objects")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and ("__" in node.value or "_getframe" in node.value):
            self.flag(node, "string constants that name dunder attributes are not allowed in a solution")

    # --- statements ------------------------------------------------------------------
    def visit_Global(self, node) -> None:
        self.flag(node, "`global` statements are not allowed in a solution: return values instead")

    visit_Nonlocal = visit_Global

    def _visit_scope(self, node) -> None:
        if self.depth == 0:
            self._check_binding(node, node.name)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("__") \
                and node.name not in ALLOWED_DUNDERS:
            self.flag(node, f"defining `{node.name}` is not allowed in a solution")
        for deco in getattr(node, "decorator_list", []):
            self.visit(deco)
        self.depth += 1
        for field_name in ("args", "bases", "keywords", "returns"):
            value = getattr(node, field_name, None)
            if isinstance(value, list):
                for v in value:
                    self.visit(v)
            elif isinstance(value, ast.AST):
                self.visit(value)
        self.scopes.append(node)
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_scope

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1


def screen_source(source: str) -> list[Finding]:
    """The reasons a solution cell's source is rejected (empty: accepted)."""
    for number, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith(("%", "!")):
            return [Finding(number, "IPython magics and shell escapes (% and !) are not allowed in a solution")]
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return [Finding(err.lineno or 0, f"syntax error: {err.msg}")]
    screen = _Screen()
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            screen.parents[child] = parent
    screen.visit(tree)
    return screen.findings
