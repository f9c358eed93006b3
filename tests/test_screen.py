"""course_lib.grading.screen: honest solutions pass; routes to fool the checks are refused with a reason."""
import pytest

from course_lib.grading.screen import screen_source

ALLOWED = [
    "def f(x):\n    m = x.amax(dim=-1, keepdim=True)\n    return (x - m).exp().sum(-1).log() + m.squeeze(-1)",
    "import math\nimport torch\nimport numpy as np\nimport torch.nn.functional as F\nfrom torch import nn\n"
    "def f(x):\n    max = x.max()  # a local name may shadow a builtin\n    return F.relu(x) * math.pi + np.e + max",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.layer = nn.Linear(2, 2)\n"
    "    def forward(self, x):\n        return self.layer(x)",
    "from collections import Counter\ndef f(xs):\n    return Counter(xs).most_common(1)",
    "def f(x):\n    y = x.clone()\n    y[0] = 1.0\n    return y",
]

REJECTED = [
    ("import os\nos._exit(0)", "`import os` is not allowed"),
    ("import sys\nsys.exit()", "`import sys` is not allowed"),
    ("import importlib", "`import importlib` is not allowed"),
    ("from course_lib import checks", "`import course_lib` is not allowed"),
    ("import ctypes", "`import ctypes` is not allowed"),
    ("AssertionError = Exception", "`AssertionError` is a Python builtin"),
    ("def print(*a):\n    pass", "`print` is a Python builtin"),
    ("torch.allclose = lambda *a, **k: True", "only allowed on `self`"),
    ("t = torch\nt.isclose = None", "may only be used as `torch.something`"),
    ("def f(x):\n    return x.__class__", "attribute `.__class__`"),
    ("def f(g):\n    return g.__globals__", "attribute `.__globals__`"),
    ("x = torch._C", "attribute `._C`"),
    ("def f():\n    try:\n        1 / 0\n    except Exception as e:\n        return e.__traceback__.tb_frame.f_back",
     "attribute `.__traceback__`"),
    ("def f(e):\n    return e.tb_frame.f_back.f_globals", "attribute `.tb_frame`"),
    ("x = In[-1]", "`In` is not allowed"),
    ("x = _i3", "`_i3` is not allowed"),
    ("get_ipython().run_cell = None", "`get_ipython` is not allowed"),
    ("x = eval('1')", "`eval` is not allowed"),
    ("x = globals()", "`globals` is not allowed"),
    ("setattr(torch, 'isclose', None)", "`setattr` is not allowed"),
    ("x = getattr(torch, 'isclose')", "`getattr` is not allowed"),
    ("def f():\n    global torch", "`global` statements"),
    ("class T:\n    def __eq__(self, other):\n        return True", "defining `__eq__`"),
    ("x = '__builtins__'", "dunder"),
    ("%time 1", "magics"),
    ("!rm -rf /", "magics"),
    ("def f(:", "syntax error"),
    ("import numpy as torch", "rebinds `torch`"),
    ("from math import *", "import *"),
    ("def f():\n    return torch.utils.cpp_extension.load_inline('m', 'int x;')", "`.cpp_extension`"),
    ("def f():\n    return torch.multiprocessing.get_context()", "`.multiprocessing`"),
    ("x = torch.load('weights.pt')", "`.load`"),
    ("def patch(self):\n    self.all = None\npatch(torch.Tensor)", "only allowed on `self` inside a method"),
    ("def f():\n    return torch.os.getpid()", "`.os`"),
    ("x = __grader_verify", "`__grader_verify` is not allowed"),
]


@pytest.mark.parametrize("source", ALLOWED)
def test_honest_solutions_pass(source):
    assert screen_source(source) == []


@pytest.mark.parametrize("source, reason", REJECTED, ids=[r[1] for r in REJECTED])
def test_hostile_code_is_refused_with_a_reason(source, reason):
    findings = screen_source(source)
    assert findings, source
    assert any(reason in str(f) for f in findings), [str(f) for f in findings]
