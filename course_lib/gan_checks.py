"""The checks of assignment A3 (GANs) that need more than comparing outputs.

Used by the check cells of A3; the general helpers are in :mod:`course_lib.checks`.

* :func:`without_reference`: runs the student's function with the course's own
  implementation of the same thing swapped out, so calling it does not pass;
* :func:`check_training_step`: watches one call of the student's training step through
  optimizer and forward hooks and checks every rule of the lecture's algorithm: k
  discriminator steps, each on its own real minibatch and as many fakes, with the right
  gradient (real = 1, fake = 0, on logits) and no gradient into G; then one generator
  step with the non-saturating gradient, which does not touch D;
* :func:`check_dcgan_modules`: shapes, parameter counts and DCGAN's guidelines.
"""
from __future__ import annotations

import functools
import inspect
import sys
from typing import Callable

import torch
from torch import nn

from course_lib.checks import _call, _fmt, device_of

__all__ = ["without_reference", "with_names", "call", "check_training_step", "check_dcgan_modules"]


def without_reference(student: Callable, *references: Callable, name: str | None = None) -> Callable:
    """``student``, wrapped so that each call runs with the ``references`` swapped out.

    Every name bound to a reference object, in the student's globals and in the
    ``course_lib`` modules, is replaced by a function that fails the check, then
    restored after the call.
    """
    if not callable(student):
        return student
    label = name or getattr(student, "__name__", "your function")

    def forbidden(ref):
        def call(*args, **kwargs):
            raise AssertionError(f"`{label}` calls the course's own `{ref.__name__}`: this exercise asks "
                                 "you to write it yourself (torch and torch.nn.functional are fine).")
        return call

    @functools.wraps(student)
    def wrapped(*args, **kwargs):
        swaps = []
        namespaces = [getattr(inspect.unwrap(student), "__globals__", {})]
        namespaces += [vars(m) for n, m in list(sys.modules.items()) if n.startswith("course_lib") and m]
        for ref in references:
            stand_in = forbidden(ref)
            for ns in namespaces:
                for key, value in list(ns.items()):
                    if value is ref:
                        swaps.append((ns, key, value))
                        ns[key] = stand_in
        try:
            return student(*args, **kwargs)
        finally:
            for ns, key, value in reversed(swaps):
                ns[key] = value

    return wrapped


def _flat_grad(params) -> torch.Tensor:
    return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).flatten() for p in params])


def _softplus_loss_d(disc, real, fake, variant: str = "right"):
    from torch.nn import functional as F

    lr, lf = disc(real), disc(fake)
    if variant == "swapped":
        return F.softplus(lr).mean() + F.softplus(-lf).mean()
    if variant == "sigmoid":
        pr, pf = torch.sigmoid(lr), torch.sigmoid(lf)
        return F.softplus(-pr).mean() + F.softplus(pf).mean()
    return F.softplus(-lr).mean() + F.softplus(lf).mean()


def _g_loss(disc, fake, variant: str):
    from torch.nn import functional as F

    logits = disc(fake)
    if variant == "saturating":
        return -F.softplus(logits).mean()
    if variant == "sigmoid":
        return F.softplus(-torch.sigmoid(logits)).mean()
    return F.softplus(-logits).mean()


def _grads(loss, params):
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, params)])


def check_training_step(student_step: Callable, *, k: int, m: int = 8, data_dim: int = 2,
                        latent_dim: int = 3, seed: int = 0, name: str = "training_step",
                        device: torch.device | str | None = None) -> None:
    """Run ``student_step(generator, discriminator, g_optimizer, d_optimizer, real, k)`` once and check it.

    Small MLPs (no batch norm, so a batch's composition does not matter) and SGD, on
    ``device``: by default the student's own, the one ``runtime.setup()`` chose in their
    notebook (the GPU on a GPU runtime), so that a step which makes its noise on the CPU
    fails here, where the check can say why, and not later in the notebook. The models
    and the real batch are made on the CPU (the same numbers on every device), then moved.
    Raises AssertionError naming the first rule broken.
    """
    from course_lib import runtime
    from course_lib.models.gan import MLPDiscriminator, MLPGenerator

    device = runtime.current_device() if device is None else torch.device(device)
    torch.manual_seed(seed)
    gen = MLPGenerator(latent_dim, data_dim, hidden=16).to(device)
    disc = MLPDiscriminator(data_dim, hidden=16).to(device)
    g_opt = torch.optim.SGD(gen.parameters(), lr=0.1)
    d_opt = torch.optim.SGD(disc.parameters(), lr=0.1)
    real = (torch.randn(k * m, data_dim, generator=torch.Generator().manual_seed(seed + 1)) + 3.0).to(device)
    g_params, d_params = list(gen.parameters()), list(disc.parameters())
    events: list[str] = []
    d_inputs: list[torch.Tensor] = []
    g_inputs: list[torch.Tensor] = []
    problems: list[str] = []
    losses = {"d": [], "g": None}
    d_after_last_d_step: list[torch.Tensor] = []
    watching = [True]                      # off while the check computes its own references

    def fail(message):
        if not problems:
            problems.append(message)
        raise _StepProblem(message)

    def d_forward(module, args):
        if watching[0]:
            d_inputs.append(args[0].detach().clone())

    def g_forward(module, args):
        if watching[0]:
            g_inputs.append(args[0].detach().clone())

    def unwatched(hook):
        def run(*args):
            watching[0] = False
            try:
                return hook(*args)
            finally:
                watching[0] = True
        return run

    def before_d_step(optimizer, args, kwargs):
        index = events.count("D")
        if "G" in events:
            fail("the discriminator was updated after the generator step (or during it): "
                 "the generator step must not update D; call only the generator's optimizer there.")
        if index >= k:
            fail(f"the discriminator's optimizer stepped more than k = {k} times.")
        events.append("D")
        g_grad = _flat_grad(g_params)
        if bool((g_grad != 0).any()):
            fail("during the discriminator step, a gradient reached the generator: the fake batch was "
                 "not detached in the discriminator step. Make the fakes with torch.no_grad() or pass "
                 "fakes.detach() to D.")
        seen = (torch.cat([x.reshape(len(x), -1) for x in d_inputs]) if d_inputs
                else torch.empty(0, data_dim, device=device))
        d_inputs.clear()
        chunk = real[index * m:(index + 1) * m]
        is_real = _rows_in(seen, real)
        used = seen[is_real]
        if len(used) != m or not bool(_rows_in(chunk, used).all()):
            fail(f"discriminator step {index + 1} of {k} should use the real minibatch real[{index * m}:{(index + 1) * m}] "
                 f"(m = len(real) // k = {m} examples), each once; it used {len(used)} real rows "
                 f"{'' if len(used) == 0 else 'from elsewhere in the batch'}.")
        fakes = seen[~is_real]
        if len(fakes) != m:
            fail(f"discriminator step {index + 1} should show D as many fakes as real examples ({m}); it showed {len(fakes)}.")
        found = _flat_grad(d_params)
        expected = _grads(_softplus_loss_d(disc, used, fakes), d_params)
        if not torch.allclose(found, expected, rtol=1e-4, atol=1e-6):
            for variant, hint in (("swapped", "the real/fake labels are swapped: real examples are labelled 1 "
                                              "and fakes 0 in the discriminator's loss."),
                                  ("sigmoid", "you applied a sigmoid before a loss that expects logits "
                                              "(binary_cross_entropy_with_logits / softplus take raw scores).")):
                if torch.allclose(found, _grads(_softplus_loss_d(disc, used, fakes, variant), d_params),
                                  rtol=1e-4, atol=1e-6):
                    fail(f"discriminator step {index + 1}: {hint}")
            fail(f"discriminator step {index + 1}: D's gradient is not that of discriminator_loss(D(real), "
                 "D(fakes)). Did you forget d_optimizer.zero_grad() (gradients left over from an earlier "
                 "backward), or sum instead of averaging?")
        losses["d"].append(_softplus_loss_d(disc, used, fakes).item())

    def after_d_step(optimizer, args, kwargs):
        d_after_last_d_step[:] = [p.detach().clone() for p in d_params]

    def before_g_step(optimizer, args, kwargs):
        if events.count("D") < k:
            fail(f"the generator was updated inside the k-step loop (after {events.count('D')} of the k = {k} "
                 "discriminator steps): do all k discriminator steps first, then one generator step.")
        if "G" in events:
            fail("the generator's optimizer stepped more than once: one generator step per call.")
        events.append("G")
        if not g_inputs:
            fail("the generator step did not run the generator on noise.")
        z = g_inputs[-1]
        if tuple(z.shape) != (m, latent_dim):
            fail(f"the generator step should use m = {m} noise samples of size latent_dim = {latent_dim}, "
                 f"got z of shape {tuple(z.shape)}.")
        found = _flat_grad(g_params)
        fake = gen(z)
        expected = _grads(_g_loss(disc, fake, "right"), g_params)
        if not torch.allclose(found, expected, rtol=1e-4, atol=1e-6):
            if torch.allclose(found, _grads(_g_loss(disc, gen(z), "saturating"), g_params), rtol=1e-4, atol=1e-6):
                fail("the generator step uses the saturating loss log(1 - D(G(z))) where the "
                     "non-saturating loss -log D(G(z)) is asked.")
            if torch.allclose(found, _grads(_g_loss(disc, gen(z), "sigmoid"), g_params), rtol=1e-4, atol=1e-6):
                fail("the generator step applies a sigmoid before a loss that expects logits.")
            fail("G's gradient is not that of the non-saturating loss -log D(G(z)) on its noise batch. "
                 "Did you forget g_optimizer.zero_grad(), or use the fakes of a discriminator step?")
        losses["g"] = _g_loss(disc, gen(z), "right").item()

    hooks = [disc.register_forward_pre_hook(d_forward), gen.register_forward_pre_hook(g_forward),
             d_opt.register_step_pre_hook(unwatched(before_d_step)),
             d_opt.register_step_post_hook(unwatched(after_d_step)),
             g_opt.register_step_pre_hook(unwatched(before_g_step))]
    try:
        try:
            out = _call(student_step, (gen, disc, g_opt, d_opt, real, k), name)
        except _StepProblem:
            out = None
        except AssertionError as err:
            if problems and isinstance(err.__cause__, _StepProblem):
                out = None
            else:
                raise
    finally:
        for h in hooks:
            h.remove()
    if problems:
        raise AssertionError(f"`{name}` (k = {k}, m = {m}) breaks a rule of the training algorithm.\n"
                             f"  likely mistake: {problems[0]}")
    if events != ["D"] * k + ["G"]:
        order = " ".join(events) or "no optimizer step at all"
        hint = ("the generator was updated inside the k-step loop." if events.count("G") > 1 or
                (events and events[0] == "G") else f"expected {k} discriminator steps then one generator step.")
        raise AssertionError(f"`{name}` (k = {k}) made the optimizer steps {order}.\n"
                             f"  expected: {' '.join(['D'] * k + ['G'])}\n  likely mistake: {hint}")
    if any(not torch.equal(a, b) for a, b in zip(d_after_last_d_step, d_params)):
        raise AssertionError(f"`{name}`: the discriminator changed during the generator step.\n"
                             "  likely mistake: the generator step must not update D (no d_optimizer.step() there).")
    if not isinstance(out, dict) or set(out) != {"d_loss", "g_loss"}:
        raise AssertionError(f"`{name}` should return a dict with the keys 'd_loss' and 'g_loss', got {_fmt(out)}.")
    expected = {"d_loss": sum(losses["d"]) / k, "g_loss": losses["g"]}
    for key, value in expected.items():
        got = out[key]
        if not isinstance(got, float):
            raise AssertionError(f"`{name}` should return {key!r} as a Python float (use .item()), got "
                                 f"{type(got).__name__}.")
        if abs(got - value) > 1e-4 * max(1.0, abs(value)):
            raise AssertionError(f"`{name}` returns {key}={got:.6g}, expected {value:.6g}"
                                 + (" (the mean of the k discriminator losses)." if key == "d_loss" else
                                    " (the generator's loss in its step)."))


def _rows_in(rows: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """For each row of ``rows``, whether ``table`` holds exactly the same row.

    Compared element by element: ``cdist(...) == 0`` computes distances through a matrix
    product for larger batches, where a row's distance to itself need not come out as 0.
    """
    if rows.shape[-1] != table.shape[-1]:       # the student fed D something else: no row matches
        return torch.zeros(len(rows), dtype=torch.bool, device=rows.device)
    return (rows[:, None, :] == table[None, :, :]).all(-1).any(1)


class _StepProblem(Exception):
    """Raised inside a hook to stop the student's step at the first broken rule."""


def check_dcgan_modules(generator_cls, discriminator_cls, *, latent_dim: int, channels: int,
                        reference_generator: nn.Module, reference_discriminator: nn.Module,
                        batch: int = 5) -> None:
    """The student's DCGAN classes: shapes, parameter counts equal to the reference's, the guidelines."""
    from course_lib.models import gan as course_gan

    for cls, label in ((generator_cls, "Generator"), (discriminator_cls, "Discriminator")):
        if isinstance(cls, type) and issubclass(cls, (course_gan.DCGANGenerator, course_gan.DCGANDiscriminator)):
            raise AssertionError(f"`{label}` subclasses the course's DCGAN: write the module yourself.")
    gen = _call(lambda: generator_cls(latent_dim, channels), (), "Generator(latent_dim, channels)")
    disc = _call(lambda: discriminator_cls(channels), (), "Discriminator(channels)")
    for model, ref, label in ((gen, reference_generator, "Generator"), (disc, reference_discriminator, "Discriminator")):
        if not isinstance(model, nn.Module):
            raise AssertionError(f"`{label}(...)` should build an nn.Module, got {type(model).__name__}.")
        kinds = {type(x).__name__ for x in model.modules()}
        banned = kinds & {"MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Linear"}
        if banned:
            raise AssertionError(f"`{label}` uses {sorted(banned)}: DCGAN's guidelines replace pooling by "
                                 "strided convolutions and use no fully connected hidden layers.")
        if "BatchNorm2d" not in kinds:
            raise AssertionError(f"`{label}` has no BatchNorm2d: DCGAN uses batch norm in both networks.")
        found = sum(p.numel() for p in model.parameters())
        expected = sum(p.numel() for p in ref.parameters())
        if found != expected:
            raise AssertionError(f"`{label}` has {found:,} parameters, the architecture described has {expected:,}.\n"
                                 "  likely mistake: a layer with the wrong channels or kernel size, a bias where "
                                 "batch norm follows (bias=False), or a missing / extra batch norm.")
    if "ConvTranspose2d" not in {type(x).__name__ for x in gen.modules()}:
        raise AssertionError("`Generator` has no ConvTranspose2d: DCGAN upsamples with fractionally strided convolutions.")
    torch.manual_seed(0)
    z = torch.randn(batch, latent_dim).to(device_of(gen))             # drawn on the CPU, sent to the student's device
    images = _call(gen, (z,), "Generator.forward")
    if not isinstance(images, torch.Tensor) or tuple(images.shape) != (batch, 1, 28, 28):
        raise AssertionError(f"`Generator` should map z of shape ({batch}, {latent_dim}) to images ({batch}, 1, 28, 28), "
                             f"got {_fmt(getattr(images, 'shape', images))}.")
    if images.min() < -1 or images.max() > 1:
        raise AssertionError("`Generator`'s output leaves [-1, 1]: end with tanh.")
    with torch.no_grad():
        for p in gen.parameters():
            p.mul_(50.0)                                      # drive the output layer into saturation
        big = gen(z)
    if not bool(((big.abs() > 0.999) & (big.abs() <= 1)).float().mean() > 0.5):
        raise AssertionError("`Generator`'s output does not saturate at -1 and 1 for large pre-activations: "
                             "its last activation should be tanh.")
    logits = _call(disc, (images.detach().to(device_of(disc)),), "Discriminator.forward")
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (batch,):
        raise AssertionError(f"`Discriminator` should map images ({batch}, 1, 28, 28) to one logit each, shape "
                             f"({batch},), got {_fmt(getattr(logits, 'shape', logits))}. Flatten the last convolution's output.")
    with torch.no_grad():
        for p in disc.parameters():
            p.mul_(30.0)
        wide = disc((torch.rand(64, 1, 28, 28) * 2 - 1).to(device_of(disc)))
    if bool(((wide >= 0) & (wide <= 1)).all()):
        raise AssertionError("`Discriminator`'s outputs all lie in [0, 1]: it should return logits "
                             "(no sigmoid at the end; the loss applies it).")


def with_names(student: Callable, **replacements) -> Callable:
    """``student``, wrapped so that during each call the given global names mean something else.

    A3's training-step check runs the student's step with the course's losses in place
    of the student's own (``discriminator_loss=...``), so that a mistake in an earlier
    exercise costs its points there only.
    """
    if not callable(student):
        return student
    namespace = getattr(inspect.unwrap(student), "__globals__", None)

    @functools.wraps(student)
    def wrapped(*args, **kwargs):
        if namespace is None:
            return student(*args, **kwargs)
        saved = {key: namespace[key] for key in replacements if key in namespace}
        namespace.update(replacements)
        try:
            return student(*args, **kwargs)
        finally:
            for key in replacements:
                if key in saved:
                    namespace[key] = saved[key]
                else:
                    namespace.pop(key, None)

    return wrapped


def call(fn: Callable, *args, name: str | None = None):
    """``fn(*args)`` for a check: a stub's NotImplementedError or a crash becomes a failed check."""
    return _call(fn, args, name or getattr(fn, "__name__", "your function"))
