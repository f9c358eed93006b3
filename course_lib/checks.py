"""What assignment check cells call: checks that say *what* is wrong and *why*.

Used by the check cells of every assignment (A0 first); the tooling that builds and
grades assignments is :mod:`course_lib.grading.authoring` and :mod:`course_lib.grading.grade`.

A failing check raises :class:`AssertionError` with a message in three parts: what was
expected, what was found, and the most likely mistake. The check cell names the common
mistakes itself, as ``known_mistakes``: a list of ``(wrong_variant, hint)`` pairs where
``wrong_variant`` is a function written the wrong way (or a wrong value). When the
student's answer matches a wrong variant, the message gives that hint.

A check that cannot fail is a defect. Each helper therefore

* turns a stub's ``NotImplementedError`` into a failure that says "not implemented yet";
* insists on a plain ``torch.Tensor`` (or a Python number), so an object that claims to
  equal everything cannot pass;
* compares on every input it is given: check cells pass several, random ones included,
  so a constant or a special-cased answer fails;
* notices when the student's function changes its inputs in place.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import torch

KnownMistakes = Sequence[tuple[object, str]]

_NOT_IMPLEMENTED = ("`{name}` is not implemented yet: it still raises NotImplementedError "
                    "({detail}). Replace the `raise NotImplementedError(...)` line with your code.")


# ----------------------------------------------------------------------------------------
# Formatting and small utilities


def _fmt(value, width: int = 200) -> str:
    """A short, readable rendering of a tensor, number or tuple of them."""
    if isinstance(value, torch.Tensor):
        v = value.detach()
        if v.is_floating_point():
            v = v.double()
        text = str(v.tolist()) if v.numel() <= 12 else (
            f"tensor of shape {tuple(v.shape)}, first values {v.flatten()[:6].tolist()} ...")
        if v.is_floating_point():
            text = _round_floats(text)
        text = f"{text} (shape {tuple(value.shape)}, {str(value.dtype).replace('torch.', '')})"
    elif isinstance(value, (tuple, list)):
        text = "(" + ", ".join(_fmt(v, width) for v in value) + ")"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _round_floats(text: str) -> str:
    import re

    return re.sub(r"-?\d+\.\d{5,}(e-?\d+)?", lambda m: f"{float(m.group()):.6g}", text)


def _as_tensor(value, name: str) -> torch.Tensor:
    """The value as a plain tensor; anything else (a subclass, a string, None) fails."""
    if type(value) is torch.Tensor:  # exact type: a subclass could redefine comparisons
        return value.detach()
    if type(value) in (int, float, bool):
        return torch.tensor(value)
    if isinstance(value, torch.Tensor):
        raise AssertionError(f"`{name}` should return a plain torch.Tensor, but it returned an instance of "
                             f"{type(value).__name__}, a subclass; return an ordinary tensor.")
    raise AssertionError(f"`{name}` should return a torch.Tensor, but it returned "
                         f"{type(value).__name__} {_fmt(value, 80)}. Most likely mistake: a "
                         f"missing `return`, or returning a Python list or NumPy array.")


def _clone_args(args: tuple) -> tuple:
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _call(fn: Callable, args: tuple, name: str):
    """Call the student's function; a stub's NotImplementedError becomes a clear failure."""
    try:
        return fn(*args)
    except NotImplementedError as err:
        raise AssertionError(_NOT_IMPLEMENTED.format(name=name, detail=err or "no hint")) from None
    except AssertionError:
        raise
    except Exception as err:  # the student's code crashed: say where, as a failed check
        raise AssertionError(f"`{name}` raised {type(err).__name__}: {err} on the input "
                             f"{_fmt(args)}.") from err


def _same(found: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> bool:
    if found.shape != expected.shape:
        return False
    if expected.dtype == torch.bool or not (expected.is_floating_point() or found.is_floating_point()):
        return bool(torch.equal(found.to(expected.dtype), expected))
    f, e = found.double(), expected.double()
    return bool(torch.isclose(f, e, rtol=rtol, atol=atol, equal_nan=True).all())


def _matching_mistake(known_mistakes: KnownMistakes, args: tuple | None, found: torch.Tensor,
                      rtol: float, atol: float) -> str | None:
    """The hint of the first known wrong variant that reproduces the student's answer."""
    for wrong, hint in known_mistakes:
        try:
            value = wrong(*_clone_args(args)) if callable(wrong) and args is not None else wrong
            if _same(found, _as_tensor(value, "wrong variant"), rtol, atol):
                return hint
        except Exception:  # a wrong variant may crash on some inputs: it just does not match
            continue
    return None


def _generic_hint(found: torch.Tensor, expected: torch.Tensor) -> str | None:
    """Mistakes recognisable from the numbers alone, whatever the exercise."""
    if found.shape != expected.shape:
        return (f"the shape is wrong: expected {tuple(expected.shape)}, found {tuple(found.shape)}. "
                "Did you reduce over the wrong dimension, forget `keepdim`, or forget to sum?")
    if not (found.is_floating_point() and expected.is_floating_point()):
        return None
    f, e = found.double(), expected.double()
    if bool((~torch.isfinite(f) & torch.isfinite(e)).any()):
        return ("your result contains inf or nan where the expected value is finite: "
                "an overflow in exp, a log of 0, or 0 * log(0) computed as nan?")
    if bool(torch.isfinite(e).all()) and e.abs().max() > 0 and torch.allclose(f, -e, rtol=1e-4, atol=1e-6):
        return "your result has the right size but the wrong sign: is the whole expression's sign flipped?"
    return None


def _failure(title: str, *, inputs=None, expected=None, found=None, hint: str | None = None) -> AssertionError:
    lines = [title]
    if inputs is not None:
        lines.append(f"  input:    {_fmt(inputs)}")
    if expected is not None:
        lines.append(f"  expected: {_fmt(expected)}")
    if found is not None:
        lines.append(f"  found:    {_fmt(found)}")
    if hint:
        lines.append(f"  likely mistake: {hint}")
    return AssertionError("\n".join(lines))


# ----------------------------------------------------------------------------------------
# The checks


def check_function(student: Callable, reference: Callable, cases: Iterable[tuple], *,
                   name: str | None = None, rtol: float = 1e-5, atol: float = 1e-6,
                   known_mistakes: KnownMistakes = (), dtype: torch.dtype | None = None) -> None:
    """Compare ``student(*args)`` with ``reference(*args)`` on every case in ``cases``.

    ``cases`` is a list of argument tuples; pass several, random ones included, so that a
    constant or a special-cased answer cannot pass. ``known_mistakes`` lists
    ``(wrong_function, hint)``: a wrong variant is called on the same arguments, and if it
    reproduces the student's answer its hint is named. ``dtype``, when given, is required.
    """
    if not callable(student):
        raise AssertionError(f"`{name or student}` should be a function, but it is {type(student).__name__}.")
    name = name or getattr(student, "__name__", "your function")
    cases = list(cases)
    if not cases:
        raise ValueError("check_function needs at least one case")
    for args in cases:
        if not isinstance(args, tuple):
            raise ValueError(f"each case must be a tuple of arguments, got {type(args).__name__}")
        expected = _as_tensor(reference(*_clone_args(args)), "reference")
        student_args = _clone_args(args)
        found = _as_tensor(_call(student, student_args, name), name)
        for before, after in zip(args, student_args):
            if isinstance(before, torch.Tensor) and not torch.equal(before, after):
                raise _failure(f"`{name}` changed its input in place.", inputs=args,
                               hint="use out-of-place operations (`x = x - m`, not `x -= m` or `x.sub_(m)`) "
                                    "so that the caller's tensors stay as they were.")
        if dtype is not None and found.dtype != dtype:
            raise _failure(f"`{name}` returns the wrong dtype: expected {dtype}, found {found.dtype}.",
                           inputs=args, hint="convert with `.long()` / `.float()`, or keep the dtype "
                                             "of the operation that produces the answer.")
        if not _same(found, expected, rtol, atol):
            hint = (_matching_mistake(known_mistakes, args, found, rtol, atol)
                    or _nondeterminism_hint(student, args, found, name) or _generic_hint(found, expected))
            raise _failure(f"`{name}` gives a wrong answer.", inputs=args, expected=expected,
                           found=found, hint=hint)


def _nondeterminism_hint(student: Callable, args: tuple, found: torch.Tensor, name: str) -> str | None:
    """A function that answers differently for the same input draws its own random numbers."""
    again = _as_tensor(_call(student, _clone_args(args), name), name)
    if again.shape == found.shape and not _same(again, found, 0.0, 0.0):
        return ("your function gives different answers for the same input: does it draw its own "
                "random numbers (torch.rand, torch.multinomial) instead of using the ones it is given?")
    return None


def check_close(found, expected, *, name: str, rtol: float = 1e-5, atol: float = 1e-6,
                known_mistakes: KnownMistakes = ()) -> None:
    """A value against a reference value; ``known_mistakes`` are ``(wrong_value, hint)``."""
    found_t, expected_t = _as_tensor(found, name), _as_tensor(expected, "reference")
    if not _same(found_t, expected_t, rtol, atol):
        hint = _matching_mistake(known_mistakes, None, found_t, rtol, atol) or _generic_hint(found_t, expected_t)
        raise _failure(f"`{name}` is wrong.", expected=expected_t, found=found_t, hint=hint)


def check_property(description: str, found, expected, *, hint: str, rtol: float = 1e-5,
                   atol: float = 1e-6) -> None:
    """A property with an analytic answer, e.g. ``KL(p || p) = 0``; ``hint`` says what breaks it."""
    found_t = _as_tensor(found, description)
    expected_t = _as_tensor(expected, "analytic value")
    if found_t.shape != expected_t.shape:
        expected_t = expected_t.expand_as(found_t) if expected_t.numel() == 1 else expected_t
    if not _same(found_t, expected_t, rtol, atol):
        raise _failure(f"The property {description} does not hold.", expected=expected_t,
                       found=found_t, hint=hint)


def check_shape(value, shape: Sequence[int | None], *, name: str, hint: str | None = None) -> None:
    """The tensor has ``shape``; ``None`` in ``shape`` matches any size on that axis."""
    t = _as_tensor(value, name)
    ok = t.dim() == len(shape) and all(s is None or s == n for s, n in zip(shape, t.shape))
    if not ok:
        shown = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise AssertionError(f"`{name}` has the wrong shape.\n  expected: {shown}\n  found:    "
                             f"{tuple(t.shape)}\n  likely mistake: " + (hint or
                             "a reduction over the wrong axis, a missing `keepdim`, or a missing batch axis."))


def check_dtype(value, dtype: torch.dtype, *, name: str, hint: str | None = None) -> None:
    """The tensor has ``dtype``."""
    t = _as_tensor(value, name)
    if t.dtype != dtype:
        raise AssertionError(f"`{name}` has the wrong dtype.\n  expected: {dtype}\n  found:    {t.dtype}"
                             f"\n  likely mistake: " + (hint or "a missing `.long()` or `.float()`."))


def check_gradient_flow(fn: Callable, inputs: dict[str, torch.Tensor], *, name: str,
                        must_flow: Sequence[str] = (), must_not_flow: Sequence[str] = (),
                        hints: dict[str, str] | None = None) -> None:
    """Gradients of ``fn(**inputs).sum()`` reach every input in ``must_flow`` and none in ``must_not_flow``.

    For example the reparameterisation trick (notebook 05) must let gradients reach
    ``mu`` and ``logvar``; a sample drawn with ``torch.normal(mu, std)`` does not.
    ``hints`` maps an input's name to the likely mistake when it breaks the rule.
    """
    hints = hints or {}
    leaves = {k: v.detach().clone().requires_grad_(k in must_flow or k in must_not_flow)
              for k, v in inputs.items()}
    out = _as_tensor_keep_grad(_call(lambda: fn(**leaves), (), name), name)
    if not out.requires_grad:
        if must_flow:
            raise AssertionError(f"No gradient flows through `{name}` at all.\n  expected: gradients "
                                 f"reaching {list(must_flow)}\n  found:    an output with requires_grad=False"
                                 f"\n  likely mistake: " + hints.get(must_flow[0], "a `.detach()`, "
                                 "`torch.no_grad()`, `.item()` or a NumPy round trip cut the graph."))
        return
    out.sum().backward()
    for k in must_flow:
        g = leaves[k].grad
        if g is None or not bool((g != 0).any()):
            raise AssertionError(f"No gradient reaches `{k}` through `{name}`.\n  expected: a nonzero "
                                 f"gradient with respect to {k}\n  found:    {'None' if g is None else 'all zeros'}"
                                 "\n  likely mistake: " + hints.get(k, f"`{k}` is detached, unused, or only "
                                                          "used through a sampling call that blocks gradients."))
    for k in must_not_flow:
        g = leaves[k].grad
        if g is not None and bool((g != 0).any()):
            raise AssertionError(f"A gradient reaches `{k}` through `{name}`, but it must not.\n  expected: "
                                 f"no gradient with respect to {k}\n  found:    a nonzero gradient"
                                 "\n  likely mistake: " + hints.get(k, f"a missing `.detach()` on `{k}`."))


def _as_tensor_keep_grad(value, name: str) -> torch.Tensor:
    if type(value) is torch.Tensor:
        return value
    _as_tensor(value, name)  # raises with the standard message
    raise AssertionError(f"`{name}` returned a number, so no gradient can flow through it: "
                         "did you call `.item()`?")


def check_causal(layer: Callable, input_shape: Sequence[int], *, mask_type: str, name: str = "layer",
                 seed: int = 0) -> None:
    """An autoregressive layer's output at position i depends only on earlier inputs.

    ``input_shape`` is ``(B, C, L)`` for sequences or ``(B, C, H, W)`` for images (raster
    order: row by row). Type ``"A"`` (a first layer) may use inputs at positions j < i;
    type ``"B"`` (later layers) j <= i. Checked with gradients, position by position
    (notebook 03: masked convolutions and the blind spot).
    """
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    if len(input_shape) not in (3, 4):
        raise ValueError(f"input_shape must be (B, C, L) or (B, C, H, W), got {tuple(input_shape)}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*input_shape, generator=gen).requires_grad_(True)
    out = _as_tensor_keep_grad(_call(layer, (x,), name), name)
    spatial = tuple(input_shape[2:])
    if tuple(out.shape[2:]) != spatial:
        raise AssertionError(f"`{name}` changes the spatial shape: expected {spatial}, found "
                             f"{tuple(out.shape[2:])}. Likely mistake: wrong padding.")
    n = math.prod(spatial)
    width = spatial[-1]

    def where(k: int) -> str:
        return f"{k}" if len(spatial) == 1 else f"(row {k // width}, col {k % width})"

    seen_any = False
    for i in range(n):
        (grad,) = torch.autograd.grad(out.flatten(2)[:, :, i].sum(), x, retain_graph=True, allow_unused=True)
        if grad is None:
            continue
        depends = grad.abs().sum(dim=(0, 1)).flatten() != 0  # (positions,)
        seen_any = seen_any or bool(depends.any())
        allowed = torch.arange(n) < i if mask_type == "A" else torch.arange(n) <= i
        bad = (depends & ~allowed).nonzero().flatten()
        if len(bad):
            j = int(bad[0])
            if j == i:
                hint = ("the output sees its own input pixel: a type A mask must also hide the centre "
                        "position (type B may keep it).")
            else:
                hint = ("the mask lets information flow from the future: zero every kernel weight at and "
                        "after the centre (type A) or after the centre (type B), in raster order.")
            raise AssertionError(f"`{name}` is not causal (mask type {mask_type}).\n  expected: the output at "
                                 f"position {where(i)} depends only on inputs before it"
                                 f"{'' if mask_type == 'A' else ' or at it'}\n  found:    it depends on the "
                                 f"input at position {where(j)}\n  likely mistake: {hint}")
    if not seen_any:
        raise AssertionError(f"`{name}`'s output depends on no input at all.\n  likely mistake: the mask "
                             "zeroes every weight, or the input is not used.")


def check_frequencies(samples, probs: torch.Tensor, *, name: str, n_sigma: float = 5.0,
                      hint: str | None = None) -> None:
    """Empirical class frequencies of ``samples`` match ``probs`` within ``n_sigma`` standard errors."""
    s = _as_tensor(samples, name)
    if s.dtype not in (torch.int64, torch.int32):
        raise AssertionError(f"`{name}` should be integer class indices, found dtype {s.dtype}.")
    k = probs.shape[-1]
    if s.numel() == 0 or int(s.min()) < 0 or int(s.max()) >= k:
        raise AssertionError(f"`{name}` holds indices outside 0..{k - 1} (found min "
                             f"{int(s.min()) if s.numel() else '-'}, max {int(s.max()) if s.numel() else '-'}).")
    n = s.numel()
    freq = torch.bincount(s.flatten(), minlength=k).double() / n
    p = probs.double()
    se = (p * (1 - p) / n).sqrt().clamp(min=1.0 / n)
    if bool(((freq - p).abs() > n_sigma * se).any()):
        raise _failure(f"The frequencies of `{name}` do not match the probabilities ({n} samples).",
                       expected=p, found=freq, hint=hint or "a sampler that favours some classes.")
