# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/notebooks/05_variational_autoencoders.ipynb)
#
# # 05 · Variational autoencoders: the ELBO, derived and checked line by line
#
# Notebook 04 ended with a decoder that turns codes into digits and no way to pick a
# code: the autoencoder's codes lie wherever its encoder put them. A **variational
# autoencoder** (VAE; Kingma and Welling, 2014) makes the code a random variable with a
# fixed prior and the whole thing a probabilistic model of images, trained by maximising
# a lower bound on the likelihood. This notebook follows lecture 5:
#
# 1. the model, and why maximum likelihood is out of reach;
# 2. the **ELBO**, derived line by line, each line checked numerically on a model small
#    enough to compute every term exactly;
# 3. the reparameterisation trick and the closed-form KL;
# 4. the lecture's 784-400-20 VAE: training, its two loss terms, samples;
# 5. a 2-D latent space, traversals, editing digits with sliders, interpolation;
# 6. a conditional VAE that draws the digit you ask for;
# 7. the importance-weighted bound (IWAE), the published numbers, pros and cons, VQ-VAE.

# %%
# Setup, the same first cell in every notebook of the course.
# On Colab it installs the course package (Colab's own torch is kept); on your own
# machine `make lab` or `pip install -e .` has installed it already.
import sys

if "google.colab" in sys.modules:
    import subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "course-lib @ git+https://github.com/deep-generative-course/course@main"], check=True)
try:
    import course_lib
except ModuleNotFoundError:  # a clone of the course opened without installing it
    sys.path.insert(0, "..")
    import course_lib

# %%
import math
import time

import torch
from IPython.display import Markdown, display

from course_lib import data, metrics, runtime, train, viz, widgets
from course_lib.likelihood import nats_to_bits_per_dim
from course_lib.models import vae as V
from course_lib.theory.elbo import DiscreteLatentModel

env = runtime.setup(seed=0)
profile = env.profile
device = env.device            # the VAEs train there; the digits stay on the CPU, moved a batch at a time

train_digits = data.load_mnist("train", limit=profile.choose(full=20_000, fast=1000))
test_digits = data.load_mnist("test", limit=profile.choose(full=2000, fast=200))
x_train, y_train = train_digits.images, train_digits.labels       # (N, 1, 28, 28) grey in [0, 1]
x_test, y_test = test_digits.images, test_digits.labels
print(f"{len(x_train)} training and {len(x_test)} test digits")

# %% [markdown]
# ## 1. The model, and why its likelihood is intractable
#
# A VAE tells a two-step story of how an image is made:
#
# $$z \sim p(z) = \mathcal N(0, I), \qquad x \sim p_\theta(x \mid z),$$
#
# a code drawn from a simple, fixed prior, then an image drawn from a distribution whose
# parameters a **decoder** network computes from $z$ (for binary pixels: one Bernoulli
# probability per pixel). Training by maximum likelihood needs
#
# $$p_\theta(x) = \int p(z)\, p_\theta(x \mid z)\, dz,$$
#
# an integral over every possible code of a neural network's output: no closed form, and
# in 20 dimensions no grid fine enough. The posterior
# $p_\theta(z \mid x) = p_\theta(x \mid z)\, p(z) / p_\theta(x)$, which would say which
# codes explain an image, contains the same integral. The fix: a second network, the
# **encoder**, outputs an approximate posterior
# $q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x))$.
# What it buys is a lower bound on $\log p_\theta(x)$ we can compute. Let us derive it.
#
# ## 2. The ELBO, line by line
#
# To check each line we need a model where *everything* is computable, the intractable
# terms included. Take a latent variable with 3 states, $p(z = k) = \pi_k$, and 4 binary
# pixels that are independent given $z$: $p(x \mid z = k) = \prod_d \theta_{kd}^{x_d}
# (1 - \theta_{kd})^{1 - x_d}$ (a tiny mixture of Bernoullis, as in notebook 01). The
# integral over $z$ is a sum of 3 terms, so $\log p(x)$ and $p(z \mid x)$ are exact. For
# $q(z \mid x)$ we take an arbitrary distribution over the 3 states: the identity must hold
# for *any* $q$.

# %%
toy = DiscreteLatentModel.random(states=3, pixels=4, seed=0)
x = torch.tensor([[1.0, 0.0, 1.0, 1.0]], dtype=torch.float64)   # one image, (1, 4)
q = torch.tensor([[0.5, 0.3, 0.2]], dtype=torch.float64)        # any q(z | x), (1, 3)
log_lik = toy.log_likelihood(x)                           # log p(x | z=k), (1, 3)
log_prior = torch.log(toy.prior)                          # log p(z=k), (3,)
log_px = torch.logsumexp(log_lik + log_prior, dim=1)      # log p(x) = log sum_k p(x|k) p(k)
log_post = log_lik + log_prior - log_px                   # log p(z=k | x), Bayes' rule
log_q = torch.log(q)

def E_q(values):
    """E_{z ~ q}[values(z)] = sum_k q_k values_k: expectations over 3 states are exact sums."""
    return (q * values).sum(1)

print("prior", toy.prior.numpy().round(3), " log p(x) =", log_px.item())

# %% [markdown]
# **Line 1.** $p(x)$ does not depend on $z$, so averaging it over any $q(z \mid x)$
# changes nothing:
# $$\log p(x) = \mathbb E_{z \sim q(z \mid x)}\big[\log p(x)\big].$$

# %%
lhs, rhs = log_px, E_q(log_px.unsqueeze(1).expand(1, 3))
print(f"log p(x) = {lhs.item():.12f}   E_q[log p(x)] = {rhs.item():.12f}")
assert torch.allclose(lhs, rhs, atol=1e-12)

# %% [markdown]
# **Line 2. Bayes' rule**, $p(x) = p(x \mid z)\, p(z) / p(z \mid x)$, true for every $z$:
# $$= \mathbb E_{z}\Big[\log \frac{p(x \mid z)\, p(z)}{p(z \mid x)}\Big].$$

# %%
inside = log_lik + log_prior - log_post                  # one value per state z = k
print("log [p(x|z) p(z) / p(z|x)] for z = 0, 1, 2:", inside.numpy().round(12))
print(f"its expectation under q: {E_q(inside).item():.12f}")
assert torch.allclose(E_q(inside), log_px, atol=1e-12)

# %% [markdown]
# Every state gives the same number, $\log p(x)$: Bayes' rule holds pointwise. The ratio
# is useless as it stands, though: it needs $p(z \mid x)$, which for a VAE we cannot
# compute.
#
# **Line 3. Multiply by 1** $= q(z \mid x) / q(z \mid x)$ inside the logarithm:
# $$= \mathbb E_{z}\Big[\log \frac{p(x \mid z)\, p(z)}{p(z \mid x)}
#     \frac{q(z \mid x)}{q(z \mid x)}\Big].$$

# %%
line3 = E_q(log_lik + log_prior - log_post + log_q - log_q)
print(f"line 3: {line3.item():.12f}")
assert torch.allclose(line3, log_px, atol=1e-12)

# %% [markdown]
# **Line 4. Split the logarithm** into three expectations, grouping $p(z)$ with one
# $q$ and $p(z \mid x)$ with the other:
# $$= \mathbb E_{z}\big[\log p(x \mid z)\big]
#   - \mathbb E_{z}\Big[\log \frac{q(z \mid x)}{p(z)}\Big]
#   + \mathbb E_{z}\Big[\log \frac{q(z \mid x)}{p(z \mid x)}\Big].$$

# %%
term_reconstruction = E_q(log_lik)
term_prior = E_q(log_q - log_prior)
term_posterior = E_q(log_q - log_post)
line4 = term_reconstruction - term_prior + term_posterior
print(f"{term_reconstruction.item():.6f} - {term_prior.item():.6f} + {term_posterior.item():.6f} "
      f"= {line4.item():.12f}")
assert torch.allclose(line4, log_px, atol=1e-12)

# %% [markdown]
# **Line 5. Name the terms.** The last two expectations are KL divergences,
# $D_\mathrm{KL}(q \| r) = \mathbb E_q[\log q / r]$:
# $$\log p(x) = \underbrace{\mathbb E_{z}\big[\log p(x \mid z)\big]
#   - D_\mathrm{KL}\big(q(z \mid x) \,\|\, p(z)\big)}_{\mathcal L(x),\ \text{the ELBO}}
#   + D_\mathrm{KL}\big(q(z \mid x) \,\|\, p(z \mid x)\big).$$
#
# * The first term says: codes drawn from $q$ should *reconstruct* $x$ well (the decoder
#   gives it; for a VAE we estimate it by sampling).
# * The second keeps $q(z \mid x)$ close to the prior (two Gaussians: a closed form).
# * The third needs the intractable posterior; we cannot compute it, **but a KL divergence
#   is never negative**. Dropping it leaves a lower bound.

# %%
kl_prior, kl_post = toy.kl_to_prior(x, q), toy.kl_to_posterior(x, q)
elbo = toy.expected_log_likelihood(x, q) - kl_prior
print(f"KL(q || p(z)) = {kl_prior.item():.6f}  (the line-4 term: {term_prior.item():.6f})")
print(f"KL(q || p(z|x)) = {kl_post.item():.6f} >= 0")
print(f"ELBO + KL(q || p(z|x)) = {(elbo + kl_post).item():.12f}   log p(x) = {log_px.item():.12f}")
assert torch.allclose(kl_prior, term_prior, atol=1e-12) and torch.allclose(kl_post, term_posterior, atol=1e-12)
assert torch.allclose(elbo + kl_post, log_px, atol=1e-12) and kl_post.item() >= 0

# %% [markdown]
# **Line 6. The bound.** $\log p(x) \ge \mathcal L(x)$, with equality exactly when
# $q(z \mid x) = p(z \mid x)$. The gap is the third term.
#
# > **Predict, then run.** We replace our arbitrary $q$ by the true posterior
# > $p(z \mid x)$. What is the gap now? And if we instead *maximise the ELBO over q* by
# > gradient ascent, what value will the ELBO approach, and what will $q$ become?

# %%
posterior = toy.posterior(x)
print("true posterior p(z|x):", posterior.numpy().round(4),
      f"  gap at the posterior: {toy.kl_to_posterior(x, posterior).item():.2e}")

logits = torch.zeros(1, 3, requires_grad=True)           # q = softmax(logits), starting uniform
optimizer = torch.optim.Adam([logits], lr=0.1)
for step in range(300):
    q_opt = torch.softmax(logits.double(), 1)
    loss = -toy.elbo(x, q_opt).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
q_opt = torch.softmax(logits.detach().double(), 1)
print(f"after maximising the ELBO over q: ELBO = {toy.elbo(x, q_opt).item():.6f} "
      f"(log p(x) = {log_px.item():.6f}), q = {q_opt.numpy().round(4)}")
assert toy.kl_to_posterior(x, posterior).item() < 1e-12
assert abs(toy.elbo(x, q_opt).item() - log_px.item()) < 1e-3

# %% [markdown]
# Maximising the ELBO over $q$ is the same as minimising $D_\mathrm{KL}(q \| p(z \mid x))$,
# because their sum is fixed at $\log p(x)$. So a VAE, maximising the ELBO over both
# networks, pushes $\log p(x)$ up (through the decoder) *and* makes the encoder's $q$ a
# better approximation of the posterior. The identity holds for all 16 images of this toy
# model, not only the one we picked:

# %%
every_image = toy.all_images()                              # (16, 4)
q_any = torch.softmax(torch.randn(16, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64), 1)
worst = (toy.elbo(every_image, q_any) + toy.kl_to_posterior(every_image, q_any)
         - toy.log_evidence(every_image)).abs().max().item()
runtime.report("ELBO identity: max |ELBO + KL(q||p(z|x)) - log p(x)| over 16 images", worst)
assert worst < 1e-12

# %% [markdown]
# We wrote these terms by hand; from now on the exact model's terms come from the tested
# `course_lib.theory.elbo` (`elbo`, `kl_to_prior`, `kl_to_posterior`, `log_evidence`).
#
# ## 3. The reparameterisation trick
#
# For the VAE, the reconstruction term $\mathbb E_{z \sim q_\phi(z \mid x)}[\log p_\theta(x
# \mid z)]$ is estimated with a sample $z$. Its gradient with respect to the decoder is
# easy. With respect to the **encoder** it is not: the encoder's outputs $\mu, \sigma$
# only decide the distribution the sample comes from.
#
# > **Predict, then run.** We draw $z \sim \mathcal N(\mu, \sigma^2)$ with
# > `torch.normal(mu, std)` and backpropagate $z^2$. What gradient reaches $\mu$?

# %%
mu = torch.tensor([[1.0, -0.5]], requires_grad=True)
logvar = torch.tensor([[0.0, 0.4]], requires_grad=True)
z_plain = torch.normal(mu, torch.exp(logvar / 2))        # a plain sample
(z_plain ** 2).sum().backward()
print("plain sample: d/dmu =", mu.grad, " d/dlogvar =", logvar.grad)
assert torch.equal(mu.grad, torch.zeros_like(mu)) and torch.equal(logvar.grad, torch.zeros_like(logvar))

z_dist = torch.distributions.Normal(mu, torch.exp(logvar / 2)).sample()
print("Normal(...).sample() keeps a graph?", z_dist.requires_grad)
assert not z_dist.requires_grad

# %% [markdown]
# Zero, or no graph at all: sampling is not a differentiable function of $\mu$ and
# $\sigma$. The trick is to move the randomness *out* of the parameters. Draw
# $\varepsilon \sim \mathcal N(0, I)$, which does not depend on anything we train, and
# compute
# $$z = \mu + \sigma \odot \varepsilon, \qquad \sigma = e^{\frac12 \log \sigma^2}.$$
# Same distribution, but now $\partial z / \partial \mu = 1$ and
# $\partial z / \partial \sigma = \varepsilon$. (The encoder outputs $\log \sigma^2$, any
# real number, so $\sigma$ is always positive.)

# %%
mu.grad, logvar.grad = None, None
eps = torch.randn(100_000, 2, generator=torch.Generator().manual_seed(0))
z = mu + torch.exp(logvar / 2) * eps                        # (100000, 2), differentiable
(z ** 2).mean(0).sum().backward()
# E[z^2] = mu^2 + sigma^2, so d/dmu = 2 mu and d/dlogvar = sigma^2 exactly
print("reparameterised: d/dmu =", mu.grad.numpy().round(3), " exact:", (2 * mu).detach().numpy())
print("                 d/dlogvar =", logvar.grad.numpy().round(3), " exact:", logvar.exp().detach().numpy().round(3))
assert torch.allclose(mu.grad, 2 * mu.detach(), atol=0.03)
assert torch.allclose(logvar.grad, logvar.exp().detach(), atol=0.03)

# %% [markdown]
# The Monte Carlo gradient matches the exact one. From now on we use the tested
# `V.reparameterize(mu, logvar)`.
#
# ## The closed-form KL
#
# With $q = \mathcal N(\mu, \operatorname{diag}\sigma^2)$ and $p(z) = \mathcal N(0, I)$,
# both factorise over dimensions, and for each dimension the expectation of
# $\log q - \log p$ is a short integral:
# $$D_\mathrm{KL}\big(q \,\|\, p\big) = -\frac12 \sum_{j=1}^{J}\big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big).$$
#
# > **Predict, then run.** For $\mu = (1, -0.5)$ and $\log\sigma^2 = (0, 0.4)$: will a
# > Monte Carlo average of $\log q(z) - \log p(z)$ over 200,000 samples agree with the
# > formula to 1, 2 or 3 decimals?

# %%
mu0, logvar0 = mu.detach().double(), logvar.detach().double()
closed_form = -0.5 * torch.sum(1 + logvar0 - mu0 ** 2 - logvar0.exp())
z = mu0 + torch.exp(logvar0 / 2) * torch.randn(200_000, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
log_ratio = V.gaussian_log_density(z, mu0, logvar0) - V.gaussian_log_density(z)   # log q(z) - log p(z)
mc, mc_error = log_ratio.mean(), log_ratio.std() / math.sqrt(len(z))
library = torch.distributions.kl_divergence(torch.distributions.Normal(mu0, torch.exp(logvar0 / 2)),
                                            torch.distributions.Normal(0.0, 1.0)).sum()
print(f"closed form {closed_form.item():.6f}   Monte Carlo {mc.item():.6f} +- {mc_error.item():.6f}   "
      f"torch.distributions {library.item():.6f}")
assert abs(mc - closed_form) < 4 * mc_error and torch.allclose(library, closed_form)

# %% [markdown]
# The Monte Carlo estimate agrees within its standard error (printed), which with
# 200,000 samples is in the third decimal; the closed form is exact and free. From now on:
# `V.gaussian_kl(mu, logvar)`, tested against both.
#
# ## 4. The lecture's VAE: 784-400-20
#
# The encoder: 784 pixels → 400 hidden units (ReLU) → two parallel layers of 20, the
# means $\mu$ and the log-variances $\log\sigma^2$ (a diagonal covariance: 20 numbers, not
# a 20 × 20 matrix). The decoder: 20 → 400 (ReLU) → 784 logits, one Bernoulli per pixel.
# A training step, as in the lecture: encode a mini-batch, compute the KL term from
# $(\mu, \log\sigma^2)$, sample $z$ with the trick, decode, compute the reconstruction
# term, add, backpropagate. Written out once:

# %%
torch.manual_seed(0)
vae = V.VAE().to(device)                                         # 784-400-20
optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)
batch = x_train[:32].to(device)
mu, logvar = vae.encode(batch)                                   # (32, 20), (32, 20)
kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp(), dim=1)  # (32,) closed form
z = mu + torch.exp(logvar / 2) * torch.randn_like(mu)            # reparameterised sample
logits = vae.decode(z)                                           # (32, 784)
reconstruction = torch.nn.functional.binary_cross_entropy_with_logits(
    logits, batch.flatten(1), reduction="none").sum(1)           # (32,) summed over pixels
loss = (reconstruction + kl).mean()                              # nats per image
optimizer.zero_grad()
loss.backward()
optimizer.step()
print(f"one step: reconstruction {reconstruction.mean().item():.1f} + KL {kl.mean().item():.2f} "
      f"= {loss.item():.1f} nats per image")

# %% [markdown]
# Both terms are **sums** (over 784 pixels and over 20 latent dimensions) and the batch
# is averaged once at the end: averaging the reconstruction over pixels while summing the
# KL would weight the prior 784 times too strongly. `V.negative_elbo(x, logits, mu,
# logvar)` returns exactly this, one number per image, and `V.vae_loss` is the
# `train.fit` version that also logs both terms.
#
# The number to watch is the test loss on grey-level digits, BCE + KL per image: the
# figure pytorch/examples' VAE prints. (For grey levels the BCE is not a
# log-likelihood: see section 7 for binarised digits and real likelihood bounds.)
#
# > **Predict, then run.** During training, will the KL term rise or fall? Will the
# > reconstruction term?

# %%
EPOCHS = profile.choose(full=40, fast=2)
torch.manual_seed(0)
vae = V.VAE().to(device)
optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)
def test_loss(model):
    parts = V.vae_loss(model, x_test.to(device))
    return {"test loss": parts["loss"], "test reconstruction": parts["reconstruction"], "test KL": parts["kl"]}
history = train.fit(vae, train.TensorBatches(x_train, batch_size=32), V.vae_loss, optimizer,
                    epochs=EPOCHS, evaluate=test_loss, desc="VAE 784-400-20")

# %%
seconds = torch.tensor(history["seconds"]).cumsum(0)             # training time after each epoch
reached = [s for s, t in zip(seconds.tolist(), history["test loss"]) if t <= 115]
time_to_115 = reached[0] if reached else float("inf")
final = history.last["test loss"]
runtime.report("VAE 784-400-20: grey-level BCE+KL test loss", final, "nats/image")
runtime.report("VAE 784-400-20: training seconds to test loss <= 115", time_to_115, "s")
runtime.report("VAE 784-400-20: training seconds in all", seconds[-1].item(), "s")
print(f"test loss {final:.1f} nats per image after {seconds[-1]:.0f} s; "
      f"<= 115 first after {time_to_115:.1f} s of training")
viz.plot_history(history, keys=["test reconstruction"], title="reconstruction term (test, nats/image)")

# %%
viz.plot_history(history, keys=["test KL"], title="KL term (test, nats/image)")

# %%
kl_curve, recon_curve = history["test KL"], history["test reconstruction"]
print(f"KL: {kl_curve[0]:.1f} -> {kl_curve[-1]:.1f};  reconstruction: {recon_curve[0]:.1f} -> {recon_curve[-1]:.1f}")
assert recon_curve[-1] < recon_curve[0], "training lowers the reconstruction term"
assert min(kl_curve) >= 0, "a KL divergence is never negative"
assert all(abs(loss - (r + k)) < 1e-3 * loss for loss, r, k in zip(history["test loss"], recon_curve, kl_curve)), \
    "the loss is the reconstruction term plus the KL term"
if not profile.fast:   # the targets of the full run
    assert final <= 111, final   # the time to 115 depends on the machine and its load: printed, not asserted
    assert kl_curve[-1] > kl_curve[0]

# %% [markdown]
# The two terms pull against each other. The KL term is smallest (zero) when every
# image's $q(z \mid x)$ *is* the prior, i.e. when the code says nothing about the image;
# the reconstruction term wants codes that pin the image down. Training trades them: the
# reconstruction falls a lot while the KL *rises* (both printed, from the first epoch to
# the last): the KL is roughly the number of nats of information the code carries about
# each image, and the model buys better reconstructions with it.
#
# ### Samples from the prior
#
# Now generation is simple: $z \sim \mathcal N(0, I)$, decode. We show each pixel's
# Bernoulli mean (the usual picture; sampling the pixels adds salt-and-pepper noise).

# %%
samples = vae.sample(64, generator=torch.Generator().manual_seed(0)).cpu()
viz.show_images(samples, nrow=16, title="VAE samples: z ~ N(0, I), decoded (pixel means)")

# %%
viz.show_images(torch.cat([x_test[:12], vae.reconstruct(x_test[:12].to(device)).cpu()]), nrow=12,
                title="test digits and their reconstructions (decoding the posterior mean)")

# %% [markdown]
# Many samples are recognisable digits, some are not, and all are blurry: the pros and
# cons at the end come back to why.
#
# **The diagonal-Gaussian decoder.** The lecture's decoder outputs a mean *and* a
# variance for every pixel, $p_\theta(x \mid z) = \mathcal N(\text{mean}(z),
# \operatorname{diag}\sigma^2(z))$; `V.GaussianDecoderVAE` is that model. Its numbers
# are log-*densities* of real-valued images, so they are not comparable with Bernoulli
# log-probabilities (they can even be positive), and a free variance lets the model gain
# without bound on pixels that are always 0 (we clamp $\log\sigma^2 \ge -8$). On MNIST
# the Bernoulli decoder is the usual choice.

# %%
torch.manual_seed(0)
gaussian_vae = V.GaussianDecoderVAE().to(device)
train.fit(gaussian_vae, train.TensorBatches(x_train, batch_size=32), V.vae_loss,
          torch.optim.Adam(gaussian_vae.parameters(), lr=1e-3), epochs=profile.choose(full=10, fast=1),
          desc="Gaussian decoder", verbose=False)
with torch.no_grad():
    gaussian_loss = V.vae_loss(gaussian_vae, x_test.to(device))
print(f"Gaussian decoder: -ELBO = {gaussian_loss['loss']:.0f} nats per image (a density; negative "
      "means the density exceeds 1)")
viz.show_images(gaussian_vae.sample(32, generator=torch.Generator().manual_seed(0)).cpu(), nrow=16,
                title="Gaussian-decoder VAE samples (decoder means)")

# %% [markdown]
# ## 5. A 2-D latent space
#
# With only 2 latent dimensions we can *look* at the whole latent space. We train the same
# network with $J = 2$ and decode a grid of codes spaced evenly in probability under the
# prior: the lecture's picture of digits morphing into one another.

# %%
torch.manual_seed(0)
vae2 = V.VAE(latent=2).to(device)
train.fit(vae2, train.TensorBatches(x_train, batch_size=32), V.vae_loss,
          torch.optim.Adam(vae2.parameters(), lr=1e-3), epochs=profile.choose(full=30, fast=1),
          desc="VAE, 2-D latent", verbose=False)
with torch.no_grad():
    grid = vae2.mean_image(vae2.decode(V.manifold_codes(n=15).to(device))).cpu()
viz.show_images(grid, nrow=15, scale=0.45, title="the learned manifold: z1 across, z2 down")

# %%
codes2 = vae2.encode(x_train.to(device))[0].detach().cpu()
viz.latent_scatter(codes2, y_train, title="posterior means of the training digits (2-D VAE)")

# %% [markdown]
# > **Predict, then run.** In notebook 04, a 2-number *autoencoder* put its codes
# > wherever it liked: centred away from 0, spread far wider than 1, and few of them
# > inside the disc that holds 95 % of $\mathcal N(0, I)$. What fraction of the 2-D VAE's
# > codes (posterior means) lie inside that disc?

# %%
PRIOR_95_RADIUS = math.sqrt(-2 * math.log(0.05))    # 95% of a 2-D standard normal lies within it
inside = (codes2.norm(dim=1) < PRIOR_95_RADIUS).float().mean().item()
runtime.report("2-D VAE: posterior means inside the N(0, I) 95% disc", inside)
print(f"codes' mean {codes2.mean(0).numpy().round(2)}, std {codes2.std(0).numpy().round(2)}; "
      f"{inside:.0%} of them lie inside the disc that holds 95% of N(0, I)")
if not profile.fast:
    assert inside > 0.7

# %% [markdown]
# The KL term pulled every $q(z \mid x)$ towards $\mathcal N(0, I)$, so the codes sit where
# the prior puts its mass: centred near 0 with a spread of order 1 (printed). Compare the
# fraction with the one notebook 04's 2-D autoencoder printed in its section 6, whose codes
# nothing pulled towards a prior. The VAE's codes do not match the prior perfectly either,
# but they fill the same region, and that is what makes decoding prior samples work: the
# decoder has been trained where the prior samples.
#
# ### Traversals: one latent coordinate at a time
#
# Back to the 20-D VAE. Encode one test digit, then vary a single coordinate of its code
# from −3 to 3 while holding the others: each row below is one coordinate.

# %%
code = vae.encode(x_test[:1].to(device))[0][0].detach()             # (20,)
dims = list(range(6))
values = torch.linspace(-3, 3, 9)
with torch.no_grad():
    traversal = vae.mean_image(vae.decode(V.traversal_codes(code, dims, values))).cpu()
viz.show_images(traversal, nrow=9, scale=0.6, title=f"coordinates {dims}, each from -3 to 3 (one per row)")

# %% [markdown]
# Some coordinates change the slant or the width, some change the digit's identity, some
# do almost nothing: the VAE was never asked to give each coordinate one meaning, and
# with 20 dimensions and this little data several stay close to the prior (a KL per
# dimension near 0).
#
# ### Editing a digit through its code
#
# Pick a test digit, move any of the 20 sliders (each adds to one coordinate of the
# digit's code), and see the decoding of the edited code. The call below draws one edit
# so the notebook shows something without a live kernel; `editor.show()` gives the
# sliders (ipywidgets 7 on Colab, or 8).

# %%
editor = widgets.LatentEditor(
    encode=lambda x: vae.encode(x.to(device))[0].cpu(), decode=lambda z: vae.mean_image(vae.decode(z.to(device))).cpu(),
    images={f"test digit {i} (a {int(y_test[i])})": x_test[i] for i in range(8)}, latent=20)
display(editor.update("test digit 0 (a %d)" % int(y_test[0]), z0=2.0, z3=-2.0))
editor.show();

# %% [markdown]
# ### Interpolation
#
# Walk in a straight line from the code of one digit to the code of another and decode
# every point; compare with cross-fading the pixels.

# %%
a, b = x_test[0:1], x_test[1:2]
with torch.no_grad():
    codes = V.interpolate(vae.encode(a.to(device))[0][0], vae.encode(b.to(device))[0][0], 10)  # (10, 20)
    through_z = vae.mean_image(vae.decode(codes)).cpu()
through_pixels = V.interpolate(a[0], b[0], 10)                                 # (10, 1, 28, 28)
viz.show_images(torch.cat([through_z, through_pixels]), nrow=10,
                title="top: interpolating the codes; bottom: cross-fading the pixels")

# %% [markdown]
# The cross-fade shows two digits superimposed halfway; the path through the code space
# passes through images that each look like a single stroke pattern, because every code
# on the way decodes to something the decoder was trained to make.
#
# ## 6. A conditional VAE: digits on request
#
# Give both networks the label as well: $q_\phi(z \mid x, y)$ and
# $p_\theta(x \mid z, y)$, same prior, same ELBO (now of $\log p(x \mid y)$). Since the
# label is given, the code is free to hold the *style*; decoding any $z$ with label $y$
# draws a $y$. We give it a small code (2 numbers): with 20, the code can also hold the
# digit's identity, and a random code then argues with the label (in this course's runs
# with 20 numbers, only about half the samples were read as the digit asked for).
#
# > **Predict, then run.** We ask for 100 of each digit and let the course's digit
# > classifier (trained once and cached, `course_lib.metrics`) read them. What fraction
# > will it recognise as the digit we asked for?

# %%
CVAE_LATENT = 2
torch.manual_seed(0)
cvae = V.ConditionalVAE(latent=CVAE_LATENT).to(device)
train.fit(cvae, train.TensorBatches(x_train, y_train, batch_size=32), V.vae_loss,
          torch.optim.Adam(cvae.parameters(), lr=1e-3), epochs=profile.choose(full=30, fast=1),
          desc="conditional VAE", verbose=False)
asked = torch.arange(10).repeat_interleave(100)                            # 100 of each digit
drawn = cvae.sample(asked, generator=torch.Generator().manual_seed(0)).cpu()
seen = metrics.predict_digits(drawn)
per_digit = [(seen[asked == d] == d).float().mean().item() for d in range(10)]
cvae_accuracy = (seen == asked).float().mean().item()
runtime.report("conditional VAE: samples recognised as the digit asked for", cvae_accuracy)
print(f"the classifier itself: {metrics.classifier_info()['test_accuracy']:.1%} on real test digits")
Markdown(viz.markdown_table(["digit asked for", *map(str, range(10))],
                            [["recognised", *[f"{p:.0%}" for p in per_digit]]], "l" + "r" * 10))

# %%
grid_order = torch.cat([torch.nonzero(asked == d).flatten()[:10] for d in range(10)])
viz.show_images(drawn[grid_order], nrow=10, scale=0.6, title="conditional VAE: row d asks for digit d")

# %%
print(f"{cvae_accuracy:.1%} of the conditional VAE's samples are read as the digit asked for")
if not profile.fast:
    assert cvae_accuracy >= 0.90

# %% [markdown]
# ## 7. How good is the model? The IWAE bound beside the ELBO
#
# The ELBO is a lower bound, so it can make a model look worse than it is. Burda, Grosse
# and Salakhutdinov (2016) tightened it with $k$ importance samples from $q$:
# $$\mathcal L_k(x) = \mathbb E\Big[\log \frac1k \sum_{i=1}^k
#   \frac{p_\theta(x \mid z_i)\, p(z_i)}{q_\phi(z_i \mid x)}\Big], \qquad
#   \mathcal L_1 = \text{ELBO} \le \mathcal L_k \le \mathcal L_{k+1} \le \log p_\theta(x),$$
# computed with `logsumexp` (the ratios themselves underflow). First on the exact toy
# model of section 2, where $\log p(x)$ is known; it uses `V.iwae_bound`, which needs only
# `encode`, `decode` and `log_likelihood`.
#
# Likelihoods need binary pixels, so we now train the same 784-400-20 VAE on statically
# binarised digits (each pixel set to 1 with its grey level as probability, once, with a
# fixed seed), the standard "binarised MNIST" setting.
#
# > **Predict, then run.** Will the IWAE estimate with $k = 1000$ be higher or lower than
# > the ELBO, and by roughly how many nats: 0.1, 1, or 10?

# %%
xb_train, xb_test = data.binarize(x_train, seed=0), data.binarize(x_test, seed=1)
torch.manual_seed(0)
vae_binary = V.VAE().to(device)
train.fit(vae_binary, train.TensorBatches(xb_train, batch_size=32), V.vae_loss,
          torch.optim.Adam(vae_binary.parameters(), lr=1e-3), epochs=EPOCHS,
          desc="VAE on binarised digits", verbose=False)
eval_images = xb_test[:profile.choose(full=len(xb_test), fast=50)].to(device)
torch.manual_seed(0)
negative_elbo = V.evaluate_negative_elbo(vae_binary, eval_images, samples=10).mean().item()
iwae = {}
started = time.perf_counter()
for k in profile.choose(full=[1, 10, 100, 1000], fast=[1, 10, 1000]):
    iwae[k] = -V.iwae_bound(vae_binary, eval_images, k, generator=torch.Generator().manual_seed(k)).mean().item()
runtime.synchronize(device)                # a GPU may still be working when the call returns
iwae_seconds = time.perf_counter() - started
Markdown(viz.markdown_table(["bound", "test NLL estimate (nats/image)", "bits/dim"],
                            [["-ELBO (10 samples of z)", f"{negative_elbo:.2f}", f"{nats_to_bits_per_dim(negative_elbo, 784):.4f}"]]
                            + [[f"-IWAE, k = {k}", f"{v:.2f}", f"{nats_to_bits_per_dim(v, 784):.4f}"] for k, v in iwae.items()],
                            "lrr"))

# %%
runtime.report("binarised VAE: test -ELBO", negative_elbo, "nats/image")
runtime.report("binarised VAE: test NLL by IWAE, k = 1000", iwae[1000], "nats/image")
print(f"IWAE k=1000 is {negative_elbo - iwae[1000]:.2f} nats tighter than the ELBO "
      f"({len(eval_images)} test digits, {iwae_seconds:.0f} s for all k)")
ks = sorted(iwae)
assert all(iwae[a] > iwae[b] for a, b in zip(ks, ks[1:])), f"IWAE tightens with every k: {iwae}"
assert iwae[1000] < negative_elbo, "IWAE (k = 1000) is a tighter bound than the ELBO"
assert iwae[1000] > 0, "an upper bound on -log p(x) of binary images is positive: p(x) <= 1"

# %% [markdown]
# The IWAE estimate only ever tightens as $k$ grows, and the gap to the ELBO is the
# printed number of nats: that much of the "loss" was the approximate posterior's
# fault, not the model's. The estimate with $k = 1000$ is the usual way to report a VAE's
# test log-likelihood.
#
# ### The course's figures beside the published ones
#
# Published numbers use the full MNIST (60,000 training digits), weeks of GPU time in
# total and carefully tuned models; ours use what this notebook had.

# %%
Markdown(viz.markdown_table(
    ["model", "test NLL (nats/image)", "data", "compute"],
    [["VAE, Burda et al. 2016 (Table 1, 1 stochastic layer, k = 1)", "86.76",
      "binarised MNIST, 60,000 training digits", "3,280 passes over the data; NLL by k = 5000"],
     ["IWAE, Burda et al. 2016 (same, trained with k = 50)", "84.78", "same", "same"],
     ["this notebook: VAE 784-400-20, -ELBO", f"{negative_elbo:.2f}",
      f"{len(xb_train):,} training digits, {len(eval_images)} test digits ({train_digits.source})",
      f"{EPOCHS} epochs on this machine"],
     ["this notebook: same VAE, NLL by IWAE k = 1000", f"{iwae[1000]:.2f}", "same", "same model"]],
    "lrll"))

# %% [markdown]
# Our numbers are worse for reasons the table states: (if the offline subset is in use)
# 13 times fewer training digits, so the model overfits sooner; tens of epochs rather than
# thousands; and no tuning. The gap between the ELBO and the IWAE estimate, on the other
# hand, is the same kind of quantity the paper reports.
#
# ## Pros and cons of VAEs
#
# **For:**
# * a principled generative model with a likelihood bound you can report and compare;
# * an encoder: $q(z \mid x)$ gives a code for any image, usable as features, for editing
#   and for interpolation, as above;
# * fast, stable training (one loss, no adversary) and one-pass sampling.
#
# **Against:**
# * it maximises a *bound*, not the likelihood: exact models like PixelCNN (notebook 03)
#   report $\log p(x)$ itself, and do better on it;
# * samples are blurry: a factorised decoder averages over the details it is unsure of,
#   and the lecture's GANs (notebook 06) give sharper images;
# * the diagonal Gaussian $q$ is a crude posterior; richer posteriors (flows,
#   importance weighting) and structured latents are active research.
#
# ## Outlook: VQ-VAE
#
# The lecture ends with VQ-VAE-2 (Razavi et al., 2019): replace the Gaussian code by a
# grid of **discrete** codes, each the nearest entry of a learned codebook; train the
# autoencoder with a reconstruction loss plus terms that pull codes and codebook together;
# then fit an autoregressive prior (a PixelCNN, notebook 03) over the grids of codes.
# Sampling draws a code grid from the PixelCNN and decodes it. With a hierarchy of such
# grids it generates sharp 256 × 256 faces and ImageNet images: the two families of this
# course combined.
#
# ## Summary
#
# * A VAE is a latent-variable model; its likelihood and posterior are intractable, so an
#   encoder approximates the posterior and training maximises the ELBO.
# * The derivation: $\log p(x) = \mathbb E_q[\log p(x \mid z)] - D_\mathrm{KL}(q \| p(z)) +
#   D_\mathrm{KL}(q \| p(z \mid x))$, every line checked above on an exact model; the last
#   term is $\ge 0$ and is the gap.
# * The reparameterisation trick lets gradients reach the encoder; the KL to the prior has
#   a closed form.
# * The KL term shapes the codes into the prior, so decoding prior samples generates
#   digits, the latent space interpolates, and a label-conditioned VAE draws digits on
#   request.
# * IWAE tightens the bound; the gap to the ELBO is measurable.
