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


# ----------------------------------------------------------------------------------------
# What the student reads: each check's failure message in full. The hint is part of the
# contract ("a hint that names the mistake"): a message changed or emptied fails here.


def message_of(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as err:
        check(*args, **kwargs)
    return str(err.value)


def test_the_shape_and_dtype_messages_in_full():
    assert message_of(checks.check_shape, torch.zeros(2, 3), (None, 4), name="x") == (
        "`x` has the wrong shape.\n  expected: (any, 4)\n  found:    (2, 3)\n  likely mistake: a reduction over "
        "the wrong axis, a missing `keepdim`, or a missing batch axis.")
    assert message_of(checks.check_shape, torch.zeros(2, 3), (None, 4), name="x", hint="h.").endswith(
        "  found:    (2, 3)\n  likely mistake: h.")
    assert message_of(checks.check_dtype, torch.zeros(2), torch.long, name="x") == (
        "`x` has the wrong dtype.\n  expected: torch.int64\n  found:    torch.float32\n"
        "  likely mistake: a missing `.long()` or `.float()`.")
    assert message_of(checks.check_dtype, torch.zeros(2), torch.long, name="x", hint="h.").endswith(
        "found:    torch.float32\n  likely mistake: h.")


def test_the_gradient_flow_messages_in_full():
    inputs = {"mu": torch.ones(2), "noise": torch.ones(2)}
    flow = checks.check_gradient_flow
    assert message_of(flow, lambda mu, noise: (mu * noise).detach(), inputs, name="f", must_flow=["mu"]) == (
        "No gradient flows through `f` at all.\n  expected: gradients reaching ['mu']\n  found:    an output "
        "with requires_grad=False\n  likely mistake: a `.detach()`, `torch.no_grad()`, `.item()` or a NumPy "
        "round trip cut the graph.")
    assert message_of(flow, lambda mu, noise: (mu * noise).detach(), inputs, name="f", must_flow=["mu"],
                      hints={"mu": "h."}).endswith("likely mistake: h.")
    assert message_of(flow, lambda mu, noise: mu.detach() * noise, inputs, name="f", must_flow=["noise", "mu"]) == (
        "No gradient reaches `mu` through `f`.\n  expected: a nonzero gradient with respect to mu\n  found:    None"
        "\n  likely mistake: `mu` is detached, unused, or only used through a sampling call that blocks gradients.")
    assert "found:    all zeros\n" in message_of(flow, lambda mu, noise: mu * 0 + noise, inputs, name="f",
                                                 must_flow=["mu"])
    assert message_of(flow, lambda mu, noise: mu * noise, inputs, name="f", must_flow=["mu"],
                      must_not_flow=["noise"]) == (
        "A gradient reaches `noise` through `f`, but it must not.\n  expected: no gradient with respect to noise\n"
        "  found:    a nonzero gradient\n  likely mistake: a missing `.detach()` on `noise`.")
    assert message_of(flow, lambda mu, noise: mu * noise, inputs, name="f", must_not_flow=["noise"],
                      hints={"noise": "h."}).endswith("likely mistake: h.")
    # an input used with a zero gradient is not a flow; the leaves are copies of the inputs
    flow(lambda mu, noise: mu + noise * 0, inputs, name="f", must_flow=["mu"], must_not_flow=["noise"])
    assert inputs["mu"].grad is None and not inputs["mu"].requires_grad
    assert message_of(flow, lambda mu, noise: (mu * noise).sum().item(), inputs, name="f", must_flow=["mu"]) == (
        "`f` returned a number, so no gradient can flow through it: did you call `.item()`?")


def test_the_causality_messages_in_full():
    causal = checks.check_causal
    assert message_of(causal, lambda x: x.detach(), (1, 1, 4), mask_type="A", name="L") == (
        "`L`'s output does not depend on its input: no gradient flows from the input to the output "
        "(requires_grad=False).\n  likely mistake: the output does not come from the input, or a `.detach()`, "
        "`torch.no_grad()` or `.data` in the forward pass cut the graph.")
    assert message_of(causal, lambda x: x[..., 1:], (1, 1, 4), mask_type="A", name="L") == (
        "`L` changes the spatial shape: expected (4,), found (3,). Likely mistake: wrong padding.")
    assert message_of(causal, lambda x: x, (1, 1, 2, 3), mask_type="A", name="L") == (
        "`L` is not causal (mask type A).\n  expected: the output at position (row 0, col 0) depends only on "
        "inputs before it\n  found:    it depends on the input at position (row 0, col 0)\n  likely mistake: the "
        "output sees its own input pixel: a type A mask must also hide the centre position (type B may keep it).")
    assert message_of(causal, lambda x: torch.roll(x, -1, -1), (1, 1, 4), mask_type="B", name="L") == (
        "`L` is not causal (mask type B).\n  expected: the output at position 0 depends only on inputs before it "
        "or at it\n  found:    it depends on the input at position 1\n  likely mistake: the mask lets "
        "information flow from the future: zero every kernel weight at and after the centre (type A) or after "
        "the centre (type B), in raster order.")
    # raster order: row = k // width, col = k % width (a 2 x 3 image, the input one row below)
    below = message_of(causal, lambda x: torch.roll(x.flatten(2), -3, -1).view_as(x), (1, 1, 2, 3), mask_type="B", name="L")
    assert "output at position (row 0, col 0)" in below and "input at position (row 1, col 0)" in below
    right = message_of(causal, lambda x: torch.roll(x.flatten(2), -4, -1).view_as(x), (1, 1, 2, 3),
                       mask_type="B", name="L")
    assert "output at position (row 0, col 0)" in right and "input at position (row 1, col 1)" in right
    assert message_of(causal, lambda x: x * 0, (1, 1, 4), mask_type="B", name="L") == (
        "`L`'s output depends on no input at all.\n  likely mistake: the mask zeroes every weight, or the input "
        "is not used.")
    assert message_of(causal, lambda x: x, (1, 1, 4), mask_type="A").startswith("`layer` is not causal")
    assert message_of(causal, lambda x: [x], (1, 1, 4), mask_type="A", name="L").startswith(
        "`L` should return a torch.Tensor")


def test_the_frequency_messages_in_full():
    probs = torch.tensor([0.5, 0.5])
    assert message_of(checks.check_frequencies, torch.zeros(3), probs, name="s") == (
        "`s` should be integer class indices, found dtype torch.float32.")
    assert message_of(checks.check_frequencies, torch.tensor([0, 5]), probs, name="s") == (
        "`s` holds indices outside 0..1 (found min 0, max 5).")
    assert message_of(checks.check_frequencies, torch.tensor([-2, 1]), probs, name="s") == (
        "`s` holds indices outside 0..1 (found min -2, max 1).")
    assert message_of(checks.check_frequencies, torch.tensor([], dtype=torch.long), probs, name="s") == (
        "`s` holds indices outside 0..1 (found min -, max -).")
    text = message_of(checks.check_frequencies, torch.zeros(100, dtype=torch.long), probs, name="s")
    assert text.startswith("The frequencies of `s` do not match the probabilities (100 samples).\n")
    assert "expected: [0.5, 0.5]" in text and "found:    [1, 0]" in text
    assert text.endswith("likely mistake: a sampler that favours some classes.")


def test_the_messages_of_check_function_and_call_in_full():
    def identity_(x):
        return x

    assert message_of(checks.check_function, 3, identity_, [(torch.ones(1),)]) == (
        "`3` should be a function, but it is int.")
    assert message_of(checks.call, "f") == "`f` should be a function, but it is str."
    assert message_of(checks.check_function, lambda x: x.mul_(2), lambda x: 2 * x, [(torch.ones(2),)], name="f") == (
        "`f` changed its input in place.\n  input:    ([1, 1] (shape (2,), float32))\n  likely mistake: use "
        "out-of-place operations (`x = x - m`, not `x -= m` or `x.sub_(m)`) so that the caller's tensors stay "
        "as they were.")
    assert message_of(checks.check_function, lambda x: x.double(), identity_, [(torch.ones(2),)], name="f",
                      dtype=torch.float32) == (
        "`f` returns the wrong dtype: expected torch.float32, found torch.float64.\n  input:    ([1, 1] (shape "
        "(2,), float32))\n  likely mistake: convert with `.long()` / `.float()`, or keep the dtype of the "
        "operation that produces the answer.")
    assert message_of(checks._as_tensor, [1, 2], "f") == (
        "`f` should return a torch.Tensor, but it returned list (1, 2). Most likely mistake: a missing `return`, "
        "or returning a Python list or NumPy array.")
    assert message_of(checks._as_tensor, torch.nn.Parameter(torch.ones(1)), "f") == (
        "`f` should return a plain torch.Tensor, but it returned an instance of Parameter, a subclass; return "
        "an ordinary tensor.")
    # the name defaults to the function's own
    def my_square(x):
        return x

    assert message_of(checks.check_function, my_square, lambda x: x * x, [(torch.full((1,), 3.0),)]).startswith(
        "`my_square` gives a wrong answer.\n")
    assert message_of(checks.call, lambda: None).startswith("`<lambda>` should return a torch.Tensor")
    assert message_of(checks.check_close, torch.tensor(2.0), 1.0, name="v").startswith(
        "`v` is wrong.\n  expected: 1 (shape (), float64)\n  found:    2 (shape (), float32)\n  likely mistake: ")
    assert message_of(checks.check_property, "p", torch.tensor([1.0, 2.0]), 1.0, hint="h.") == (
        "The property p does not hold.\n  expected: [1, 1] (shape (2,), float64)\n  found:    [1, 2] (shape "
        "(2,), float32)\n  likely mistake: h.")


# ----------------------------------------------------------------------------------------
# Names, defaults and the arguments passed along: found by mutation testing (docs/mutation.md)


def test_a_value_that_is_not_a_tensor_is_named_by_every_check():
    for check, kwargs in ((checks.check_shape, dict(shape=(1,))), (checks.check_dtype, dict(dtype=torch.long)),
                          (checks.check_close, dict(expected=1.0))):
        assert message_of(check, [1], name="v", **kwargs).startswith("`v` should return a torch.Tensor")
    assert message_of(checks.check_frequencies, [0, 1], torch.tensor([0.5, 0.5]), name="s").startswith(
        "`s` should return a torch.Tensor")
    assert message_of(checks.check_property, "p = 1", [1.0], 1.0, hint="h").startswith(
        "`p = 1` should return a torch.Tensor")
    assert message_of(checks.call, lambda: [1.0], name="f").startswith("`f` should return a torch.Tensor")
    assert message_of(checks.check_function, lambda x: None, identity, [(torch.ones(1),)], name="f").startswith(
        "`f` should return a torch.Tensor, but it returned NoneType None.")
    assert message_of(checks.check_gradient_flow, lambda mu: [mu], {"mu": torch.ones(1)}, name="f",
                      must_flow=["mu"]).startswith("`f` should return a torch.Tensor")
    # the instructor's side is named too: a reference or analytic value that is not a tensor
    assert message_of(checks.check_function, identity, lambda x: [1.0], [(torch.ones(1),)], name="f").startswith(
        "`reference` should return a torch.Tensor, but it returned list")
    assert message_of(checks.check_close, torch.ones(1), [1.0], name="v").startswith("`reference` should return")
    assert message_of(checks.check_property, "p", torch.ones(1), [1.0], hint="h").startswith(
        "`analytic value` should return")
    # a long value is shown cut at 80 characters
    text = message_of(checks._as_tensor, list(range(100)), "f")
    shown = text.split("it returned list ")[1].split(". Most likely")[0]
    assert len(shown) == 80 and shown.endswith("...") and shown.startswith("(0, 1, 2")


def test_a_crash_is_named_wherever_the_student_s_code_runs():
    def crash(*args, **kwargs):
        raise ZeroDivisionError("boom")

    assert message_of(checks.check_gradient_flow, crash, {"mu": torch.ones(1)}, name="f",
                      must_flow=["mu"]).startswith("`f` crashed with ZeroDivisionError: boom")
    assert message_of(checks.check_causal, crash, (1, 1, 4), mask_type="A", name="L").startswith(
        "`L` crashed with ZeroDivisionError: boom")
    calls = []

    def once(x):                   # right once, then wrong and crashing when called again
        calls.append(1)
        if len(calls) > 1:
            raise ZeroDivisionError("again")
        return x + 1

    assert message_of(checks.check_function, once, identity, [(torch.ones(2),)], name="f").startswith(
        "`f` crashed with ZeroDivisionError: again")
    # the crash message is one line per part
    lines = message_of(checks.check_function, lambda x: 1 / 0, identity, [(torch.ones(2),)], name="f").split("\n")
    assert lines[0] == "`f` crashed with ZeroDivisionError: division by zero"
    assert lines[1] == "  input:    ([1, 1] (shape (2,), float32))"
    assert lines[2] == "  expected: [1, 1] (shape (2,), float32)"
    assert lines[3].startswith("  where:    line ")


def test_the_default_name_is_the_function_s_own_or_your_function():
    import functools

    partial = functools.partial(lambda x, k: x * k, k=2.0)      # a callable without __name__
    assert message_of(checks.check_function, partial, identity, [(torch.ones(1),)]).startswith(
        "`your function` gives a wrong answer.")
    assert message_of(checks.call, functools.partial(lambda: None)).startswith("`your function` should return")


def test_a_forbidden_call_is_named_with_the_reason_or_without_one():
    def cheat(x):
        return torch.logsumexp(x, -1)

    text = message_of(checks.check_function, cheat, identity, [(torch.ones(2),)], name="lse",
                      forbid=["torch.logsumexp"])
    assert text == "`lse` calls `torch.logsumexp`, which this exercise asks you to write yourself."
    assert message_of(checks.call, cheat, torch.ones(2), name="lse", forbid=["torch.logsumexp"],
                      forbid_reason="use max, exp, sum, log") == (
        "`lse` calls `torch.logsumexp`, which this exercise asks you to write yourself. Use max, exp, sum, log."
        if False else
        "`lse` calls `torch.logsumexp`, which this exercise asks you to write yourself. use max, exp, sum, log.")
    assert message_of(checks.call, cheat, torch.ones(2), name="lse", forbid=["torch.logsumexp"]).endswith(
        "yourself.")


def test_a_stub_without_a_message_still_says_what_to_do():
    def stub(x):
        raise NotImplementedError

    assert message_of(checks.check_function, stub, identity, [(torch.ones(1),)], name="f").endswith(
        "The task: see the exercise's text above.")


def test_check_function_passes_the_stand_ins_to_the_student_s_code():
    namespace = {}
    exec("def helper(x):\n    raise NotImplementedError('helper')\n"
         "def uses_helper(x):\n    return helper(x) + 1\n", namespace)
    checks.check_function(namespace["uses_helper"], lambda x: 2 * x + 1, [(torch.ones(2),)], name="f",
                          stand_ins={"helper": lambda x: 2 * x})
    assert "not implemented yet" in message_of(checks.check_function, namespace["uses_helper"],
                                               lambda x: 2 * x + 1, [(torch.ones(2),)], name="f")


def test_non_tensor_arguments_are_passed_as_they_are():
    checks.check_function(lambda x, k: x * k, lambda x, k: k * x, [(torch.ones(2), 3), (torch.ones(1), 0.5)],
                          name="f")


def test_check_function_refuses_bad_cases_with_a_clear_message():
    with pytest.raises(ValueError, match="^check_function needs at least one case$"):
        checks.check_function(identity, identity, [], name="f")
    with pytest.raises(ValueError, match="^each case must be a tuple of arguments, got Tensor$"):
        checks.check_function(identity, identity, [torch.ones(1)], name="f")


def test_a_wrong_answer_names_its_input_and_past_12_values_the_wrong_positions():
    x = torch.arange(13.0)
    wrong = lambda v: torch.where(v == 5, v + 1, v)     # noqa: E731  wrong at index 5 only
    lines = message_of(checks.check_function, wrong, identity, [(x,)], name="f").split("\n")
    assert lines[0] == "`f` gives a wrong answer."
    assert lines[1].startswith("  input:    (tensor of shape (13,), first values [0, 1, 2, 3, 4, 5] ...")
    assert "  wrong:    at [5]: expected 5, found 6 (input 5)" in lines
    # 12 values are shown in full: no positions
    text = message_of(checks.check_function, wrong, identity, [(torch.arange(12.0),)], name="f")
    assert "  wrong:    " not in text
    # integers are compared exactly, and only the wrong positions are listed
    ints = torch.arange(14)
    text = message_of(checks.check_function, lambda v: torch.where(v == 13, 0, v), identity, [(ints,)], name="f")
    assert "  wrong:    at [13]: expected 13, found 0 (input 13)" in text and "at [0]" not in text
    # nan == nan (an input with a nan is not "changed in place") and the tolerance: only the truly
    # wrong position is listed
    y = torch.arange(13.0)
    y[0] = float("nan")
    close = lambda v: torch.where(v == 7, v + 1, v + 1e-7)  # noqa: E731
    text = message_of(checks.check_function, close, identity, [(y,)], name="f", rtol=1e-5, atol=1e-6)
    assert "  wrong:    at [7]: expected 7, found 8 (input 7)" in text.split("\n")
    # a wrong shape has no positions
    assert "  wrong:    " not in message_of(checks.check_function, lambda v: v[:-1], identity, [(x,)], name="f")


def test_tolerances_of_the_helpers():
    assert checks._close(torch.tensor([0.0]), torch.tensor([5e-7])).item()          # atol 1e-6
    assert not checks._close(torch.tensor([0.0]), torch.tensor([5e-6])).item()
    assert checks._constant(torch.tensor([2.5])) == 2.5                                 # one value
    assert checks._constant(torch.tensor([1.0, 1.0 + 5e-5])) == 1.0                     # rtol 1e-4
    assert checks._constant(torch.tensor([0.0, 5e-6]), atol=1e-5) == 0.0
    assert checks._constant(torch.tensor([0.0, 5e-6])) is None
    assert checks._same(torch.tensor([1.0 + 1e-4]), torch.tensor([1.0]), 2e-4, 0.0)     # rtol is used
    assert checks._same(torch.tensor([1, 2]), torch.tensor([1.0, 2.0 + 1e-7], dtype=torch.float64), 1e-5, 1e-6)
    assert not checks._same(torch.tensor([0.5, 0.0]), torch.tensor([True, False]), 1.0, 1.0)  # 0.5 is not True
    assert not checks._same(torch.tensor([2, 0]), torch.tensor([True, False]), 1.0, 1.0)
    assert checks._same(torch.tensor([1.0, 0.0]), torch.tensor([True, False]), 0.0, 0.0)
    assert checks._same(torch.tensor([True, False]), torch.tensor([1, 0]), 0.0, 0.0)
    assert checks._same(torch.tensor([1, 2], dtype=torch.int32), torch.tensor([1, 2]), 0.0, 0.0)
    assert checks._same(torch.tensor([1, 0], dtype=torch.uint8), torch.tensor([True, False]), 0.0, 0.0)


def test_check_property_default_tolerance_and_a_shape_that_cannot_broadcast():
    checks.check_property("p", torch.tensor(1.0 + 5e-6), 1.0, hint="h")
    assert "does not hold" in message_of(checks.check_property, "p", torch.tensor(1.0 + 5e-5), 1.0, hint="h")
    text = message_of(checks.check_property, "p", torch.zeros(3), torch.zeros(2), hint="h")
    assert text.startswith("The property p does not hold.\n  expected: [0, 0] (shape (2,)")


def test_check_frequencies_allows_five_standard_errors_of_each_class():
    probs = torch.tensor([0.5, 0.5])                   # n = 400: se = 0.025, five of them 0.125
    n = 400
    for share, ok in ((0.62, True), (0.65, False)):
        s = (torch.arange(n) >= int(share * n)).long()
        if ok:
            checks.check_frequencies(s, probs, name="s")
        else:
            assert "do not match" in message_of(checks.check_frequencies, s, probs, name="s")
    probs = torch.tensor([0.1, 0.9])                   # se = 0.015: 0.17 passes, 0.2 does not
    for share, ok in ((0.17, True), (0.2, False)):
        s = (torch.arange(n) >= int(share * n)).long()
        if ok:
            checks.check_frequencies(s, probs, name="s")
        else:
            assert "do not match" in message_of(checks.check_frequencies, s, probs, name="s")


class _ParamOnly(torch.nn.Module):
    """An output that requires grad through a parameter but ignores the input."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.w.expand(x.shape).clone()


def test_check_causal_leaves_the_global_random_state_and_handles_odd_layers():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    checks.check_causal(identity, (1, 1, 4), mask_type="B")
    assert torch.equal(torch.get_rng_state(), before)         # its own generator, not the global one
    # an output that depends on parameters only: "depends on no input", not autograd's error
    assert "depends on no input at all" in message_of(checks.check_causal, _ParamOnly(), (1, 1, 4), mask_type="A")
    # a module with a single parameter (no bias)
    conv = torch.nn.Conv1d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight[..., 1:] = 0
    checks.check_causal(lambda x: conv(torch.nn.functional.pad(x, (1, 0))[..., :-1]), (1, 1, 4), mask_type="A")
    checks.check_causal(torch.nn.Sequential(conv), (1, 1, 4), mask_type="A")    # output i reads i - 1 only
    unmasked = torch.nn.Conv1d(1, 1, 3, padding=1, bias=False)
    assert "not causal" in message_of(checks.check_causal, unmasked, (1, 1, 4), mask_type="A")


def test_an_input_with_a_nan_is_unchanged_but_a_change_beside_it_is_caught():
    x = torch.tensor([float("nan"), 1.0, 2.0])
    checks.check_function(lambda v: v * 2, lambda v: 2 * v, [(x,)], name="f")

    def in_place(v):
        v[1] = 5.0
        return v * 0 + 2 * torch.tensor([float("nan"), 1.0, 2.0])

    assert "changed its input in place" in message_of(checks.check_function, in_place, lambda v: 2 * v, [(x,)],
                                                      name="f")
    assert checks._unchanged(torch.tensor([1, 2]), torch.tensor([1, 2]))
    assert not checks._unchanged(torch.tensor([1, 2]), torch.tensor([1, 3]))
    assert not checks._unchanged(torch.ones(2), torch.ones(1, 2))
    assert not checks._unchanged(torch.tensor([float("nan")]), torch.tensor([1.0]))


def test_pytest_shows_no_frame_of_the_checks_in_a_failure():
    """``__tracebackhide__``: a failed check in a test (tests/test_a*.py, the release's tests) points
    at the test's line, not into checks.py (a notebook shows the message only, see test_checks)."""
    def hidden(check, *args, **kwargs):
        with pytest.raises(AssertionError) as err:
            check(*args, **kwargs)
        return [entry.path for entry in err.traceback.filter(err) if str(entry.path).endswith("checks.py")]

    x = torch.ones(2)
    assert hidden(checks.check_function, lambda v: v * 3, identity, [(x,)], name="f") == []
    assert hidden(checks.check_function, lambda v: None, identity, [(x,)], name="f") == []        # _as_tensor
    assert hidden(checks.check_function, lambda v: 1 / 0, identity, [(x,)], name="f") == []       # _call
    assert hidden(checks.check_function, lambda v: torch.rand(2), identity, [(x,)], name="f") == []  # nondeterminism
    assert hidden(checks.call, lambda: None, name="f") == []
    assert hidden(checks.check_close, torch.ones(1), 2.0, name="v") == []
    assert hidden(checks.check_property, "p", torch.ones(1), 2.0, hint="h") == []
    assert hidden(checks.check_shape, x, (3,), name="v") == []
    assert hidden(checks.check_dtype, x, torch.long, name="v") == []


@pytest.mark.gpu
def test_check_causal_puts_its_input_on_the_layer_s_device():
    """A layer on the GPU gets its input there (skipped without CUDA: on a CPU every choice of
    device is the CPU, so docs/mutation.md lists those mutants as equivalent here)."""
    conv = torch.nn.Conv1d(1, 1, 3, padding=1).to("cuda")
    with torch.no_grad():
        conv.weight[..., 1:] = 0
    layer = torch.nn.Sequential(torch.nn.ConstantPad1d((1, 0), 0.0), conv)     # output i reads i - 1 only
    checks.check_causal(_Shifted(layer), (1, 1, 4), mask_type="A")


class _Shifted(torch.nn.Module):
    """A module (so check_causal finds its device) whose output i sees inputs before i only."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[..., :-1]


def test_the_wrong_positions_use_exact_integers_and_the_tolerance_for_floats():
    big = torch.arange(13) + 10**6                               # integers: off by one is wrong, however large
    text = message_of(checks.check_function, lambda v: torch.where(v == 10**6 + 4, v + 1, v), identity, [(big,)],
                      name="f")
    assert "  wrong:    at [4]: expected 1000004, found 1000005 (input 1000004)" in text.split("\n")
    # an integer answer expected, floats found: within the tolerance is right, only index 5 is listed
    text = message_of(checks.check_function, lambda v: v.double() + 1e-7 + (v == 5).double(), identity,
                      [(torch.arange(13),)], name="f")
    assert "at [5]: expected 5, found 6" in text and "at [0]" not in text and "and 1 more" not in text


def test_the_diagnosis_uses_the_check_s_tolerances():
    a = torch.tensor([1.0, 2.0, 3.5], dtype=torch.float64)
    b = torch.tensor([0.5, 1.5, 0.25], dtype=torch.float64)
    reference = lambda a, b: a - 2 * b                                 # noqa: E731
    swapped_rel = lambda a, b: (b - 2 * a) * (1 + 5e-6)                # noqa: E731  swapped, within rtol 1e-5
    assert "swapped the two arguments" in message_of(checks.check_function, swapped_rel, reference, [(a, b)],
                                                     name="f")
    swapped_abs = lambda a, b: (b - 2 * a) + 5e-4                      # noqa: E731  swapped, within atol 1e-3
    assert "swapped the two arguments" in message_of(checks.check_function, swapped_abs, reference, [(a, b)],
                                                     name="f", rtol=0.0, atol=1e-3)


def test_the_wrong_positions_use_the_check_s_rtol():
    x = torch.arange(1.0, 14.0, dtype=torch.float64)
    off = lambda v: torch.where(v == 7, v + 1, v * (1 + 1e-4))    # noqa: E731  within rtol 1e-3 but at 7
    text = message_of(checks.check_function, off, identity, [(x,)], name="f", rtol=1e-3)
    assert "  wrong:    at [6]: expected 7, found 8 (input 7)" in text.split("\n")
