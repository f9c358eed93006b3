"""course_lib.checks: the decisions (pass or fail) that mutation testing found unpinned.

docs/mutation.md explains the practice. Each test fixes a boundary of a check: the
default tolerances, which types count as a tensor, a sampler's allowance for a class of
probability 0, which indices are out of range. test_checks.py covers the messages.
"""
import pytest
import torch

from course_lib import checks


def identity(x):
    return x


def test_as_tensor_keeps_dtypes_and_detaches():
    x = torch.ones(2, requires_grad=True)
    assert not checks._as_tensor(x, "x").requires_grad
    assert checks._as_tensor(0.5, "x").dtype == torch.float64
    assert checks._as_tensor(3, "x").dtype == torch.int64
    assert checks._as_tensor(True, "x").dtype == torch.bool
    with pytest.raises(AssertionError, match="missing `return`"):
        checks._as_tensor(None, "x")
    with pytest.raises(AssertionError, match="subclass"):
        checks._as_tensor(torch.nn.Parameter(torch.ones(1)), "x")


def test_same_compares_shapes_exactly_integers_exactly_and_floats_with_tolerance():
    assert not checks._same(torch.ones(1, 3), torch.ones(3), 1e-5, 1e-6)       # broadcastable is not equal
    assert checks._same(torch.tensor([1, 2]), torch.tensor([1, 2]), 1.0, 1.0)
    assert not checks._same(torch.tensor([1, 3]), torch.tensor([1, 2]), 1.0, 1.0)  # no tolerance for ints
    assert not checks._same(torch.tensor([True]), torch.tensor([False]), 1.0, 1.0)
    assert checks._same(torch.tensor([1.0, 2.0]), torch.tensor([1, 2]), 0.0, 0.0)    # float found, int expected
    assert checks._same(torch.tensor([float("nan")]), torch.tensor([float("nan")]), 0.0, 0.0)
    assert checks._same(torch.tensor([1.0 + 1e-6]), torch.tensor([1.0]), 2e-6, 0.0)
    assert not checks._same(torch.tensor([1.0 + 1e-5]), torch.tensor([1.0]), 2e-6, 0.0)
    assert checks._same(torch.tensor([1e-7]), torch.tensor([0.0]), 0.0, 2e-7)
    assert not checks._same(torch.tensor([1e-6]), torch.tensor([0.0]), 0.0, 2e-7)


def test_close_treats_inf_and_nan_as_equal_to_themselves():
    a = torch.tensor([float("inf"), float("nan"), 1.0])
    assert checks._close(a, a.clone()).tolist() == [True, True, True]
    assert checks._close(torch.tensor([1.0]), torch.tensor([1.0 + 5e-5])).item()      # rtol 1e-4
    assert not checks._close(torch.tensor([1.0]), torch.tensor([1.0 + 5e-4])).item()


def test_constant_of_a_tensor():
    assert checks._constant(torch.full((3,), 2.5)) == 2.5
    assert checks._constant(torch.tensor([1.0, 2.0])) is None
    assert checks._constant(torch.tensor([])) is None
    assert checks._constant(torch.tensor([float("inf")] * 2)) is None


def test_check_function_default_tolerances_are_rtol_1e5_atol_1e6():
    x = torch.tensor([0.0, 100.0], dtype=torch.float64)
    checks.check_function(lambda v: v + torch.tensor([5e-7, 5e-4], dtype=torch.float64), identity, [(x,)],
                          name="f")
    with pytest.raises(AssertionError, match="wrong answer"):
        checks.check_function(lambda v: v + torch.tensor([5e-6, 0.0], dtype=torch.float64), identity,
                              [(x,)], name="f")
    with pytest.raises(AssertionError, match="wrong answer"):
        checks.check_function(lambda v: v + torch.tensor([0.0, 5e-3], dtype=torch.float64), identity,
                              [(x,)], name="f")


def test_check_function_checks_every_case_and_the_dtype():
    cases = [(torch.tensor([1.0]),), (torch.tensor([2.0]),)]
    with pytest.raises(AssertionError, match="wrong answer"):           # right on the first case only
        checks.check_function(lambda v: torch.tensor([1.0]), identity, cases, name="f")
    checks.check_function(identity, identity, cases, name="f", dtype=torch.float32)
    with pytest.raises(AssertionError, match="wrong dtype"):
        checks.check_function(lambda v: v.double(), identity, cases, name="f", dtype=torch.float32)
    with pytest.raises(ValueError, match="tuple of arguments"):
        checks.check_function(identity, identity, [torch.ones(1)], name="f")
    with pytest.raises(AssertionError, match="should be a function"):
        checks.check_function(3, identity, cases, name="f")


def test_check_function_gives_the_reference_its_own_copy_of_the_inputs():
    def reference_in_place(v):
        return v.mul_(2)                      # a reference that writes to its input

    x = torch.tensor([1.0, 2.0])
    checks.check_function(lambda v: 2 * v, reference_in_place, [(x,)], name="f")
    assert x.tolist() == [1.0, 2.0]


def test_call_passes_the_arguments_and_keeps_assertion_errors():
    assert checks.call(lambda a, b: a + b, torch.tensor(1.0), torch.tensor(2.0), name="f").item() == 3.0
    with pytest.raises(AssertionError, match="^mine$"):
        checks.call(lambda: (_ for _ in ()).throw(AssertionError("mine")), name="f")
    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.call(lambda: (_ for _ in ()).throw(NotImplementedError()), name="f")


def test_check_property_and_check_close_decide_by_the_tolerance():
    checks.check_property("zero", torch.zeros(3), 0.0, hint="h")            # a scalar is broadcast
    with pytest.raises(AssertionError, match="does not hold"):
        checks.check_property("zero", torch.tensor([0.0, 1e-3, 0.0]), 0.0, hint="h")
    checks.check_close(torch.tensor(1.0 + 5e-6), torch.tensor(1.0), name="v")
    with pytest.raises(AssertionError, match="is wrong"):
        checks.check_close(torch.tensor(1.0 + 5e-5), torch.tensor(1.0), name="v")


def test_check_shape_none_matches_any_size_but_not_a_missing_axis():
    checks.check_shape(torch.zeros(2, 5), (None, 5), name="v")
    with pytest.raises(AssertionError, match="wrong shape"):
        checks.check_shape(torch.zeros(2, 5), (2, 5, None), name="v")
    with pytest.raises(AssertionError, match="wrong shape"):
        checks.check_shape(torch.zeros(2, 4), (None, 5), name="v")
    checks.check_dtype(torch.zeros(1, dtype=torch.long), torch.long, name="v")
    with pytest.raises(AssertionError, match="wrong dtype"):
        checks.check_dtype(torch.zeros(1), torch.long, name="v")


def test_check_gradient_flow_both_ways():
    inputs = {"mu": torch.ones(2), "noise": torch.ones(2)}
    checks.check_gradient_flow(lambda mu, noise: mu * noise.detach(), inputs, name="f",
                               must_flow=["mu"], must_not_flow=["noise"])
    with pytest.raises(AssertionError, match="No gradient reaches `mu`"):
        checks.check_gradient_flow(lambda mu, noise: mu.detach() * noise, inputs, name="f",
                                   must_flow=["noise", "mu"])
    with pytest.raises(AssertionError, match="A gradient reaches `noise`"):
        checks.check_gradient_flow(lambda mu, noise: mu * noise, inputs, name="f",
                                   must_flow=["mu"], must_not_flow=["noise"])
    with pytest.raises(AssertionError, match="No gradient flows"):
        checks.check_gradient_flow(lambda mu, noise: (mu * noise).detach(), inputs, name="f",
                                   must_flow=["mu"])
    checks.check_gradient_flow(lambda mu, noise: (mu * noise).detach(), inputs, name="f")  # nothing asked
    with pytest.raises(AssertionError, match="did you call `.item\\(\\)`"):
        checks.check_gradient_flow(lambda mu, noise: (mu * noise).sum().item(), inputs, name="f",
                                   must_flow=["mu"])


def test_check_causal_refuses_bad_arguments_and_a_layer_that_changes_the_size():
    with pytest.raises(ValueError, match="mask_type"):
        checks.check_causal(identity, (1, 1, 4), mask_type="C")
    with pytest.raises(ValueError, match="input_shape"):
        checks.check_causal(identity, (1, 4), mask_type="A")
    with pytest.raises(AssertionError, match="changes the spatial shape"):
        checks.check_causal(lambda x: x[..., 1:], (1, 1, 4), mask_type="B")
    checks.check_causal(identity, (1, 1, 4), mask_type="B")      # each output is its own input: B
    with pytest.raises(AssertionError, match=r"(?s)position 0 depends.*input at position 0.*its own"):
        checks.check_causal(identity, (1, 1, 4), mask_type="A")
    shift_left = lambda x: torch.roll(x, shifts=-1, dims=-1)     # noqa: E731  output i reads i + 1
    with pytest.raises(AssertionError, match="from the future"):
        checks.check_causal(shift_left, (1, 1, 4), mask_type="B")


def test_check_frequencies_boundaries():
    probs = torch.tensor([0.5, 0.5, 0.0])
    n = 1000
    half = torch.arange(n) % 2                                         # exactly half and half
    checks.check_frequencies(half, probs, name="s")
    checks.check_frequencies(half.int(), probs, name="s")              # int32 indices are fine
    with pytest.raises(AssertionError, match="integer class indices"):
        checks.check_frequencies(half.float(), probs, name="s")
    with pytest.raises(AssertionError, match="outside 0..2"):
        checks.check_frequencies(torch.tensor([0, 3]), probs, name="s")
    with pytest.raises(AssertionError, match="outside 0..2"):
        checks.check_frequencies(torch.tensor([-1, 0]), probs, name="s")
    with pytest.raises(AssertionError, match="outside 0..2"):
        checks.check_frequencies(torch.tensor([], dtype=torch.long), probs, name="s")
    # a class of probability 0: five samples of it in a thousand are allowed (se >= 1/n), six are not
    for extra, ok in ((5, True), (6, False)):
        s = half.clone()
        s[:extra] = 2
        if ok:
            checks.check_frequencies(s, probs, name="s")
        else:
            with pytest.raises(AssertionError, match="do not match"):
                checks.check_frequencies(s, probs, name="s")
    with pytest.raises(AssertionError, match="do not match"):       # a third of class 1 is too few
        checks.check_frequencies((torch.arange(n) % 3 == 0).long(), probs, name="s")
