"""What the check cells of assignment A2 (variational autoencoders) need besides
:mod:`course_lib.checks`: the student's code run with the course's answers taken away,
and test inputs.

These helpers live in a module, not in a cell of the notebook, on purpose: a function
defined in a notebook cell looks up its global names (the list of references it blocks,
the formulas it stands in with) in the notebook's namespace at call time, where a
student's solution cell could rebind them. A module's names are guarded by the grader
(:mod:`course_lib.grading.guard` restores them before every check; the screen refuses any
change to the course's modules). The notebook gets its runner once, from an instructor's
cell, with ``as_student = vae_checks.student_runner(globals())``.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

import course_lib.models.vae

__all__ = ["REFERENCE_FUNCTIONS", "failure", "student_runner", "binary_images"]

# The course's answers that refuse to run while a student's function runs inside a check.
REFERENCE_FUNCTIONS = ("reparameterize", "gaussian_kl", "gaussian_log_density", "bernoulli_log_likelihood",
                       "gaussian_log_likelihood", "negative_elbo", "vae_loss", "iwae_bound")


def failure(title: str, hint: str, expected=None, found=None) -> AssertionError:
    """An AssertionError in the words of course_lib.checks: what, expected, found, likely mistake."""
    lines = [title]
    if expected is not None:
        lines.append(f"  expected: {expected}")
    if found is not None:
        lines.append(f"  found:    {found}")
    return AssertionError("\n".join(lines + [f"  likely mistake: {hint}"]))


def _refusing_code(exercise: str, name: str):
    message = (f"`{exercise}` calls the course's own answer `course_lib.models.vae.{name}`: this exercise "
               "asks you to write it yourself (torch and torch.distributions are fine), so the check "
               "does not count it.")
    scope: dict = {}
    exec(f"def refuse(*args, **kwargs):\n    raise AssertionError({message!r})", scope)
    return scope["refuse"].__code__


def student_runner(namespace: dict) -> Callable:
    """``as_student(fn, exercise, earlier=())`` for the notebook whose namespace is ``namespace``.

    ``as_student`` wraps the student's ``fn``: while it runs, the course's answers
    (:data:`REFERENCE_FUNCTIONS`, every layer of a decorated one) refuse to run, the
    student's answers named in ``earlier`` (``reparameterize``, ``gaussian_kl``) are the
    course's formulas in ``namespace`` (so a mistake costs points in its own exercise
    only), and a stub's NotImplementedError or a crash becomes a failed check that says so.
    """
    course_formulas = {  # in this closure: no notebook name can change them
        "reparameterize": lambda mu, logvar: mu + torch.exp(0.5 * logvar) * torch.randn_like(mu),
        "gaussian_kl": lambda mu, logvar: -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(-1),
    }
    missing = object()

    def as_student(fn, exercise, earlier=()):
        def run(*args, **kwargs):
            blocked, replaced = [], {}
            for name in REFERENCE_FUNCTIONS:
                f = getattr(course_lib.models.vae, name, None)
                while callable(f) and hasattr(f, "__code__"):  # a decorated function: every layer
                    if not f.__closure__:
                        blocked.append((f, f.__code__))
                        f.__code__ = _refusing_code(exercise, name)
                    f = getattr(f, "__wrapped__", None)
            for name in earlier:
                replaced[name] = namespace.get(name, missing)
                namespace[name] = course_formulas[name]
            try:
                return fn(*args, **kwargs)
            except NotImplementedError as err:
                task = str(err).strip() or "no hint"
                raise AssertionError(f"`{exercise}` is not implemented yet: it still raises NotImplementedError. "
                                     "Replace the `raise NotImplementedError(...)` line with your code. The task: "
                                     + (task if task.endswith((".", "!", "?")) else task + ".")) from None
            except AssertionError:
                raise
            except Exception as err:
                raise AssertionError(f"`{exercise}` raised {type(err).__name__}: {err}") from err
            finally:
                for f, code in blocked:
                    f.__code__ = code
                for name, old in replaced.items():
                    if old is missing:
                        namespace.pop(name, None)
                    else:
                        namespace[name] = old
        return run
    return as_student


def binary_images(n: int, pixels: int = 784, seed: int = 0) -> torch.Tensor:
    """n random binary 'images' (N, pixels), about a third of the pixels on."""
    return (torch.rand(n, pixels, generator=torch.Generator().manual_seed(seed)) < 0.3).float()
