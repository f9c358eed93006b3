r"""Variational autoencoders, in the order of lecture 5 (notebook 05; assignment A2).

The model. A latent code $z \in \mathbb{R}^J$ is drawn from a fixed prior, then an image
from a decoder network:

$$z \sim p(z) = \mathcal N(0, I), \qquad x \sim p_\theta(x \mid z).$$

Its likelihood $p_\theta(x) = \int p(z)\, p_\theta(x \mid z)\, dz$ is an integral over
every code, and the posterior $p_\theta(z \mid x) = p_\theta(x \mid z) p(z) / p_\theta(x)$
needs that same integral: neither can be computed. An **encoder** network
$q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag} \sigma^2_\phi(x))$
approximates the posterior, and the two are trained together by maximising the
**evidence lower bound** (ELBO), derived line by line in notebook 05:

$$\log p_\theta(x) \;\ge\; \mathcal L(x) =
  \mathbb E_{z \sim q_\phi(z \mid x)}\big[\log p_\theta(x \mid z)\big]
  - D_\mathrm{KL}\big(q_\phi(z \mid x) \,\|\, p(z)\big).$$

This file, top to bottom: the encoder's sample (:func:`reparameterize`), the closed-form
KL term (:func:`gaussian_kl`), the decoder's log-likelihood for binary pixels
(:func:`bernoulli_log_likelihood`) or a diagonal Gaussian (:func:`gaussian_log_likelihood`),
the loss (:func:`negative_elbo`), the importance-weighted bound (:func:`iwae_bound`), then
the lecture's 784-400-20 network (:class:`VAE`), its diagonal-Gaussian-decoder variant
(:class:`GaussianDecoderVAE`), a convolutional one (:class:`ConvVAE`) and a
label-conditioned one (:class:`ConditionalVAE`).

**Reduction convention.** Every loss here returns one number *per example*, shape (N,):
summed over pixels and over latent dimensions, never averaged over the batch. The caller
averages over the batch (``negative_elbo(...).mean()``), so the figures are in nats per
image, the unit of the published MNIST results (VAE 86.76, IWAE 84.78).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from course_lib.models.autoencoder import flatten_images

__all__ = ["reparameterize", "gaussian_kl", "gaussian_log_density", "bernoulli_log_likelihood",
           "gaussian_log_likelihood", "negative_elbo", "iwae_bound", "VAE",
           "GaussianDecoderVAE", "ConvVAE", "ConditionalVAE", "vae_loss", "evaluate_negative_elbo",
           "manifold_codes", "traversal_codes", "interpolate"]

LOG_2PI = math.log(2 * math.pi)


def _check_pair(mu: torch.Tensor, logvar: torch.Tensor) -> None:
    if not isinstance(mu, torch.Tensor) or not isinstance(logvar, torch.Tensor):
        raise ValueError("mu and logvar must be torch tensors")
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} "
                         f"and {tuple(logvar.shape)}")
    if mu.dim() != 2:
        raise ValueError(f"mu and logvar must have shape (N, latent_dim), got {tuple(mu.shape)}")


# --- the encoder's sample: the reparameterisation trick ---------------------------------

def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    r"""A sample $z \sim \mathcal N(\mu, \operatorname{diag} e^{\text{logvar}})$ that gradients pass through.

    $$z = \mu + \sigma \odot \varepsilon, \qquad \sigma = e^{\text{logvar}/2},
      \qquad \varepsilon \sim \mathcal N(0, I).$$

    The randomness lives in $\varepsilon$, which does not depend on the encoder, so
    $\partial z / \partial \mu = 1$ and $\partial z / \partial \sigma = \varepsilon$.
    Sampling ``torch.normal(mu, std)`` instead gives the same distribution but no
    gradient. The encoder predicts the log-variance (any real number), never $\sigma$.
    Notebook 05 shows the plain sample failing and this one working; assignment A2.

    mu, logvar: (N, J) -> z: (N, J).
    """
    _check_pair(mu, logvar)
    if generator is None:
        eps = torch.randn_like(mu)
    else:
        # drawn where the generator lives (a CPU generator gives the same numbers on every device)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=generator.device).to(mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


# --- the KL term, in closed form -------------------------------------------------------

def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL( N(mu, diag exp(logvar)) || N(0, I) ), summed over latent dims: (N, J) -> (N,).

    Closed form (lecture 5, "this KL term has a nice closed form"; notebook 05 checks it
    against Monte Carlo and ``torch.distributions``):

    $$D_\mathrm{KL} = -\tfrac12 \sum_{j=1}^J \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big) \;\ge 0,$$

    zero exactly when $\mu = 0$ and $\sigma = 1$ (the encoder says nothing about $x$).
    """
    _check_pair(mu, logvar)
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor | None = None,
                         logvar: torch.Tensor | None = None) -> torch.Tensor:
    r"""$\log \mathcal N(z; \mu, \operatorname{diag} e^{\text{logvar}})$ summed over the last dim.

    $$\log \mathcal N = -\tfrac12 \sum_j \Big(\log 2\pi + \text{logvar}_j
      + \frac{(z_j - \mu_j)^2}{e^{\text{logvar}_j}}\Big).$$

    With ``mu`` and ``logvar`` omitted: the standard normal prior $\log p(z)$. Used by
    :func:`iwae_bound` (notebook 05). z: (..., J) -> (...).
    """
    if mu is None:
        mu = torch.zeros_like(z)
    if logvar is None:
        logvar = torch.zeros_like(z)
    return -0.5 * torch.sum(LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar), dim=-1)


# --- the decoder's likelihood p(x | z) -------------------------------------------------

def _flat_pair(a: torch.Tensor, x: torch.Tensor, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(x, torch.Tensor) or not isinstance(a, torch.Tensor):
        raise ValueError(f"{what} and x must be torch tensors")
    if x.dim() < 2 or a.dim() < 2 or len(x) != len(a):
        raise ValueError(f"{what} and x must both be batches (N, ...) of the same N, got "
                         f"{tuple(a.shape)} and {tuple(x.shape)}")
    a, x = a.reshape(len(a), -1), x.reshape(len(x), -1)
    if a.shape != x.shape:
        raise ValueError(f"{what} has {a.shape[1]} numbers per image but x has {x.shape[1]} pixels")
    return a, x


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    r"""$\log p(x \mid z)$ for a decoder that outputs one logit per pixel: summed over pixels, (N,).

    $$\log p(x \mid z) = \sum_d x_d \log \pi_d + (1 - x_d) \log(1 - \pi_d),
      \qquad \pi_d = \operatorname{sigmoid}(\text{logits}_d),$$

    i.e. minus the binary cross-entropy, computed from the logits (stable; never apply
    the sigmoid yourself first). For binary x it is a true log-probability. For grey
    levels x in [0, 1] it is the "BCE" that pytorch/examples' VAE prints, which is not
    a density of grey images (notebook 05 reports both). logits, x: (N, ...) with the
    same number of pixels.
    """
    logits, x = _flat_pair(logits, x, "logits")
    if x.device.type != "meta" and x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError("x must hold pixel values in [0, 1] (binary for a likelihood)")
    return -F.binary_cross_entropy_with_logits(logits, x.to(logits.dtype), reduction="none").sum(1)


def gaussian_log_likelihood(mean: torch.Tensor, logvar: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    r"""$\log \mathcal N(x; \text{mean}, \operatorname{diag} e^{\text{logvar}})$ summed over pixels: (N,).

    The diagonal-Gaussian decoder of the lecture ("the decoder outputs the mean and the
    diagonal covariance of the pixels"), used by :class:`GaussianDecoderVAE` (notebook 05).
    A density of real-valued x, so its numbers are not comparable with a Bernoulli
    decoder's on binary images.
    """
    mean, x = _flat_pair(mean, x, "mean")
    logvar, _ = _flat_pair(logvar, x, "logvar")
    return gaussian_log_density(x, mean, logvar)


# --- the loss: minus the ELBO ------------------------------------------------------------

def negative_elbo(x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor,
                  logvar: torch.Tensor) -> torch.Tensor:
    r"""Minus the ELBO of each example, from one sample $z$: (N,) nats, **not** averaged.

    $$-\mathcal L(x) = \underbrace{-\log p_\theta(x \mid z)}_{\text{reconstruction, summed over pixels}}
      + \underbrace{D_\mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z))}_{\text{closed form, summed over } j},
      \qquad z = \mu + \sigma \odot \varepsilon.$$

    Both terms are sums, so they are in the same unit (nats per image) and neither is
    silently down-weighted; averaging one and summing the other is a classic mistake
    (assignment A2). Train on ``negative_elbo(...).mean()``. Notebook 05.
    """
    reconstruction = -bernoulli_log_likelihood(logits, x)   # (N,)
    kl = gaussian_kl(mu, logvar)                              # (N,)
    if len(kl) != len(reconstruction):
        raise ValueError(f"x has {len(reconstruction)} examples but mu has {len(kl)}")
    return reconstruction + kl


def vae_loss(model: nn.Module, batch) -> dict[str, torch.Tensor]:
    r"""``loss_fn`` for ``train.fit``: the batch mean of $-\mathcal L$, with both terms logged.

    ``batch`` is images, or (images, labels) (the labels feed a :class:`ConditionalVAE`
    and are ignored otherwise). Returns ``{"loss", "reconstruction", "kl"}`` in nats per
    image. Notebook 05.
    """
    x, y = (batch[0], batch[1]) if isinstance(batch, (list, tuple)) else (batch, None)
    if isinstance(model, ConditionalVAE):
        output, mu, logvar = model(x, y)
    else:
        output, mu, logvar = model(x)
    reconstruction = -model.log_likelihood(x, output).mean()
    kl = gaussian_kl(mu, logvar).mean()
    return {"loss": reconstruction + kl, "reconstruction": reconstruction.detach(),
            "kl": kl.detach()}


# --- the importance-weighted bound -------------------------------------------------------

@torch.no_grad()
def iwae_bound(model: nn.Module, x: torch.Tensor, k: int, labels: torch.Tensor | None = None,
               batch_size: int = 100, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""The importance-weighted estimate of $\log p_\theta(x)$ with k samples: (N,) nats.

    $$\mathcal L_k(x) = \log \frac1k \sum_{i=1}^k
       \frac{p_\theta(x \mid z_i)\, p(z_i)}{q_\phi(z_i \mid x)}, \qquad z_i \sim q_\phi(z \mid x),$$

    computed with ``logsumexp`` (the ratios themselves under- or overflow). In
    expectation $\mathcal L_1 = $ ELBO $\le \mathcal L_k \le \mathcal L_{k+1} \le \log p(x)$,
    and $\mathcal L_k \to \log p(x)$ as $k \to \infty$ (Burda et al. 2016); with k = 1000 it
    is the usual way to report a VAE's test log-likelihood. Notebook 05; assignment A2.

    ``model`` has ``encode`` / ``decode`` / ``log_likelihood`` (every VAE in this file);
    ``labels`` are needed for a :class:`ConditionalVAE`. Memory: ``batch_size`` (images) x
    ``k`` decoded images at a time.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int (the number of samples), got {k!r}")
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError(f"x must be a batch of images (N, ...), got {type(x).__name__}")
    conditional = isinstance(model, ConditionalVAE)
    if conditional and labels is None:
        raise ValueError("a ConditionalVAE needs the labels of x")
    model.eval()
    results = []
    chunk = max(1, batch_size)
    for start in range(0, len(x), chunk):
        xb = x[start:start + chunk]                                     # (B, ...)
        yb = labels[start:start + chunk] if conditional else None
        mu, logvar = model.encode(xb, yb) if conditional else model.encode(xb)   # (B, J)
        log_weights = []
        samples_per_pass = max(1, min(k, 100_000 // max(1, len(xb))))
        for done in range(0, k, samples_per_pass):
            s = min(samples_per_pass, k - done)
            mu_s = mu.unsqueeze(0).expand(s, *mu.shape).reshape(-1, mu.shape[1])  # (s*B, J)
            lv_s = logvar.unsqueeze(0).expand(s, *logvar.shape).reshape(-1, mu.shape[1])
            z = reparameterize(mu_s, lv_s, generator)                           # (s*B, J)
            x_s = xb.unsqueeze(0).expand(s, *xb.shape).reshape(-1, *xb.shape[1:])
            if conditional:
                output = model.decode(z, yb.repeat(s))
            else:
                output = model.decode(z)
            log_px_z = model.log_likelihood(x_s, output)                        # (s*B,)
            log_w = log_px_z + gaussian_log_density(z) - gaussian_log_density(z, mu_s, lv_s)
            log_weights.append(log_w.reshape(s, len(xb)))
        log_weights = torch.cat(log_weights)                                    # (k, B)
        results.append(torch.logsumexp(log_weights, dim=0) - math.log(k))
    return torch.cat(results)


# --- the lecture's network: 784 -> 400 -> (20 means, 20 log-variances) -> 400 -> 784 ---

def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


class VAE(nn.Module):
    r"""The lecture's fully connected VAE: 784-400-20 encoder, 20-400-784 Bernoulli decoder.

    Encoder: $h = \operatorname{ReLU}(W_1 x)$, then two parallel linear layers give
    $\mu(x)$ and $\log \sigma^2(x)$ (20 each; a diagonal covariance, so 20 numbers and not
    20 x 20). Decoder: $\operatorname{ReLU}(W_3 z)$, then 784 logits, one Bernoulli per
    pixel. Notebook 05; assignment A2 re-implements ``forward``.

    Images (N, 1, 28, 28) or (N, 784) go in; logits come out as (N, 784).
    """

    def __init__(self, pixels: int = 784, hidden: int = 400, latent: int = 20,
                 image_shape: tuple[int, ...] = (1, 28, 28)):
        super().__init__()
        _check_sizes(pixels=pixels, hidden=hidden, latent=latent)
        if math.prod(image_shape) != pixels:
            raise ValueError(f"image_shape {image_shape} does not hold {pixels} pixels")
        self.pixels, self.latent, self.image_shape = pixels, latent, tuple(image_shape)
        self.hidden_enc = nn.Linear(pixels, hidden)
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.hidden_dec = nn.Linear(latent, hidden)
        self.to_output = nn.Linear(hidden, self._outputs_per_pixel * pixels)

    _outputs_per_pixel = 1

    def _flatten(self, x: torch.Tensor) -> torch.Tensor:
        return flatten_images(x, self.pixels)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z | x): images -> (mu, logvar), each (N, latent)."""
        h = F.relu(self.hidden_enc(self._flatten(x)))          # (N, 400)
        return self.to_mu(h), self.to_logvar(h)                # (N, 20), (N, 20)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """p(x | z): codes (N, latent) -> logits (N, pixels)."""
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent:
            raise ValueError(f"z must have shape (N, {self.latent}), got "
                             f"{tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__}")
        return self.to_output(F.relu(self.hidden_dec(z)))     # (N, 784)

    def forward(self, x: torch.Tensor):
        """x -> (logits, mu, logvar): encode, sample z by the reparameterisation trick, decode."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

    def log_likelihood(self, x: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        """log p(x | z) from the decoder's output, summed over pixels: (N,)."""
        return bernoulli_log_likelihood(output, x)

    def mean_image(self, output: torch.Tensor) -> torch.Tensor:
        """The decoder's mean image, (N, *image_shape) in [0, 1]: sigmoid of the logits."""
        return torch.sigmoid(output).reshape(-1, *self.image_shape)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode n codes from the prior N(0, I): mean images (n, 1, 28, 28) in [0, 1]."""
        _check_sizes(n=n)
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent, generator=generator).to(device)
        return self.mean_image(self.decode(z))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode each image's posterior mean code: (N, 1, 28, 28) in [0, 1]."""
        mu, _ = self.encode(x)
        return self.mean_image(self.decode(mu))


class GaussianDecoderVAE(VAE):
    r"""The same network with the diagonal-Gaussian decoder the lecture describes.

    The decoder outputs a mean and a log-variance per pixel:
    $p_\theta(x \mid z) = \mathcal N(x; \text{mean}(z), \operatorname{diag} e^{\text{logvar}(z)})$,
    a density of real-valued images. ``decode`` returns the pair (mean, logvar), each
    (N, pixels); the log-variance is clamped to [-8, 4] because a Gaussian with free
    variance can shrink it towards zero on pixels that are always 0 and gain without
    bound. Notebook 05.
    """

    _outputs_per_pixel = 2

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = super().decode(z)                               # (N, 2 * 784)
        mean, logvar = out.chunk(2, dim=1)                    # (N, 784), (N, 784)
        return mean, logvar.clamp(-8.0, 4.0)

    def log_likelihood(self, x: torch.Tensor, output) -> torch.Tensor:
        mean, logvar = output
        return gaussian_log_likelihood(mean, logvar, x)

    def mean_image(self, output) -> torch.Tensor:
        return output[0].clamp(0, 1).reshape(-1, *self.image_shape)


# --- a convolutional encoder and decoder ---------------------------------------------------

class ConvVAE(VAE):
    r"""A convolutional VAE for 28 x 28 images, same Bernoulli decoder and loss.

    Encoder: two stride-2 convolutions (28 -> 14 -> 7), then linear layers to $\mu$,
    $\log\sigma^2$; the decoder mirrors it with transposed convolutions. It returns
    logits shaped like the images, (N, 1, 28, 28). Notebook 05.
    """

    def __init__(self, latent: int = 20, channels: int = 32, hidden: int = 256):
        nn.Module.__init__(self)
        _check_sizes(latent=latent, channels=channels, hidden=hidden)
        self.pixels, self.latent, self.image_shape = 784, latent, (1, 28, 28)
        c = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1), nn.ReLU(),              # (N, c, 14, 14)
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.ReLU(),          # (N, 2c, 7, 7)
            nn.Flatten(), nn.Linear(2 * c * 49, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 2 * c * 49), nn.ReLU(),
            nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.ReLU(),  # (N, c, 14, 14)
            nn.ConvTranspose2d(c, 1, 4, 2, 1))                 # (N, 1, 28, 28) logits

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(self._flatten(x).reshape(-1, 1, 28, 28))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent:
            raise ValueError(f"z must have shape (N, {self.latent})")
        return self.decoder(z)


# --- a conditional VAE: q(z | x, y) and p(x | z, y) ---------------------------------------

class ConditionalVAE(VAE):
    r"""A label-conditioned VAE: both networks also see the digit's one-hot label y.

    $q_\phi(z \mid x, y)$ and $p_\theta(x \mid z, y)$ with the prior $p(z) = \mathcal N(0, I)$
    unchanged; the ELBO is that of $\log p_\theta(x \mid y)$. Because the label is given,
    z is free to hold the style (slant, thickness), and decoding any z with the label y
    draws the digit y on request. Notebook 05.
    """

    def __init__(self, pixels: int = 784, hidden: int = 400, latent: int = 20, classes: int = 10):
        _check_sizes(classes=classes)
        self.classes = classes
        super().__init__(pixels, hidden, latent)
        self.hidden_enc = nn.Linear(pixels + classes, hidden)
        self.hidden_dec = nn.Linear(latent + classes, hidden)

    def _one_hot(self, y: torch.Tensor, n: int) -> torch.Tensor:
        if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (n,):
            raise ValueError(f"labels must be a LongTensor of shape ({n},)")
        if y.device.type != "meta" and n and (y.min() < 0 or y.max() >= self.classes):
            raise ValueError(f"labels must lie in 0..{self.classes - 1}")
        return F.one_hot(y, self.classes).to(self.hidden_enc.weight.dtype)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flat = self._flatten(x)
        h = F.relu(self.hidden_enc(torch.cat([flat, self._one_hot(y, len(flat))], 1)))  # (N, 400)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent:
            raise ValueError(f"z must have shape (N, {self.latent})")
        h = F.relu(self.hidden_dec(torch.cat([z, self._one_hot(y, len(z))], 1)))          # (N, 400)
        return self.to_output(h)                                                          # (N, 784)

    def forward(self, x: torch.Tensor, y: torch.Tensor):
        mu, logvar = self.encode(x, y)
        return self.decode(reparameterize(mu, logvar), y), mu, logvar

    @torch.no_grad()
    def sample(self, labels: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One digit per requested label: mean images (N, 1, 28, 28) in [0, 1]."""
        device = next(self.parameters()).device
        z = torch.randn(len(labels), self.latent, generator=generator).to(device)
        return self.mean_image(self.decode(z, labels.to(device)))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mu, _ = self.encode(x, y)
        return self.mean_image(self.decode(mu, y))


# --- looking at a trained VAE: evaluation, the latent manifold, traversals, interpolation ---

@torch.no_grad()
def evaluate_negative_elbo(model: nn.Module, x: torch.Tensor, samples: int = 1,
                           labels: torch.Tensor | None = None, batch_size: int = 500) -> torch.Tensor:
    r"""$-\mathcal L(x)$ per image, its reconstruction term averaged over ``samples`` draws of z: (N,).

    With the closed-form KL, only the reconstruction term is random; more samples make
    the estimate less noisy, not different in expectation. Notebook 05.
    """
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive int, got {samples!r}")
    conditional = isinstance(model, ConditionalVAE)
    if conditional and labels is None:
        raise ValueError("a ConditionalVAE needs the labels of x")
    model.eval()
    out = []
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        yb = labels[start:start + batch_size] if conditional else None
        mu, logvar = model.encode(xb, yb) if conditional else model.encode(xb)
        recon = torch.zeros(len(xb), device=mu.device)
        for _ in range(samples):
            z = reparameterize(mu, logvar)
            output = model.decode(z, yb) if conditional else model.decode(z)
            recon = recon - model.log_likelihood(xb, output)
        out.append(recon / samples + gaussian_kl(mu, logvar))
    return torch.cat(out)


def manifold_codes(n: int = 15, edge: float = 0.95) -> torch.Tensor:
    r"""An n x n grid of 2-D codes, evenly spaced in *probability* under the prior: (n*n, 2).

    $z = (\Phi^{-1}(u_1), \Phi^{-1}(u_2))$ for $u$ on an even grid in
    $[1 - \text{edge}, \text{edge}]^2$, so every row and column of the picture holds the
    same prior mass (Kingma and Welling's figure). Row i, column j is code
    ``i * n + j``, z[1] decreasing down the rows. Notebook 05.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not 0.5 < edge < 1:
        raise ValueError(f"edge must lie in (0.5, 1), got {edge}")
    u = torch.linspace(1 - edge, edge, n, dtype=torch.float64)
    values = torch.distributions.Normal(0.0, 1.0).icdf(u).float()        # (n,)
    rows, cols = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([cols.flatten(), rows.flatten()], 1)              # (n*n, 2)


def traversal_codes(code: torch.Tensor, dims: list[int] | range, values: torch.Tensor) -> torch.Tensor:
    """For each dim in ``dims``, copies of ``code`` (J,) with that coordinate set to each value.

    Returns (len(dims) * len(values), J): one row of a picture per dimension. Notebook 05.
    """
    code = torch.as_tensor(code).flatten()
    values = torch.as_tensor(values, dtype=code.dtype, device=code.device)
    out = code.repeat(len(dims) * len(values), 1)
    for row, d in enumerate(dims):
        if not 0 <= d < len(code):
            raise ValueError(f"dimension {d} out of range for a code of {len(code)} numbers")
        out[row * len(values):(row + 1) * len(values), d] = values
    return out


def interpolate(start: torch.Tensor, end: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points on the straight line from ``start`` to ``end`` (both included): (steps, ...). Notebook 05."""
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    if start.shape != end.shape:
        raise ValueError(f"start and end must have the same shape, got {tuple(start.shape)} and {tuple(end.shape)}")
    t = torch.linspace(0, 1, steps, dtype=start.dtype, device=start.device).reshape(-1, *([1] * start.dim()))
    return (1 - t) * start + t * end
