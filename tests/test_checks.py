"""course_lib.checks: every helper passes right answers and fails wrong ones with the named hint."""

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


def test_a_tensor_lookalike_cannot_pass():
    class Liar(torch.Tensor):
        def isclose(self, *args, **kwargs):
            return torch.ones(self.shape, dtype=torch.bool)

    with pytest.raises(AssertionError, match="should return a plain torch.Tensor.*Liar, a subclass"):
        checks.check_function(lambda x: Liar(torch.zeros(3)), square, [(torch.randn(3),)], name="square")
    with pytest.raises(AssertionError, match="missing `return`"):
        checks.check_function(lambda x: None, square, [(torch.randn(3),)], name="square")


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
    with pytest.raises(AssertionError, match="inf or nan"):
        checks.check_function(lambda x: x.exp().log(), lambda x: x, [(torch.tensor([1000.0]),)], name="f")
    with pytest.raises(AssertionError, match="sign flipped"):
        checks.check_function(lambda x: -x * x, square, [(torch.randn(3) + 3,)], name="square")


def test_nondeterminism_is_named():
    with pytest.raises(AssertionError, match="draw its own random numbers"):
        checks.check_function(lambda u: torch.rand(u.shape), lambda u: u, [(torch.rand(5),)], name="sampler")


def test_a_crash_in_student_code_is_a_failed_check():
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
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
