"""Tests of course_lib.models.gan, course_lib.theory.gan and course_lib.gan_playground (notebook 06)."""
import math

import pytest
import torch
from torch.nn import functional as F

from course_lib import data
from course_lib.gan_playground import GANPlayground, ring_figure, train_toy_gan
from course_lib.models import gan as G
from course_lib.theory import gan as T

# --- losses --------------------------------------------------------------------------------


def _bce(probabilities, target):
    """The textbook formula on probabilities, in float64, as the reference."""
    p = probabilities.double()
    return -(target * p.log() + (1 - target) * (1 - p).log()).mean()


def test_losses_match_their_formulas_on_probabilities():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(7, generator=g) * 3, torch.randn(5, generator=g) * 3
    d_real, d_fake = torch.sigmoid(real.double()), torch.sigmoid(fake.double())
    expected_d = -(d_real.log().mean() + (1 - d_fake).log().mean())
    assert G.discriminator_loss(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-5)
    assert G.discriminator_loss(real, fake).item() == pytest.approx(
        (_bce(d_real, 1) + _bce(d_fake, 0)).item(), rel=1e-5)
    assert G.saturating_generator_loss(fake).item() == pytest.approx((1 - d_fake).log().mean().item(), rel=1e-5)
    assert G.non_saturating_generator_loss(fake).item() == pytest.approx(-d_fake.log().mean().item(), rel=1e-5)
    # (N, 1) logits are accepted as well
    assert G.discriminator_loss(real[:, None], fake[:, None]) == G.discriminator_loss(real, fake)


def test_analytic_values():
    zero = torch.zeros(4)
    # D = 1/2 everywhere: -log(1/2) - log(1/2) = 2 log 2
    assert G.discriminator_loss(zero, zero).item() == pytest.approx(2 * math.log(2), rel=1e-6)
    assert G.saturating_generator_loss(zero).item() == pytest.approx(math.log(0.5), rel=1e-6)
    assert G.non_saturating_generator_loss(zero).item() == pytest.approx(math.log(2), rel=1e-6)
    # a perfect discriminator has loss -> 0
    assert G.discriminator_loss(torch.full((3,), 50.0), torch.full((3,), -50.0)).item() < 1e-20


def test_losses_are_stable_where_the_naive_formula_is_not():
    very_sure = torch.tensor([-200.0, 200.0])
    naive = torch.log(torch.sigmoid(very_sure))                        # -inf for the first entry
    assert torch.isinf(naive).any()
    assert torch.isfinite(G.non_saturating_generator_loss(very_sure))
    assert G.non_saturating_generator_loss(very_sure).item() == pytest.approx(100.0)
    assert torch.isfinite(G.discriminator_loss(very_sure, very_sure))


def test_saturating_gradient_vanishes_where_non_saturating_does_not():
    """d loss / d logit = -D for the saturating loss and -(1 - D) for the non-saturating one."""
    logits = torch.tensor([-8.0, -2.0, 0.0, 3.0], requires_grad=True)
    d = torch.sigmoid(logits.detach())
    sat, = torch.autograd.grad(G.saturating_generator_loss(logits) * 4, logits)
    non, = torch.autograd.grad(G.non_saturating_generator_loss(logits) * 4, logits)
    assert torch.allclose(sat, -d) and torch.allclose(non, -(1 - d))
    assert abs(sat[0]) < 1e-3 < abs(non[0]) > 0.99                       # D(G(z)) ~ 0: the start


def test_one_sided_label_smoothing():
    """real_label=a: the reals' cross-entropy against target a; the fakes keep target 0 (Salimans et al. 2016)."""
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(6, generator=g) * 3, torch.randn(4, generator=g) * 3
    expected = _bce(torch.sigmoid(real.double()), 0.9) + _bce(torch.sigmoid(fake.double()), 0)
    assert G.discriminator_loss(real, fake, real_label=0.9).item() == pytest.approx(expected.item(), rel=1e-5)
    assert G.discriminator_loss(real, fake, real_label=1.0) == G.discriminator_loss(real, fake)
    # the best verdict on a real example is now D = 0.9, not D -> 1
    logit = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([logit], lr=1.0)
    for _ in range(500):
        opt.zero_grad()
        G.discriminator_loss(logit, torch.full((1,), -30.0), real_label=0.9).backward()
        opt.step()
    assert torch.sigmoid(logit).item() == pytest.approx(0.9, abs=1e-3)
    for bad in (0.5, 0.3, 1.1):
        with pytest.raises(ValueError, match="real_label"):
            G.discriminator_loss(real, fake, real_label=bad)


@pytest.mark.parametrize("bad", [torch.zeros(3, 2), torch.zeros(0), torch.zeros(3, dtype=torch.long), [0.0]])
def test_losses_reject_bad_input(bad):
    with pytest.raises(ValueError, match="logits"):
        G.non_saturating_generator_loss(bad)
    with pytest.raises(ValueError, match="logits"):
        G.discriminator_loss(bad, torch.zeros(3))


# --- theory --------------------------------------------------------------------------------

def _random_distribution(n, seed):
    w = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + 0.05
    return w / w.sum()


def test_maximiser_of_a_log_y_plus_b_log_1_minus_y():
    ys = torch.linspace(1e-6, 1 - 1e-6, 200001, dtype=torch.float64)
    for a, b in [(0.3, 0.7), (2.0, 0.5), (1.0, 1.0), (0.05, 3.0)]:
        f = a * ys.log() + b * (1 - ys).log()
        best = T.maximiser_of_a_log_y_plus_b_log_1_minus_y(a, b).item()
        assert best == pytest.approx(a / (a + b))
        assert best == pytest.approx(ys[f.argmax()].item(), abs=1e-5)   # a grid search agrees
        # the derivative a/y - b/(1-y) vanishes there
        assert a / best - b / (1 - best) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        T.maximiser_of_a_log_y_plus_b_log_1_minus_y(0.0, 0.0)


def test_optimal_discriminator_beats_every_other_and_gives_minus_log4_plus_2jsd():
    p_data, p_g = _random_distribution(12, 1), _random_distribution(12, 2)
    d_star = T.optimal_discriminator(p_data, p_g)
    best = T.value(p_data, p_g, d_star)
    g = torch.Generator().manual_seed(3)
    for _ in range(50):                                                   # random discriminators
        d = torch.rand(12, generator=g, dtype=torch.float64)
        assert T.value(p_data, p_g, d) <= best + 1e-12
    for i in range(12):                                                   # a nudge anywhere lowers V
        for eps in (1e-3, -1e-3):
            d = d_star.clone()
            d[i] += eps
            assert T.value(p_data, p_g, d) < best
    assert best.item() == pytest.approx(-math.log(4) + 2 * T.jensen_shannon(p_data, p_g).item(), rel=1e-12)
    assert T.optimal_value(p_data, p_g) == best
    # at p_g = p_data: D* = 1/2 and V = -log 4
    assert torch.allclose(T.optimal_discriminator(p_data, p_data), torch.full((12,), 0.5, dtype=torch.float64))
    assert T.optimal_value(p_data, p_data).item() == pytest.approx(-math.log(4))


def test_kl_and_jsd_properties():
    p, q = _random_distribution(9, 4), _random_distribution(9, 5)
    m = (p + q) / 2
    assert T.kl_divergence(p, q).item() == pytest.approx((p * (p / q).log()).sum().item())
    assert T.kl_divergence(p, q) > 0 and T.kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-15)
    jsd = T.jensen_shannon(p, q)
    assert jsd.item() == pytest.approx(0.5 * (p * (p / m).log()).sum().item() + 0.5 * (q * (q / m).log()).sum().item())
    assert jsd > 0 and T.jensen_shannon(q, p).item() == pytest.approx(jsd.item())          # symmetric
    assert T.jensen_shannon(p, p).item() == pytest.approx(0.0, abs=1e-15)                  # 0 iff equal
    disjoint_a = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64)
    disjoint_b = torch.tensor([0.0, 0.0, 0.25, 0.75], dtype=torch.float64)
    assert T.jensen_shannon(disjoint_a, disjoint_b).item() == pytest.approx(math.log(2))   # the maximum
    assert torch.isinf(T.kl_divergence(disjoint_a, disjoint_b))
    g = torch.Generator().manual_seed(6)
    for _ in range(100):
        a = torch.rand(5, generator=g, dtype=torch.float64) ** 4
        b = torch.rand(5, generator=g, dtype=torch.float64) ** 4
        value = T.jensen_shannon(a / a.sum(), b / b.sum()).item()
        assert 0 < value <= math.log(2) + 1e-12
    # batched along the last axis
    assert T.jensen_shannon(torch.stack([p, p]), torch.stack([q, p])).shape == (2,)


def test_discretize_a_mixture():
    edges = torch.linspace(-6, 6, 241)
    probs = T.discretize(data.bimodal_1d().prob, edges)
    assert probs.shape == (240,) and probs.sum().item() == pytest.approx(1.0)
    assert probs[edges[:-1] < 0].sum().item() == pytest.approx(0.3, abs=1e-3)


@pytest.mark.parametrize("call", [
    lambda: T.jensen_shannon([0.5, 0.6], [0.5, 0.5]),
    lambda: T.jensen_shannon([-0.5, 1.5], [0.5, 0.5]),
    lambda: T.jensen_shannon([0.5, 0.5], [0.2, 0.3, 0.5]),
    lambda: T.optimal_discriminator([], []),
    lambda: T.value([0.5, 0.5], [0.5, 0.5], [0.5, 1.5]),
    lambda: T.discretize(lambda x: x, torch.tensor([1.0, 0.0])),
])
def test_theory_rejects_bad_input(call):
    with pytest.raises(ValueError):
        call()


# --- models --------------------------------------------------------------------------------

def test_shapes_and_ranges():
    torch.manual_seed(0)
    z = torch.randn(5, 64)
    gen, disc = G.DCGANGenerator(64, 8), G.DCGANDiscriminator(8)
    x = gen(z)
    assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert disc(x).shape == (5,)
    cgen, cdisc = G.ConditionalDCGANGenerator(64, 8), G.ConditionalDCGANDiscriminator(8)
    y = torch.arange(5)
    assert cgen(z, y).shape == (5, 1, 28, 28) and cdisc(x, y).shape == (5,)
    toy_g, toy_d = G.MLPGenerator(2, 1), G.MLPDiscriminator(1)
    assert toy_g(torch.randn(6, 2)).shape == (6, 1)
    assert toy_d(torch.randn(6)).shape == (6,) and toy_d(torch.randn(6, 1)).shape == (6,)


def test_dcgan_follows_the_guidelines():
    gen, disc = G.DCGANGenerator(), G.DCGANDiscriminator()
    kinds = lambda m: {type(x).__name__ for x in m.modules()}
    assert "ConvTranspose2d" in kinds(gen) and "BatchNorm2d" in kinds(gen)
    assert not kinds(gen) & {"MaxPool2d", "AvgPool2d", "Linear", "LeakyReLU"}
    assert not kinds(disc) & {"MaxPool2d", "AvgPool2d", "Linear", "ConvTranspose2d"}
    assert all(c.stride == (2, 2) for c in [disc.down1, disc.down2, gen.up1, gen.up2])
    # tanh at the generator's output: a huge pre-activation saturates at exactly +-1
    with torch.no_grad():
        gen.up2.bias.fill_(100.0)
        assert torch.equal(gen(torch.randn(2, 64)), torch.ones(2, 1, 28, 28))


def test_conditional_batch_norm_uses_one_scale_and_shift_per_class():
    torch.manual_seed(0)
    cbn = ConditionalBatchNorm = G.ConditionalBatchNorm2d(3, 4)
    h = torch.randn(8, 3, 5, 5)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    with torch.no_grad():
        cbn.gamma.weight.copy_(torch.arange(12.0).reshape(4, 3))
        cbn.beta.weight.copy_(-torch.arange(12.0).reshape(4, 3))
    out = cbn(h, labels)
    normed = F.batch_norm(h, None, None, training=True)
    expected = normed * cbn.gamma.weight[labels][:, :, None, None] + cbn.beta.weight[labels][:, :, None, None]
    assert torch.allclose(out, expected, atol=1e-5)
    assert isinstance(ConditionalBatchNorm, torch.nn.Module)
    with pytest.raises(ValueError, match="labels"):
        cbn(h, None)


def test_conditional_generator_output_depends_on_the_label():
    torch.manual_seed(0)
    gen = G.ConditionalDCGANGenerator(16, 8)
    for norm in (gen.norm1, gen.norm2):                 # give each class its own scale and shift
        torch.nn.init.normal_(norm.gamma.weight, 1.0, 0.5)
        torch.nn.init.normal_(norm.beta.weight, 0.0, 0.5)
    gen.eval()
    z = torch.randn(1, 16).expand(10, 16)
    out = gen(z, torch.arange(10))
    assert (out[1:] - out[:1]).abs().flatten(1).amax(1).min() > 1e-3     # every label changes the image
    assert torch.equal(gen(z[:2], torch.tensor([3, 3]))[0], gen(z[:2], torch.tensor([3, 3]))[1])
    disc = G.ConditionalDCGANDiscriminator(8)
    torch.nn.init.normal_(disc.embed.weight)
    disc.eval()
    x = out[:1].expand(10, 1, 28, 28)
    assert disc(x, torch.arange(10)).unique().numel() == 10


def test_every_model_runs_on_the_meta_device():
    with torch.device("meta"):
        models = [(G.MLPGenerator(2, 2), torch.empty(3, 2)), (G.MLPDiscriminator(2), torch.empty(3, 2)),
                  (G.DCGANGenerator(), torch.empty(3, 64)), (G.DCGANDiscriminator(), torch.empty(3, 1, 28, 28))]
        cgen, cdisc = G.ConditionalDCGANGenerator(), G.ConditionalDCGANDiscriminator()
        labels = torch.zeros(3, dtype=torch.long)
        for model, x in models:
            assert model(x).device.type == "meta"
        assert cgen(torch.empty(3, 64), labels).shape == (3, 1, 28, 28)
        assert cdisc(torch.empty(3, 1, 28, 28), labels).shape == (3,)
        gan = G.GAN(G.DCGANGenerator(), G.DCGANDiscriminator())
        assert gan(torch.empty(2, 64)).is_meta


@pytest.mark.parametrize("call, match", [
    (lambda: G.DCGANGenerator(64)(torch.randn(2, 32)), r"\(N, 64\)"),
    (lambda: G.DCGANDiscriminator()(torch.randn(2, 28, 28)), r"\(N, 1, 28, 28\)"),
    (lambda: G.ConditionalDCGANGenerator()(torch.randn(2, 64)), "labels"),
    (lambda: G.ConditionalDCGANGenerator()(torch.randn(2, 64), torch.tensor([0, 10])), "labels"),
    (lambda: G.MLPDiscriminator(2)(torch.randn(3)), r"\(N, 2\)"),
    (lambda: G.MLPGenerator(0, 1), ">= 1"),
    (lambda: G.GAN(torch.nn.Linear(2, 2), G.MLPDiscriminator(2)), "latent_dim"),
])
def test_models_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- training ------------------------------------------------------------------------------

def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("conditional", [False, True])
def test_discriminator_step_leaves_g_alone_and_generator_step_leaves_d_alone(conditional):
    torch.manual_seed(0)
    if conditional:
        gan = G.GAN(G.ConditionalDCGANGenerator(16, 4), G.ConditionalDCGANDiscriminator(4))
        labels = torch.randint(0, 10, (8,))
    else:
        gan = G.GAN(G.DCGANGenerator(16, 4), G.DCGANDiscriminator(4))
        labels = None
    g_opt, d_opt = G.make_optimizers(gan, lr=1e-2)
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    g0, d0 = _params(gan.generator), _params(gan.discriminator)
    out = G.discriminator_step(gan.generator, gan.discriminator, d_opt, real, labels)
    assert set(out) == {"d_loss", "D(x)", "D(G(z))"}
    assert _same(_params(gan.generator), g0), "the discriminator step changed the generator"
    assert not _same(_params(gan.discriminator), d0)
    assert all(p.grad is None for p in gan.generator.parameters())
    d1 = _params(gan.discriminator)
    d_grads = [p.grad.clone() for p in gan.discriminator.parameters()]
    G.generator_step(gan.generator, gan.discriminator, g_opt, 8, labels=labels)
    assert _same(_params(gan.discriminator), d1), "the generator step changed the discriminator"
    assert not _same(_params(gan.generator), g0)
    assert all(p.requires_grad for p in gan.discriminator.parameters())   # unfrozen again
    # no gradient leaked into D: its .grad still holds what its own step left there
    assert all(torch.equal(p.grad, g) for p, g in zip(gan.discriminator.parameters(), d_grads))


def test_training_step_takes_k_discriminator_steps_then_one_generator_step(monkeypatch):
    torch.manual_seed(0)
    gan = G.GAN(G.MLPGenerator(2, 2), G.MLPDiscriminator(2))
    g_opt, d_opt = G.make_optimizers(gan)
    calls = []
    real_d_step, real_g_step = G.discriminator_step, G.generator_step
    monkeypatch.setattr(G, "discriminator_step", lambda *a, **k: calls.append(("D", len(a[3]))) or real_d_step(*a, **k))
    monkeypatch.setattr(G, "generator_step", lambda *a, **k: calls.append(("G", a[3])) or real_g_step(*a, **k))
    out = G.training_step(gan, torch.randn(12, 2), g_opt, d_opt, k=3)
    assert calls == [("D", 4), ("D", 4), ("D", 4), ("G", 4)]
    assert set(out) == {"d_loss", "D(x)", "D(G(z))", "g_loss"}
    with pytest.raises(ValueError, match="k"):
        G.training_step(gan, torch.randn(12, 2), g_opt, d_opt, k=0)
    with pytest.raises(ValueError, match="unknown generator loss"):
        G.training_step(gan, torch.randn(12, 2), g_opt, d_opt, generator_loss="wasserstein")


def test_train_gan_uses_fit_history_checkpoint_and_resume(tmp_path):
    torch.manual_seed(0)
    real = data.ring_of_gaussians().sample(256, seed=0)
    loader = torch.utils.data.DataLoader(real, batch_size=64, shuffle=False)
    path = tmp_path / "gan.pt"

    def fresh():
        torch.manual_seed(1)
        return G.GAN(G.MLPGenerator(2, 2, 16), G.MLPDiscriminator(2, 16))

    straight = fresh()
    torch.manual_seed(5)
    history, _ = G.train_gan(straight, loader, 2, k=2, progress=False, verbose=False)
    assert len(history) == 2 and {"d_loss", "g_loss", "D(x)", "D(G(z))"} <= set(history.last)
    resumed = fresh()
    torch.manual_seed(5)
    G.train_gan(resumed, loader, 1, k=2, checkpoint=path, progress=False, verbose=False)
    resumed2 = fresh()
    history2, _ = G.train_gan(resumed2, loader, 2, k=2, checkpoint=path, progress=False, verbose=False)
    assert len(history2) == 2
    for a, b in zip(straight.state_dict().values(), resumed2.state_dict().values()):
        assert torch.equal(a, b)


def test_toy_gan_learns_the_1d_mixture_and_the_playground_draws_it():
    torch.manual_seed(0)
    target = data.bimodal_1d()
    grid = torch.linspace(-5, 5, 101)
    gan = G.GAN(G.MLPGenerator(2, 1, 32), G.MLPDiscriminator(1, 32))
    _, shots = train_toy_gan(gan, target, epochs=8, n_data=2048, grid=grid, progress=False)
    assert [s["epoch"] for s in shots] == list(range(9))
    playground = GANPlayground(shots, target, grid)
    start, end = playground.numbers(0), playground.numbers(8)
    assert end["jsd"] < start["jsd"]
    fig = playground.update(8)
    assert fig._repr_png_()[:4] == b"\x89PNG" and playground.last["epoch"] == 8
    assert playground.controls()["index"].max == 8
    assert callable(playground.show())
    with pytest.raises(ValueError):
        playground.numbers(9)
    ring = data.ring_of_gaussians()
    assert ring_figure(shots[:2] and [{"epoch": 0, "samples": ring.sample(50, seed=0)}], ring.means,
                       covered=[8], real=ring.sample(50, seed=1))._repr_png_()[:4] == b"\x89PNG"


def test_sample_and_to_unit():
    torch.manual_seed(0)
    gen = G.DCGANGenerator(16, 4)
    gen.train()
    x = G.sample(gen, 5)
    assert x.shape == (5, 1, 28, 28) and gen.training                     # mode restored
    u = G.to_unit(x)
    assert u.min() >= 0 and u.max() <= 1
    z = torch.randn(3, 16)
    assert torch.equal(G.sample(gen, 3, z=z), G.sample(gen, 3, z=z))


def test_generator_average_follows_its_formula_and_refreshes_batch_norm():
    """The averaged weights move by (1 - beta_t) towards the live ones, beta_t = min(decay, (1+t)/(10+t))."""
    torch.manual_seed(0)
    gen = G.DCGANGenerator(8, 4)
    average = G.GeneratorAverage(gen, decay=0.5)
    start = [p.clone() for p in average.generator.parameters()]
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(0.05 * torch.randn_like(p))
    average.update(gen)                                   # t = 0: beta = min(0.5, 1/10) = 0.1
    for s, a, p in zip(start, average.generator.parameters(), gen.parameters()):
        assert torch.allclose(a, 0.1 * s + 0.9 * p)
        assert not a.requires_grad
    for _ in range(60):                                   # a constant generator: the average reaches it
        average.update(gen)
    assert all(torch.allclose(a, p, atol=1e-6) for a, p in zip(average.generator.parameters(), gen.parameters()))
    assert average.steps == 61
    # standing statistics: the running averages are those of the averaged weights' batches
    refreshed = average.refresh_batch_norm(batches=4, batch_size=512)
    assert refreshed is average.generator and not refreshed.training
    z = torch.randn(2048, 8)
    with torch.no_grad():
        in_eval = refreshed(z)
        refreshed.train()
        in_train = refreshed(z)
        refreshed.eval()
    assert (in_eval - in_train).abs().mean() < 0.01
    for m in refreshed.modules():                         # not the reset values (0 and 1) any more
        if isinstance(m, torch.nn.BatchNorm2d):
            assert m.running_mean.abs().max() > 0 and not torch.allclose(m.running_var, torch.ones_like(m.running_var))
    assert all(m.momentum == 0.1 for m in refreshed.modules() if isinstance(m, torch.nn.BatchNorm2d))
    with pytest.raises(ValueError, match="decay"):
        G.GeneratorAverage(gen, decay=1.0)


def test_train_gan_updates_the_average_once_per_generator_step_and_tracks_a_separate_d_lr():
    torch.manual_seed(0)
    gan = G.GAN(G.ConditionalDCGANGenerator(8, 4), G.ConditionalDCGANDiscriminator(4))
    g_opt, d_opt = G.make_optimizers(gan, lr=1e-4, d_lr=4e-4)
    assert g_opt.param_groups[0]["lr"] == 1e-4 and d_opt.param_groups[0]["lr"] == 4e-4
    data_set = torch.utils.data.TensorDataset(torch.rand(48, 1, 28, 28) * 2 - 1, torch.arange(48) % 10)
    loader = torch.utils.data.DataLoader(data_set, batch_size=16)
    average = G.GeneratorAverage(gan.generator)
    G.train_gan(gan, loader, 2, k=1, optimizers=(g_opt, d_opt), average=average, real_label=0.9,
                progress=False, verbose=False)
    assert average.steps == 6                                       # 3 batches x 2 epochs
    assert not _same(_params(average.generator), _params(gan.generator))
    sample = G.sample(average.refresh_batch_norm(batches=2, batch_size=20), 10, labels=torch.arange(10))
    assert sample.shape == (10, 1, 28, 28)


# --- the conditional GAN's two strong label paths (issue 10) -----------------------------

def test_conditional_generator_label_enters_the_first_layer():
    """At initialisation every per-class batch-norm scale is 1 and shift 0, so the label can
    only act through the first layer's per-class map: the output must still depend on it."""
    torch.manual_seed(0)
    gen = G.ConditionalDCGANGenerator(16, 8).eval()
    assert all(torch.equal(m.gamma.weight, torch.ones_like(m.gamma.weight))
               for m in (gen.norm1, gen.norm2))
    z = torch.randn(4, 16)
    a, b = gen(z, torch.zeros(4, dtype=torch.long)), gen(z, torch.full((4,), 3))
    assert (a - b).abs().max() > 1e-4
    with torch.no_grad():
        gen.label_map.weight.zero_()
    assert torch.allclose(gen(z, torch.zeros(4, dtype=torch.long)), gen(z, torch.full((4,), 3)))


class _RecordingDiscriminator(torch.nn.Module):
    """A conditional D that remembers the labels of every call; its logit is linear in the image."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes, self.calls = num_classes, []
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, labels):
        self.calls.append(labels.clone())
        return self.w * x.flatten(1).mean(1) + labels.float() / 10


def test_mismatched_discriminator_step_counts_real_images_with_wrong_labels_as_fakes():
    torch.manual_seed(0)
    gen = G.ConditionalDCGANGenerator(16, 4)
    disc = _RecordingDiscriminator()
    real = torch.rand(64, 1, 28, 28) * 2 - 1
    labels = torch.randint(0, 10, (64,))
    before = [p.detach().clone() for p in gen.parameters()]
    out = G.discriminator_step(gen, disc, torch.optim.SGD(disc.parameters(), lr=0.0), real, labels,
                               mismatched=True)
    assert len(disc.calls) == 3                                     # real, fake, real with wrong labels
    wrong = disc.calls[2]
    assert torch.equal(disc.calls[0], labels) and torch.equal(disc.calls[1], labels)
    assert (wrong != labels).all() and wrong.min() >= 0 and wrong.max() <= 9
    assert len(set(wrong.tolist())) > 1                             # not one fixed wrong class
    # the loss is D's loss with the wrong-label logits among the fakes (w = 0: logits = label / 10)
    expected = G.discriminator_loss(labels.float() / 10, torch.cat([labels.float() / 10, wrong.float() / 10]))
    assert torch.allclose(out["d_loss"], expected)
    assert all(torch.equal(p, q) for p, q in zip(before, gen.parameters()))
    with pytest.raises(ValueError, match="mismatched=True needs the labels"):
        G.discriminator_step(G.DCGANGenerator(16, 4), G.DCGANDiscriminator(4), torch.optim.SGD(
            G.DCGANDiscriminator(4).parameters(), lr=0.1), real, None, mismatched=True)


def test_train_gan_decays_both_learning_rates_over_the_last_epochs_and_resumes_the_schedule(tmp_path):
    real = data.ring_of_gaussians().sample(64, seed=0)
    loader = torch.utils.data.DataLoader(real, batch_size=32)
    seen = []

    def rates(opts):
        return lambda model: seen.append(tuple(o.param_groups[0]["lr"] for o in opts)) or {}

    torch.manual_seed(0)
    gan = G.GAN(G.MLPGenerator(2, 2, 8), G.MLPDiscriminator(2, 8))
    opts = G.make_optimizers(gan, lr=1e-3, d_lr=4e-3)
    G.train_gan(gan, loader, 4, optimizers=opts, lr_decay_last=2, evaluate=rates(opts), progress=False, verbose=False)
    # the rate each epoch ran at (read at its end): epochs 1-2 full, 3 at 2/2, 4 at 1/2
    assert seen == [(1e-3, 4e-3), (1e-3, 4e-3), (1e-3, 4e-3), (5e-4, 2e-3)]
    # resumed after 3 of 4 epochs: the last epoch still runs at half the rate
    path = tmp_path / "gan.pt"
    seen.clear()
    gan = G.GAN(G.MLPGenerator(2, 2, 8), G.MLPDiscriminator(2, 8))
    opts = G.make_optimizers(gan, lr=1e-3)
    G.train_gan(gan, loader, 3, optimizers=opts, checkpoint=path, evaluate=rates(opts), progress=False, verbose=False)
    gan = G.GAN(G.MLPGenerator(2, 2, 8), G.MLPDiscriminator(2, 8))
    opts = G.make_optimizers(gan, lr=1e-3)
    G.train_gan(gan, loader, 4, optimizers=opts, lr_decay_last=2, checkpoint=path, evaluate=rates(opts),
                progress=False, verbose=False)
    assert seen[-1] == (5e-4, 5e-4)
    for bad in (-1, 5, 1.5):
        with pytest.raises(ValueError, match="lr_decay_last"):
            G.train_gan(gan, loader, 4, lr_decay_last=bad, progress=False, verbose=False)


def test_minibatch_std_channel_is_the_batch_spread_and_off_by_default():
    h = torch.randn(6, 3, 2, 2)
    out = G.append_minibatch_std(h)
    assert out.shape == (6, 4, 2, 2) and torch.equal(out[:, :3], h)
    assert torch.allclose(out[:, 3], h.std(0, unbiased=False).mean().expand(6, 2, 2))
    assert torch.equal(G.append_minibatch_std(h[:1])[:, 3], torch.zeros(1, 2, 2))
    plain, with_std = G.DCGANDiscriminator(8), G.DCGANDiscriminator(8, minibatch_std=True)
    assert plain.out.in_channels == 16 and with_std.out.in_channels == 17
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    assert with_std(x).shape == (4,)
    # the same image scores differently in a varied batch and in a batch of copies
    with_std.eval()
    varied, copies = with_std(x)[0], with_std(x[:1].expand(4, -1, -1, -1))[0]
    assert not torch.isclose(varied, copies)
