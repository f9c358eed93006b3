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
from course_lib.models.pixelcnn import MaskedConv2d

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# Statistical properties (five standard errors) fail by chance about once in a million
# classes: drawn from a fixed seed, the examples are the same on every run, so they cannot flake.
STATISTICAL = settings(SETTINGS, derandomize=True)

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
@given(st.data(), st.floats(0.0, 1.0))
def test_kl_is_zero_only_for_equal_distributions_pinsker(draw, mix):
    """Pinsker's inequality, KL(p || q) >= 2 TV(p, q)^2 (Cover & Thomas, Lemma 11.6.1): a
    divergence of zero forces p = q, and any difference costs at least that much. q is p
    moved part of the way (``mix``) towards another distribution, so that q = p, q close to
    p and q far from p are all drawn."""
    p = draw.draw(distributions())
    other = draw.draw(distributions(k=len(p)))
    q = (1 - mix) * p + mix * other
    kl = probability.kl_divergence(p, q).item()
    tv = 0.5 * (p - q).abs().sum().item()
    assert kl >= 2 * tv**2 - 1e-12, (kl, tv)
    if mix == 0.0 or torch.equal(p, q):
        assert kl == 0.0


@STATISTICAL
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


@STATISTICAL
@given(st.data(), st.integers(0, 2**31 - 1))
def test_categorical_sampler_frequencies_from_random_uniforms(draw, seed):
    """With random uniforms each class's frequency is binomial: within five standard
    errors of its probability (so a biased sampler fails, chance does not)."""
    probs = draw.draw(distributions())
    n = 20_000
    u = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    counts = torch.bincount(probability.sample_categorical(probs, u), minlength=len(probs))
    freq = counts.double() / n
    se = (probs * (1 - probs) / n).sqrt()
    assert torch.all((freq - probs).abs() <= 5 * se + 1e-12), (freq, probs)


@STATISTICAL
@given(st.lists(st.floats(0.05, 1.0), min_size=1, max_size=4), st.integers(0, 2**31 - 1))
def test_gaussian_mixture_samples_each_component_with_its_weight(raw_weights, seed):
    """Components 20 standard deviations apart: each sample is told to its component by
    rounding, and each component's share is within five standard errors of its weight."""
    weights = torch.tensor(raw_weights, dtype=torch.float64)
    weights = weights / weights.sum()
    k, n = len(weights), 10_000
    mixture = data.GaussianMixture(means=20.0 * torch.arange(k), stds=1.0, weights=weights)
    x = mixture.sample(n, seed=seed)
    component = (x.double() / 20.0).round().clamp(0, k - 1).long()
    freq = torch.bincount(component, minlength=k).double() / n
    se = (weights * (1 - weights) / n).sqrt()
    assert torch.all((freq - weights).abs() <= 5 * se + 1e-12), (freq, weights)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([1, 3, 5, 7, 9]), st.sampled_from("AB"), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 10), st.integers(1, 10), st.data())
def test_masked_convolution_is_causal_for_any_kernel_size(k, mask_type, c_in, c_out, h, w, draw):
    """Output pixel i depends on input pixel j exactly when j is in the kernel's window and
    j < i in raster order (type A) or j <= i (type B): its gradient is zero for every later
    pixel, and positive weights make it nonzero for every earlier one in reach."""
    conv = MaskedConv2d(c_in, c_out, k, mask_type=mask_type)
    with torch.no_grad():
        conv.weight.uniform_(0.1, 1.0)               # no weight is zero by chance
    r, c = draw.draw(st.integers(0, h - 1)), draw.draw(st.integers(0, w - 1))
    x = torch.zeros(1, c_in, h, w, dtype=torch.float32, requires_grad=True)
    conv(x)[0, :, r, c].sum().backward()
    depends = x.grad.abs().sum(dim=(0, 1)) > 0        # (H, W)
    half = k // 2
    for rr in range(h):
        for cc in range(w):
            in_window = abs(rr - r) <= half and abs(cc - c) <= half
            earlier = (rr, cc) < (r, c) or (mask_type == "B" and (rr, cc) == (r, c))
            assert bool(depends[rr, cc]) == (in_window and earlier), (rr, cc, r, c)
