"""course_lib.checks: every helper passes right answers and fails wrong ones with the named hint."""

import math

import pytest
import torch

from course_lib import checks


def square(x):
    return x * x


def test_check_function_passes_a_right_answer():
    checks.check_function(lambda x: x ** 2, square, [(torch.randn(4),), (torch.randn(2, 3),)], name="square")


def test_check_function_names_the_known_mistake():
    mistakes = [(lambda x: 2 * x, "you doubled instead of squaring.")]
    with pytest.raises(AssertionError) as err:
        checks.check_function(lambda x: x + x, square, [(torch.randn(4),)], name="square",
                              known_mistakes=mistakes)
    message = str(err.value)
    assert "`square` gives a wrong answer" in message
    assert "expected:" in message and "found:" in message
    assert "you doubled instead of squaring." in message


def test_check_function_turns_a_stub_into_not_implemented():
    def stub(x):
        raise NotImplementedError("square: multiply x by itself")

    with pytest.raises(AssertionError, match="(?s)not implemented yet.*multiply x by itself"):
        checks.check_function(stub, square, [(torch.randn(3),)], name="square")


def test_a_constant_or_special_cased_answer_fails_on_another_case():
    first = torch.tensor([1.0, 2.0])
    cheat = lambda x: torch.tensor([1.0, 4.0])  # noqa: E731 - right for the first case only
    with pytest.raises(AssertionError, match="wrong answer"):
        checks.check_function(cheat, square, [(first,), (torch.randn(2),)], name="square")


class AlwaysClose(torch.Tensor):
    """A tensor look-alike whose ``.all()`` says True: ``torch.isclose(lookalike, expected)``
    returns an ``AlwaysClose`` too, so without the exact-type rule every comparison passes."""

    def all(self, *args, **kwargs):
        return torch.tensor(True)


def _lenient_as_tensor(value, name):
    """checks._as_tensor without its defence: any tensor, subclasses included, is accepted."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    return checks.__dict__["_as_tensor_strict"](value, name)


def test_a_tensor_lookalike_cannot_pass(monkeypatch):
    cases = [(torch.randn(3),), (torch.randn(2, 3),)]
    lookalike = lambda x: AlwaysClose(torch.zeros_like(x))  # noqa: E731 - the right shape, wrong values
    with pytest.raises(AssertionError, match="should return a plain torch.Tensor.*AlwaysClose, a subclass"):
        checks.check_function(lookalike, square, cases, name="square")
    with pytest.raises(AssertionError, match="should return a plain torch.Tensor"):
        checks.check_property("x = 1", AlwaysClose(torch.zeros(3)), 1.0, hint="h")
    # The attack is real: without the exact-type rule, the look-alike passes both checks.
    monkeypatch.setitem(checks.__dict__, "_as_tensor_strict", checks._as_tensor)
    monkeypatch.setattr(checks, "_as_tensor", _lenient_as_tensor)
    checks.check_function(lookalike, square, cases, name="square")
    checks.check_property("x = 1", AlwaysClose(torch.zeros(3)), 1.0, hint="h")
    with pytest.raises(AssertionError, match="missing `return`"):
        checks.check_function(lambda x: None, square, [(torch.randn(3),)], name="square")


def test_the_reference_is_called_on_copies_of_the_inputs():
    """A reference that changes its input in place (as `x.mul_(x)` does) must not change what the
    student's function receives, nor the caller's tensors."""
    seen = []

    def reference(x):
        return x.mul_(x)  # squares in place: a reference written carelessly

    def student(x):
        seen.append(x.clone())
        return x * x

    x = torch.tensor([1.0, 2.0, 3.0])
    checks.check_function(student, reference, [(x,)], name="square")
    assert torch.equal(seen[0], torch.tensor([1.0, 2.0, 3.0])) and torch.equal(x, torch.tensor([1.0, 2.0, 3.0]))


def test_check_function_compares_every_case():
    """Each case is compared: wrong only on the last of three cases still fails."""
    cases = [(torch.tensor([1.0]),), (torch.tensor([2.0]),), (torch.tensor([3.0]),)]
    with pytest.raises(AssertionError, match="(?s)wrong answer.*expected: \\[9\\]"):
        checks.check_function(lambda x: x * x if float(x) < 3 else x, square, cases, name="square")
    for wrong in (lambda x: torch.zeros_like(x), lambda x: x, lambda x: torch.tensor(1.0), lambda x: x * x + 1e-3):
        with pytest.raises(AssertionError, match="wrong answer"):
            checks.check_function(wrong, square, [(torch.randn(4) + 2,)], name="square")


def test_in_place_changes_to_the_input_are_caught():
    def in_place(x):
        x.mul_(x)
        return x

    with pytest.raises(AssertionError, match="changed its input in place"):
        checks.check_function(in_place, square, [(torch.randn(3),)], name="square")


def test_wrong_dtype_and_shape_are_named():
    with pytest.raises(AssertionError, match="wrong dtype"):
        checks.check_function(lambda x: (x * x).float(), lambda x: (x * x).long(), [(torch.arange(3),)],
                              name="f", dtype=torch.long)
    with pytest.raises(AssertionError, match="the shape is wrong"):
        checks.check_function(lambda x: (x * x).unsqueeze(0), square, [(torch.randn(3),)], name="square")


def test_generic_hints_overflow_and_sign():
    with pytest.raises(AssertionError, match="exp overflowed"):
        checks.check_function(lambda x: x.exp().log(), lambda x: x, [(torch.tensor([1000.0]),)], name="f")
    with pytest.raises(AssertionError, match="sign is flipped"):
        checks.check_function(lambda x: -x * x, square, [(torch.randn(3) + 3,)], name="square")


def test_nondeterminism_is_named():
    with pytest.raises(AssertionError, match="draw its own random numbers"):
        checks.check_function(lambda u: torch.rand(u.shape), lambda u: u, [(torch.rand(5),)], name="sampler")


def test_a_crash_in_student_code_is_a_failed_check():
    with pytest.raises(AssertionError, match="crashed with ZeroDivisionError"):
        checks.check_function(lambda x: 1 / 0, square, [(torch.randn(2),)], name="square")


def test_check_close_and_check_property():
    checks.check_close(torch.tensor(0.5), 0.5, name="p")
    with pytest.raises(AssertionError, match="forgot the prior"):
        checks.check_close(torch.tensor(0.9), 0.15, name="p", known_mistakes=[(0.9, "forgot the prior")])
    checks.check_property("KL(p || p) = 0", torch.tensor(0.0), 0.0, hint="h")
    with pytest.raises(AssertionError, match="(?s)KL.*does not hold.*must vanish"):
        checks.check_property("KL(p || p) = 0", torch.tensor(0.1), 0.0, hint="must vanish")


def test_check_shape_and_dtype():
    checks.check_shape(torch.zeros(2, 3), (None, 3), name="x")
    with pytest.raises(AssertionError, match=r"expected: \(any, 4\)"):
        checks.check_shape(torch.zeros(2, 3), (None, 4), name="x")
    checks.check_dtype(torch.zeros(2, dtype=torch.long), torch.long, name="x")
    with pytest.raises(AssertionError, match="wrong dtype"):
        checks.check_dtype(torch.zeros(2), torch.long, name="x")


def test_check_gradient_flow():
    def reparameterize(mu, logvar):
        return mu + (0.5 * logvar).exp() * torch.randn_like(mu)

    def detached(mu, logvar):
        return mu + (0.5 * logvar).exp().detach() * torch.randn_like(mu)

    inputs = {"mu": torch.randn(4), "logvar": torch.randn(4)}
    checks.check_gradient_flow(reparameterize, inputs, name="reparameterize", must_flow=("mu", "logvar"))
    with pytest.raises(AssertionError, match="(?s)No gradient reaches `logvar`.*stray detach"):
        checks.check_gradient_flow(detached, inputs, name="reparameterize", must_flow=("mu", "logvar"),
                                   hints={"logvar": "a stray detach"})
    with pytest.raises(AssertionError, match="No gradient flows"):
        checks.check_gradient_flow(lambda mu, logvar: torch.normal(mu.detach(), 1.0), inputs,
                                   name="reparameterize", must_flow=("mu",))
    with pytest.raises(AssertionError, match=r"(?s)must not.*missing `.detach\(\)`"):
        checks.check_gradient_flow(lambda mu, logvar: mu * logvar, inputs, name="f",
                                   must_flow=("mu",), must_not_flow=("logvar",))


class MaskedConv1d(torch.nn.Conv1d):
    """A causal 1-D convolution with a type A or B mask (a tiny PixelCNN layer)."""

    def __init__(self, mask_type, leak=False):
        super().__init__(1, 2, kernel_size=5, padding=2)
        mask = torch.ones_like(self.weight)
        mask[..., 3 if mask_type == "B" else 2:] = 0
        if leak:
            mask[..., 3] = 1  # sees one position into the future
        self.register_buffer("mask", mask)

    def forward(self, x):
        return torch.nn.functional.conv1d(x, self.weight * self.mask, self.bias, padding=2)


def test_check_causal_1d():
    checks.check_causal(MaskedConv1d("A"), (2, 1, 8), mask_type="A")
    checks.check_causal(MaskedConv1d("B"), (2, 1, 8), mask_type="B")
    with pytest.raises(AssertionError, match="(?s)sees its own input.*type A"):
        checks.check_causal(MaskedConv1d("B"), (2, 1, 8), mask_type="A")
    with pytest.raises(AssertionError, match="from the future"):
        checks.check_causal(MaskedConv1d("B", leak=True), (2, 1, 8), mask_type="B")


def test_check_causal_2d_raster_order():
    conv = torch.nn.Conv2d(1, 1, 3, padding=1)
    with pytest.raises(AssertionError, match=r"(?s)not causal.*\(row 0, col 0\)"):
        checks.check_causal(conv, (1, 1, 4, 4), mask_type="B")
    mask = torch.zeros(1, 1, 3, 3)
    mask[..., 0, :] = 1
    mask[..., 1, 0] = 1  # type A: the row above and the pixel to the left

    def masked(x):
        return torch.nn.functional.conv2d(x, conv.weight * mask, padding=1)

    checks.check_causal(masked, (1, 1, 4, 4), mask_type="A")
    with pytest.raises(AssertionError, match="depends on no input"):
        checks.check_causal(lambda x: torch.zeros_like(x) * x, (1, 1, 3, 3), mask_type="A")


@pytest.mark.parametrize("layer", [lambda x: torch.zeros_like(x), lambda x: x.detach() * 2,
                                   torch.no_grad()(torch.nn.Conv1d(1, 1, 3, padding=1).forward)],
                         ids=["constant", "detached", "no_grad"])
def test_check_causal_fails_clearly_on_an_output_without_gradient(layer):
    """An output that does not require grad is a failed check, not autograd's RuntimeError."""
    with pytest.raises(AssertionError, match="(?s)does not depend on its input.*detach"):
        checks.check_causal(layer, (2, 1, 8), mask_type="A", name="layer")


def test_check_frequencies():
    probs = torch.tensor([0.5, 0.3, 0.2])
    good = torch.multinomial(probs, 20_000, replacement=True, generator=torch.Generator().manual_seed(0))
    checks.check_frequencies(good, probs, name="samples")
    with pytest.raises(AssertionError, match="(?s)do not match.*biased"):
        checks.check_frequencies(torch.zeros(1000, dtype=torch.long), probs, name="samples", hint="biased")
    with pytest.raises(AssertionError, match="outside 0..2"):
        checks.check_frequencies(good + 1, probs, name="samples")


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError):
        checks.check_function(square, square, [], name="square")
    with pytest.raises(ValueError):
        checks.check_function(square, square, [torch.randn(2)], name="square")
    with pytest.raises(ValueError):
        checks.check_causal(MaskedConv1d("A"), (2, 1, 8), mask_type="C")


# ----------------------------------------------------------------------------------------
# Why values differ: the generic diagnosis names mistakes nobody listed


def hint_for(student, reference, *args):
    with pytest.raises(AssertionError) as err:
        checks.check_function(student, reference, [args], name="f")
    message = str(err.value)
    assert "likely mistake:" in message, message
    return message.split("likely mistake:")[1]


def kl(p, q):
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1)


P, Q = torch.softmax(torch.randn(4, 5), -1), torch.softmax(torch.randn(4, 5), -1)


@pytest.mark.parametrize("wrong, words", [
    (lambda p, q: kl(p, q) / math.log(2), "1/log 2 = 1.4427"),
    (lambda p, q: kl(p, q) * math.log(2), "log 2 = 0.6931"),
    (lambda p, q: kl(p, q) / math.log(10), "log base 10"),
    (lambda p, q: -kl(p, q), "sign is flipped"),
    (lambda p, q: kl(p, q) / 5, "1/5, 1 over the size of axis 1 of argument 1: a mean where a sum"),
    (lambda p, q: kl(p, q) + 0.25, "off by the same constant 0.25"),
    (lambda p, q: kl(p, q) + math.log(5), "log 5"),
    (lambda p, q: kl(q, p), "swapped the two arguments"),
    (lambda p, q: kl(p, q).sum(), "reduced over every axis"),
    (lambda p, q: torch.xlogy(p, p) - torch.xlogy(p, q), "per-element terms"),
    (lambda p, q: kl(p, q)[:, None], "keepdim=True"),
    (lambda p, q: (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(0), "reduced over axis 0: the wrong axis"),
    (lambda p, q: kl(p, q).float().double() * 0 + kl(p, q).exp(), "probabilities (exp of the answer)"),
])
def test_the_diagnosis_names_factors_offsets_axes_and_arguments(wrong, words):
    assert words in hint_for(wrong, kl, P, Q)


def lse(x, dim=-1):
    m = x.amax(dim=dim, keepdim=True)
    return (x - m).exp().sum(dim=dim).log() + m.squeeze(dim)


def test_the_diagnosis_finds_an_undone_shift_rows_far_apart_and_per_row_offsets():
    x = torch.randn(3, 4) * 5
    assert "minus the max of each slice" in hint_for(lambda x: lse(x) - x.amax(-1), lse, x)
    far = torch.stack([torch.randn(4), 1000 + torch.randn(4)])
    global_max = lambda x: (x - x.max()).exp().sum(-1).log() + x.max()  # noqa: E731
    assert "far below the largest value" in hint_for(global_max, lse, far)
    log_normalise = lambda x: x - lse(x).unsqueeze(-1)  # noqa: E731
    whole = lambda x: x - lse(x.flatten())  # noqa: E731
    assert "each row is off by its own constant" in hint_for(whole, log_normalise, torch.randn(3, 4))
    normalise = lambda x: x / x.sum(-1, keepdim=True)  # noqa: E731
    assert "sum to" in hint_for(lambda x: x / x.sum(), normalise, torch.rand(3, 4))
    scale = lambda x: x / x.amax(-1, keepdim=True)  # noqa: E731
    assert "each row is off by its own factor" in hint_for(lambda x: x / x.max(), scale, torch.rand(3, 4))
    assert "sum to" in hint_for(lambda x: x / x.sum(-1, keepdim=True) / 2 + 0.01 * x, normalise, torch.rand(5))


def test_the_diagnosis_of_integers_boundaries_and_the_last_index():
    cdf_sample = lambda probs, u: torch.searchsorted(probs.cumsum(-1), u, right=True).clamp(max=len(probs) - 1)  # noqa: E731
    probs, u = torch.tensor([0.25, 0.25, 0.5]), torch.tensor([0.1, 0.25, 0.4, 0.5, 0.9])
    boundary = hint_for(lambda p, u: torch.searchsorted(p.cumsum(-1), u).clamp(max=2), cdf_sample, probs, u)
    assert "only at 2 of 5 positions" in boundary and "(input 0.25)" in boundary and "`>=`" in boundary
    assert "off by +1" in hint_for(lambda p, u: cdf_sample(p, u) + 1, cdf_sample, probs, u)
    rounded = torch.tensor([0.3, 0.3, 0.4 - 1e-7])
    past = hint_for(lambda p, u: torch.searchsorted(p.cumsum(-1), u, right=True), cdf_sample, rounded,
                    torch.tensor([0.1, 0.99999994]))
    assert "past the largest expected one" in past and "K - 1" in past


def test_the_diagnosis_of_inf_and_nan():
    all_inf = torch.tensor([[-math.inf, -math.inf], [0.0, 1.0]])
    safe = lambda x: torch.logsumexp(x, -1)  # noqa: E731
    assert "every entry is -inf" in hint_for(lse, safe, all_inf)
    p, q = torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])
    assert "infinite" in hint_for(lambda p, q: kl(p, q + 1e-9), kl, p, q)
    assert "log of 0" in hint_for(lambda x: x.exp().sum(-1).log(), safe, torch.tensor([-1000.0, -1001.0]))


def test_the_diagnosis_of_lost_precision():
    x = torch.tensor([-1500.2, -1510.7, -1499.1], dtype=torch.float64)
    log_normalise = lambda x: x - lse(x).unsqueeze(-1)  # noqa: E731
    assert "float64 but your result is float32" in hint_for(lambda x: log_normalise(x.float()), log_normalise, x)
    # the right values stored in float32 are not a mistake
    checks.check_function(lambda x: (x * 2).float(), lambda x: x * 2, [(torch.randn(3, dtype=torch.float64),)], name="f")


def test_values_print_exactly_enough_to_see_a_boundary():
    text = checks._fmt(torch.tensor([0.0, 0.5, 1 - 2**-24]))
    assert text.startswith("[0, 0.5, 0.99999994]") and "float32" in text
    assert checks._fmt(torch.tensor([1 / 3])).startswith("[0.333333]")
    assert checks._fmt(1 - 2**-40) == "0.9999999999990905"
    assert checks._fmt(torch.tensor([math.inf, -math.inf])).startswith("[inf, -inf]")


def test_a_crash_says_which_function_which_input_what_was_expected_and_where():
    import linecache

    source = "def f(x):\n    return x[:, 0] * 2\n"
    linecache.cache["<cell 7>"] = (len(source), None, source.splitlines(True), "<cell 7>")
    namespace = {}
    exec(compile(source, "<cell 7>", "exec"), namespace)
    with pytest.raises(AssertionError) as err:
        checks.check_function(namespace["f"], lambda x: x * 2, [(torch.ones(3),)], name="f")
    message = str(err.value)
    assert "`f` crashed with IndexError" in message
    assert "input:    ([1, 1, 1]" in message and "expected: [2, 2, 2]" in message
    assert "line 2 of `f`: `return x[:, 0] * 2`" in message
    assert err.value.__cause__ is None and err.value.__suppress_context__
    with pytest.raises(AssertionError, match=r"(?s)crashed with TypeError.*likely mistake: torch.max\(x, dim\)"):
        checks.check_function(lambda x: x - torch.max(x, dim=-1), lse, [(torch.randn(2, 3),)], name="f")


def test_a_stub_message_has_no_doubled_punctuation():
    def stub(x):
        raise NotImplementedError("f: return x squared (elementwise).")

    with pytest.raises(AssertionError) as err:
        checks.check_function(stub, square, [(torch.randn(2),)], name="f")
    assert str(err.value).endswith("The task: f: return x squared (elementwise).")
    assert ".)." not in str(err.value)


def test_failures_render_as_their_message_only_in_ipython():
    with pytest.raises(AssertionError) as err:
        checks.check_function(lambda x: x, square, [(torch.full((2,), 3.0),)], name="square")
    lines = err.value._render_traceback_()
    assert len(lines) == 1 and lines[0].endswith(str(err.value)) and "checks.py" not in lines[0]


def test_forbidding_a_library_function_while_the_student_runs_then_restoring_it():
    cheat = lambda x, dim=-1: torch.logsumexp(x, dim)  # noqa: E731
    for student in (cheat, lambda x, dim=-1: x.logsumexp(dim), lambda x, dim=-1: x - torch.log_softmax(x, dim),
                    lambda x, dim=-1: torch.special.logsumexp(x, dim)):
        with pytest.raises(AssertionError, match="which this exercise asks you to write yourself. Use max"):
            checks.check_function(student, lse, [(torch.randn(3),)], name="logsumexp",
                                  forbid=checks.LOGSUMEXP_ROUTES, forbid_reason="Use max, exp, sum, log")
    x = torch.randn(2, 3)
    assert torch.allclose(torch.logsumexp(x, 1), lse(x)) and torch.allclose(x.logsumexp(1), lse(x))
    assert "logsumexp" not in vars(torch.Tensor) and torch.softmax(x, -1).shape == (2, 3)
    checks.check_function(lse, lse, [(torch.randn(3),)], name="logsumexp", forbid=checks.LOGSUMEXP_ROUTES)


def test_standing_in_and_call():
    namespace = {}
    exec("def helper(x):\n    raise NotImplementedError('helper')\n"
         "def uses_helper(x):\n    return helper(x) + 1\n", namespace)
    value = checks.call(namespace["uses_helper"], torch.ones(2), stand_ins={"helper": lambda x: x * 2})
    assert torch.equal(value, torch.full((2,), 3.0))
    with pytest.raises(AssertionError, match="`helper` is not implemented yet|`uses_helper` is not implemented"):
        checks.call(namespace["uses_helper"], torch.ones(2))
    assert namespace["helper"].__name__ == "helper"  # put back
    with pytest.raises(AssertionError, match="should return a torch.Tensor"):
        checks.call(lambda: None)
