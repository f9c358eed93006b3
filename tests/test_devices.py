"""Nothing assumes the CPU: every course model on the `meta` device here, on CUDA on a GPU machine.

On a CPU-only machine (CI) the `meta` tests put every model's parameters and inputs on
PyTorch's `meta` device, which has shapes and dtypes but no data: any tensor the code
creates on the CPU by mistake (``torch.zeros(n)`` without ``device=``) then meets a meta
tensor and raises. They run each model's forward pass, its loss and its sampler's step.

The tests marked ``gpu`` run only where CUDA is available (conftest.py skips them with the
reason elsewhere; README "Running the tests on a GPU"): a forward and backward pass of
every model on cuda, the samplers agreeing between cpu and cuda, every lecture notebook
(fast profile) and every solution notebook run end to end on cuda (the check cells pass there).

The checks build their reference inputs on the CPU and send them to the device of the
student's module (checks.device_of); the tests near the end prove it with a student's
module on `meta` that records where its input arrived.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from course_lib import metrics
from course_lib.models import autoencoder as ae
from course_lib.models import classifier as clf
from course_lib.models import gan as G
from course_lib.models import pixelcnn as pc
from course_lib.models import vae as V

ROOT = Path(__file__).resolve().parents[1]
META = torch.device("meta")

# Small sizes of every course model: the device path does not depend on the width.
AUTOREGRESSIVE = {
    "plain PixelCNN": lambda: pc.PixelCNN(channels=8, layers=2),
    "gated PixelCNN": lambda: pc.GatedPixelCNN(channels=8, layers=2),
    "Row LSTM": lambda: pc.RowLSTM(channels=8, hidden=8, layers=1),
    "gated PixelCNN, 4 levels": lambda: pc.GatedPixelCNN(channels=8, layers=2, levels=4),
    "gated PixelCNN, 7-wide kernels": lambda: pc.GatedPixelCNN(channels=8, layers=2, kernel_size=7),
}
AUTOENCODERS = {
    "autoencoder": lambda: ae.Autoencoder(latent=8),
    "convolutional autoencoder": lambda: ae.ConvAutoencoder(latent=8),
    "denoising autoencoder": lambda: ae.DenoisingAutoencoder(latent=8),
}
VAES = {
    "VAE": lambda: V.VAE(hidden=32, latent=4),
    "Gaussian-decoder VAE": lambda: V.GaussianDecoderVAE(hidden=32, latent=4),
    "convolutional VAE": lambda: V.ConvVAE(latent=4, channels=8, hidden=32),
}
GANS = {
    "DCGAN": lambda: G.GAN(G.DCGANGenerator(latent_dim=8, channels=8), G.DCGANDiscriminator(channels=8)),
    "DCGAN, minibatch-std discriminator": lambda: G.GAN(G.DCGANGenerator(latent_dim=8, channels=8),
                                                        G.DCGANDiscriminator(channels=8, minibatch_std=True)),
    "conditional DCGAN": lambda: G.GAN(G.ConditionalDCGANGenerator(8, 8), G.ConditionalDCGANDiscriminator(8)),
    "MLP GAN": lambda: G.GAN(G.MLPGenerator(2, 784, hidden=16), G.MLPDiscriminator(784, hidden=16)),
}


def _images(device, n=4, levels=None):
    if levels is None:
        return torch.zeros(n, 1, 28, 28, device=device)
    return torch.zeros(n, 1, 28, 28, dtype=torch.long, device=device)


def _on_meta(make):
    with torch.device("meta"):
        model = make()
    assert all(p.is_meta for p in model.parameters()) and all(b.is_meta for b in model.buffers())
    return model


# --- meta: forward, loss, sampler step -----------------------------------------------------

@pytest.mark.parametrize("name", AUTOREGRESSIVE)
def test_autoregressive_forward_loss_and_sampler_step_on_meta(name):
    model = _on_meta(AUTOREGRESSIVE[name])
    x = _images(META, levels=model.levels)
    nll = model.nll(x)
    assert nll.is_meta and nll.shape == (4,)
    # The sampler's two ways to get pixel (r, c)'s logits, and the draw from a uniform u.
    # (The loop itself skips known pixels with a data-dependent `if`, which meta cannot answer.)
    u = pc._uniforms((4, 1, 28, 28), 0, None, META)
    state = model.begin_row(x, 3, None)
    for logits in (model(x)[..., 3, 5], model.row_logits(x, 3, state)[..., 5]):
        drawn = pc._draw(logits, u[:, :, 3, 5], model.levels)
        assert drawn.is_meta and drawn.shape == (4, 1)


def test_classifiers_forward_and_loss_on_meta():
    model = _on_meta(lambda: clf.digit_classifier(hidden=16))
    labels = torch.zeros(4, dtype=torch.long, device=META)
    loss = clf.cross_entropy_loss(model, (_images(META), labels))
    assert loss.is_meta and loss.shape == ()
    digit_cnn = _on_meta(metrics._DigitCNN)
    assert digit_cnn(_images(META)).shape == (4, 10) and digit_cnn.features(_images(META)).is_meta


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_autoencoders_forward_and_loss_on_meta(name):
    model = _on_meta(AUTOENCODERS[name])
    loss = ae.reconstruction_loss(model.train(), _images(META))  # the denoiser corrupts on meta
    assert loss.is_meta and loss.shape == ()
    assert ae.reconstruction_error(model.eval(), _images(META)).is_meta


@pytest.mark.parametrize("name", VAES)
def test_vaes_forward_loss_and_sampler_on_meta(name):
    model = _on_meta(VAES[name])
    losses = V.vae_loss(model, _images(META))
    assert all(v.is_meta for v in losses.values()) and losses["loss"].shape == ()
    assert model.sample(3).is_meta and model.sample(3).shape == (3, 1, 28, 28)


def test_conditional_vae_on_meta():
    model = _on_meta(lambda: V.ConditionalVAE(hidden=32, latent=4))
    labels = torch.arange(4, device=META)
    assert V.vae_loss(model, (_images(META), labels))["loss"].is_meta
    assert model.sample(labels).is_meta


@pytest.mark.parametrize("name", GANS)
def test_gans_forward_losses_and_sampler_on_meta(name):
    gan = _on_meta(GANS[name])
    labels = torch.zeros(4, dtype=torch.long, device=META) if gan.conditional else None
    fake = G.sample(gan.generator, 4, labels=labels)
    assert fake.is_meta
    real = _images(META).reshape(fake.shape)
    call = (lambda net, x: net(x, labels)) if gan.conditional else (lambda net, x: net(x))
    d_loss = G.discriminator_loss(call(gan.discriminator, real), call(gan.discriminator, fake))
    g_loss = G.non_saturating_generator_loss(call(gan.discriminator, fake))
    assert d_loss.is_meta and g_loss.is_meta and d_loss.shape == ()


# --- cuda: forward and backward of every model, samplers agree with the cpu ------------------

def _all_models():
    return {**AUTOREGRESSIVE, **AUTOENCODERS, **VAES, **GANS,
            "classifier": lambda: clf.digit_classifier(hidden=16), "digit CNN": metrics._DigitCNN,
            "conditional VAE": lambda: V.ConditionalVAE(hidden=32, latent=4)}


def _loss(model, x):
    if isinstance(model, pc._Autoregressive):
        return model.nll(x if model.levels is None else x.long()).mean()
    if isinstance(model, V.ConditionalVAE):
        return V.vae_loss(model, (x, torch.arange(len(x), device=x.device) % 10))["loss"]
    if isinstance(model, V.VAE):
        return V.vae_loss(model, x)["loss"]
    if isinstance(model, ae.Autoencoder):
        return ae.reconstruction_loss(model, x)
    if isinstance(model, G.GAN):
        labels = torch.arange(len(x), device=x.device) % 10 if model.conditional else None
        fake = G._call(model.generator, torch.randn(len(x), model.generator.latent_dim, device=x.device), labels)
        real = (x * 2 - 1).reshape(fake.shape)
        return G.discriminator_loss(G._call(model.discriminator, real, labels),
                                    G._call(model.discriminator, fake, labels))
    return F.cross_entropy(model(x), torch.arange(len(x), device=x.device) % 10)


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(_all_models()))
def test_forward_and_backward_on_cuda(name):
    torch.manual_seed(0)
    model = _all_models()[name]().to("cuda")
    x = (torch.rand(4, 1, 28, 28, device="cuda") > 0.5).float()
    loss = _loss(model, x)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert loss.device.type == "cuda" and torch.isfinite(loss)
    assert grads and all(g is not None and g.device.type == "cuda" for g in grads)


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(AUTOREGRESSIVE))
@pytest.mark.parametrize("method", ["naive", "fast"])
def test_autoregressive_samplers_agree_on_cpu_and_cuda(name, method):
    """Same weights, same uniforms (drawn on the CPU): the same digits, bar float rounding."""
    torch.manual_seed(0)
    model = AUTOREGRESSIVE[name]()
    on_cpu = pc.sample(model, 4, seed=3, method=method)
    on_cuda = pc.sample(model.to("cuda"), 4, seed=3, method=method)
    assert on_cuda.device.type == "cuda"
    differ = (on_cpu != on_cuda.cpu()).float().mean().item()
    assert differ <= 0.01, f"{differ:.2%} of the pixels differ between cpu and cuda"


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(VAES) + list(GANS))
def test_decoders_and_generators_agree_on_cpu_and_cuda(name):
    """The same codes through the same weights give the same images within float tolerance."""
    torch.manual_seed(0)
    model = {**VAES, **GANS}[name]().eval()
    if isinstance(model, G.GAN):
        z = torch.randn(8, model.generator.latent_dim)
        labels = torch.arange(8) % 10 if model.conditional else None
        run = lambda m, z: G.sample(m.generator, 8, labels=labels, z=z)  # noqa: E731
    else:
        z = torch.randn(8, model.latent)
        run = lambda m, z: m.mean_image(m.decode(z.to(next(m.parameters()).device)))  # noqa: E731
    with torch.no_grad():
        on_cpu = run(model, z)
        on_cuda = run(model.to("cuda"), z)
    assert on_cuda.device.type == "cuda"
    torch.testing.assert_close(on_cuda.cpu(), on_cpu, atol=1e-4, rtol=1e-3)


@pytest.mark.gpu
@pytest.mark.parametrize("solution", sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb")))
def test_solution_and_its_checks_run_on_cuda(solution, tmp_path):
    """The whole solution notebook, check cells included, on the device runtime chooses: cuda."""
    from course_lib import runtime
    from course_lib.grading import execute

    assert runtime.choose_device().type == "cuda"
    result = execute.run_notebook(ROOT / "solutions" / solution, tmp_path, timeout=600)
    assert result.status == "ok", result.error


# --- the library's helpers keep to their inputs' device (meta here) ---------------------------

def test_vae_helpers_stay_on_the_device_of_their_inputs():
    model = _on_meta(lambda: V.VAE(hidden=32, latent=4))
    x = _images(META).reshape(4, -1)
    cpu_generator = torch.Generator().manual_seed(0)      # notebook 05 seeds IWAE with a CPU generator
    mu = torch.zeros(4, 4, device=META)
    assert V.reparameterize(mu, mu, generator=cpu_generator).is_meta
    bound = V.iwae_bound(model, x, 3, generator=cpu_generator)
    assert bound.is_meta and bound.shape == (4,)
    assert V.interpolate(mu[0], mu[1], 5).is_meta
    assert V.traversal_codes(mu[0], [0, 2], torch.linspace(-3, 3, 5)).is_meta


def test_reparameterize_with_a_cpu_generator_draws_the_same_noise_wherever_mu_is():
    """A CPU generator's numbers, moved to mu's device: the same z on every device (here cpu vs meta shape)."""
    mu, logvar = torch.randn(3, 2), torch.randn(3, 2)
    z = V.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(4))
    eps = torch.randn(3, 2, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(z, mu + torch.exp(0.5 * logvar) * eps)


# --- the checks send the inputs they make to the student's device -----------------------------

class _Recorder(torch.nn.Module):
    """A student's module with its parameters on `meta`: it records where its input was, then fails."""

    def __init__(self, seen, inner=None):
        super().__init__()
        with torch.device("meta"):
            self.inner = inner() if inner is not None else torch.nn.Linear(1, 1)
        self.seen = seen

    def forward(self, x, *rest):
        self.seen.append(x.device)
        raise RuntimeError("recorded")


def test_device_of_finds_a_modules_parameters_buffers_or_a_tensors_device():
    from course_lib import checks

    assert checks.device_of(_Recorder([])).type == "meta"
    buffers_only = torch.nn.BatchNorm1d(3, affine=False).to(META)
    assert checks.device_of(buffers_only).type == "meta"
    assert checks.device_of(torch.zeros(2, device=META)).type == "meta"
    assert checks.device_of(torch.nn.ReLU()).type == "cpu" and checks.device_of(len).type == "cpu"


def test_check_causal_sends_its_input_to_the_layers_device():
    from course_lib import checks

    seen = []
    with pytest.raises(AssertionError, match="crashed with RuntimeError: recorded"):
        checks.check_causal(_Recorder(seen), (1, 1, 4, 4), mask_type="A")
    assert [d.type for d in seen] == ["meta"]


def test_check_dcgan_modules_sends_its_inputs_to_the_students_devices():
    """Generator and discriminator each get the check's inputs on their own device."""
    from course_lib import gan_checks

    def run(generator_cls, discriminator_cls):
        gan_checks.check_dcgan_modules(generator_cls, discriminator_cls, latent_dim=8, channels=4,
                                       reference_generator=G.DCGANGenerator(8, 4),
                                       reference_discriminator=G.DCGANDiscriminator(4), batch=2)

    class Generator(torch.nn.Module):                  # a correct generator, on the CPU
        def __init__(self, latent_dim, channels):
            super().__init__()
            self.net = G.DCGANGenerator(latent_dim, channels)

        def forward(self, z):
            return self.net(z)

    class Discriminator(torch.nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.net = G.DCGANDiscriminator(channels)

        def forward(self, x):
            return self.net(x)

    seen = []

    class MetaGenerator(_Recorder):
        def __init__(self, latent_dim, channels):
            super().__init__(seen, lambda: G.DCGANGenerator(latent_dim, channels))

    class MetaDiscriminator(_Recorder):
        def __init__(self, channels):
            super().__init__(seen, lambda: G.DCGANDiscriminator(channels))

    run(Generator, Discriminator)                      # the honest pair passes: the test below means something
    with pytest.raises(AssertionError, match="Generator.forward` crashed with RuntimeError: recorded"):
        run(MetaGenerator, Discriminator)
    with pytest.raises(AssertionError, match="Discriminator.forward` crashed with RuntimeError: recorded"):
        run(Generator, MetaDiscriminator)
    assert [d.type for d in seen] == ["meta", "meta"]


def _recording_step(seen):
    """A student's training step that records where everything it was handed lives, then stops."""
    def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
        seen.extend({p.device.type for p in (*generator.parameters(), *discriminator.parameters())})
        seen.append(real.device.type)
        raise RuntimeError("recorded")
    return training_step


def _a3_step(noise_on_the_cpu: bool):
    """A3's training step (the solution's), or the same with one mistake: noise made on the CPU."""
    from course_lib.models import gan as reference

    def noise(m, generator, real):
        return torch.randn(m, generator.latent_dim, device=None if noise_on_the_cpu else real.device)

    def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
        m = len(real) // k
        d_losses = []
        for i in range(k):
            with torch.no_grad():
                fakes = generator(noise(m, generator, real))
            d_loss = reference.discriminator_loss(discriminator(real[i * m:(i + 1) * m]), discriminator(fakes))
            d_optimizer.zero_grad()
            d_loss.backward()
            d_optimizer.step()
            d_losses.append(d_loss.item())
        g_loss = reference.non_saturating_generator_loss(discriminator(generator(noise(m, generator, real))))
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()
        return {"d_loss": sum(d_losses) / k, "g_loss": g_loss.item()}
    return training_step


def test_check_training_step_hands_the_student_its_models_and_data_on_the_device_given():
    from course_lib import gan_checks

    seen = []
    with pytest.raises(AssertionError, match="crashed with RuntimeError: recorded"):
        gan_checks.check_training_step(_recording_step(seen), k=2, m=3, device="meta")
    assert seen == ["meta", "meta"]


def test_check_training_step_runs_on_the_device_the_students_notebook_chose(monkeypatch):
    """A3's check cells name no device: the check takes env.device (runtime.setup's choice), so on
    a GPU runtime the student's step is checked on the GPU."""
    from course_lib import gan_checks, runtime

    chosen = runtime.Setup(device=META, profile=runtime.Profile("fast"), seed=0, threads=1, colab=False)
    monkeypatch.setattr(runtime, "_LAST_SETUP", chosen)
    seen = []
    with pytest.raises(AssertionError, match="crashed with RuntimeError: recorded"):
        gan_checks.check_training_step(_recording_step(seen), k=1, m=4)
    assert seen == ["meta", "meta"]


def test_check_training_step_catches_noise_made_on_the_cpu_and_says_so():
    from course_lib import gan_checks

    gan_checks.check_training_step(_a3_step(noise_on_the_cpu=True), k=2, m=4, device="cpu")  # right on the CPU ...
    with pytest.raises(AssertionError, match="crashed with RuntimeError(.|\n)*tensors on different devices"):
        gan_checks.check_training_step(_a3_step(noise_on_the_cpu=True), k=2, m=4, device="meta")  # not elsewhere


@pytest.mark.gpu
def test_check_training_step_on_cuda_passes_the_solution_and_catches_cpu_noise():
    from course_lib import gan_checks

    gan_checks.check_training_step(_a3_step(noise_on_the_cpu=False), k=3, m=4, device="cuda")
    with pytest.raises(AssertionError, match="tensors on different devices"):
        gan_checks.check_training_step(_a3_step(noise_on_the_cpu=True), k=3, m=4, device="cuda")


# --- cuda: every lecture notebook ---------------------------------------------------------------

LECTURES = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def run_lecture_on(notebook: str, device_type: str, out_dir: Path, timeout: int = 1200):
    """Run one lecture notebook end to end (the profile conftest.py sets: fast) and check that
    it ran, and that every figure it reported was measured on ``device_type``: the device
    runtime.setup() chose in the notebook's kernel."""
    from course_lib.grading import execute

    result = execute.run_notebook(ROOT / "notebooks" / notebook, out_dir, timeout=timeout)
    assert result.status == "ok", result.error
    devices = {figure["device"] for figure in result.figures}
    assert devices <= {device_type}, f"{notebook} reported figures measured on {devices}"
    return result


def test_lecture_notebooks_are_all_collected_for_cuda():
    """The gpu test below covers every lecture notebook (a renamed folder would empty it silently)."""
    assert len(LECTURES) >= 7 and all(name[:2].isdigit() for name in LECTURES), LECTURES


@pytest.mark.gpu
@pytest.mark.parametrize("notebook", LECTURES)
def test_lecture_notebook_runs_on_cuda(notebook, tmp_path):
    """The whole lecture notebook (fast profile) where runtime chooses cuda: its models, data
    and samplers on the GPU, its pictures and tables brought back to the CPU."""
    from course_lib import runtime

    assert runtime.choose_device().type == "cuda"
    run_lecture_on(notebook, "cuda", tmp_path)


@pytest.mark.parametrize("source", sorted(str(p.relative_to(ROOT)) for folder in ("notebooks", "solutions")
                                          for p in (ROOT / folder).glob("*.py")))
def test_every_notebook_takes_the_device_and_threads_runtime_chooses(source):
    """runtime.setup() picks the device (cuda, mps, cpu) and the measured thread count; a
    notebook that skips it, forces the CPU or overrides the threads does not run on the GPU."""
    import re

    text = (ROOT / source).read_text(encoding="utf-8")
    assert re.search(r"^env = runtime\.setup\(seed=\d+\)", text, re.M), f"{source} does not call env = runtime.setup(seed=...)"
    forced = re.findall(r"runtime\.setup\([^)]*device=|set_cpu_threads\(|choose_device\(\s*['\"]cpu", text)
    assert not forced, f"{source} forces a device or a thread count: {forced}"
