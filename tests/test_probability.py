"""course_lib.probability, A0's reference: exact values, boundaries, and one Bayes implementation."""
import math

import pytest
import torch

from course_lib import bayes, likelihood, probability


def test_logsumexp_matches_torch_on_any_axis_and_scale():
    for x, dim in ((torch.randn(5), -1), (1000 * torch.randn(3, 4), 0), (torch.randn(2, 3, 4, dtype=torch.float64), 1)):
        assert torch.allclose(probability.logsumexp(x, dim), torch.logsumexp(x, dim))
    assert probability.logsumexp(torch.tensor([1000.0, 1000.0])).item() == pytest.approx(1000 + math.log(2))


def test_logsumexp_of_an_all_minus_inf_slice_is_minus_inf_not_nan():
    x = torch.tensor([[-math.inf, -math.inf], [0.0, -math.inf]])
    assert probability.logsumexp(x).tolist() == [-math.inf, 0.0]


def test_log_posterior_is_bayes_log_posterior_for_any_batch_shape():
    ll, lp = torch.randn(6, 3, dtype=torch.float64), torch.log_softmax(torch.randn(3, dtype=torch.float64), 0)
    assert torch.equal(probability.log_posterior(ll, lp), bayes.log_posterior(ll, lp))
    batch = torch.randn(2, 4, 3)
    out = probability.log_posterior(batch, lp.float())
    assert out.shape == (2, 4, 3) and out.dtype == torch.float32
    assert torch.allclose(out.exp().sum(-1), torch.ones(2, 4))
    screening = probability.log_posterior(torch.tensor([0.05, 0.90]).log(), torch.tensor([0.99, 0.01]).log())
    assert screening.exp()[1].item() == pytest.approx(0.009 / (0.009 + 0.0495), rel=1e-6)
    never = probability.log_posterior(torch.zeros(3), torch.tensor([-math.inf, 0.0, -1.0]))
    assert never[0].item() == -math.inf and torch.isfinite(never[1:]).all()
    with pytest.raises(ValueError, match="log_prior must have shape"):
        probability.log_posterior(torch.zeros(2, 3), torch.zeros(4))


def test_kl_divergence_and_entropy_conventions():
    p, q = torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.25, 0.25, 0.5])
    assert probability.kl_divergence(p, q).item() == pytest.approx(math.log(2))
    assert probability.kl_divergence(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])).item() == math.inf
    assert probability.kl_divergence(p, p).item() == 0
    assert probability.entropy(torch.tensor([0.5, 0.5, 0.0])).item() == pytest.approx(math.log(2))


def test_sample_categorical_boundaries_and_the_last_index():
    assert probability.sample_categorical(torch.tensor([0.0, 0.5, 0.5]), torch.tensor([0.0, 0.5])).tolist() == [1, 2]
    rounded = torch.tensor([0.3, 0.3, 0.4 - 1e-7])
    assert probability.sample_categorical(rounded, torch.tensor([1 - 2**-24])).item() == 2


def test_bits_per_dim_fit_and_nll():
    coin = torch.full((4,), 784 * math.log(0.5))
    assert probability.bits_per_dim(coin, 784).item() == pytest.approx(1.0)
    assert probability.bits_per_dim(coin, 784).item() == likelihood.bits_per_dim(coin, 784)
    samples = torch.tensor([[0, 2], [2, 2]])
    assert probability.fit_categorical(samples, 4).tolist() == [0.25, 0.0, 0.75, 0.0]
    with pytest.raises(ValueError):
        probability.fit_categorical(torch.tensor([], dtype=torch.long), 3)
    probs = torch.tensor([0.25, 0.0, 0.75, 0.0])
    assert probability.average_nll(probs, samples).item() == pytest.approx(-(math.log(0.25) + 3 * math.log(0.75)) / 4)
    assert probability.average_nll(probs, torch.tensor([1])).item() == math.inf


def test_cross_entropy_is_entropy_plus_kl_and_counting_minimises_it():
    samples = torch.randint(0, 5, (300,), generator=torch.Generator().manual_seed(0))
    p_hat = probability.fit_categorical(samples, 5).double()
    for q in (p_hat, torch.softmax(torch.randn(5, dtype=torch.float64), 0)):
        nll = probability.average_nll(q, samples)
        assert nll.item() == pytest.approx((probability.entropy(p_hat) + probability.kl_divergence(p_hat, q)).item())
        assert nll >= probability.average_nll(p_hat, samples) - 1e-12


# Property-based: the mathematical contract on arbitrary shapes and scales.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(shape=shapes, scale=st.sampled_from([1e-3, 1.0, 100.0, 1e4]), offset=st.floats(-1e4, 1e4),
       seed=st.integers(0, 2**31 - 1), data=st.data())
def test_logsumexp_against_a_float64_reference(shape, scale, offset, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale + offset
    moved = x.movedim(dim, -1)
    exact = torch.tensor([max(r) + math.log(math.fsum(math.exp(v - max(r)) for v in r))
                          for r in moved.reshape(-1, moved.shape[-1]).tolist()], dtype=torch.float64)
    found = probability.logsumexp(x, dim)
    assert found.shape == moved.shape[:-1]
    assert torch.allclose(found.reshape(-1), exact, rtol=1e-12, atol=1e-9)
    assert torch.allclose(probability.logsumexp(x.float(), dim).double(), found, rtol=1e-5, atol=1e-3 * scale)


@settings(max_examples=60, deadline=None)
@given(k=st.integers(2, 8), seed=st.integers(0, 2**31 - 1), zeros=st.integers(0, 3))
def test_kl_is_nonnegative_and_zero_only_for_equal_distributions(k, seed, zeros):
    g = torch.Generator().manual_seed(seed)
    p = torch.softmax(3 * torch.randn(k, generator=g, dtype=torch.float64), 0)
    p[: min(zeros, k - 1)] = 0
    p = p / p.sum()
    q = torch.softmax(3 * torch.randn(k, generator=g, dtype=torch.float64), 0)
    assert probability.kl_divergence(p, q) > 0
    assert probability.kl_divergence(p, p).abs() < 1e-12


# Found by mutation testing (docs/mutation.md): each test below kills mutants that passed.
def test_kl_and_entropy_reduce_the_last_axis_only():
    p = torch.tensor([[0.5, 0.5], [1.0, 0.0]])
    q = torch.tensor([[0.25, 0.75], [0.5, 0.5]])
    kl = probability.kl_divergence(p, q)
    assert kl.shape == (2,), "one divergence per row of a batch"
    assert kl[1].item() == pytest.approx(math.log(2))
    h = probability.entropy(p)
    assert h.shape == (2,) and h.tolist() == pytest.approx([math.log(2), 0.0])


def test_log_posterior_refuses_a_prior_that_is_not_one_dimensional_and_a_scalar_likelihood():
    with pytest.raises(ValueError, match="log_prior must have shape"):
        probability.log_posterior(torch.zeros(2, 3), torch.zeros(3, 1))
    with pytest.raises(ValueError, match=r"log_prior must have shape \(K,\) and log_likelihood \(\.\.\., K\)"):
        probability.log_posterior(torch.tensor(0.0), torch.zeros(1))


def test_fit_categorical_of_no_samples_says_what_it_needs():
    with pytest.raises(ValueError, match="^fit_categorical needs at least one sample$"):
        probability.fit_categorical(torch.tensor([], dtype=torch.long), 3)
