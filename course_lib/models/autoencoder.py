r"""Autoencoders: learn features from unlabelled images by reconstructing them (notebook 04).

An **encoder** $f$ maps an image $x$ to a short code $z = f(x)$ (the bottleneck: 784
pixels -> a few dozen numbers) and a **decoder** $g$ maps the code back to an image
$\hat x = g(z)$. Both are trained together to make $\hat x$ close to $x$; no label is
used. Here the loss is the binary cross-entropy summed over the pixels of each image
(pixel grey levels in [0, 1] read as probabilities), averaged over the batch:

$$\ell(x) = -\sum_d \big[x_d \log \hat x_d + (1 - x_d) \log (1 - \hat x_d)\big],
  \qquad \hat x = \operatorname{sigmoid}(g(f(x))).$$

A code smaller than the image forces the network to keep what matters most (a lossy
compression); afterwards the decoder can be thrown away and the encoder's codes used as
features for a task with few labels. The lecture's other uses, each a helper below:
denoising (:class:`DenoisingAutoencoder`: corrupt the input, reconstruct the clean
image), outlier detection (:func:`reconstruction_error`: what the autoencoder cannot
reconstruct is unlike its training data) and the trade-off between code size and
reconstruction error (:func:`error_against_latent_size`).

What an autoencoder does not give: a distribution over codes to sample from. Decoding
random codes (notebook 04) shows why, and motivates the VAE (notebook 05).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_lib import train

__all__ = ["Autoencoder", "ConvAutoencoder", "DenoisingAutoencoder", "corrupt",
           "reconstruction_loss", "reconstruction_error", "encode_dataset", "few_labels",
           "probe_accuracy", "outlier_threshold", "error_against_latent_size", "flatten_images"]


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def flatten_images(x: torch.Tensor, pixels: int) -> torch.Tensor:
    """A batch of images, (N, 1, 28, 28) or (N, pixels), as (N, pixels); a clear
    ``ValueError`` for anything else (used by the autoencoders here and the VAEs)."""
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError(f"x must be a batch of images (N, 1, 28, 28) or (N, {pixels})")
    flat = x.reshape(len(x), -1)
    if flat.shape[1] != pixels:
        raise ValueError(f"x has {flat.shape[1]} pixels per image, the model expects {pixels}")
    return flat


# --- the fully connected autoencoder ----------------------------------------------------


class Autoencoder(nn.Module):
    r"""784 -> hidden -> latent -> hidden -> 784: a fully connected autoencoder.

    ``encode`` gives the code (N, latent); ``decode`` gives one logit per pixel (N, 784);
    ``reconstruct`` gives images in [0, 1] shaped (N, 1, 28, 28). Notebook 04.
    """

    def __init__(self, latent: int = 32, hidden: int = 256, pixels: int = 784):
        super().__init__()
        _check_sizes(latent=latent, hidden=hidden, pixels=pixels)
        self.latent, self.pixels = latent, pixels
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(),
                                     nn.Linear(hidden, latent))          # (N, 784) -> (N, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(),
                                     nn.Linear(hidden, pixels))          # (N, latent) -> (N, 784)

    def _flatten(self, x: torch.Tensor) -> torch.Tensor:
        return flatten_images(x, self.pixels)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self._flatten(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent:
            raise ValueError(f"z must have shape (N, {self.latent})")
        return self.decoder(z).reshape(len(z), -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x -> reconstruction logits (N, 784)."""
        return self.decode(self.encode(x))

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructed images in [0, 1]: (N, 1, 28, 28)."""
        self.eval()
        return torch.sigmoid(self.decode(self.encode(x))).reshape(len(x), 1, 28, 28)


# --- a convolutional one ------------------------------------------------------------------

class ConvAutoencoder(Autoencoder):
    """Two stride-2 convolutions down (28 -> 14 -> 7), a linear bottleneck, and back up. Notebook 04."""

    def __init__(self, latent: int = 32, channels: int = 16):
        nn.Module.__init__(self)
        _check_sizes(latent=latent, channels=channels)
        self.latent, self.pixels = latent, 784
        c = channels
        self.encoder = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, c, 4, 2, 1), nn.ReLU(),                 # (N, c, 14, 14)
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.ReLU(),             # (N, 2c, 7, 7)
            nn.Flatten(), nn.Linear(2 * c * 49, latent))         # (N, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, 2 * c * 49), nn.ReLU(),
            nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.ReLU(),    # (N, c, 14, 14)
            nn.ConvTranspose2d(c, 1, 4, 2, 1))                   # (N, 1, 28, 28) logits


# --- denoising ------------------------------------------------------------------------------

def corrupt(x: torch.Tensor, noise_std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""$\tilde x = \operatorname{clip}(x + \sigma \varepsilon, 0, 1)$, $\varepsilon \sim \mathcal N(0, I)$. Notebook 04."""
    if noise_std < 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std}")
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype) if generator is not None \
        else torch.randn_like(x)
    return (x + noise_std * noise.to(x.device)).clamp(0, 1)


class DenoisingAutoencoder(Autoencoder):
    r"""An autoencoder trained to map a corrupted $\tilde x$ back to the clean $x$.

    In training mode ``forward`` corrupts its input with Gaussian noise of std
    ``noise_std`` before encoding, and :func:`reconstruction_loss` compares the output
    with the *clean* batch; in eval mode it just encodes what it is given. To learn to
    remove the noise it must learn what digits look like. Notebook 04.
    """

    def __init__(self, latent: int = 32, hidden: int = 256, noise_std: float = 0.5):
        super().__init__(latent, hidden)
        if noise_std < 0:
            raise ValueError(f"noise_std must be >= 0, got {noise_std}")
        self.noise_std = noise_std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            x = corrupt(x, self.noise_std)
        return super().forward(x)


# --- the loss and the per-image error ---------------------------------------------------------

def reconstruction_loss(model: nn.Module, batch) -> torch.Tensor:
    """``loss_fn`` for ``train.fit``: BCE summed over pixels, averaged over the batch (nats per image).

    ``batch`` is images or (images, labels); labels are ignored. Notebook 04.
    """
    x = batch[0] if isinstance(batch, (list, tuple)) else batch
    logits = model(x)                                                     # (N, 784)
    return F.binary_cross_entropy_with_logits(logits, x.reshape(len(x), -1),
                                              reduction="none").sum(1).mean()


@torch.no_grad()
def reconstruction_error(model: Autoencoder, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    r"""Mean squared error per pixel of each image's reconstruction: (N,).

    $e(x) = \frac1D \sum_d (\hat x_d - x_d)^2$. A high error means "unlike the training
    data" (outlier detection, notebook 04).
    """
    model.eval()
    images = images.to(next(model.parameters()).device)
    errors = [((model.reconstruct(images[i:i + batch_size]) - images[i:i + batch_size].reshape(-1, 1, 28, 28))
               ** 2).flatten(1).mean(1) for i in range(0, len(images), batch_size)]
    return torch.cat(errors) if errors else torch.zeros(0)


def outlier_threshold(train_errors: torch.Tensor, percentile: float = 99.0) -> float:
    """The error that ``percentile`` % of training images stay below; flag inputs above it. Notebook 04."""
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must lie strictly between 0 and 100, got {percentile}")
    if len(train_errors) == 0:
        raise ValueError("need at least one training error")
    return float(np.percentile(torch.as_tensor(train_errors).detach().cpu().double().numpy(), percentile))


# --- features for a small labelled set ---------------------------------------------------------

@torch.no_grad()
def encode_dataset(model: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The encoder's codes for every image: (N, latent). For a VAE, the posterior means. Notebook 04."""
    model.eval()
    codes = []
    for i in range(0, len(images), batch_size):
        out = model.encode(images[i:i + batch_size].to(next(model.parameters()).device))
        codes.append(out[0] if isinstance(out, tuple) else out)
    return torch.cat(codes)


def few_labels(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices of ``per_class`` examples of every class, chosen at random: (classes * per_class,)."""
    _check_sizes(per_class=per_class)
    g = torch.Generator().manual_seed(seed)
    chosen = []
    for c in torch.unique(labels):
        where = torch.nonzero(labels == c).flatten()
        if len(where) < per_class:
            raise ValueError(f"class {int(c)} has only {len(where)} examples, asked for {per_class}")
        chosen.append(where[torch.randperm(len(where), generator=g)[:per_class]])
    return torch.cat(chosen)


def probe_accuracy(train_features: torch.Tensor, train_labels: torch.Tensor,
                   test_features: torch.Tensor, test_labels: torch.Tensor) -> float:
    """Test accuracy of a logistic regression fitted on the (few) labelled features. Notebook 04.

    The features are standardised with the labelled set's mean and std first, so raw
    pixels and codes are treated alike.
    """
    from sklearn.linear_model import LogisticRegression

    a = train_features.reshape(len(train_features), -1).cpu().double()   # scikit-learn: NumPy on the CPU (MPS has no float64)
    b = test_features.reshape(len(test_features), -1).cpu().double()
    mean = a.mean(0)
    std = a.std(0) + 1e-6 if len(a) > 1 else torch.ones(a.shape[1], dtype=a.dtype)
    clf = LogisticRegression(max_iter=2000, C=1.0)
    clf.fit(((a - mean) / std).numpy(), train_labels.cpu().numpy())
    return float((clf.predict(((b - mean) / std).numpy()) == test_labels.cpu().numpy()).mean())


# --- code size against reconstruction error ----------------------------------------------------

def error_against_latent_size(train_images: torch.Tensor, test_images: torch.Tensor,
                              sizes: Sequence[int], epochs: int, batch_size: int = 64,
                              lr: float = 2e-3, make: Callable[[int], Autoencoder] = Autoencoder,
                              progress: bool = True,
                              device: torch.device | str | None = None) -> dict[int, float]:
    """Train one autoencoder per code size; return {size: test BCE in nats per image}. Notebook 04.

    Each model trains on ``device`` (the CPU when None); the images stay where they are and
    are moved a batch at a time.
    """
    results = {}
    for size in sizes:
        model = make(size)
        if device is not None:
            model.to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        train.fit(model, train.TensorBatches(train_images, batch_size=batch_size), reconstruction_loss,
                  optimizer, epochs=epochs, progress=progress, verbose=False, desc=f"latent {size}")
        model.eval()
        with torch.no_grad():
            results[size] = float(reconstruction_loss(model, test_images.to(next(model.parameters()).device)))
    return results
