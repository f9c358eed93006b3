"""Tests of course_lib.models.bernoulli_mixture and course_lib.bayes (notebook 01)."""
import math

import pytest
import torch

from course_lib.bayes import (GenerativeClassifier, effective_sample_size, log_conditional, log_evidence,
                              log_label_marginal, log_posterior, resample_by_label)
from course_lib.likelihood import bits_per_dim
from course_lib.models.bernoulli_mixture import BernoulliMixture


def _binary(n=200, d=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    # two clear prototypes, so a 2-component mixture has something to find
    protos = torch.tensor([[0.9] * (d // 2) + [0.1] * (d - d // 2), [0.1] * (d // 2) + [0.9] * (d - d // 2)])
    which = torch.randint(0, 2, (n,), generator=g)
    return (torch.rand(n, d, generator=g) < protos[which]).float(), which


def test_one_component_is_independent_bernoullis_with_pixel_means():
    x, _ = _binary()
    m = BernoulliMixture(1, smoothing=0.0).fit(x, iterations=3)
    mean = x.double().mean(0)
    assert torch.allclose(m.means[0], mean)
    expected = (x.double() * mean.log() + (1 - x.double()) * (1 - mean).log()).sum(1)
    assert torch.allclose(m.log_prob(x), expected)


def test_em_never_decreases_the_objective():
    x, _ = _binary(n=300, d=16)
    # (with smoothing=0, EM drives some probabilities to exactly 0 or 1 in floating point,
    # where rounding can break the guarantee: that is one reason the course smooths)
    for smoothing in (0.01, 1.0):
        m = BernoulliMixture(4, smoothing=smoothing, seed=1).fit(x, iterations=60, tol=-1)
        objective = [h["objective"] for h in m.history]
        assert all(b >= a - 1e-9 for a, b in zip(objective, objective[1:])), objective
    # without smoothing the objective is the plain log-likelihood
    m = BernoulliMixture(3, smoothing=0.0).fit(x, iterations=5, tol=-1)
    assert m.history[-1]["objective"] == pytest.approx(m.history[-1]["log_likelihood"])


def test_probabilities_of_all_images_sum_to_one():
    x, _ = _binary(n=100, d=6)
    m = BernoulliMixture(3, smoothing=1.0).fit(x, iterations=20)
    from course_lib.models.autoregressive import all_binary_images
    total = m.log_prob(all_binary_images(6)).exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-12)


def test_mixture_finds_the_two_prototypes_and_beats_one_component():
    x, _ = _binary(n=400)
    one = BernoulliMixture(1).fit(x)
    two = BernoulliMixture(2).fit(x)
    assert two.log_prob(x).mean() > one.log_prob(x).mean() + 1.0
    found = sorted(two.means.round(decimals=1)[:, 0].tolist())
    assert found == pytest.approx([0.1, 0.9], abs=0.1)


def test_responsibilities_sum_to_one_and_samples_are_binary_with_the_right_shape():
    x, _ = _binary()
    m = BernoulliMixture(3).fit(x.reshape(-1, 1, 3, 4), iterations=5)
    r = m.responsibilities(x.reshape(-1, 1, 3, 4))
    assert torch.allclose(r.sum(1), torch.ones(len(x), dtype=torch.float64))
    s = m.sample(7, seed=0)
    assert s.shape == (7, 1, 3, 4) and set(s.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(s, m.sample(7, seed=0))


def test_uniform_model_costs_exactly_one_bit_per_dimension():
    m = BernoulliMixture(1)
    m.means = torch.full((1, 10), 0.5, dtype=torch.float64)
    m.weights = torch.ones(1, dtype=torch.float64)
    x = (torch.rand(50, 10) < 0.3).float()
    assert m.bits_per_dim(x) == pytest.approx(1.0, abs=1e-12)
    assert bits_per_dim(torch.tensor([-10 * math.log(2)]), 10) == pytest.approx(1.0)


@pytest.mark.parametrize("bad, message", [
    (torch.randint(0, 2, (5, 4)), "float"),
    (torch.rand(5, 4), "0s and 1s"),
    (torch.ones(5), "shape"),
    ([[0.0, 1.0]], "torch.Tensor"),
])
def test_bad_inputs_raise_clear_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        BernoulliMixture(1).fit(bad)


def test_wrong_number_of_pixels_and_unfitted_model():
    m = BernoulliMixture(1)
    with pytest.raises(RuntimeError, match="fit"):
        m.log_prob(torch.zeros(2, 4))
    m.fit(torch.zeros(3, 4), iterations=2)
    with pytest.raises(ValueError, match="expects 4"):
        m.log_prob(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="n_components"):
        BernoulliMixture(0)


# --- Bayes' rule ------------------------------------------------------------------------

def test_posterior_matches_a_hand_computation():
    # p(x|y) = 0.2, 0.6 ; p(y) = 0.75, 0.25 -> p(x) = 0.15 + 0.15 = 0.3, p(y|x) = 0.5, 0.5
    log_lik = torch.tensor([[0.2, 0.6]]).log()
    log_prior = torch.tensor([0.75, 0.25]).log()
    assert torch.allclose(log_posterior(log_lik, log_prior).exp(), torch.tensor([[0.5, 0.5]], dtype=torch.float64))
    assert log_evidence(log_lik, log_prior).exp().item() == pytest.approx(0.3)


def test_posterior_sums_to_one_even_when_likelihoods_underflow():
    log_lik = torch.tensor([[-1000.0, -1001.0, -1500.0]])
    post = log_posterior(log_lik, torch.zeros(3)).exp()
    assert post.sum().item() == pytest.approx(1.0)
    assert post[0, 0].item() == pytest.approx(1 / (1 + math.exp(-1)))


def test_bayes_shapes_are_checked():
    with pytest.raises(ValueError, match="log_prior"):
        log_posterior(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        log_posterior(torch.zeros(3), torch.zeros(3))


def test_generative_classifier_classifies_and_is_a_density():
    x, y = _binary(n=400)
    g = GenerativeClassifier(n_components=2).fit(x, y, iterations=10)
    assert (g.predict(x) == y).float().mean() > 0.95
    probs = g.predict_proba(x)
    assert torch.allclose(probs.sum(1), torch.ones(len(x), dtype=torch.float64))
    # p(x) = sum_y p(x|y) p(y), computed two ways
    by_hand = torch.log((g.log_likelihood(x).exp() * g.log_prior.exp()).sum(1))
    assert torch.allclose(g.log_prob(x), by_hand)
    assert g.sample(1, 5, seed=0).shape == (5, 12)
    with pytest.raises(ValueError, match="labels must have shape"):
        GenerativeClassifier().fit(x, y[:-1])
    with pytest.raises(ValueError, match="missing"):
        GenerativeClassifier().fit(x, torch.where(y == 0, 2, y))


def test_a_component_with_zero_weight_drops_out_of_every_sum():
    m = BernoulliMixture(2)
    m.means = torch.tensor([[0.9, 0.1], [0.5, 0.5]], dtype=torch.float64)
    m.weights = torch.tensor([1.0, 0.0], dtype=torch.float64)
    m.event_shape = (2,)
    x = torch.tensor([[0.0, 1.0]])
    assert m.log_prob(x).item() == pytest.approx(math.log(0.1 * 0.1))
    assert m.responsibilities(x)[0].tolist() == [1.0, 0.0]
    assert (m.sample(20, seed=0, return_components=True)[1] == 0).all()


# --- Bayes' rule backwards: p(x | y) from a classifier p(y | x) and a density p(x) -------

def _enumerable_world(d=6, classes=3, seed=0):
    """Every binary image of d pixels, a density p(x) (a fitted mixture) and a softmax classifier."""
    from course_lib.models.autoregressive import all_binary_images
    x, _ = _binary(n=200, d=d, seed=seed)
    density = BernoulliMixture(3, smoothing=1.0, seed=seed).fit(x, iterations=20)
    everything = all_binary_images(d)                                   # (2^d, d)
    g = torch.Generator().manual_seed(seed)
    weights = torch.randn(d, classes, generator=g, dtype=torch.float64) * 2
    classify = lambda images: torch.log_softmax(images.double() @ weights, dim=1)
    return density, everything, classify


def test_conditional_from_classifier_and_density_is_exact_on_an_enumerable_world():
    density, everything, classify = _enumerable_world()
    log_p_x = density.log_prob(everything)                              # sums to 1 over all images
    log_p_y_given_x = classify(everything)
    exact_log_p_y = torch.logsumexp(log_p_y_given_x + log_p_x[:, None], dim=0)   # sum_x p(y|x) p(x)
    log_p_x_given_y = log_conditional(log_p_y_given_x, log_p_x, exact_log_p_y)
    # each p(x | y) is a distribution over all images ...
    assert torch.allclose(log_p_x_given_y.exp().sum(0), torch.ones(3, dtype=torch.float64))
    # ... and Bayes' rule forwards gives the classifier back
    assert torch.allclose(log_posterior(log_p_x_given_y, exact_log_p_y), log_p_y_given_x)
    # the Monte Carlo label marginal from samples of p(x) approaches the exact one
    samples = density.sample(20_000, seed=1)
    estimate = log_label_marginal(classify(samples))
    assert torch.allclose(estimate.exp(), exact_log_p_y.exp(), atol=0.02)
    assert estimate.exp().sum().item() == pytest.approx(1.0)


def test_importance_resampling_draws_from_p_x_given_y():
    density, everything, classify = _enumerable_world()
    log_p_x = density.log_prob(everything)
    log_p_y_given_x = classify(everything)
    exact = log_conditional(log_p_y_given_x, log_p_x,
                            torch.logsumexp(log_p_y_given_x + log_p_x[:, None], dim=0))[:, 1].exp()
    samples = density.sample(40_000, seed=2)
    drawn = resample_by_label(samples, classify(samples)[:, 1], n=40_000, seed=3)
    index = (drawn * 2 ** torch.arange(5, -1, -1)).sum(1).long()        # row j of everything spells j
    frequency = torch.bincount(index, minlength=64).double() / len(drawn)
    assert 0.5 * (frequency - exact).abs().sum().item() < 0.05          # total variation
    # against the unconditional p(x) the resampled images are clearly different
    assert 0.5 * (log_p_x.exp() - exact).abs().sum().item() > 0.2
    assert 1 <= effective_sample_size(classify(samples)[:, 1]) <= len(samples)
    assert effective_sample_size(torch.zeros(10)) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="one log p"):
        resample_by_label(samples, torch.zeros(3), n=2)
    with pytest.raises(ValueError, match="log_p_x must have shape"):
        log_conditional(torch.zeros(4, 3), torch.zeros(5), torch.zeros(3))


def test_em_objective_never_decreases_on_real_digits():
    """The quantity notebook 01 plots (MAP objective of EM with smoothing) never goes down."""
    from course_lib import data
    digits = data.load_mnist("train", limit=400, verbose=False)
    x = data.binarize(digits.images, seed=0)
    m = BernoulliMixture(8, smoothing=1.0, seed=0).fit(x, iterations=25, tol=-math.inf)
    objective = [h["objective"] for h in m.history]
    assert len(objective) == 25
    assert all(b >= a - 1e-9 for a, b in zip(objective, objective[1:])), objective
    # the penalty makes the objective differ from the plotted-before log-likelihood
    assert objective[-1] < m.history[-1]["log_likelihood"]


def test_inline_em_step_matches_the_library():
    """The E and M steps notebook 01 writes inline are the ones BernoulliMixture runs."""
    x, _ = _binary(n=150, d=10)
    m = BernoulliMixture(3, smoothing=1.0, seed=4)
    start = m.initial_parameters(x)
    weights, means = start
    flat = x.double()
    for _ in range(3):
        log_joint = flat @ means.log().T + (1 - flat) @ (1 - means).log().T + weights.log()
        resp = torch.softmax(log_joint, dim=1)                          # E-step
        weights = resp.mean(0)                                          # M-step
        means = (resp.T @ flat + 1.0) / (resp.sum(0)[:, None] + 2.0)
    m.fit(x, iterations=3, tol=-math.inf)
    assert torch.allclose(m.weights, weights) and torch.allclose(m.means, means)


def test_bayes_backwards_runs_on_the_meta_device():
    """Shapes only, no data: the formulas are plain tensor algebra on any device."""
    log_p_y_given_x = torch.empty(7, 10, device="meta", dtype=torch.float64)
    out = log_conditional(log_p_y_given_x, torch.empty(7, device="meta", dtype=torch.float64),
                          log_label_marginal(log_p_y_given_x))
    assert out.shape == (7, 10) and out.device.type == "meta"
    assert log_posterior(out, torch.empty(10, device="meta", dtype=torch.float64)).shape == (7, 10)
