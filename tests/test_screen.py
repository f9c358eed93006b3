"""course_lib.grading.screen: the grading policy, as tables.

ACCEPTED: ordinary PyTorch an honest answer uses (issue 7's list first): no finding at all.
FLAGGED: unusual but harmless to the verdict: graded normally, marked for the instructor.
REFUSED: constructs no honest answer needs, each with the reason the feedback gives.
"""
import pytest

from course_lib.grading.screen import FLAGGED, REFUSED, Context, screen_source, top_level_names

ACCEPTED = {
    "masked conv subclass, super().__init__, register_buffer, weight.data *= mask": '''
import torch
from torch import nn
import torch.nn.functional as F

class MaskedConv2d(nn.Conv2d):
    def __init__(self, *args, mask_type="A", **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("mask", torch.ones_like(self.weight))
        _, _, h, w = self.weight.shape
        self.mask[:, :, h // 2, w // 2 + (mask_type == "B"):] = 0
        self.mask[:, :, h // 2 + 1:] = 0

    def forward(self, x):
        self.weight.data *= self.mask
        return super().forward(x)
''',
    "F.conv2d with the masked weight": '''
class MaskedConv2d(nn.Conv2d):
    def forward(self, input):
        return F.conv2d(input, self.weight * self.mask, self.bias, self.stride, self.padding)
''',
    "freezing D in a GAN step, optimiser steps": '''
def generator_step(G, D, opt_g, z):
    for p in D.parameters():
        p.requires_grad = False
    loss = -D(G(z)).mean()
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad = True
    return loss.item()
''',
    "model.modules() and weight init": '''
def init_weights(model):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.data.normal_(0.0, 0.02)
            m.bias.data = torch.zeros_like(m.bias)
''',
    "class Encoder(object), old-style super, __call__": '''
class Encoder(object):
    def __init__(self, net):
        super(Encoder, self).__init__()
        self.net = net

    def __call__(self, x):
        return self.net(x)
''',
    "x.type, torch.no_grad, torch.distributions rsample": '''
def sample(mu, log_var, x):
    x = x.type(torch.float32)
    with torch.no_grad():
        baseline = x.mean()
    std = torch.exp(0.5 * log_var)
    return torch.distributions.Normal(mu, std).rsample() + 0 * baseline
''',
    "helpers and classes inside the cell, private names of its own": '''
import math

def _stable_max(x, dim):
    return x.amax(dim=dim, keepdim=True)

class _Reducer:
    def __init__(self, dim):
        self._dim = dim

    def reduce(self, x):
        m = _stable_max(x, self._dim)
        return (x - m).exp().sum(self._dim).log() + m.squeeze(self._dim)

def logsumexp(x, dim=-1):
    return _Reducer(dim).reduce(x)
''',
    "numpy, itertools, collections, a local named like a builtin": '''
import numpy as np
import itertools
from collections import Counter

def f(x, input=None):
    max = x.max()
    pairs = list(itertools.combinations(range(3), 2))
    return Counter(pairs).most_common(1), np.e * max
''',
    "top-level names that shadow builtins, global, nonlocal, an empty class": '''
input = torch.randn(2, 3)
steps = 0

def count():
    global steps
    steps += 1

def outer():
    total = 0
    def inner():
        nonlocal total
        total += 1
    inner()
    return total

class Empty:
    pass
''',
    "getattr and setattr with literal names, hasattr": '''
def act(self, x, name):
    fn = getattr(F, "relu")
    setattr(self, "last", x)
    return fn(x) if hasattr(self, name) else x
''',
    "%%time and %timeit": "%%time\nresult = torch.ones(3).sum()\n",
    "an in-place copy of its own tensor": "def f(x):\n    y = x.clone()\n    y[0] = 1.0\n    return y",
    "a docstring naming __init__ and __eq__": '''
class Net(nn.Module):
    """Calls super().__init__; does not define __eq__."""
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 2)
        self.__hidden = 1

    def forward(self, x):
        return self.layer(x) * self.__hidden
''',
}

FLAGGED_TABLE = [
    ("torch.backends.cudnn.benchmark = True", "sets `torch.backends.cudnn.benchmark`"),
    ("torch.foo = 3", "assigns to `torch.foo`"),
    ("def f(x):\n    model.extra = x", "assigns to an attribute of `model`, which this cell did not create"),
    ("import scipy.special", "imports `scipy.special`"),
    ("from course_lib import probability as ref", "imports the course's reference code"),
    ("def f(x):\n    return probability.logsumexp(x)", "uses the course's reference code"),
    ("import numpy as torch", "rebinds `torch`"),
    ("t = torch", "binds or passes the module `torch`"),
    ("class T(torch.Tensor):\n    pass", "subclasses torch.Tensor"),
    ("class T:\n    def __eq__(self, other):\n        return True", "defines the special method `__eq__`"),
    ("from math import *", "import *"),
    ("def f():\n    return make().weight", None),  # plain reads of call results are fine
]

REFUSED_TABLE = [
    ("import os\nos._exit(0)", "`import os` is not allowed"),
    ("import sys\nsys.exit()", "`import sys` is not allowed"),
    ("import importlib", "`import importlib` is not allowed"),
    ("import subprocess", "`import subprocess` is not allowed"),
    ("import ctypes", "`import ctypes` is not allowed"),
    ("import builtins", "`import builtins` is not allowed"),
    ("import gc", "`import gc` is not allowed"),
    ("import inspect", "`import inspect` is not allowed"),
    ("from course_lib import checks", "importing `checks` from `course_lib` is not allowed"),
    ("import course_lib.grading.guard", "`import course_lib.grading.guard` is not allowed"),
    ("import torch.utils.cpp_extension", "`import torch.utils.cpp_extension` is not allowed"),
    ("from torch import _C", "importing `_C` from `torch` is not allowed"),
    ("checks.check_function = None", "changes the course's code"),
    ("def f():\n    return checks.check_function", "`checks` is the course's checking code"),
    ("torch.allclose = lambda *a, **k: True", "replaces a function, class or module of `torch`"),
    ("F.relu = None", "replaces a function, class or module of `torch.nn.functional`"),
    ("torch.Tensor.all = None", "replaces a function, class or module of `torch`"),
    ("del torch.isclose", "replaces a function, class or module of `torch`"),
    ("def f(x):\n    return x.__class__.__mro__", "attribute `.__mro__`"),
    ("def f(g):\n    return g.__globals__", "attribute `.__globals__`"),
    ("def f(self):\n    self.__call__ = None", "assigning to `.__call__`"),
    ("x = torch._C", "private attribute `._C`"),
    ("def f(m):\n    return m._parameters", "private attribute `._parameters`"),
    ("def f():\n    try:\n        1 / 0\n    except Exception as e:\n        return e.__traceback__",
     "attribute `.__traceback__`"),
    ("def f(e):\n    return e.tb_frame.f_back.f_globals", "attribute `.tb_frame`"),
    ("x = In[-1]", "`In` is not allowed"),
    ("x = _i3", "`_i3` is not allowed"),
    ("get_ipython().run_cell = None", "`get_ipython` is not allowed"),
    ("x = eval('1')", "`eval` is not allowed"),
    ("exec('x = 1')", "`exec` is not allowed"),
    ("c = compile('1', 'f', 'eval')", "`compile` is not allowed"),
    ("m = __import__('os')", "`__import__` is not allowed"),
    ("x = globals()", "`globals` is not allowed"),
    ("x = vars(torch)", "`vars` is not allowed"),
    ("f = open('/etc/passwd')", "`open` is not allowed"),
    ("x = __grader_verify", "`__grader_verify` is not allowed"),
    ("setattr(torch, 'isclose', None)", "replaces a function, class or module of `torch`"),
    ("x = getattr(torch, 'o' + 's')", "`getattr` with a computed attribute name"),
    ("def f(self, i):\n    setattr(self, f'conv{i}', None)", "`setattr` with a computed attribute name"),
    ("g = getattr", "`getattr` may only be called directly"),
    ("from operator import attrgetter", "importing `attrgetter` from `operator` is not allowed"),
    ("T = type('T', (), {})", "`type(name, bases, dict)`"),
    ("class T:\n    def __torch_function__(self, *a):\n        pass", "defining `__torch_function__`"),
    ("class T:\n    def __getattribute__(self, n):\n        pass", "defining `__getattribute__`"),
    ("x = '__builtins__'", "names `__builtins__`"),
    ("%run other.py", "magics"),
    ("!rm -rf /", "magics"),
    ("def f(:", "syntax error"),
    ("def f():\n    return torch.multiprocessing.get_context()", "`.multiprocessing`"),
    ("x = torch.load('weights.pt')", "`.load`"),
    ("def f():\n    return torch.os.getpid()", "`.os`"),
    ("from . import x", "relative imports"),
]


@pytest.mark.parametrize("source", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_ordinary_pytorch_is_accepted_without_remark(source):
    assert [str(f) for f in screen_source(source)] == []


@pytest.mark.parametrize("source, reason", FLAGGED_TABLE, ids=[s for s, _ in FLAGGED_TABLE])
def test_unusual_constructs_are_only_flagged(source, reason):
    findings = screen_source(source)
    assert not [f for f in findings if f.severity == REFUSED], [str(f) for f in findings]
    if reason is None:
        assert findings == []
    else:
        assert any(f.severity == FLAGGED and reason in f.reason for f in findings), [str(f) for f in findings]


@pytest.mark.parametrize("source, reason", REFUSED_TABLE, ids=[r for _, r in REFUSED_TABLE])
def test_hostile_code_is_refused_with_a_reason(source, reason):
    findings = [f for f in screen_source(source) if f.severity == REFUSED]
    assert findings, source
    assert any(reason in str(f) for f in findings), [str(f) for f in findings]


def test_the_context_knows_the_instructor_s_imports():
    context = Context.from_cells(["import torch.nn.functional as fn\nfrom course_lib import bayes"])
    assert context.modules["fn"] == "torch.nn.functional" and context.modules["bayes"] == "course_lib.bayes"
    refused = [f for f in screen_source("fn.softmax = None", context) if f.severity == REFUSED]
    assert refused and "`torch.nn.functional`" in refused[0].reason
    # A name the cell binds itself is the student's own, whatever the instructor's cells bound.
    assert screen_source("def f(fn):\n    fn.x = 1\n    return fn") == []


def test_top_level_names():
    source = "import torch.nn as nn\nx, (y, z) = 1, (2, 3)\nfor i in range(2):\n    w = i\n" \
             "def f(a):\n    b = a\nclass C:\n    d = 1\nwith open('f') as fh:\n    pass\n[q for q in []]"
    assert top_level_names(source) == ["C", "f", "fh", "i", "nn", "w", "x", "y", "z"]


def _refused(source, context=None):
    return [str(f) for f in screen_source(source, context) if f.severity == REFUSED]


def test_findings_give_the_line_and_the_severity():
    findings = screen_source("x = 1\n\nimport os\nimport scipy")
    assert [(f.line, f.severity, f.refused) for f in findings] == [(3, REFUSED, True), (4, FLAGGED, False)]
    assert str(findings[0]).startswith("line 3: `import os` is not allowed in a solution")
    assert [f.line for f in screen_source("x = 1\n%run other.py")] == [2]
    assert [f.line for f in screen_source("x = 1\ndef f(:\n    pass")] == [2]
    assert str(screen_source("def f(:")[0]).startswith("line 1: syntax error: ")


def test_allowed_magics_are_screened_like_code():
    assert screen_source("%matplotlib inline\nx = torch.ones(2)") == []
    assert screen_source("x = 1\n%timeit -n 3 -r 1 torch.ones(3).sum()") == []
    assert screen_source("for i in range(2):\n    %time y = torch.ones(2)") == []    # blanked with its indent
    assert any("`eval` is not allowed" in r for r in _refused("%timeit -n 3 -r 1 eval('1')"))
    assert any("`eval` is not allowed" in r for r in _refused("%time x = eval('1')"))
    assert _refused("x = 1\n%%time\ny = 2")[0].startswith("line 2: IPython magics")   # a cell magic after line 1
    assert _refused("%%matplotlib inline")[0].startswith("line 1: IPython magics")
    assert _refused("%%timeit\nx = eval('1')") and not _refused("%%timeit\nx = torch.ones(1)")
    assert _refused("%%time x = 1\nimport os")[0].startswith("line 2: `import os`")  # line numbers kept


def test_the_instructor_s_imports_by_the_name_they_are_bound_to():
    context = Context.from_cells(["import torch.nn as tnn\nimport numpy.linalg\nfrom torch import nn as N, Tensor\n"
                                  "from math import *\nfrom . import rel", "def f(:"])
    assert context.modules["tnn"] == "torch.nn" and context.modules["numpy"] == "numpy"
    assert context.modules["N"] == "torch.nn" and "Tensor" not in context.modules and "rel" not in context.modules
    assert context.modules["torch"] == "torch" and context.modules["checks"] == "course_lib.checks"   # the defaults
    assert top_level_names("def f(:") == []


def test_modules_bound_by_from_imports_are_known_to_be_modules():
    refused = _refused("from torch import nn\nnn.functional.relu = None")
    assert refused and "replaces a function, class or module of `torch.nn`" in refused[0]
    assert _refused("from numpy import linalg\nlinalg.norm = None")
    assert not _refused("from scipy import special\nspecial.erf = None")   # not a module the grader knows


@pytest.mark.parametrize("source, expected", [
    ("import torch._dynamo", "refused: `import torch._dynamo` is not allowed"),
    ("import os.path", "refused: `import os.path` is not allowed"),
    ("from torch import load", "refused: importing `load` from `torch` is not allowed"),
    ("from torch import compile", "refused: importing `compile` from `torch` is not allowed"),
    ("from torch.utils import cpp_extension", "refused: importing `cpp_extension` from `torch.utils`"),
    ("x = _5", "refused: `_5` is not allowed"),
    ("x = _iii", "refused: `_iii` is not allowed"),
    ("x = 'sys._getframe'", "refused: a string that names `_getframe`"),
    ("import course_lib\nx = course_lib.checks", "refused: `course_lib.checks` is the course's checking code"),
    ("import course_lib\nx = course_lib.grading", "refused: `course_lib.grading` is the course's checking code"),
    ("probability.x = 1", "refused: `probability.x = ...` changes the course's code"),
    ("torch = 3", "flagged: rebinds `torch`, a module name of the instructor's notebook (check cells"),
    ("print(torch)", "flagged: binds or passes the module `torch` as a value"),
    ("(a or b).x = 1", "flagged: assigns to an attribute of `an expression`, which this cell did not create"),
    ("make().x = 1", "flagged: assigns to an attribute of `make`, which this cell did not create"),
    ("import torch.nn as nn", None),
    ("x = '__init__'", None),
    ("def f():\n    torch = 3\n    return torch", None),
    ("def f(getattr):\n    return getattr(1)", None),
    ("class M(nn.Module):\n    pass", None),
    ("x = type(3)", None),
    ("def f(self):\n    return hasattr(self, 'w' + 'x')", None),
])
def test_more_rules_of_the_screen(source, expected):
    found = [f"{f.severity}: {f.reason}" for f in screen_source(source)]
    if expected is None:
        assert found == []
    else:
        assert any(f.startswith(expected) for f in found), found


# ----------------------------------------------------------------------------------------
# Found by mutation testing (docs/mutation.md, target screen): each pins a finding's line
# (the feedback says where), its words, or a case the tables above did not reach.

from course_lib.grading import screen as screen_module  # noqa: E402


def _lines(source, context=None):
    return [str(f) for f in screen_source(source, context)]


OS_REASON = ("`import os` is not allowed in a solution: it reaches the interpreter, the operating system, "
             "native code or the grader, which no answer needs")


@pytest.mark.parametrize("source, expected", [
    ("x = 1\nimport os", [f"line 2: {OS_REASON}"]),
    ("x = 1\nfrom os import path", [f"line 2: {OS_REASON}"]),
    ("x = 1\nimport course_lib.probability",
     ["line 2: imports the course's reference code (`course_lib.probability`)"]),
    ("x = 1\nfrom . import y", ["line 2: relative imports are not allowed in a solution"]),
    ("x = 1\nfrom torch import *", ["line 2: `from torch import *`"]),
    ("x = 1\nfrom torch import _C", ["line 2: importing `_C` from `torch` is not allowed in a solution"]),
    ("x = 1\nfrom torch import nn as F",
     ["line 2: rebinds `F`, a module name of the instructor's notebook, to `torch.nn`"]),
    ("x = 1\nimport numpy as torch",
     ["line 2: rebinds `torch`, a module name of the instructor's notebook, to `numpy`"]),
])
def test_an_import_s_finding_names_its_line(source, expected):
    assert _lines(source) == expected


def test_a_plain_import_binds_its_first_name_to_its_first_module():
    context = Context.from_cells(["import numpy as scipy"])
    assert _lines("x = 1\nimport scipy.linalg", context) == [
        "line 2: imports `scipy.linalg`, a module this course's answers do not use",
        "line 2: rebinds `scipy`, a module name of the instructor's notebook, to `scipy`"]


def test_a_name_rebound_by_from_import_is_no_longer_a_module():
    assert _lines("import numpy as c\nfrom collections import Counter as c\ny = c") == []


def test_names_bound_by_a_lambda_or_a_comprehension_are_local():
    # `np` and `F` are the instructor's modules outside; inside they are the lambda's or the loop's values
    assert _lines("f = lambda np: np + 1") == []
    assert _lines("y = [np + F for np in range(3) for F in range(2)]") == []
    assert _lines("y = {(np, F): 0 for (np, F) in pairs}") == []
    # and what the comprehension holds is still screened
    assert _lines("y = [__import__ for x in range(3)]") == [
        "line 1: `__import__` is not allowed in a solution (it gives access to the interpreter, "
        "IPython's history or the grader)"]


def test_a_star_import_binds_no_name_in_the_context():
    assert "*" not in Context.from_cells(["from torch import *"]).modules


def test_is_module_finds_packages_modules_and_nothing_else(tmp_path, monkeypatch):
    is_module = screen_module._is_module
    assert is_module("math") and is_module("torch.nn.functional") and is_module("torch.nn")
    assert not is_module("math.sqrt") and not is_module("torch.nn.no_such_thing")
    assert not is_module("json.decoder")   # a package, but not one of the accepted modules
    # a name the import system cannot look up, or does not find, is not a module
    import importlib.machinery
    import importlib.util

    def not_found(name):
        return None
    monkeypatch.setattr(importlib.util, "find_spec", not_found)
    assert not is_module("torch") and not is_module("torch.nn")

    def broken(name):
        raise ValueError("course_lib.__spec__ is None")
    monkeypatch.setattr(importlib.util, "find_spec", broken)
    assert not is_module("torch")
    # a package split over two folders (a namespace package): the submodule is found in the second
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    (second / "extra.py").write_text("")
    spec = importlib.machinery.ModuleSpec("course_lib", None, is_package=True)
    spec.submodule_search_locations = [str(first), str(second)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert is_module("course_lib.extra") and not is_module("course_lib.missing")
