"""course_lib.models.vae: analytic answers, gradient flow, the reduction convention, meta device."""
import math

import pytest
import torch
from torch import distributions as D
from torch.nn import functional as F

from course_lib.models import vae as V


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --- KL ------------------------------------------------------------------------------------

def test_kl_of_standard_normal_with_itself_is_zero():
    mu = torch.zeros(5, 20)
    logvar = torch.zeros(5, 20)
    assert torch.equal(V.gaussian_kl(mu, logvar), torch.zeros(5))


def test_gaussian_kl_matches_torch_distributions():
    g = _gen(1)
    mu = torch.randn(7, 4, generator=g, dtype=torch.float64)
    logvar = torch.randn(7, 4, generator=g, dtype=torch.float64)
    q = D.Normal(mu, torch.exp(0.5 * logvar))
    p = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = D.kl_divergence(q, p).sum(1)
    got = V.gaussian_kl(mu, logvar)
    assert got.shape == (7,)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_gaussian_kl_matches_monte_carlo():
    g = _gen(2)
    mu = torch.randn(3, 2, generator=g, dtype=torch.float64)
    logvar = 0.5 * torch.randn(3, 2, generator=g, dtype=torch.float64)
    n = 200_000
    z = mu + torch.exp(0.5 * logvar) * torch.randn(n, 3, 2, generator=g, dtype=torch.float64)
    log_q = V.gaussian_log_density(z, mu, logvar)          # (n, 3)
    log_p = V.gaussian_log_density(z)
    samples = log_q - log_p
    mc = samples.mean(0)
    stderr = samples.std(0) / math.sqrt(n)
    exact = V.gaussian_kl(mu, logvar)
    assert torch.all((mc - exact).abs() < 5 * stderr + 1e-9), (mc, exact, stderr)


def test_gaussian_log_density_matches_torch():
    g = _gen(3)
    z, mu, logvar = (torch.randn(6, 3, generator=g, dtype=torch.float64) for _ in range(3))
    expected = D.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    torch.testing.assert_close(V.gaussian_log_density(z, mu, logvar), expected)
    torch.testing.assert_close(V.gaussian_log_density(z), D.Normal(0.0, 1.0).log_prob(z).sum(-1).to(z.dtype))


def test_kl_is_positive_away_from_the_prior_and_grows_with_the_mean():
    logvar = torch.zeros(3, 2)
    mu = torch.tensor([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    kl = V.gaussian_kl(mu, logvar)
    # KL(N(m, 1) || N(0, 1)) = m^2 / 2
    torch.testing.assert_close(kl, torch.tensor([0.0, 0.5, 2.0]))


# --- the reparameterisation trick ---------------------------------------------------------

def test_reparameterize_has_the_right_distribution():
    mu = torch.full((100_000, 1), 3.0, dtype=torch.float64)
    logvar = torch.full((100_000, 1), math.log(4.0), dtype=torch.float64)
    z = V.reparameterize(mu, logvar, generator=_gen(4))
    assert abs(z.mean().item() - 3.0) < 5 * 2 / math.sqrt(1e5)
    assert abs(z.std().item() - 2.0) < 0.02


def test_reparameterize_is_mu_plus_sigma_eps_with_the_generators_eps():
    mu = torch.randn(4, 3, generator=_gen(5))
    logvar = torch.randn(4, 3, generator=_gen(6))
    eps = torch.randn(4, 3, generator=_gen(7))
    z = V.reparameterize(mu, logvar, generator=_gen(7))
    torch.testing.assert_close(z, mu + torch.exp(logvar / 2) * eps)


def test_gradients_reach_mu_and_logvar_through_reparameterize_and_not_through_a_plain_sample():
    mu = torch.tensor([[0.5, -1.0]], requires_grad=True)
    logvar = torch.tensor([[0.1, 0.3]], requires_grad=True)
    z = V.reparameterize(mu, logvar, generator=_gen(8))
    (z ** 2).sum().backward()
    assert mu.grad is not None and torch.all(mu.grad != 0)
    assert logvar.grad is not None and torch.all(logvar.grad != 0)
    # dz/dmu = 1: the gradient of sum(z^2) w.r.t. mu is 2 z
    torch.testing.assert_close(mu.grad, 2 * z.detach())

    mu2 = torch.tensor([[0.5, -1.0]], requires_grad=True)
    logvar2 = torch.tensor([[0.1, 0.3]], requires_grad=True)
    # torch.normal records a backward function, but the gradient it passes back is zero
    plain = torch.normal(mu2, torch.exp(logvar2 / 2), generator=_gen(8))
    (plain ** 2).sum().backward()
    assert torch.equal(mu2.grad, torch.zeros_like(mu2)) and torch.equal(logvar2.grad, torch.zeros_like(logvar2))
    # Normal(...).sample() cuts the graph altogether
    plain_dist = D.Normal(mu2, torch.exp(logvar2 / 2)).sample()
    assert not plain_dist.requires_grad and plain_dist.grad_fn is None


# --- likelihoods and the ELBO ---------------------------------------------------------------

def test_bernoulli_log_likelihood_at_zero_logits_is_minus_d_log_2():
    x = (torch.rand(3, 1, 28, 28, generator=_gen(9)) > 0.5).float()
    ll = V.bernoulli_log_likelihood(torch.zeros(3, 784), x)
    torch.testing.assert_close(ll, torch.full((3,), -784 * math.log(2)))


def test_bernoulli_log_likelihood_matches_torch_bernoulli():
    logits = torch.randn(4, 10, generator=_gen(10), dtype=torch.float64)
    x = (torch.rand(4, 10, generator=_gen(11)) > 0.5).double()
    expected = D.Bernoulli(logits=logits).log_prob(x).sum(1)
    torch.testing.assert_close(V.bernoulli_log_likelihood(logits, x), expected)


def test_gaussian_log_likelihood_matches_torch():
    g = _gen(12)
    mean, logvar, x = (torch.randn(4, 6, generator=g, dtype=torch.float64) for _ in range(3))
    expected = D.Normal(mean, torch.exp(logvar / 2)).log_prob(x).sum(1)
    torch.testing.assert_close(V.gaussian_log_likelihood(mean, logvar, x), expected)


def test_negative_elbo_is_per_example_reconstruction_plus_kl_both_summed():
    g = _gen(13)
    x = (torch.rand(5, 784, generator=g) > 0.5).float()
    logits = torch.randn(5, 784, generator=g)
    mu, logvar = torch.randn(5, 20, generator=g), torch.randn(5, 20, generator=g)
    loss = V.negative_elbo(x, logits, mu, logvar)
    assert loss.shape == (5,)
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())
    # the batch mean equals pytorch/examples' summed loss divided by the batch size
    torch.testing.assert_close(loss.mean(), (bce + kl) / 5)
    # and per example: changing one example changes only its own entry
    x2 = x.clone()
    x2[0] = 1 - x2[0]
    loss2 = V.negative_elbo(x2, logits, mu, logvar)
    assert loss2[0] != loss[0] and torch.equal(loss2[1:], loss[1:])


def test_vae_loss_logs_both_terms_in_nats_per_image():
    torch.manual_seed(0)
    model = V.VAE()
    x = (torch.rand(8, 1, 28, 28) > 0.5).float()
    torch.manual_seed(1)
    out = V.vae_loss(model, (x, torch.zeros(8, dtype=torch.long)))
    torch.manual_seed(1)
    logits, mu, logvar = model(x)
    torch.testing.assert_close(out["loss"], V.negative_elbo(x, logits, mu, logvar).mean())
    torch.testing.assert_close(out["loss"], out["reconstruction"] + out["kl"])


# --- the models ------------------------------------------------------------------------------

def test_vae_shapes_and_lecture_sizes():
    model = V.VAE()
    assert model.hidden_enc.in_features == 784 and model.hidden_enc.out_features == 400
    assert model.to_mu.out_features == 20 and model.to_logvar.out_features == 20
    x = torch.rand(3, 1, 28, 28)
    logits, mu, logvar = model(x)
    assert logits.shape == (3, 784) and mu.shape == (3, 20) and logvar.shape == (3, 20)
    assert model.decode(torch.zeros(2, 20)).shape == (2, 784)
    assert model.sample(4, generator=_gen(0)).shape == (4, 1, 28, 28)
    r = model.reconstruct(x)
    assert r.shape == (3, 1, 28, 28) and r.min() >= 0 and r.max() <= 1


def test_vae_forward_uses_the_reparameterised_sample():
    torch.manual_seed(0)
    model = V.VAE(pixels=4, hidden=16, latent=2, image_shape=(1, 2, 2))
    x = torch.rand(8, 4)
    logits, mu, logvar = model(x)
    V.negative_elbo(x, logits, mu, logvar).mean().backward()
    for p in model.parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all()
    assert model.to_logvar.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("make", [V.VAE, V.GaussianDecoderVAE,
                                  lambda: V.ConvVAE(channels=8, hidden=64)])
def test_models_train_a_few_steps_and_lower_the_loss(make):
    torch.manual_seed(0)
    model = make()
    x = (torch.rand(32, 1, 28, 28, generator=_gen(1)) > 0.7).float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        loss = V.vae_loss(model, x)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 10


def test_gaussian_decoder_returns_mean_and_logvar():
    model = V.GaussianDecoderVAE()
    (mean, logvar), mu, lv = model(torch.rand(3, 784))
    assert mean.shape == (3, 784) and logvar.shape == (3, 784)
    assert logvar.min() >= -8 and logvar.max() <= 4
    assert model.sample(2).shape == (2, 1, 28, 28)


def test_conditional_vae_decodes_with_the_label():
    torch.manual_seed(0)
    model = V.ConditionalVAE()
    x = torch.rand(4, 1, 28, 28)
    y = torch.tensor([0, 1, 2, 3])
    logits, mu, logvar = model(x, y)
    assert logits.shape == (4, 784) and mu.shape == (4, 20)
    z = torch.zeros(2, 20)
    a = model.decode(z, torch.tensor([1, 1]))
    b = model.decode(z, torch.tensor([1, 7]))
    assert torch.equal(a[0], b[0]) and not torch.equal(a[1], b[1])
    assert model.sample(torch.arange(10)).shape == (10, 1, 28, 28)
    loss = V.vae_loss(model, (x, y))
    assert torch.isfinite(loss["loss"])


# --- IWAE -------------------------------------------------------------------------------------

class _ExactLinearGaussian(V.VAE):
    """p(z) = N(0, 1), p(x | z) = Bernoulli(sigmoid(w z + b)) on 3 pixels; q(z | x) fixed.

    log p(x) is computed by quadrature over z (1-D), so the bound can be compared with it.
    """

    def __init__(self):
        super().__init__(pixels=3, hidden=2, latent=1, image_shape=(3,))
        self.w = torch.tensor([2.0, -1.5, 0.5], dtype=torch.float64)
        self.b = torch.tensor([0.3, 0.1, -0.2], dtype=torch.float64)

    def encode(self, x):
        n = len(x)
        return (torch.full((n, 1), 0.4, dtype=torch.float64), torch.full((n, 1), -0.5, dtype=torch.float64))

    def decode(self, z):
        return z * self.w + self.b          # (N, 3)


def _log_px_by_quadrature(model, x):
    z = torch.linspace(-12, 12, 200_001, dtype=torch.float64).unsqueeze(1)
    logits = model.decode(z)                              # (Z, 3)
    out = []
    for row in x:
        log_joint = V.bernoulli_log_likelihood(logits, row.expand(len(z), 3)) + V.gaussian_log_density(z)
        out.append(torch.logsumexp(log_joint, 0) + math.log(z[1, 0] - z[0, 0]))
    return torch.stack(out)


def test_iwae_increases_with_k_and_stays_below_log_px():
    model = _ExactLinearGaussian()
    x = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
    log_px = _log_px_by_quadrature(model, x)
    # average over many repeats so that the expectation is compared, not one noisy draw
    means = {}
    for k in (1, 2, 10, 100):
        reps = V.iwae_bound(model, x.repeat(2000, 1), k, batch_size=4000, generator=_gen(k))
        means[k] = reps.reshape(2000, 2).mean(0)
        if k == 1:
            stderr_1 = reps.reshape(2000, 2).std(0) / math.sqrt(2000)
    for a, b in [(1, 2), (2, 10), (10, 100)]:
        assert torch.all(means[a] < means[b]), means
    assert torch.all(means[100] < log_px), (means, log_px)
    # and k = 100 closes most of the ELBO's gap
    assert torch.all(log_px - means[100] < 0.1 * (log_px - means[1])), (means, log_px)
    # k = 1 is the ELBO: reconstruction expectation minus KL, both estimated here
    mu, logvar = model.encode(x)
    z = V.reparameterize(mu.repeat(200_000, 1), logvar.repeat(200_000, 1), generator=_gen(99))
    recon = V.bernoulli_log_likelihood(model.decode(z), x.repeat(200_000, 1)).reshape(200_000, 2).mean(0)
    elbo = recon - V.gaussian_kl(mu, logvar)
    assert torch.all((means[1] - elbo).abs() < 5 * stderr_1), (means[1], elbo, stderr_1)


def test_iwae_on_a_real_vae_with_large_k_is_above_the_elbo():
    torch.manual_seed(0)
    model = V.VAE(pixels=16, hidden=8, latent=2, image_shape=(1, 4, 4))
    x = (torch.rand(5, 16, generator=_gen(1)) > 0.5).float()
    b1 = torch.stack([V.iwae_bound(model, x, 1, generator=_gen(s)) for s in range(200)]).mean(0)
    b50 = V.iwae_bound(model, x, 50, generator=_gen(1000), batch_size=2)
    assert b50.shape == (5,)
    assert torch.all(b50 > b1)


def test_iwae_for_a_conditional_vae_needs_labels():
    model = V.ConditionalVAE()
    x = torch.rand(2, 784)
    with pytest.raises(ValueError, match="labels"):
        V.iwae_bound(model, x, 3)
    assert V.iwae_bound(model, x, 3, labels=torch.tensor([1, 2])).shape == (2,)


# --- meta device and bad inputs --------------------------------------------------------------

@pytest.mark.parametrize("make", [V.VAE, V.GaussianDecoderVAE, V.ConvVAE])
def test_models_run_on_the_meta_device(make):
    model = make().to("meta")
    x = torch.empty(4, 1, 28, 28, device="meta")
    out, mu, logvar = model(x)
    assert mu.device.type == "meta" and mu.shape == (4, model.latent)
    loss = -model.log_likelihood(x, out) + V.gaussian_kl(mu, logvar)
    assert loss.shape == (4,) and loss.device.type == "meta"


def test_conditional_vae_runs_on_the_meta_device():
    model = V.ConditionalVAE().to("meta")
    x = torch.empty(4, 784, device="meta")
    y = torch.zeros(4, dtype=torch.long, device="meta")
    logits, mu, logvar = model(x, y)
    assert V.negative_elbo(x, logits, mu, logvar).shape == (4,)


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="same shape"):
        V.gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="latent_dim"):
        V.gaussian_kl(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        V.reparameterize(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="pixels"):
        V.bernoulli_log_likelihood(torch.zeros(2, 784), torch.zeros(2, 783))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        V.bernoulli_log_likelihood(torch.zeros(2, 4), torch.full((2, 4), 255.0))
    with pytest.raises(ValueError, match="examples"):
        V.negative_elbo(torch.zeros(2, 4), torch.zeros(2, 4), torch.zeros(3, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="k must"):
        V.iwae_bound(V.VAE(), torch.zeros(2, 784), 0)
    with pytest.raises(ValueError, match="hidden"):
        V.VAE(hidden=0)
    with pytest.raises(ValueError, match="image_shape"):
        V.VAE(pixels=10)
    with pytest.raises(ValueError, match="784"):
        V.VAE().encode(torch.zeros(2, 100))
    with pytest.raises(ValueError, match=r"\(N, 20\)"):
        V.VAE().decode(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="labels"):
        V.ConditionalVAE()(torch.zeros(2, 784), torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="labels"):
        V.ConditionalVAE()(torch.zeros(2, 784), torch.tensor([0.0, 1.0]))


# --- evaluation and the pictures' codes --------------------------------------------------------

def test_evaluate_negative_elbo_averages_the_reconstruction_over_samples():
    torch.manual_seed(0)
    model = V.VAE(pixels=16, hidden=8, latent=2, image_shape=(1, 4, 4))
    x = (torch.rand(6, 16, generator=_gen(2)) > 0.5).float()
    torch.manual_seed(5)
    one = V.evaluate_negative_elbo(model, x, samples=1)
    torch.manual_seed(5)
    mu, logvar = model.encode(x)
    logits = model.decode(V.reparameterize(mu, logvar))
    torch.testing.assert_close(one, V.negative_elbo(x, logits, mu, logvar))
    many = torch.stack([V.evaluate_negative_elbo(model, x, samples=50, batch_size=4) for _ in range(2)])
    # 50-sample averages agree with each other far better than single samples do
    singles = torch.stack([V.evaluate_negative_elbo(model, x) for _ in range(40)])
    assert (many[0] - many[1]).abs().max() < singles.std(0).max()
    with pytest.raises(ValueError, match="samples"):
        V.evaluate_negative_elbo(model, x, samples=0)


def test_manifold_codes_are_normal_quantiles_on_a_grid():
    z = V.manifold_codes(n=3, edge=0.9)
    q = D.Normal(0.0, 1.0).icdf(torch.tensor(0.9)).item()
    assert z.shape == (9, 2)
    torch.testing.assert_close(z[0], torch.tensor([-q, q]))     # top-left: z0 low, z1 high
    torch.testing.assert_close(z[4], torch.tensor([0.0, 0.0]), atol=1e-6, rtol=0)
    torch.testing.assert_close(z[8], torch.tensor([q, -q]))
    with pytest.raises(ValueError, match="edge"):
        V.manifold_codes(3, edge=1.0)


def test_traversal_and_interpolation_codes():
    code = torch.tensor([0.5, -1.0, 2.0])
    t = V.traversal_codes(code, [0, 2], torch.tensor([-1.0, 0.0, 1.0]))
    assert t.shape == (6, 3)
    assert torch.equal(t[:3, 0], torch.tensor([-1.0, 0.0, 1.0])) and torch.equal(t[:3, 1:], code[1:].repeat(3, 1))
    assert torch.equal(t[3:, 2], torch.tensor([-1.0, 0.0, 1.0])) and torch.equal(t[3:, :2], code[:2].repeat(3, 1))
    path = V.interpolate(torch.zeros(2, 2), torch.ones(2, 2), 5)
    assert path.shape == (5, 2, 2) and torch.equal(path[0], torch.zeros(2, 2)) and torch.equal(path[-1], torch.ones(2, 2))
    torch.testing.assert_close(path[2], torch.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="out of range"):
        V.traversal_codes(code, [3], torch.tensor([0.0]))
    with pytest.raises(ValueError, match="steps"):
        V.interpolate(torch.zeros(2), torch.ones(2), 1)
