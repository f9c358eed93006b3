"""Assignment A0: the solution passes every check, the stub fails every check, and each
check rejects the common wrong answers with the hint that names the mistake.

The notebooks run in-process here (cell by cell with ``exec``), which takes a fraction
of a second; tests/test_grade.py runs them in real kernels.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import authoring

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "A0_probability_toolkit.ipynb"
ASSIGNMENT = ROOT / "assignments" / "A0_probability_toolkit.ipynb"


def run_inprocess(path: Path, replace: dict[str, str] | None = None) -> dict[str, BaseException | None]:
    """Run a notebook's code cells in one namespace; each check cell's exception (or None)."""
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__notebook__"}
    outcome: dict[str, BaseException | None] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        gid = authoring.nbgrader_meta(cell).get("grade_id")
        source = (replace or {}).get(gid, cell.source)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, f"<{gid or 'cell'}>", "exec"), namespace)
            error = None
        except Exception as err:  # a check failing, or a demo cell calling a stub
            error = err
        if authoring.is_check_cell(cell):
            outcome[gid] = error
    return outcome


CHECK_IDS = [c.grade_id for c in authoring.read_solution(SOLUTION)[1].checks]


def test_the_solution_passes_every_check_visible_and_hidden():
    outcome = run_inprocess(SOLUTION)
    assert list(outcome) == CHECK_IDS
    assert {gid: repr(err) for gid, err in outcome.items() if err is not None} == {}


@pytest.mark.parametrize("path", [ASSIGNMENT, SOLUTION], ids=["assignment", "stubs+hidden tests"])
def test_every_check_fails_on_the_stub(path):
    nb, _ = authoring.read_solution(SOLUTION)
    stubs = {authoring.nbgrader_meta(c)["grade_id"]: authoring.stub_code(c.source, "test")
             for c in nb.cells if authoring.is_solution_cell(c)}
    outcome = run_inprocess(path, replace=stubs)
    assert list(outcome) == CHECK_IDS
    passed = [gid for gid, err in outcome.items() if err is None]
    assert passed == [], f"these checks pass on the stub: {passed}"
    for gid, err in outcome.items():
        assert isinstance(err, (AssertionError, NotImplementedError)), (gid, err)


# (exercise, wrong solution, {check id: text the failure message must contain})
MISTAKES = [
    ("a0_posterior", "def posterior(prior, likelihood):\n    return prior * likelihood",
     {"a0_posterior_check": "divide it by the evidence", "a0_posterior_more": ""}),
    ("a0_posterior", "def posterior(prior, likelihood):\n    return likelihood / likelihood.sum(-1, keepdim=True)",
     {"a0_posterior_check": "ignored the prior", "a0_posterior_more": ""}),
    ("a0_posterior", "def posterior(prior, likelihood):\n    return prior * likelihood / likelihood.sum(-1, keepdim=True)",
     {"a0_posterior_check": "divided by the sum of the likelihoods"}),
    ("a0_posterior", "def posterior(prior, likelihood):\n    return torch.tensor([0.85, 0.15])",
     {"a0_posterior_check": "wrong answer", "a0_posterior_more": "shape"}),
    ("a0_logsumexp", "def logsumexp(x, dim=-1):\n    return x.exp().sum(dim=dim).log()",
     {"a0_logsumexp_check": "the naive formula", "a0_logsumexp_more": "naive"}),
    ("a0_logsumexp", "def logsumexp(x, dim=-1):\n    m = x.amax(dim=dim, keepdim=True)\n"
                     "    return (x - m).exp().sum(dim=dim).log()",
     {"a0_logsumexp_check": "forgot to add it back", "a0_logsumexp_more": "add"}),
    ("a0_logsumexp", "def logsumexp(x, dim=-1):\n    m = x.amax(dim=dim, keepdim=True)\n"
                     "    return (x - m).exp().sum(dim=dim).log() - m.squeeze(dim)",
     {"a0_logsumexp_check": "subtracted the max a second time"}),
    ("a0_logsumexp", "def logsumexp(x, dim=-1):\n    return x.amax(dim=dim)",
     {"a0_logsumexp_check": "wrong answer"}),
    ("a0_logsumexp", "def logsumexp(x, dim=-1):\n    m = x.max()\n    return (x - m).exp().sum(dim=dim).log() + m",
     {"a0_logsumexp_more": "wrong answer"}),  # a global max: right on vectors, wrong along an axis
    ("a0_kl", "def kl_divergence(p, q):\n    return (torch.xlogy(q, q) - torch.xlogy(q, p)).sum(-1)",
     {"a0_kl_check": "arguments are swapped"}),
    ("a0_kl", "def kl_divergence(p, q):\n    return (p * (p / q).log2()).nan_to_num().sum(-1)",
     {"a0_kl_check": "log2"}),
    ("a0_kl", "def kl_divergence(p, q):\n    return (torch.xlogy(p, q) - torch.xlogy(p, p)).sum(-1)",
     {"a0_kl_check": "sign of the whole expression flipped"}),
    ("a0_kl", "def kl_divergence(p, q):\n    return (p * (p / q).log()).sum(-1)",
     {"a0_kl_check": "0 * log(0) = nan", "a0_kl_more": "nan"}),
    ("a0_kl", "def kl_divergence(p, q):\n    return (p - q).abs().sum(-1) * 0",
     {"a0_kl_check": "wrong answer"}),
    ("a0_kl", "def kl_divergence(p, q):\n    return torch.xlogy(p, p) - torch.xlogy(p, q)",
     {"a0_kl_check": "the shape is wrong", "a0_kl_more": "shape"}),
    ("a0_sample", "def sample_categorical(probs, u):\n    return torch.searchsorted(probs.cumsum(-1), u)",
     {"a0_sample_check": "`>=`", "a0_sample_more": ">="}),
    ("a0_sample", "def sample_categorical(probs, u):\n"
                  "    return torch.searchsorted(probs.cumsum(-1), u, right=True).clamp(max=len(probs) - 1) + 1",
     {"a0_sample_check": "off by one"}),
    ("a0_sample", "def sample_categorical(probs, u):\n"
                  "    return torch.multinomial(probs, u.numel(), replacement=True).reshape(u.shape)",
     {"a0_sample_check": "draw its own random numbers", "a0_sample_more": "fresh random numbers"}),
    ("a0_sample", "def sample_categorical(probs, u):\n    return torch.searchsorted(probs, u, right=True)",
     {"a0_sample_check": "cumulative sums"}),
    ("a0_sample", "def sample_categorical(probs, u):\n    return torch.searchsorted(probs.cumsum(-1), u, right=True)",
     {"a0_sample_more": "clamp to K - 1"}),
    ("a0_sample", "def sample_categorical(probs, u):\n"
                  "    return torch.searchsorted(probs.cumsum(-1), u, right=True).clamp(max=len(probs) - 1).float()",
     {"a0_sample_check": "wrong dtype"}),
    ("a0_sample", "def sample_categorical(probs, u):\n    return torch.zeros(u.shape, dtype=torch.long)",
     {"a0_sample_check": "wrong answer", "a0_sample_more": ""}),
]


@pytest.mark.parametrize("exercise, wrong, expected", MISTAKES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)])
def test_checks_reject_common_mistakes_with_their_hint(exercise, wrong, expected):
    outcome = run_inprocess(SOLUTION, replace={exercise: wrong})
    for gid, text in expected.items():
        err = outcome[gid]
        assert err is not None, f"{gid} passes the wrong answer:\n{wrong}"
        assert isinstance(err, AssertionError), (gid, repr(err))
        assert text in str(err), f"{gid}: expected the hint {text!r} in:\n{err}"
    # A mistake in one exercise never costs points in another.
    others = {gid: err for gid, err in outcome.items() if not gid.startswith(exercise + "_")}
    assert all(err is None for err in others.values()), others
