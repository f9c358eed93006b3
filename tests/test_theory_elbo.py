"""course_lib.theory.elbo: log p(x) = ELBO + KL(q || p(z|x)) exactly, on two models."""
import math

import pytest
import torch

from course_lib.models import vae as V
from course_lib.theory.elbo import DiscreteLatentModel, LinearGaussianModel, categorical_kl


def _random_q(n, k, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(2 * torch.randn(n, k, generator=g, dtype=torch.float64), 1)


# --- the discrete latent model -----------------------------------------------------------

def test_discrete_model_is_a_distribution_over_all_images():
    model = DiscreteLatentModel.random(states=3, pixels=5, seed=1)
    x = model.all_images()
    assert x.shape == (32, 5)
    torch.testing.assert_close(model.log_evidence(x).exp().sum(), torch.tensor(1.0, dtype=torch.float64))
    torch.testing.assert_close(model.posterior(x).sum(1), torch.ones(32, dtype=torch.float64))


def test_discrete_model_matches_brute_force_by_hand():
    prior = torch.tensor([0.25, 0.75], dtype=torch.float64)
    theta = torch.tensor([[0.9, 0.2], [0.3, 0.6]], dtype=torch.float64)
    model = DiscreteLatentModel(prior, theta)
    x = torch.tensor([[1.0, 0.0]])
    px = 0.25 * 0.9 * 0.8 + 0.75 * 0.3 * 0.4
    torch.testing.assert_close(model.log_evidence(x), torch.tensor([math.log(px)], dtype=torch.float64))
    torch.testing.assert_close(model.posterior(x),
                               torch.tensor([[0.25 * 0.9 * 0.8 / px, 0.75 * 0.3 * 0.4 / px]], dtype=torch.float64))


def test_log_evidence_is_elbo_plus_kl_to_posterior_for_any_q():
    model = DiscreteLatentModel.random(states=4, pixels=6, seed=2)
    x = model.all_images()
    q = _random_q(len(x), 4, seed=3)
    lhs = model.log_evidence(x)
    rhs = model.elbo(x, q) + model.kl_to_posterior(x, q)
    torch.testing.assert_close(lhs, rhs, rtol=0, atol=1e-12)
    assert torch.all(model.kl_to_posterior(x, q) > 0)
    assert torch.all(model.elbo(x, q) < lhs)


def test_gap_is_zero_at_the_true_posterior():
    model = DiscreteLatentModel.random(states=3, pixels=4, seed=4)
    x = model.all_images()
    q = model.posterior(x)
    torch.testing.assert_close(model.kl_to_posterior(x, q), torch.zeros(len(x), dtype=torch.float64),
                               rtol=0, atol=1e-13)
    torch.testing.assert_close(model.elbo(x, q), model.log_evidence(x), rtol=0, atol=1e-12)


def test_every_line_of_the_derivation_is_equal():
    model = DiscreteLatentModel.random(states=3, pixels=4, seed=5)
    x = model.all_images()[[3, 9, 14]]
    q = _random_q(3, 3, seed=6)
    log_px = model.log_evidence(x)                                           # (N,)
    log_lik, log_prior = model.log_likelihood(x), torch.log(model.prior)     # (N, K), (K,)
    log_post, log_q = torch.log(model.posterior(x)), torch.log(q)
    lines = [
        model.expectation(x, q, log_px.unsqueeze(1)),                                # E_q[log p(x)]
        model.expectation(x, q, log_lik + log_prior - log_post),                     # Bayes' rule
        model.expectation(x, q, log_lik + log_prior - log_post + log_q - log_q),     # times q/q
        model.expectation(x, q, log_lik) - model.expectation(x, q, log_q - log_prior)
        + model.expectation(x, q, log_q - log_post),                                 # split the log
        model.expected_log_likelihood(x, q) - model.kl_to_prior(x, q) + model.kl_to_posterior(x, q),
    ]
    for line in lines:
        torch.testing.assert_close(line, log_px, rtol=0, atol=1e-12)


def test_categorical_kl_properties():
    p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    assert categorical_kl(p, p).item() == 0
    torch.testing.assert_close(categorical_kl(p, torch.tensor([0.25, 0.25, 0.5])),
                               torch.tensor(math.log(2), dtype=torch.float64))
    assert categorical_kl(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])).item() == math.inf


def test_discrete_model_rejects_bad_inputs():
    model = DiscreteLatentModel.random(states=2, pixels=3)
    with pytest.raises(ValueError, match="binary"):
        model.log_evidence(torch.tensor([[0.5, 0.0, 1.0]]))
    with pytest.raises(ValueError, match="probability distribution"):
        model.elbo(torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([0.7, 0.7]))
    with pytest.raises(ValueError, match="probabilities per image"):
        model.elbo(torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([0.2, 0.3, 0.5]))
    with pytest.raises(ValueError, match="prior"):
        DiscreteLatentModel([0.5, 0.6], [[0.5], [0.5]])
    with pytest.raises(ValueError, match="strictly"):
        DiscreteLatentModel([0.5, 0.5], [[0.0], [0.5]])


# --- the linear-Gaussian model -------------------------------------------------------------

def test_linear_gaussian_identity_and_zero_gap_at_the_posterior():
    model = LinearGaussianModel.random(pixels=5, latent=2, seed=7)
    x = model.sample(6, seed=8)
    g = torch.Generator().manual_seed(9)
    q_mean = torch.randn(6, 2, generator=g, dtype=torch.float64)
    q_cov = torch.diag(torch.tensor([0.3, 1.7], dtype=torch.float64))
    lhs = model.log_evidence(x)
    torch.testing.assert_close(model.elbo(x, q_mean, q_cov) + model.kl_to_posterior(x, q_mean, q_cov),
                               lhs, rtol=0, atol=1e-10)
    mean, cov = model.posterior(x)
    torch.testing.assert_close(model.kl_to_posterior(x, mean, cov), torch.zeros(6, dtype=torch.float64),
                               rtol=0, atol=1e-10)
    torch.testing.assert_close(model.elbo(x, mean, cov), lhs, rtol=0, atol=1e-10)


def test_linear_gaussian_terms_match_monte_carlo_and_the_vae_kl():
    model = LinearGaussianModel.random(pixels=4, latent=3, seed=10)
    x = model.sample(2, seed=11)
    g = torch.Generator().manual_seed(12)
    mu = torch.randn(2, 3, generator=g, dtype=torch.float64)
    logvar = 0.5 * torch.randn(2, 3, generator=g, dtype=torch.float64)
    cov = torch.diag_embed(logvar.exp())
    n = 200_000
    z = mu + torch.exp(logvar / 2) * torch.randn(n, 2, 3, generator=g, dtype=torch.float64)
    samples = model.log_likelihood(x, z)                                     # (n, 2)
    err = 5 * samples.std(0) / math.sqrt(n)
    assert torch.all((samples.mean(0) - model.expected_log_likelihood(x, mu, cov)).abs() < err)
    torch.testing.assert_close(model.kl_to_prior(mu, cov), V.gaussian_kl(mu, logvar))


class _LinearGaussianAsVAE(V.GaussianDecoderVAE):
    """The exact model with a fixed diagonal q, in the shape iwae_bound expects."""

    def __init__(self, model, q_mean, q_logvar):
        torch.nn.Module.__init__(self)
        self.model, self.q_mean, self.q_logvar = model, q_mean, q_logvar
        self.latent = model.latent

    def encode(self, x):
        return self.q_mean.expand(len(x), -1), self.q_logvar.expand(len(x), -1)

    def decode(self, z):
        mean = z @ self.model.weight.T + self.model.bias
        return mean, torch.full_like(mean, math.log(self.model.noise_var))


def test_iwae_bound_increases_with_k_towards_the_exact_log_evidence():
    model = LinearGaussianModel.random(pixels=3, latent=1, noise_std=0.7, seed=13)
    x = model.sample(1, seed=14)
    mean, cov = model.posterior(x)
    # a deliberately poor q: shifted mean, too wide
    vae = _LinearGaussianAsVAE(model, mean + 0.5, torch.log(2 * torch.diagonal(cov)).unsqueeze(0))
    reps = 4000
    bounds = {}
    for k in (1, 5, 50):
        values = V.iwae_bound(vae, x.repeat(reps, 1), k, batch_size=reps,
                              generator=torch.Generator().manual_seed(k))
        bounds[k] = (values.mean().item(), values.std().item() / math.sqrt(reps))
    log_px = model.log_evidence(x).item()
    elbo = model.elbo(x, mean + 0.5, torch.diag(2 * torch.diagonal(cov))).item()
    assert abs(bounds[1][0] - elbo) < 5 * bounds[1][1]          # k = 1 is the ELBO
    assert bounds[1][0] < bounds[5][0] < bounds[50][0] < log_px
    assert log_px - bounds[50][0] < 0.1 * (log_px - elbo)
