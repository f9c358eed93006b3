r"""Likelihood bookkeeping that every density model of the course shares.

A model's score on a data set is its average negative log-likelihood. The course reports
it in two units (notebooks 01-05):

* **nats per image**: $-\frac1N \sum_n \log p(x_n)$, the natural log summed over the pixels
  of one image, averaged over images. Published MNIST figures (PixelCNN 81.30, VAE 86.76)
  are in this unit.
* **bits per dimension**: the same divided by $D \ln 2$ for $D$ pixels per image, so that
  images of different sizes compare; a model that ignores the data (every pixel 0 or 1 with
  probability 1/2) scores exactly 1 bit/dim on binary images.

Totals over a data set grow with its size, so the course never reports them.
"""
from __future__ import annotations

import math

import torch

__all__ = ["as_binary_vectors", "bits_per_dim", "nats_to_bits_per_dim"]


def as_binary_vectors(x: torch.Tensor, dim: int | None = None, what: str = "x") -> torch.Tensor:
    """(N, ...) binary images -> (N, D) float64 vectors; a clear ValueError for anything else."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{what} must be a torch.Tensor of binary images, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"{what} must be a float tensor of 0s and 1s, got dtype {x.dtype} "
                         "(use data.binarize(images) to get binary float images)")
    if x.dim() < 2:
        raise ValueError(f"{what} must have shape (N, D) or (N, 1, H, W), got {tuple(x.shape)}")
    if len(x) == 0:
        raise ValueError(f"{what} holds no images (shape {tuple(x.shape)}): give at least one")
    flat = x.detach().reshape(len(x), -1).to(torch.float64)
    if flat.numel() and not torch.all((flat == 0) | (flat == 1)):
        raise ValueError(f"{what} must hold only 0s and 1s: binarise grey images first "
                         "(data.binarize)")
    if dim is not None and flat.shape[1] != dim:
        raise ValueError(f"{what} has {flat.shape[1]} pixels per image, the model expects {dim}")
    return flat


def bits_per_dim(log_prob_nats: torch.Tensor, dim: int) -> float:
    r"""Average negative log-likelihood in bits per pixel: $-\log p(x) / (D \ln 2)$."""
    return float(-torch.as_tensor(log_prob_nats, dtype=torch.float64).mean() / (dim * math.log(2)))


def nats_to_bits_per_dim(nats_per_image: float, dim: int) -> float:
    r"""Nats per image -> bits per dimension: $x / (D \ln 2)$ (notebooks 02-05)."""
    if dim <= 0:
        raise ValueError(f"dim must be the number of pixels per image (> 0), got {dim}")
    return float(nats_per_image) / (dim * math.log(2))
