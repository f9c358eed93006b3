"""Assignment A0: the solution passes every check; the stub and plausible wrong stubs fail
every check with the check's own message; a catalogue of plausible student mistakes is
caught by the *visible* checks and, for most of them, named; correct answers written in
other styles (tests/corpus/A0_probability_toolkit) pass every check, hidden ones included.

The notebooks run in-process here (cell by cell with ``exec``), which takes a fraction
of a second per exercise; tests/test_grade.py runs them in real kernels.
"""
from __future__ import annotations

import contextlib
import io
import linecache
import re

import nbformat
import pytest
import torch

from assignment_harness import Assignment, assert_all_pass, assert_fails_as_wrong, assert_fails_on_the_stub
from course_lib.grading import authoring

A0 = Assignment("A0_probability_toolkit")
SOLUTION, ASSIGNMENT = A0.solution, A0.assignment
_NB = A0.nb
CHECK_IDS = A0.check_ids
EXERCISES = A0.exercises


def checks_of(exercise: str) -> list[str]:
    return A0.checks_of[exercise]


def run_inprocess(path, replace: dict[str, str] | None = None) -> dict[str, BaseException | None]:
    """Run a notebook's code cells in one namespace; each check cell's exception (or None)."""
    return A0.run(path, replace)


def _cells(path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    return {authoring.nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells if authoring.nbgrader_meta(c)}


_SOURCES = {"visible": _cells(ASSIGNMENT), "hidden": _cells(SOLUTION)}
_SETUP = [c.source for c in _NB.cells if c.cell_type == "code" and not authoring.nbgrader_meta(c)][:2]


def run_exercise(exercise: str, answer: str | None = None, *, hidden: bool = False,
                 extra: dict[str, str] | None = None) -> dict[str, BaseException | None]:
    """Only what one exercise needs: the imports, its solution cell (or ``answer``) and its
    check cells (visible ones from the assignment, or with hidden tests from the solution).
    ``extra`` replaces other solution cells that run first (e.g. an earlier exercise)."""
    sources = _SOURCES["hidden" if hidden else "visible"]
    namespace: dict = {"__name__": "__notebook__"}
    for code in _SETUP:
        exec(compile(code, "<setup>", "exec"), namespace)
    for gid, code in (extra or {}).items():
        exec(compile(code, f"<{gid}>", "exec"), namespace)
    answer = answer if answer is not None else _SOURCES["hidden"][exercise]
    filename = f"<cell {exercise}>"  # registered for tracebacks, as IPython does with every cell
    linecache.cache[filename] = (len(answer), None, answer.splitlines(True), filename)
    exec(compile(answer, filename, "exec"), namespace)
    outcome = {}
    for gid in checks_of(exercise):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(sources[gid], f"<{gid}>", "exec"), namespace)
            outcome[gid] = None
        except Exception as err:
            outcome[gid] = err
    return outcome


def stubs() -> dict[str, str]:
    return A0.stubs


def test_exercises_and_checks_are_where_the_tests_expect_them():
    assert EXERCISES == ["a0_logsumexp", "a0_log_posterior", "a0_kl", "a0_sample", "a0_bits_per_dim",
                         "a0_fit_categorical", "a0_average_nll"]
    assert sorted(sum((checks_of(e) for e in EXERCISES), [])) == sorted(CHECK_IDS)


def test_the_solution_passes_every_check_visible_and_hidden():
    assert_all_pass(run_inprocess(SOLUTION), CHECK_IDS)


@pytest.mark.parametrize("path", [ASSIGNMENT, SOLUTION], ids=["assignment", "stubs+hidden tests"])
def test_every_check_fails_on_the_stub_with_its_own_message(path):
    outcome = run_inprocess(path, replace=stubs())
    assert_fails_on_the_stub(outcome, CHECK_IDS)
    for err in outcome.values():
        assert ".)." not in str(err) and not str(err).endswith(".."), str(err)


# Plausible wrong stubs: zeros, the input returned, a constant, the right shape with wrong values.
WRONG_STUBS = {
    "a0_logsumexp": ["return x.sum(dim=dim) * 0", "return x", "return torch.tensor(1.0)",
                     "return x.amax(dim=dim)", "return x.mean(dim=dim)"],
    "a0_log_posterior": ["return torch.zeros_like(log_likelihood)", "return log_likelihood",
                         "return torch.tensor(-0.5)",
                         "return log_likelihood - log_likelihood.amax(-1, keepdim=True)"],
    "a0_kl": ["return p.sum(-1) * 0", "return p", "return torch.tensor(0.5)", "return (p - q).abs().sum(-1)"],
    "a0_sample": ["return torch.zeros(u.shape, dtype=torch.long)", "return u", "return torch.tensor(1)",
                  "return (u * len(probs)).long()"],
    "a0_bits_per_dim": ["return torch.tensor(0.0)", "return log_probs", "return torch.tensor(1.0)",
                        "return -log_probs.mean() / num_dims"],
    "a0_fit_categorical": ["return torch.zeros(num_classes)", "return samples",
                           "return torch.full((num_classes,), 1 / num_classes)",
                           "return torch.rand(num_classes).softmax(0)"],
    "a0_average_nll": ["return torch.tensor(0.0)", "return samples", "return probs",
                       "return -probs.log().mean()"],
}
_SIGNATURES = {"a0_logsumexp": "def logsumexp(x, dim=-1):", "a0_log_posterior": "def log_posterior(log_likelihood, log_prior):",
               "a0_kl": "def kl_divergence(p, q):", "a0_sample": "def sample_categorical(probs, u):",
               "a0_bits_per_dim": "def bits_per_dim(log_probs, num_dims):",
               "a0_fit_categorical": "def fit_categorical(samples, num_classes):",
               "a0_average_nll": "def average_nll(probs, samples):"}


@pytest.mark.parametrize("exercise, body", [(e, b) for e, bodies in WRONG_STUBS.items() for b in bodies],
                         ids=[f"{e}-{i}" for e, bodies in WRONG_STUBS.items() for i in range(len(bodies))])
def test_every_visible_check_fails_on_plausible_wrong_stubs(exercise, body):
    outcome = run_exercise(exercise, f"{_SIGNATURES[exercise]}\n    {body}")
    assert list(outcome) == checks_of(exercise)
    assert_fails_as_wrong(outcome, checks_of(exercise), body)


# ----------------------------------------------------------------------------------------
# The catalogue of plausible student mistakes: (exercise, wrong code, the words that name it)
# Every one must fail a VISIBLE check; at least 80 % must get a message that names the mistake.

def _fn(exercise, *body):
    return "\n".join([_SIGNATURES[exercise]] + ["    " + line for line in body])


CATALOGUE = [
    # --- logsumexp
    ("lse: naive formula", "a0_logsumexp", _fn("a0_logsumexp", "return x.exp().sum(dim=dim).log()"),
     "naive formula|overflow"),
    ("lse: max not added back", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=dim, keepdim=True)",
                                                     "return (x - m).exp().sum(dim=dim).log()"), "add it back|not undone"),
    ("lse: max subtracted twice", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=dim, keepdim=True)",
                                                       "return (x - m).exp().sum(dim=dim).log() - m.squeeze(dim)"),
     "not undone"),
    ("lse: one global max", "a0_logsumexp", _fn("a0_logsumexp", "m = x.max()",
                                                 "return (x - m).exp().sum(dim=dim).log() + m"), "whole tensor|far below"),
    ("lse: torch.logsumexp", "a0_logsumexp", _fn("a0_logsumexp", "return torch.logsumexp(x, dim=dim)"),
     "calls `torch.logsumexp`"),
    ("lse: Tensor.logsumexp", "a0_logsumexp", _fn("a0_logsumexp", "return x.logsumexp(dim)"),
     "calls `torch.Tensor.logsumexp`"),
    ("lse: via log_softmax", "a0_logsumexp", _fn("a0_logsumexp", "return (x - torch.log_softmax(x, dim)).select(dim, 0)"),
     "calls `torch.log_softmax`"),
    ("lse: ignores dim", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=-1, keepdim=True)",
                                              "return (x - m).exp().sum(dim=-1).log() + m.squeeze(-1)"), "wrong axis"),
    ("lse: keepdim left", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=dim, keepdim=True)",
                                               "return (x - m).exp().sum(dim=dim, keepdim=True).log() + m"), "keepdim"),
    ("lse: all -inf slice gives nan", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=dim, keepdim=True)",
                                                           "return (x - m).exp().sum(dim=dim).log() + m.squeeze(dim)"),
     "all -inf|every entry is -inf"),
    ("lse: mean instead of sum", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=dim, keepdim=True)",
                                                      "return (x - m).exp().mean(dim=dim).log() + m.squeeze(dim)"),
     "mean where a sum"),
    ("lse: in-place shift", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=dim, keepdim=True)", "x -= m",
                                                 "return x.exp().sum(dim=dim).log() + m.squeeze(dim)"), "in place"),
    ("lse: min instead of max", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amin(dim=dim, keepdim=True)",
                                                     "return (x - m).exp().sum(dim=dim).log() + m.squeeze(dim)"),
     "overflow"),
    ("lse: torch.max returns a pair", "a0_logsumexp", _fn("a0_logsumexp", "m = torch.max(x, dim=dim, keepdim=True)",
                                                           "return (x - m).exp().sum(dim=dim).log() + m.squeeze(dim)"),
     r"\.values"),
    ("lse: log2", "a0_logsumexp", _fn("a0_logsumexp", "m = x.amax(dim=dim, keepdim=True)",
                                      "return (x - m).exp().sum(dim=dim).log2() + m.squeeze(dim)"), None),
    # --- log_posterior
    ("bayes: log joint, not normalised", "a0_log_posterior", _fn("a0_log_posterior", "return log_likelihood + log_prior"),
     "log evidence|normalis"),
    ("bayes: prior ignored", "a0_log_posterior",
     _fn("a0_log_posterior", "return log_likelihood - logsumexp(log_likelihood).unsqueeze(-1)"), "ignored the prior"),
    ("bayes: evidence without the prior", "a0_log_posterior",
     _fn("a0_log_posterior", "return log_likelihood + log_prior - logsumexp(log_likelihood).unsqueeze(-1)"),
     "not of the log-likelihood alone"),
    ("bayes: normalised over all axes", "a0_log_posterior",
     _fn("a0_log_posterior", "j = log_likelihood + log_prior", "return j - logsumexp(j.flatten())"),
     "whole tensor|wrong axis"),
    ("bayes: logs multiplied", "a0_log_posterior",
     _fn("a0_log_posterior", "j = log_likelihood * log_prior", "return j - logsumexp(j).unsqueeze(-1)"), "multiplied logs"),
    ("bayes: probability space", "a0_log_posterior",
     _fn("a0_log_posterior", "joint = log_likelihood.exp() * log_prior.exp()",
         "return (joint / joint.sum(-1, keepdim=True)).log()"), "underflow|0/0|nan"),
    ("bayes: float32 computation", "a0_log_posterior",
     _fn("a0_log_posterior", "j = log_likelihood.float() + log_prior.float()", "return j - logsumexp(j).unsqueeze(-1)"),
     "float64"),
    ("bayes: returns probabilities", "a0_log_posterior",
     _fn("a0_log_posterior", "j = log_likelihood + log_prior", "return (j - logsumexp(j).unsqueeze(-1)).exp()"),
     "probabilities"),
    ("bayes: sign flipped", "a0_log_posterior",
     _fn("a0_log_posterior", "j = log_likelihood + log_prior", "return logsumexp(j).unsqueeze(-1) - j"), "sign"),
    ("bayes: missing keepdim", "a0_log_posterior",
     _fn("a0_log_posterior", "j = log_likelihood + log_prior", "return j - logsumexp(j)"), "keepdim|broadcast"),
    # --- kl_divergence
    ("kl: arguments swapped", "a0_kl", _fn("a0_kl", "return (torch.xlogy(q, q) - torch.xlogy(q, p)).sum(-1)"),
     "swapped"),
    ("kl: log2 (bits)", "a0_kl", _fn("a0_kl", "return (p * (p / q).log2()).nan_to_num().sum(-1)"), "log 2|bits"),
    ("kl: log10", "a0_kl", _fn("a0_kl", "return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1) / math.log(10)"),
     "log base 10"),
    ("kl: sign flipped", "a0_kl", _fn("a0_kl", "return (torch.xlogy(p, q) - torch.xlogy(p, p)).sum(-1)"), "sign"),
    ("kl: 0 log 0 = nan", "a0_kl", _fn("a0_kl", "return (p * (p / q).log()).sum(-1)"), "0 \\* log\\(0\\)"),
    ("kl: summed over all axes", "a0_kl", _fn("a0_kl", "return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum()"),
     "every axis"),
    ("kl: per-element terms", "a0_kl", _fn("a0_kl", "return torch.xlogy(p, p) - torch.xlogy(p, q)"), "per-element"),
    ("kl: mean instead of sum", "a0_kl", _fn("a0_kl", "return (torch.xlogy(p, p) - torch.xlogy(p, q)).mean(-1)"),
     "mean where a sum"),
    ("kl: epsilon hides infinity", "a0_kl", _fn("a0_kl", "return (torch.xlogy(p, p) - torch.xlogy(p, q + 1e-10)).sum(-1)"),
     "infinite"),
    ("kl: F.kl_div batchmean", "a0_kl",
     _fn("a0_kl", "return torch.nn.functional.kl_div(q.log(), p, reduction='batchmean')"),
     "shape is wrong|mean where a sum"),
    ("kl: sum over the first axis", "a0_kl", _fn("a0_kl", "return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(0)"),
     "wrong axis|shape is wrong"),
    # --- sample_categorical
    ("sample: >= (right=False)", "a0_sample",
     _fn("a0_sample", "return torch.searchsorted(probs.cumsum(-1), u).clamp(max=len(probs) - 1)"), "`>=`"),
    ("sample: no clamp", "a0_sample", _fn("a0_sample", "return torch.searchsorted(probs.cumsum(-1), u, right=True)"),
     "K - 1"),
    ("sample: off by one", "a0_sample",
     _fn("a0_sample", "return torch.searchsorted(probs.cumsum(-1), u, right=True).clamp(max=len(probs) - 1) + 1"),
     "off by|past the largest"),
    ("sample: own random numbers", "a0_sample",
     _fn("a0_sample", "return torch.multinomial(probs, u.numel(), replacement=True).reshape(u.shape)"),
     "own random numbers|fresh random"),
    ("sample: probs, not cdf", "a0_sample", _fn("a0_sample", "return torch.searchsorted(probs, u, right=True)"),
     "cumulative sums"),
    ("sample: float result", "a0_sample",
     _fn("a0_sample", "return torch.searchsorted(probs.cumsum(-1), u, right=True).clamp(max=len(probs) - 1).float()"),
     "dtype"),
    ("sample: flattened", "a0_sample",
     _fn("a0_sample", "return torch.searchsorted(probs.cumsum(-1), u.flatten(), right=True).clamp(max=len(probs) - 1)"),
     "flattened|reshape"),
    ("sample: count strictly below", "a0_sample",
     _fn("a0_sample", "k = (probs.cumsum(-1) < u.unsqueeze(-1)).sum(-1)", "return k.clamp(max=len(probs) - 1)"),
     "`>=`|boundary"),
    # --- bits_per_dim
    ("bpd: no log 2", "a0_bits_per_dim", _fn("a0_bits_per_dim", "return -log_probs.mean() / num_dims"), "log 2"),
    ("bpd: times log 2", "a0_bits_per_dim", _fn("a0_bits_per_dim", "return -log_probs.mean() * math.log(2) / num_dims"),
     "log 2"),
    ("bpd: sign", "a0_bits_per_dim", _fn("a0_bits_per_dim", "return log_probs.mean() / (num_dims * math.log(2))"),
     "sign"),
    ("bpd: sum over images", "a0_bits_per_dim",
     _fn("a0_bits_per_dim", "return -log_probs.sum() / (num_dims * math.log(2))"), "sum where a mean"),
    ("bpd: per image, not per dim", "a0_bits_per_dim",
     _fn("a0_bits_per_dim", "return -log_probs.mean() / math.log(2)"), "the argument 784|mean where a sum|sum where a mean"),
    ("bpd: log10", "a0_bits_per_dim", _fn("a0_bits_per_dim", "return -log_probs.mean() / (num_dims * math.log(10))"),
     "log 10"),
    ("bpd: per image values", "a0_bits_per_dim", _fn("a0_bits_per_dim", "return -log_probs / (num_dims * math.log(2))"),
     "shape is wrong"),
    # --- fit_categorical
    ("fit: add-one smoothing", "a0_fit_categorical",
     _fn("a0_fit_categorical", "return (torch.bincount(samples.flatten(), minlength=num_classes) + 1).float()"
         " / (samples.numel() + num_classes)"), "smoothing"),
    ("fit: no minlength", "a0_fit_categorical",
     _fn("a0_fit_categorical", "return torch.bincount(samples.flatten()).float() / samples.numel()"), "minlength"),
    ("fit: counts, not frequencies", "a0_fit_categorical",
     _fn("a0_fit_categorical", "return torch.bincount(samples.flatten(), minlength=num_classes).float()"),
     "sum where a mean|division|sum to"),
    ("fit: divided by the number of classes", "a0_fit_categorical",
     _fn("a0_fit_categorical", "return torch.bincount(samples.flatten(), minlength=num_classes).float() / num_classes"),
     "sum to"),
    ("fit: 2-D samples not flattened", "a0_fit_categorical",
     _fn("a0_fit_categorical", "return torch.bincount(samples, minlength=num_classes).float() / len(samples)"),
     "flatten"),
    ("fit: len instead of numel", "a0_fit_categorical",
     _fn("a0_fit_categorical", "return torch.bincount(samples.flatten(), minlength=num_classes).float() / len(samples)"),
     "sum to|division"),
    # --- average_nll
    ("nll: no minus", "a0_average_nll", _fn("a0_average_nll", "return probs[samples].log().mean()"), "sign"),
    ("nll: sum, not mean", "a0_average_nll", _fn("a0_average_nll", "return -probs[samples].log().sum()"),
     "sum where a mean"),
    ("nll: averaged over classes", "a0_average_nll", _fn("a0_average_nll", "return -probs.log().mean()"),
     "over the classes"),
    ("nll: off by one index", "a0_average_nll", _fn("a0_average_nll", "return -probs[samples - 1].log().mean()"),
     "numbered from 0"),
    ("nll: log2", "a0_average_nll", _fn("a0_average_nll", "return -probs[samples].log2().mean()"), "log base 2|bits"),
    ("nll: epsilon", "a0_average_nll", _fn("a0_average_nll", "return -(probs[samples] + 1e-9).log().mean()"),
     "infinite"),
    ("nll: likelihood, not log", "a0_average_nll", _fn("a0_average_nll", "return -probs[samples].mean()"),
     "probabilities themselves"),
]


def _first_failure(outcome):
    return next((err for err in outcome.values() if err is not None), None)


def _grade_catalogue():
    rows = []
    for label, exercise, code, words in CATALOGUE:
        outcome = run_exercise(exercise, code)
        failures = {gid: err for gid, err in outcome.items() if err is not None}
        caught = bool(failures) and all(type(e) is AssertionError for e in failures.values())
        first = str(_first_failure(outcome) or "")
        named = bool(words) and caught and re.search(words, first, flags=re.IGNORECASE) is not None
        rows.append((label, exercise, caught, named, failures))
    return rows


@pytest.fixture(scope="module")
def catalogue():
    return _grade_catalogue()


def test_the_catalogue_is_large_and_covers_every_exercise():
    assert len(CATALOGUE) >= 30
    assert len({label for label, *_ in CATALOGUE}) == len(CATALOGUE)
    assert {exercise for _, exercise, *_ in CATALOGUE} == set(EXERCISES)


def test_every_catalogued_mistake_fails_a_visible_check_and_most_are_named(catalogue):
    caught = [label for label, _, c, _, _ in catalogue if c]
    named = [label for label, _, _, n, _ in catalogue if n]
    print(f"\nA0 mistake catalogue: {len(catalogue)} mistakes, {len(caught)} caught by a visible check, "
          f"{len(named)} named ({100 * len(named) / len(catalogue):.0f} %)")
    for label, _, c, n, failures in catalogue:
        if not n:
            print(f"  not named: {label}: {str(next(iter(failures.values()), ''))[-200:]!r}")
    assert len(caught) == len(catalogue), sorted(set(label for label, *_ in catalogue) - set(caught))
    assert len(named) >= 0.8 * len(catalogue)


def test_every_check_id_catches_a_named_mistake():
    """Each check, run alone on a mistake that passes the checks before it, fails with the name."""
    shown = {gid: [] for gid in CHECK_IDS}
    for label, exercise, code, words in CATALOGUE + CHECK_SPECIFIC:
        if not words:
            continue
        for gid, err in run_exercise(exercise, code).items():
            if err is not None and re.search(words, str(err), flags=re.IGNORECASE):
                shown[gid].append(label)
    assert all(shown.values()), {gid: v for gid, v in shown.items() if not v}


# Mistakes that only the second check cell of an exercise sees.
CHECK_SPECIFIC = [
    ("lse: wrong only along other axes", "a0_logsumexp",
     _fn("a0_logsumexp", "m = x.max()", "return (x - m).exp().sum(dim=dim).log() + m"), "whole tensor|far below"),
    ("bayes: rows not normalised", "a0_log_posterior", _fn("a0_log_posterior", "return log_likelihood + log_prior"),
     "normalise each row"),
    ("kl: constant added", "a0_kl", _fn("a0_kl", "return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1) + 0.1"),
     "must vanish"),
    ("sample: fresh random numbers", "a0_sample",
     _fn("a0_sample", "return torch.multinomial(probs, u.numel(), replacement=True).reshape(u.shape)"),
     "fresh random numbers"),
]


def test_a_mistake_in_one_exercise_costs_points_only_there():
    """One wrong exercise at a time, in the whole notebook (hidden tests included)."""
    wrong = {"a0_logsumexp": _fn("a0_logsumexp", "return x.exp().sum(dim=dim).log()"),
             "a0_kl": _fn("a0_kl", "return (torch.xlogy(q, q) - torch.xlogy(q, p)).sum(-1)"),
             "a0_fit_categorical": _fn("a0_fit_categorical", "return torch.zeros(num_classes)")}
    for exercise, code in wrong.items():
        outcome = run_inprocess(SOLUTION, replace={exercise: code})
        failed = {gid for gid, err in outcome.items() if err is not None}
        assert failed == set(checks_of(exercise)), (exercise, failed)


def test_log_posterior_is_checked_with_the_reference_logsumexp_standing_in():
    """A stubbed or wrong logsumexp does not cost the Bayes exercise its points."""
    broken = {"a0_logsumexp": _fn("a0_logsumexp", "return x.sum(dim=dim)")}
    outcome = run_exercise("a0_log_posterior", hidden=True, extra=broken)
    assert all(err is None for err in outcome.values()), outcome


@pytest.mark.parametrize("call", ["torch.logsumexp(x, dim=dim)", "torch.special.logsumexp(x, dim)",
                                  "x.logsumexp(dim)", "(x - x.log_softmax(dim)).select(dim, 0)",
                                  "(x - torch.nn.functional.log_softmax(x, dim=dim)).select(dim, 0)",
                                  "x.select(dim, 0) - torch.softmax(x, dim).log().select(dim, 0)",
                                  "torch.distributions.Categorical(logits=x.movedim(dim, -1)).logits[..., 0] * 0"
                                  " + x.movedim(dim, -1)[..., 0] - torch.distributions.Categorical("
                                  "logits=x.movedim(dim, -1)).logits[..., 0]"])
def test_the_library_logsumexp_does_not_pass_and_is_restored(call):
    outcome = run_exercise("a0_logsumexp", _fn("a0_logsumexp", f"return {call}"))
    for gid, err in outcome.items():
        assert type(err) is AssertionError and "which this exercise asks you to write yourself" in str(err), (gid, err)
    x = torch.randn(3, 4)  # everything is back afterwards
    assert torch.allclose(torch.logsumexp(x, 1), x.logsumexp(1)) and torch.allclose(x.softmax(-1).sum(-1), torch.ones(3))


def test_the_known_mistake_hints_are_each_listed_once():
    namespace: dict = {"__name__": "__notebook__"}
    nb = nbformat.read(SOLUTION, as_version=4)
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), namespace)
    hints = [hint for key, value in namespace.items() if key.endswith("_mistakes") for _, hint in value]
    assert len(hints) >= 12 and len(hints) == len(set(hints))


def test_stub_messages_say_what_not_how_and_fit_the_cell():
    nb = nbformat.read(ASSIGNMENT, as_version=4)
    for cell in nb.cells:
        if authoring.is_solution_cell(cell):
            assert all(len(line) <= authoring.STUB_WIDTH for line in cell.source.split("\n")), cell.source
            message = re.sub(r"'\s*\n\s*'", "", cell.source.split("NotImplementedError(")[1])
            for algorithm in ("amax", "cumsum", "searchsorted", "xlogy", "bincount", "keepdim"):
                assert algorithm not in message, (algorithm, message)


def test_feedback_shows_the_boundary_value_exactly():
    outcome = run_exercise("a0_sample", _fn("a0_sample", "return torch.searchsorted(probs.cumsum(-1), u, right=True)"))
    assert "0.99999994" in str(outcome["a0_sample_check"])


def test_a_crash_names_the_function_the_input_and_what_was_expected():
    outcome = run_exercise("a0_kl", _fn("a0_kl", "return (p * q.log()).sum(-1)[:, 0]"))
    message = str(outcome["a0_kl_check"])
    assert "`kl_divergence` crashed with IndexError" in message
    assert "input:" in message and "expected:" in message
    assert "return (p * q.log()).sum(-1)[:, 0]" in message  # the student's own line


def test_a_notebook_user_sees_the_message_and_no_frame_of_checks_py():
    """What IPython (Jupyter, Colab) prints for a failing check: the message alone."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("import torch\nfrom course_lib import checks, probability")
    shell.run_cell(_fn("a0_logsumexp", "return x.exp().sum(dim=dim).log()"))
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = shell.run_cell("checks.check_function(logsumexp, probability.logsumexp, "
                                "[(torch.tensor([1000.0, 1000.0]),)], name='logsumexp')")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
    assert isinstance(result.error_in_exec, AssertionError)
    assert "`logsumexp` gives a wrong answer." in shown and "likely mistake" in shown
    assert "checks.py" not in shown and "course_lib" not in shown and "Traceback" not in shown, shown
    # a stub: the message, no doubled ".)."
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        shell.run_cell("def f(x):\n    raise NotImplementedError('f: return x squared.')\n"
                       "checks.check_function(f, lambda x: x * x, [(torch.ones(2),)], name='f')")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
    assert "`f` is not implemented yet" in shown and "The task: f: return x squared." in shown
    assert ".)." not in shown and "checks.py" not in shown


# ----------------------------------------------------------------------------------------
# Correct answers written in other styles

CORPUS_FILES = A0.load_corpus()


def test_the_corpus_has_at_least_8_styles_covering_every_exercise():
    assert len(CORPUS_FILES) >= 8
    assert set().union(*CORPUS_FILES.values()) == set(EXERCISES)
    for cells in CORPUS_FILES.values():
        assert set(cells) <= set(EXERCISES)


@pytest.mark.parametrize("name", sorted(CORPUS_FILES))
def test_every_correct_style_passes_every_check_visible_and_hidden(name):
    for exercise, code in CORPUS_FILES[name].items():
        outcome = run_exercise(exercise, code, hidden=True)
        assert all(err is None for err in outcome.values()), (name, exercise, {g: str(e) for g, e in outcome.items() if e})


def test_a_wrapped_stub_raises_exactly_the_hint():
    """The builder wraps long stubs over several lines; the message stays the hint, word for word."""
    for cell in _NB.cells:
        if authoring.is_solution_cell(cell):
            hint = next(line.split("# HINT:")[1].strip() for line in cell.source.split("\n") if "# HINT:" in line)
            namespace: dict = {}
            exec(authoring.stub_code(cell.source, "test"), namespace)
            function = next(v for k, v in namespace.items() if callable(v) and not k.startswith("__"))
            with pytest.raises(NotImplementedError) as err:
                function(*([None] * function.__code__.co_argcount))
            assert str(err.value) == f"{function.__name__}: {hint}"
