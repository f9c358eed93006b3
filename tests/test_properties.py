"""Property-based tests (hypothesis) where the contract is mathematical.

Each property holds for *every* input, so hypothesis searches for a counterexample
instead of the few hand-picked cases of the unit tests: shapes, scales from 1e-3 to
1e4, -inf entries, zero probabilities.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import data, likelihood, probability

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)


@st.composite
def logit_arrays(draw):
    """Float64 arrays with rows far apart in scale and, sometimes, -inf entries."""
    shape = draw(shapes)
    scale = draw(st.sampled_from([1e-3, 1.0, 50.0, 800.0, 1e4]))
    values = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1)))
    array = values * scale + draw(st.floats(-1e3, 1e3))
    if draw(st.booleans()):
        mask = draw(hnp.arrays(np.bool_, shape))
        array = np.where(mask, -np.inf, array)
    return array


def reference_logsumexp(array: np.ndarray) -> np.ndarray:
    """The definition, in exact arithmetic's stand-in: Python floats with math.fsum."""
    out = np.empty(array.shape[:-1])
    for index in np.ndindex(out.shape):
        row = array[index]
        top = max(row)
        if top == -math.inf:
            out[index] = -math.inf
            continue
        out[index] = top + math.log(math.fsum(math.exp(v - top) for v in row))
    return out


@SETTINGS
@given(logit_arrays())
def test_logsumexp_matches_the_definition_on_any_shape_and_scale(array):
    found = probability.logsumexp(torch.from_numpy(array), dim=-1).numpy()
    expected = reference_logsumexp(array)
    assert found.shape == expected.shape
    assert np.array_equal(np.isneginf(found), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert np.allclose(found[finite], expected[finite], rtol=1e-12, atol=1e-9)


@st.composite
def distributions(draw, k=None):
    k = k or draw(st.integers(1, 8))
    weights = draw(hnp.arrays(np.float64, k, elements=st.floats(0, 10)))
    if weights.sum() == 0:
        weights[draw(st.integers(0, k - 1))] = 1.0
    return torch.from_numpy(weights / weights.sum())


@SETTINGS
@given(st.data())
def test_kl_is_nonnegative_and_zero_only_for_equal_distributions(draw):
    p = draw.draw(distributions())
    q = draw.draw(distributions(k=len(p)))
    kl = probability.kl_divergence(p, q).item()
    assert kl >= -1e-12
    assert probability.kl_divergence(p, p).item() == 0.0
    if kl < 1e-12:  # zero divergence: the two agree wherever p puts mass
        assert torch.allclose(p, q, atol=1e-5)


@SETTINGS
@given(st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))
def test_binarisation_keeps_the_mean(level, seed):
    """Each pixel is 1 with probability equal to its grey level: the mean stays, within
    five standard errors (so this property fails for a biased rule, not by chance)."""
    n = 20_000
    bits = data.binarize(torch.full((n, 1, 1, 1), level), seed=seed)
    assert set(bits.unique().tolist()) <= {0.0, 1.0}
    se = math.sqrt(level * (1 - level) / n)
    assert abs(bits.mean().item() - level) <= 5 * se + 1e-12


@SETTINGS
@given(st.data())
def test_categorical_sampler_draws_each_class_with_its_probability(draw):
    """Inverse-CDF sampling of well-spread uniforms reproduces the probabilities exactly
    up to one uniform's width, and never draws a class of probability 0."""
    probs = draw.draw(distributions())
    n = 4096
    u = (torch.arange(n, dtype=torch.float64) + 0.5) / n        # a perfectly even grid
    classes = probability.sample_categorical(probs, u)
    counts = torch.bincount(classes, minlength=len(probs)).double() / n
    assert torch.all((counts - probs).abs() <= 1.0 / n + 1e-12)
    assert torch.all(counts[probs == 0] == 0)


@SETTINGS
@given(st.floats(0.0, 5e3), st.integers(1, 4096))
def test_bits_per_dim_converts_nats_per_image(nats, dim):
    found = likelihood.bits_per_dim(torch.tensor([-nats, -nats], dtype=torch.float64), dim)
    assert math.isclose(found, nats / (dim * math.log(2)), rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(likelihood.nats_to_bits_per_dim(nats, dim), found,
                        rel_tol=1e-12, abs_tol=1e-15)
