"""Tests of course_lib.models.bernoulli_mixture and course_lib.bayes (notebook 01)."""
import math

import pytest
import torch

from course_lib.bayes import GenerativeClassifier, log_evidence, log_posterior
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
