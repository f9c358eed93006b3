"""What assignment check cells call: checks that say *what* is wrong and *why*.

Used by the check cells of every assignment (A0 first); the tooling that builds and
grades assignments is :mod:`course_lib.grading.authoring` and :mod:`course_lib.grading.grade`.

A failing check raises :class:`AssertionError` with a message in parts: what was
expected, what was found, where they differ, and the most likely mistake. In a notebook
only that message is shown (no frames of this file). The likely mistake comes from

* the check cell's ``known_mistakes``: ``(wrong_variant, hint)`` pairs where
  ``wrong_variant`` is a function written the wrong way (or a wrong value); when it
  reproduces the student's answer, its hint is named;
* otherwise a generic diagnosis of *why* the numbers differ, which names mistakes nobody
  listed: a constant factor (log 2, log 10, -1, the size of an axis, an argument), a
  constant offset (log n, log 2), an offset or factor that differs per row (normalised over
  the wrong axis), the max of each slice (a shift not undone), probabilities where logs
  are expected, swapped arguments, a reduction over the wrong axis or over every axis,
  per-element terms not summed, a leftover ``keepdim`` axis, lost float64 precision,
  inf/nan and where they appear (rows far apart in scale), integers off by one only at a
  boundary or past the last index.

A check that cannot fail is a defect. Each helper therefore

* turns a stub's ``NotImplementedError`` into a failure that says "not implemented yet";
* insists on a plain ``torch.Tensor`` (or a Python number), so an object that claims to
  equal everything cannot pass;
* compares on every input it is given: check cells pass several, random ones included,
  so a constant or a special-cased answer fails;
* calls the reference on copies of the inputs and notices when the student's function
  changes its inputs in place;
* can forbid library shortcuts while the student's code runs (``forbid=``: an exercise
  that asks to write logsumexp is not passed by ``torch.logsumexp``), and can let the
  reference stand in for a function of an earlier exercise (``stand_ins=``) so that one
  mistake costs points once.
"""
from __future__ import annotations

import contextlib
import importlib
import linecache
import math
import re
import traceback
from collections.abc import Callable, Iterable, Sequence

import torch

KnownMistakes = Sequence[tuple[object, str]]

LN2, LN10 = math.log(2.0), math.log(10.0)

# Every route to a library logsumexp or softmax (which contains one), for ``forbid=``.
LOGSUMEXP_ROUTES = ("torch.logsumexp", "torch.special.logsumexp", "torch.Tensor.logsumexp",
                    "torch.softmax", "torch.log_softmax", "torch.Tensor.softmax", "torch.Tensor.log_softmax",
                    "torch.special.softmax", "torch.special.log_softmax",
                    "torch.nn.functional.softmax", "torch.nn.functional.log_softmax")


# ----------------------------------------------------------------------------------------
# Failures: an AssertionError that a notebook shows as its message alone


def _render(message: str) -> Callable[[], list[str]]:
    def render() -> list[str]:  # IPython's protocol: these lines replace the traceback
        return ["\x1b[0;31mAssertionError\x1b[0m: " + message]
    return render


def failure(message: str) -> AssertionError:
    """An AssertionError that IPython/Jupyter display as the message only, without frames."""
    err = AssertionError(message)
    err._render_traceback_ = _render(message)
    return err


def _sentence(text: str) -> str:
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


_NOT_IMPLEMENTED = ("`{name}` is not implemented yet: its cell still raises NotImplementedError. "
                    "Replace that line with your code. The task: {detail}")


# ----------------------------------------------------------------------------------------
# Formatting: values exact enough to see the point


def _significant(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) if mantissa else 0


def _number(x: float, dtype: torch.dtype = torch.float64) -> str:
    """6 significant digits, unless that would make the value look rounder than it is.

    ``1 - 2**-24`` in float32 prints as ``0.99999994``, not ``1``: a boundary is visible.
    """
    if isinstance(x, bool) or isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    short = f"{x:.6g}"
    if _significant(short) < 6 and float(short) != x:
        limit = 9 if dtype in (torch.float32, torch.float16, torch.bfloat16) else 17
        for digits in range(7, limit + 1):
            text = f"{x:.{digits}g}"
            value = float(text)
            if dtype != torch.float64:
                value = torch.tensor(value, dtype=dtype).double().item()
            if value == x:
                return text
        return f"{x:.{limit}g}"
    return short


def _nested(values, dtype) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v, dtype) for v in values) + "]"
    return _number(values, dtype)


def _fmt(value, width: int = 400) -> str:
    """A short, readable rendering of a tensor, number or tuple of them."""
    if isinstance(value, torch.Tensor):
        if value.is_meta:  # shapes only (the device tests): nothing to copy to the CPU
            return f"tensor of shape {tuple(value.shape)} on the meta device"
        v = value.detach().cpu()
        dtype = v.dtype
        if v.is_floating_point():
            v = v.double()
        if v.numel() <= 12:
            text = _nested(v.tolist(), dtype)
        else:
            text = (f"tensor of shape {tuple(v.shape)}, first values "
                    f"{_nested(v.flatten()[:6].tolist(), dtype)} ...")
        text = f"{text} (shape {tuple(value.shape)}, {str(value.dtype).replace('torch.', '')})"
    elif isinstance(value, (tuple, list)):
        text = "(" + ", ".join(_fmt(v, width) for v in value) + ")"
    elif isinstance(value, float):
        text = _number(value)
    else:
        text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _as_tensor(value, name: str) -> torch.Tensor:
    """The value as a plain tensor; anything else (a subclass, a string, None) fails."""
    __tracebackhide__ = True
    if type(value) is torch.Tensor:  # exact type: a subclass could redefine comparisons
        return value.detach().cpu()  # compared on the CPU, whatever device the code ran on
    if type(value) in (int, float, bool):
        return torch.tensor(value, dtype=torch.float64) if type(value) is float else torch.tensor(value)
    if isinstance(value, torch.Tensor):
        raise failure(f"`{name}` should return a plain torch.Tensor, but it returned an instance of "
                      f"{type(value).__name__}, a subclass; return an ordinary tensor.")
    raise failure(f"`{name}` should return a torch.Tensor, but it returned "
                  f"{type(value).__name__} {_fmt(value, 80)}. Most likely mistake: a "
                  f"missing `return`, or returning a Python list or NumPy array.")


def _unchanged(before: torch.Tensor, after: torch.Tensor) -> bool:
    """The same shape and values, a nan where there was one (torch.equal says nan != nan)."""
    if before.shape != after.shape:
        return False
    return bool(((before == after) | (torch.isnan(before) & torch.isnan(after))).all())


def _clone_args(args: tuple) -> tuple:
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def device_of(thing) -> torch.device:
    """Where a check sends the inputs it makes for ``thing``: the device of a module's first
    parameter (or buffer), of a tensor, or the CPU for anything else (a plain function).

    A check builds its reference inputs on the CPU, moves them here before calling the
    student's module, and compares the results on the CPU (:func:`_as_tensor`), so the same
    check runs whether the student's code lives on the CPU, a GPU or Apple's MPS.
    """
    if isinstance(thing, torch.Tensor):
        return thing.device
    if isinstance(thing, torch.nn.Module):
        for tensor in (*thing.parameters(), *thing.buffers()):
            return tensor.device
    return torch.device("cpu")


# ----------------------------------------------------------------------------------------
# Running the student's code: stubs, crashes, forbidden shortcuts, stand-ins


class _Forbidden(AssertionError):
    """Raised by a forbidden library function called from the student's code."""


def _resolve(path: str):
    """'torch.Tensor.logsumexp' -> (torch.Tensor, 'logsumexp')."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:-1]:
            owner = getattr(owner, attr)
        return owner, parts[-1]
    raise ValueError(f"cannot resolve {path!r}")


@contextlib.contextmanager
def forbidding(routes: Sequence[str], *, name: str, reason: str):
    """While the block runs, each function in ``routes`` raises a failure saying ``reason``.

    E.g. ``forbidding(LOGSUMEXP_ROUTES, name="logsumexp", reason="...")`` around a call of
    the student's ``logsumexp``: an exercise that asks to implement X is not passed by
    calling the library's X. Everything is put back afterwards, even on failure.
    """
    saved = []
    try:
        for path in routes:
            owner, attr = _resolve(path)
            own = attr in vars(owner)
            saved.append((owner, attr, own, vars(owner).get(attr)))

            def refuse(*args, _path=path, **kwargs):
                raise _Forbidden(f"`{name}` calls `{_path}`, which this exercise asks you to write "
                                 "yourself." + (f" {_sentence(reason)}" if reason else ""))
            setattr(owner, attr, refuse)
        yield
    finally:
        for owner, attr, own, old in reversed(saved):
            if own:
                setattr(owner, attr, old)
            else:
                delattr(owner, attr)


@contextlib.contextmanager
def standing_in(function: Callable, replacements: dict[str, object]):
    """While the block runs, the names in ``replacements`` mean the given objects in
    ``function``'s module (a notebook's namespace): e.g. the reference ``logsumexp`` stands in
    for the student's own while their ``log_posterior`` is checked, so that a mistake in an
    earlier exercise costs points only there."""
    namespace = getattr(function, "__globals__", None)
    if not replacements or namespace is None:
        yield
        return
    missing = object()
    saved = {k: namespace.get(k, missing) for k in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is missing:
                namespace.pop(k, None)
            else:
                namespace[k] = v


def _student_line(err: BaseException) -> str | None:
    """The last line of the traceback that is not in torch, the standard library or this file."""
    frames = traceback.extract_tb(err.__traceback__)
    for frame in reversed(frames):
        f = frame.filename
        if f == __file__ or "site-packages" in f or "/lib/python" in f or f.startswith("<frozen"):
            continue
        line = frame.line or linecache.getline(f, frame.lineno).strip()
        return f"line {frame.lineno} of `{frame.name}`" + (f": `{line}`" if line else "")
    return None


_CRASH_HINTS = [
    (r"return_types\.(max|min)|'torch.return_types", "torch.max(x, dim) and torch.min(x, dim) return a pair "
     "(values, indices): use `.values`, or `x.amax(dim)`."),
    (r"must match the size|shapes? .*cannot be (multiplied|broadcast)|The size of tensor",
     "two tensors whose shapes do not broadcast: a reduction without `keepdim=True` (or a missing "
     "`unsqueeze(-1)`) before combining it with the input?"),
    (r"bincount only supports 1-d", "torch.bincount takes a 1-D tensor: flatten the samples first."),
    (r"expected .*contiguous|is not contiguous", "make the tensor contiguous first (`.contiguous()`)."),
    (r"Dimension out of range", "an axis that does not exist for this input: is your code written only "
     "for one number of dimensions? Use negative axes such as `dim=-1`."),
    (r"not implemented for 'Long'|expected .*Float.*Long|Long.*Float",
     "integer and float tensors mixed: convert with `.float()` or `.long()` where needed."),
    (r"Expected all tensors to be on the same device|is not on the expected device",
     "tensors on different devices: a tensor made without `device=` (`torch.randn(n, d)`) lives on "
     "the CPU while the inputs and models are on the GPU; make it where the inputs are, e.g. "
     "`torch.randn(n, d, device=x.device)` for an input `x`."),
    (r"only one element tensors|a Tensor with \d+ elements cannot be converted",
     "`.item()`, `float()` or `if` on a tensor with several values: your code handles one value, "
     "not a batch."),
]


def _crash_hint(err: BaseException) -> str | None:
    text = f"{type(err).__name__}: {err}"
    for pattern, hint in _CRASH_HINTS:
        if re.search(pattern, text):
            return hint
    return None


def _call(fn: Callable, args: tuple, name: str, *, expected=None, forbid: Sequence[str] = (),
          forbid_reason: str = "", stand_ins: dict | None = None):
    """Call the student's function; stubs, crashes and forbidden calls become clear failures."""
    __tracebackhide__ = True
    try:
        with forbidding(forbid, name=name, reason=forbid_reason), standing_in(fn, stand_ins or {}):
            return fn(*args)
    except NotImplementedError as err:
        raise failure(_NOT_IMPLEMENTED.format(name=name, detail=_sentence(str(err) or "see the exercise's text above"))) from None
    except _Forbidden as err:
        raise failure(str(err)) from None
    except AssertionError:
        raise
    except Exception as err:  # the student's code crashed: say where, on what, and what was wanted
        lines = [f"`{name}` crashed with {type(err).__name__}: {err}",
                 f"  input:    {_fmt(args)}"]
        if expected is not None:
            lines.append(f"  expected: {_fmt(expected)}")
        where = _student_line(err)
        if where:
            lines.append(f"  where:    {where}")
        hint = _crash_hint(err)
        if hint:
            lines.append(f"  likely mistake: {hint}")
        raise failure("\n".join(lines)) from None


# ----------------------------------------------------------------------------------------
# Comparing, and diagnosing why values differ


def _same(found: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> bool:
    if found.shape != expected.shape:
        return False
    if expected.dtype == torch.bool or not (expected.is_floating_point() or found.is_floating_point()):
        # compared as values (type promotion), not after converting `found`: 0.5 is not True
        return bool((found == expected).all())
    f, e = found.double(), expected.double()
    return bool(torch.isclose(f, e, rtol=rtol, atol=atol, equal_nan=True).all())


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-6) -> torch.Tensor:
    """Elementwise closeness, inf == inf, nan == nan."""
    return torch.isclose(a.double(), b.double(), rtol=rtol, atol=atol, equal_nan=True)


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


def _tensors(args: tuple | None) -> list[tuple[int, torch.Tensor]]:
    return [(i, a) for i, a in enumerate(args or ()) if isinstance(a, torch.Tensor)]


def _scalars(args: tuple | None) -> list[float]:
    return [float(a) for a in (args or ()) if type(a) in (int, float) and a not in (0, 1, -1)]


def _constant(values: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-6) -> float | None:
    """The common value of a non-empty tensor, if every entry has it."""
    if values.numel() == 0 or not bool(torch.isfinite(values).all()):
        return None
    c = values.flatten()[0]
    return float(c) if bool(_close(values, c.expand_as(values), rtol, atol).all()) else None


def _factor_names(args: tuple | None) -> list[tuple[float, str]]:
    names = [(-1.0, "-1: the sign is flipped (e.g. log(q/p) instead of log(p/q), or a missing minus)"),
             (1 / LN2, "1/log 2 = 1.4427: a log base 2 (bits) where the natural log (nats) is wanted, "
                       "or a division by log 2 too many"),
             (LN2, "log 2 = 0.6931: nats where bits are wanted (a missing division by log 2), "
                   "or a multiplication by log 2"),
             (LN2 ** 2, "(log 2)^2 = 0.4805: multiplied by log 2 where you should divide by it"),
             (1 / LN2 ** 2, "1/(log 2)^2 = 2.0814: divided by log 2 twice"),
             (1 / LN10, "1/log 10 = 0.4343: a log base 10 where the natural log is wanted"),
             (LN10, "log 10 = 2.3026: the natural log where a log base 10 is wanted"),
             (LN2 / LN10, "log 2/log 10 = 0.3010: divided by log 10 where log 2 is wanted (log10 "
                          "instead of log2)"),
             (LN10 / LN2, "log 10/log 2 = 3.3219: log2 where log10 is wanted"),
             (2.0, "2: a term counted twice"), (0.5, "1/2: a missing factor 2 or an extra halving")]
    sizes = set()
    for i, t in _tensors(args):
        for axis, n in enumerate(t.shape):
            if n > 2:
                sizes.add((n, f"the size of axis {axis} of argument {i + 1}"))
        if t.numel() > 2 and t.dim() > 1:
            sizes.add((t.numel(), f"the number of values in argument {i + 1}"))
    for s in _scalars(args):
        sizes.add((abs(s), f"the argument {_number(s)}"))
    for n, what in sorted(sizes):
        names.append((float(n), f"{_number(n)}, {what}: a sum where a mean is wanted (or a missing "
                                 f"division by it)"))
        names.append((1.0 / n, f"1/{_number(n)}, 1 over {what}: a mean where a sum is wanted (or an "
                                f"extra division by it)"))
    return names


def _offset_names(args: tuple | None) -> list[tuple[float, str]]:
    names = [(LN2, "log 2 = 0.6931"), (-LN2, "-log 2 = -0.6931"), (LN10, "log 10"), (-LN10, "-log 10"),
             (1.0, "1"), (-1.0, "-1")]
    seen = set()
    for i, t in _tensors(args):
        for axis, n in enumerate(t.shape):
            if n > 1 and n not in seen:
                seen.add(n)
                names += [(math.log(n), f"log {n} = {_number(math.log(n))}, the log of the size of axis "
                                         f"{axis}: a mean where a sum is wanted (inside a log)"),
                          (-math.log(n), f"-log {n} = {_number(-math.log(n))}, minus the log of the size "
                                          f"of axis {axis}: a mean where a sum is wanted (inside a log)")]
    return names


def _reduced_axes(args: tuple | None, shape: torch.Size) -> list[tuple[int, int, torch.Tensor]]:
    """(argument index, axis, tensor) such that removing ``axis`` of the argument gives ``shape``."""
    out = []
    for i, t in _tensors(args):
        for axis in range(t.dim()):
            if t.shape[:axis] + t.shape[axis + 1:] == shape:
                out.append((i, axis, t))
    return out


def _shape_hint(found: torch.Tensor, expected: torch.Tensor, args: tuple | None) -> str:
    fs, es = tuple(found.shape), tuple(expected.shape)
    head = f"the shape is wrong: expected {es}, found {fs}."
    if found.numel() == 1 and expected.numel() > 1:
        total = float(found.double().reshape(()))
        e = expected.double()
        if bool(torch.isfinite(e).all()):
            if math.isclose(total, float(e.sum()), rel_tol=1e-4, abs_tol=1e-6):
                return head + (" Your single number is the total over the whole batch: you reduced over "
                               "every axis; reduce over the last axis only (`dim=-1`), so that each row "
                               "keeps its own value.")
            if math.isclose(total, float(e.mean()), rel_tol=1e-4, abs_tol=1e-6):
                return head + " Your single number is the mean over the whole batch: reduce over the last axis only."
        return head + " You reduced over every axis: the leading (batch) axes must stay."
    if len(fs) == len(es) + 1 and 1 in fs:
        for axis, n in enumerate(fs):
            if n == 1 and fs[:axis] + fs[axis + 1:] == es:
                return head + (f" There is an extra axis of size 1 (axis {axis}): `keepdim=True` left it, "
                               "or a missing `squeeze`.")
    if fs and fs == es + (fs[-1],):
        summed = found.double().sum(-1)
        if bool(_close(summed, expected).all()):
            return head + (" Your values are the per-element terms: their sum over the last axis is "
                           "the expected answer; sum them.")
        return head + " You return one value per element where one per row is expected: a missing sum over the last axis?"
    if found.numel() == expected.numel() and found.numel() > 1:
        return head + (f" You have the right number of values in another shape (flattened or "
                       f"reshaped?): return shape {es}.")
    for i, axis, t in _reduced_axes(args, torch.Size(fs)):
        return head + (f" That is argument {i + 1}, shape {tuple(t.shape)}, reduced over axis {axis}: "
                       f"the wrong axis. Reduce over the axis you are asked to (`dim`, by default the last).")
    if len(fs) < len(es):
        return head + " An axis is missing: did you reduce over more axes than asked?"
    return head + " Did you reduce over the wrong axis, forget `keepdim`, or forget to sum?"


def _where(mask: torch.Tensor, found: torch.Tensor, expected: torch.Tensor, args: tuple | None,
           limit: int = 4) -> str:
    """'at index (2,): expected 1, found 0 (input 0.25)' for the first few wrong entries."""
    idx = mask.nonzero().tolist()[:limit]
    aligned = [(i, t) for i, t in _tensors(args) if t.shape == expected.shape]
    parts = []
    for pos in idx:
        p = tuple(pos)
        text = (f"at {list(p)}: expected {_number(expected[p].item(), expected.dtype)}, "
                f"found {_number(found[p].item(), found.dtype)}")
        if aligned:
            text += " (input " + ", ".join(_number(t[p].item(), t.dtype) for _, t in aligned) + ")"
        parts.append(text)
    more = int(mask.sum()) - len(idx)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _rows_hint(mask: torch.Tensor, expected: torch.Tensor, args: tuple | None) -> str | None:
    """When only some rows are wrong: are they the rows whose values are far from the others?"""
    for i, axis, t in _reduced_axes(args, expected.shape):
        if not t.is_floating_point() or t.dim() < 2:
            continue
        finite = torch.where(torch.isfinite(t), t, torch.zeros_like(t)).double()
        row_max = finite.amax(dim=axis)
        overall = float(finite.max())
        wrong_max = row_max[mask]
        right_max = row_max[~mask]
        if len(right_max) and float((overall - wrong_max).min()) > 50 and float((overall - right_max).max()) < 50:
            return ("only the slices whose values lie far below the largest value of the whole input are "
                    "wrong: one shift (max) shared by every slice underflows them. Take the max along "
                    "`dim` with keepdim=True, so that each slice gets its own.")
        extreme = finite.abs().amax(dim=axis)
        if len(right_max) and float(extreme[mask].min()) > 2 * float(extreme[~mask].max()) + 10:
            return ("only the slices with very large or very negative values are wrong: an overflow or "
                    "underflow in exp (subtract each slice's max first), or a step that is not done per slice.")
    return None


def _nonfinite_hint(f: torch.Tensor, e: torch.Tensor) -> str | None:
    def some(mask):
        return bool(mask.any())
    if some(torch.isnan(f) & (e == -math.inf)):
        return ("nan where -inf is expected: where every entry is -inf (every probability 0), the max is "
                "-inf and x - max = -inf - (-inf) = nan. Treat such slices apart (e.g. shift by 0 there, "
                "with torch.where).")
    if some(torch.isfinite(f) & torch.isinf(e)):
        return ("a finite value where the exact answer is infinite (e.g. p > 0 where q = 0 makes KL "
                "infinite, log 0 = -inf): an epsilon or a clamp in your code changes the answer.")
    if some((f == math.inf) & torch.isfinite(e)):
        return "+inf where the answer is finite: exp overflowed (exp(x) is inf in float32 for x > 88.7): subtract the max first."
    if some((f == -math.inf) & torch.isfinite(e)):
        return ("-inf where the answer is finite: a log of 0, i.e. a sum of exp that underflowed to 0 "
                "(exp(x) is 0 in float32 for x < -104), or a probability-space product: stay in log space "
                "and shift by the max.")
    if some(torch.isnan(f) & ~torch.isnan(e)):
        return ("nan where the answer is a number: 0/0 after probabilities underflowed to 0 (stay in log "
                "space), inf - inf after an overflow, or 0 * log(0) (a term with probability 0 must count "
                "as 0: torch.xlogy or torch.where).")
    return None


def _per_row(values: torch.Tensor) -> bool:
    """Constant along the last axis in every row, but not the same in all rows."""
    if values.dim() < 1 or values.shape[-1] < 2 or not bool(torch.isfinite(values).all()):
        return False
    first = values[..., :1].expand_as(values)
    return bool(_close(values, first).all()) and _constant(values) is None


def _value_hint(found: torch.Tensor, expected: torch.Tensor, args: tuple | None,
                reference: Callable | None, rtol: float, atol: float) -> str | None:
    f, e = found.double(), expected.double()
    wrong = ~torch.isclose(f, e, rtol=rtol, atol=atol, equal_nan=True)
    nonfinite = _nonfinite_hint(f, e)
    if nonfinite:
        rows = _rows_hint(wrong, expected, args) if wrong.dim() and not bool(wrong.all()) else None
        return nonfinite + (f" {rows}" if rows else "")
    # swapped arguments
    tensors = _tensors(args)
    if reference is not None and len(args or ()) == 2 and len(tensors) == 2 and tensors[0][1].shape == tensors[1][1].shape:
        try:
            swapped = _as_tensor(reference(*_clone_args(args[::-1])), "reference")
            if swapped.shape == f.shape and bool(_close(f, swapped, rtol, atol).all()) and not bool(_close(e, swapped).all()):
                return "you swapped the two arguments: your answer is the reference with them in the other order."
        except Exception:
            pass
    if found.is_floating_point() and expected.is_floating_point():
        if bool(torch.isfinite(e).all()) and bool((e > -50).all()) and bool(_close(f, e.exp(), rtol, atol).all()):
            return "you return probabilities (exp of the answer) where log-probabilities are expected."
        if bool((e > 0).all()) and bool(_close(f, e.log(), rtol, atol).all()):
            return "you return log-probabilities where probabilities are expected (exp them)."
    several = e.numel() > 1  # one value always has "a constant ratio": only named ones count then
    if (found.is_floating_point() and several and bool((e >= 0).all()) and bool(torch.isfinite(f).all())
            and bool(_close(e.sum(-1), torch.ones_like(e.sum(-1))).all())
            and not bool(_close(f.sum(-1), torch.ones_like(e.sum(-1))).all())):
        total = f.sum(-1).flatten()[0].item()
        return (f"your probabilities sum to {_number(total)}, not 1: divide by the right total "
                "(a probability vector is normalised over the last axis).")
    finite = torch.isfinite(e) & torch.isfinite(f) & ~(e == 0)
    ratio = _constant(f / e) if bool(finite.all()) and e.numel() else None
    if ratio is not None:
        for value, name in _factor_names(args):
            if math.isclose(ratio, value, rel_tol=1e-4):
                return f"all your values are the expected ones times {name}."
    both = bool((torch.isfinite(e) & torch.isfinite(f)).all()) and e.numel() > 0
    offset = _constant(f - e, rtol=1e-4, atol=1e-5) if both else None
    if offset is not None and abs(offset) > 1e-9:
        if not (found.is_floating_point() or expected.is_floating_point()) and abs(offset) == 1:
            return (f"every index is off by {int(offset):+d}: count classes from 0, and check "
                    "the comparison that picks the index.")
        for value, name in _offset_names(args):
            if math.isclose(offset, value, rel_tol=1e-4):
                return f"all your values are off by the same constant, {name}."
    if both:
        d = f - e
        for i, axis, t in _reduced_axes(args, expected.shape):
            if not t.is_floating_point():
                continue
            m = t.double().amax(dim=axis)
            for k, what in ((-1, "minus the max"), (1, "plus the max"), (-2, "minus twice the max"),
                            (2, "twice the max")):
                if bool(torch.isfinite(m).all()) and bool(_close(d, k * m, 1e-4, 1e-5).all()):
                    return (f"your values differ from the expected ones by exactly {what} of each slice "
                            "of the input: the shift by the max is not undone correctly (after "
                            "subtracting m inside the exp, add m back, once).")
        if several and offset is not None and abs(offset) > 1e-9:
            return (f"all your values are off by the same constant {offset:.6g}: an additive term "
                    "(a normaliser, a shift, a log-constant) is missing or extra.")
        if several and ratio is not None:
            return (f"all your values are the expected ones times the same factor {_number(ratio)}: a "
                    "constant factor is wrong or missing (a normalisation, a unit, a sum vs a mean).")
        if _per_row(d):
            return ("each row is off by its own constant (the same along the last axis, different between "
                    "rows): the normaliser is wrong — computed over the wrong axis or over the whole "
                    "tensor, or missing. It must be computed per row, over the last axis.")
        if bool((e != 0).all()) and _per_row(f / e):
            return ("each row is off by its own factor (the same along the last axis, different between "
                    "rows): the normalisation is wrong — divided by a total over the wrong axis or over "
                    "the whole tensor, or not at all. Normalise each row over the last axis.")
    if not (found.is_floating_point() or expected.is_floating_point()):
        if bool((f > e.max()).any()):
            return (f"some indices are past the largest expected one ({int(f.max())} > "
                    f"{int(e.max())}): an index equal to the number of classes appears when u lies at or "
                    "beyond the last cumulative value (which can be a rounding error below 1); keep it at most K - 1.")
        if bool(wrong.any()) and not bool(wrong.all()):
            diff = (f - e)[wrong]
            if bool((diff.abs() == 1).all()):
                return (f"off by {int(diff[0]):+d} only at {int(wrong.sum())} of {wrong.numel()} positions "
                        f"({_where(wrong, found, expected, args, 3)}): inputs that lie exactly on a "
                        "boundary go to the neighbouring class. Check `>` against `>=` (or `<` against `<=`).")
    if wrong.dim() and bool(wrong.any()) and not bool(wrong.all()):
        rows = _rows_hint(wrong, expected, args)
        if rows:
            return rows
        aligned = [t for _, t in _tensors(args) if t.shape == expected.shape]
        if aligned and int(wrong.sum()) <= max(1, wrong.numel() // 3):
            return (f"only {int(wrong.sum())} of {wrong.numel()} values are wrong "
                    f"({_where(wrong, found, expected, args, 3)}): look at how your code treats those "
                    "inputs — a boundary case (`<` against `<=`), a zero, or an extreme value.")
    return None


def _precision_hint(found: torch.Tensor, expected: torch.Tensor, args: tuple | None) -> str | None:
    if (found.dtype in (torch.float32, torch.float16, torch.bfloat16) and expected.dtype == torch.float64
            and any(t.dtype == torch.float64 for _, t in _tensors(args))):
        return (f"the inputs are float64 but your result is {str(found.dtype).replace('torch.', '')}: a "
                "`.float()` or a float32 tensor made inside your function loses the precision these "
                "inputs need. Keep the dtype of the inputs.")
    return None


def _diagnose(found: torch.Tensor, expected: torch.Tensor, args: tuple | None = None,
              reference: Callable | None = None, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """Why ``found`` differs from ``expected``, from the numbers alone (None if no idea)."""
    if found.shape != expected.shape:
        return _shape_hint(found, expected, args)
    try:
        return _value_hint(found, expected, args, reference, rtol, atol)
    except Exception:  # a diagnosis must never hide the failure itself
        return None


def _failure(title: str, *, inputs=None, expected=None, found=None, hint: str | None = None,
             where: str | None = None) -> AssertionError:
    lines = [title]
    if inputs is not None:
        lines.append(f"  input:    {_fmt(inputs)}")
    if expected is not None:
        lines.append(f"  expected: {_fmt(expected)}")
    if found is not None:
        lines.append(f"  found:    {_fmt(found)}")
    if where:
        lines.append(f"  wrong:    {where}")
    if hint:
        lines.append(f"  likely mistake: {hint}")
    return failure("\n".join(lines))


# ----------------------------------------------------------------------------------------
# The checks


def check_function(student: Callable, reference: Callable, cases: Iterable[tuple], *,
                   name: str | None = None, rtol: float = 1e-5, atol: float = 1e-6,
                   known_mistakes: KnownMistakes = (), dtype: torch.dtype | None = None,
                   forbid: Sequence[str] = (), forbid_reason: str = "",
                   stand_ins: dict[str, object] | None = None) -> None:
    """Compare ``student(*args)`` with ``reference(*args)`` on every case in ``cases``.

    ``cases`` is a list of argument tuples; pass several, random ones included, so that a
    constant or a special-cased answer cannot pass. ``known_mistakes`` lists
    ``(wrong_function, hint)``: a wrong variant is called on the same arguments, and if it
    reproduces the student's answer its hint is named; otherwise the numbers are diagnosed
    (see the module docstring). ``dtype``, when given, is required. ``forbid`` lists library functions (e.g.
    :data:`LOGSUMEXP_ROUTES`) that raise, saying ``forbid_reason``, while the student's code
    runs; ``stand_ins`` replaces names in the student's namespace meanwhile.
    """
    __tracebackhide__ = True
    if not callable(student):
        raise failure(f"`{name or student}` should be a function, but it is {type(student).__name__}.")
    name = name or getattr(student, "__name__", "your function")
    cases = list(cases)
    if not cases:
        raise ValueError("check_function needs at least one case")
    for args in cases:
        if not isinstance(args, tuple):
            raise ValueError(f"each case must be a tuple of arguments, got {type(args).__name__}")
    run = dict(forbid=forbid, forbid_reason=forbid_reason, stand_ins=stand_ins)
    for args in cases:
        expected = _as_tensor(reference(*_clone_args(args)), "reference")
        student_args = _clone_args(args)
        found = _as_tensor(_call(student, student_args, name, expected=expected, **run), name)
        for before, after in zip(args, student_args):
            if isinstance(before, torch.Tensor) and not _unchanged(before, after):
                raise _failure(f"`{name}` changed its input in place.", inputs=args,
                               hint="use out-of-place operations (`x = x - m`, not `x -= m` or `x.sub_(m)`) "
                                    "so that the caller's tensors stay as they were.")
        if dtype is not None and found.dtype != dtype:
            raise _failure(f"`{name}` returns the wrong dtype: expected {dtype}, found {found.dtype}.",
                           inputs=args, hint="convert with `.long()` / `.float()`, or keep the dtype "
                                             "of the operation that produces the answer.")
        if not _same(found, expected, rtol, atol):
            hint = (_matching_mistake(known_mistakes, args, found, rtol, atol)
                    or _nondeterminism_hint(student, args, found, name, run)
                    or _precision_hint(found, expected, args) or _diagnose(found, expected, args, reference, rtol, atol))
            where = None
            if found.shape == expected.shape and expected.numel() > 12:
                mask = ~torch.isclose(found.double(), expected.double(), rtol=rtol, atol=atol, equal_nan=True) \
                    if (found.is_floating_point() or expected.is_floating_point()) else found != expected
                where = _where(mask, found, expected, args) if bool(mask.any()) else None
            raise _failure(f"`{name}` gives a wrong answer.", inputs=args, expected=expected, found=found,
                           hint=hint, where=where)


def call(student: Callable, *args, name: str | None = None, forbid: Sequence[str] = (),
         forbid_reason: str = "", stand_ins: dict[str, object] | None = None):
    """``student(*args)`` for a check cell that needs the value itself (a property, a shape).

    A stub's ``NotImplementedError``, a crash, a forbidden call or a non-tensor result
    becomes a failed check with a message, like in :func:`check_function`.
    """
    __tracebackhide__ = True
    if not callable(student):
        raise failure(f"`{name or student}` should be a function, but it is {type(student).__name__}.")
    name = name or getattr(student, "__name__", "your function")
    value = _call(student, args, name, forbid=forbid, forbid_reason=forbid_reason, stand_ins=stand_ins)
    return _as_tensor(value, name)


def _nondeterminism_hint(student: Callable, args: tuple, found: torch.Tensor, name: str,
                         run: dict) -> str | None:
    """A function that answers differently for the same input draws its own random numbers."""
    __tracebackhide__ = True
    again = _as_tensor(_call(student, _clone_args(args), name, **run), name)
    if again.shape == found.shape and not _same(again, found, 0.0, 0.0):
        return ("your function gives different answers for the same input: does it draw its own "
                "random numbers (torch.rand, torch.multinomial) instead of using the ones it is given?")
    return None


def check_close(found, expected, *, name: str, rtol: float = 1e-5, atol: float = 1e-6,
                known_mistakes: KnownMistakes = ()) -> None:
    """A value against a reference value; ``known_mistakes`` are ``(wrong_value, hint)``."""
    __tracebackhide__ = True
    found_t, expected_t = _as_tensor(found, name), _as_tensor(expected, "reference")
    if not _same(found_t, expected_t, rtol, atol):
        hint = _matching_mistake(known_mistakes, None, found_t, rtol, atol) or _diagnose(found_t, expected_t)
        raise _failure(f"`{name}` is wrong.", expected=expected_t, found=found_t, hint=hint)


def check_property(description: str, found, expected, *, hint: str, rtol: float = 1e-5,
                   atol: float = 1e-6) -> None:
    """A property with an analytic answer, e.g. ``KL(p || p) = 0``; ``hint`` says what breaks it."""
    __tracebackhide__ = True
    found_t = _as_tensor(found, description)
    expected_t = _as_tensor(expected, "analytic value")
    if found_t.shape != expected_t.shape:
        expected_t = expected_t.expand_as(found_t) if expected_t.numel() == 1 else expected_t
    if not _same(found_t, expected_t, rtol, atol):
        raise _failure(f"The property {description} does not hold.", expected=expected_t,
                       found=found_t, hint=hint)


def check_shape(value, shape: Sequence[int | None], *, name: str, hint: str | None = None) -> None:
    """The tensor has ``shape``; ``None`` in ``shape`` matches any size on that axis."""
    __tracebackhide__ = True
    t = _as_tensor(value, name)
    ok = t.dim() == len(shape) and all(s is None or s == n for s, n in zip(shape, t.shape))
    if not ok:
        shown = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise failure(f"`{name}` has the wrong shape.\n  expected: {shown}\n  found:    "
                      f"{tuple(t.shape)}\n  likely mistake: " + (hint or
                      "a reduction over the wrong axis, a missing `keepdim`, or a missing batch axis."))


def check_dtype(value, dtype: torch.dtype, *, name: str, hint: str | None = None) -> None:
    """The tensor has ``dtype``."""
    __tracebackhide__ = True
    t = _as_tensor(value, name)
    if t.dtype != dtype:
        raise failure(f"`{name}` has the wrong dtype.\n  expected: {dtype}\n  found:    {t.dtype}"
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
            raise failure(f"No gradient flows through `{name}` at all.\n  expected: gradients "
                                 f"reaching {list(must_flow)}\n  found:    an output with requires_grad=False"
                                 f"\n  likely mistake: " + hints.get(must_flow[0], "a `.detach()`, "
                                 "`torch.no_grad()`, `.item()` or a NumPy round trip cut the graph."))
        return
    out.sum().backward()
    for k in must_flow:
        g = leaves[k].grad
        if g is None or not bool((g != 0).any()):
            raise failure(f"No gradient reaches `{k}` through `{name}`.\n  expected: a nonzero "
                                 f"gradient with respect to {k}\n  found:    {'None' if g is None else 'all zeros'}"
                                 "\n  likely mistake: " + hints.get(k, f"`{k}` is detached, unused, or only "
                                                          "used through a sampling call that blocks gradients."))
    for k in must_not_flow:
        g = leaves[k].grad
        if g is not None and bool((g != 0).any()):
            raise failure(f"A gradient reaches `{k}` through `{name}`, but it must not.\n  expected: "
                                 f"no gradient with respect to {k}\n  found:    a nonzero gradient"
                                 "\n  likely mistake: " + hints.get(k, f"a missing `.detach()` on `{k}`."))


def _as_tensor_keep_grad(value, name: str) -> torch.Tensor:
    if type(value) is torch.Tensor:
        return value
    _as_tensor(value, name)  # raises with the standard message
    raise failure(f"`{name}` returned a number, so no gradient can flow through it: "
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
    x = torch.randn(*input_shape, generator=gen).to(device_of(layer)).requires_grad_(True)
    out = _as_tensor_keep_grad(_call(layer, (x,), name), name)
    if not out.requires_grad:  # nothing to differentiate: the output cannot depend on the input
        raise failure(f"`{name}`'s output does not depend on its input: no gradient flows from the input to "
                      "the output (requires_grad=False).\n  likely mistake: the output does not come from the "
                      "input, or a `.detach()`, `torch.no_grad()` or `.data` in the forward pass cut the graph.")
    spatial = tuple(input_shape[2:])
    if tuple(out.shape[2:]) != spatial:
        raise failure(f"`{name}` changes the spatial shape: expected {spatial}, found "
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
        depends = grad.abs().sum(dim=(0, 1)).flatten().cpu() != 0  # (positions,)
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
            raise failure(f"`{name}` is not causal (mask type {mask_type}).\n  expected: the output at "
                                 f"position {where(i)} depends only on inputs before it"
                                 f"{'' if mask_type == 'A' else ' or at it'}\n  found:    it depends on the "
                                 f"input at position {where(j)}\n  likely mistake: {hint}")
    if not seen_any:
        raise failure(f"`{name}`'s output depends on no input at all.\n  likely mistake: the mask "
                             "zeroes every weight, or the input is not used.")


def check_frequencies(samples, probs: torch.Tensor, *, name: str, n_sigma: float = 5.0,
                      hint: str | None = None) -> None:
    """Empirical class frequencies of ``samples`` match ``probs`` within ``n_sigma`` standard errors."""
    s = _as_tensor(samples, name)
    if s.dtype not in (torch.int64, torch.int32):
        raise failure(f"`{name}` should be integer class indices, found dtype {s.dtype}.")
    k = probs.shape[-1]
    if s.numel() == 0 or int(s.min()) < 0 or int(s.max()) >= k:
        raise failure(f"`{name}` holds indices outside 0..{k - 1} (found min "
                             f"{int(s.min()) if s.numel() else '-'}, max {int(s.max()) if s.numel() else '-'}).")
    n = s.numel()
    freq = torch.bincount(s.flatten(), minlength=k).double() / n
    p = probs.double()
    se = (p * (1 - p) / n).sqrt().clamp(min=1.0 / n)
    if bool(((freq - p).abs() > n_sigma * se).any()):
        raise _failure(f"The frequencies of `{name}` do not match the probabilities ({n} samples).",
                       expected=p, found=freq, hint=hint or "a sampler that favours some classes.")
