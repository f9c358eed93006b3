r"""Judging samples without a likelihood: the course's own MNIST classifier and what it measures.

Taught in notebook 06 (GANs: a GAN has no likelihood to report, so we judge its
samples) and used again in notebook 05 (VAE samples, on the same scale).

Published GAN metrics (FID, the Inception Score) use an ImageNet network that must be
downloaded. The course trains its own small digit classifier instead, once, on the
course's training digits, and keeps it in :func:`course_lib.runtime.cache_dir` (it is
never downloaded; if the cached file is missing or corrupt it is simply trained again,
in about half a minute on a CPU). Its numbers are therefore comparable *within* the
course, not with published FIDs.

* :func:`frechet_distance` -- the Fréchet distance between two Gaussians fitted to
  features, $\|\mu_a-\mu_b\|^2 + \mathrm{tr}(\Sigma_a + \Sigma_b - 2(\Sigma_a\Sigma_b)^{1/2})$;
  on :func:`classifier_features` it plays the role of FID.
* :func:`classifier_score` -- $\exp(\mathbb{E}_x \mathrm{KL}(p(y|x)\,\|\,p(y)))$, the
  Inception-style score: high when each sample is confidently one digit (sharp
  $p(y|x)$) *and* all digits appear (flat $p(y)$); at most 10.
* :func:`class_histogram` -- the fraction of samples recognised as each digit: a
  collapsed generator shows up as missing digits.
* :func:`count_modes` -- for the 2-D ring of Gaussians, how many modes the samples hit.

Every function that takes images expects ``(N, 1, 28, 28)`` (or ``(N, 28, 28)``, or
``(N, 784)``) floats in **[0, 1]**; a GAN's tanh output in [-1, 1] must be mapped with
``(x + 1) / 2`` first, and passing it unmapped is a ``ValueError``.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from course_lib import runtime
from course_lib.files import atomic_writer

__all__ = ["CLASSIFIER_SETTINGS", "course_classifier", "classifier_info", "predict_digits",
           "classifier_features", "frechet_distance", "classifier_score", "class_histogram",
           "ModeCoverage", "count_modes"]

# What the cached weights depend on. Changing any of these trains a new classifier
# (under a new file name); the data source is added when the data is loaded.
CLASSIFIER_SETTINGS = {
    "version": 1,          # bump when the architecture or the training code changes
    "train_limit": 20000,  # at most this many training digits (all 4,500 offline)
    "epochs": 6,
    "batch_size": 128,
    "lr": 2e-3,
    "shift": 2,            # random translations of up to this many pixels
    "seed": 0,
}

FEATURES = 128  # the width of the penultimate layer: classifier_features gives (N, 128)

_LOADED: dict[tuple[str, str], nn.Module] = {}   # (key, device) -> model, per process
_INFO: dict[str, dict] = {}                       # key -> {"test_accuracy", "source", ...}


class _DigitCNN(nn.Module):
    """Two 3x3 convolution blocks and a 128-unit layer: (N, 1, 28, 28) -> (N, 10) logits."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (N, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 64, 7, 7)
            nn.Flatten(),                                                  # (N, 3136)
            nn.Linear(64 * 7 * 7, FEATURES), nn.ReLU(),                    # (N, 128)
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURES, 10))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


# --- the classifier: trained once, cached --------------------------------------------------

def _settings_key(settings: dict) -> str:
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to ``max_shift`` pixels (zeros come in at the border)."""
    if max_shift == 0:
        return images
    n = len(images)
    padded = F.pad(images, [max_shift] * 4)
    dx, dy = (torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator))
    rows = (torch.arange(28)[None, :] + dy[:, None])                  # (N, 28)
    cols = (torch.arange(28)[None, :] + dx[:, None])                  # (N, 28)
    idx = torch.arange(n)[:, None, None]
    return padded[:, 0][idx, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


def _train(settings: dict, verbose: bool) -> tuple[nn.Module, dict]:
    from course_lib.data import load_mnist

    started = time.perf_counter()
    train = load_mnist("train", limit=settings["train_limit"], verbose=False)
    test = load_mnist("test", verbose=False)
    if train.source != settings["source"]:
        raise RuntimeError(f"the training digits came from {train.source!r}, "
                           f"expected {settings['source']!r}")
    if verbose:
        print(f"Training the course's digit classifier on {len(train):,} {train.source} digits "
              f"(once; it is cached in {runtime.cache_dir()}) ...", flush=True)
    with torch.random.fork_rng(devices=[]):  # leaves the caller's random stream alone
        torch.manual_seed(settings["seed"])
        generator = torch.Generator().manual_seed(settings["seed"])
        model = _DigitCNN()
        optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
        steps = settings["epochs"] * math.ceil(len(train) / settings["batch_size"])
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings["lr"], total_steps=steps)
        model.train()
        for _ in range(settings["epochs"]):
            order = torch.randperm(len(train), generator=generator)
            for i in range(0, len(train), settings["batch_size"]):
                idx = order[i:i + settings["batch_size"]]
                x = _shift(train.images[idx], settings["shift"], generator)
                loss = F.cross_entropy(model(x), train.labels[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(test.images).argmax(1) == test.labels).float().mean().item()
    info = {"test_accuracy": accuracy, "test_digits": len(test), "train_digits": len(train),
            "source": train.source, "seconds": time.perf_counter() - started}
    if verbose:
        print(f"... done in {info['seconds']:.0f} s: {accuracy:.1%} of the {len(test)} test digits "
              "are classified correctly.", flush=True)
    return model, info


def _load(path, key: str) -> tuple[nn.Module, dict] | None:
    """The cached classifier, or None when the file is missing, unreadable or not ours."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if state.get("key") != key:
            return None
        model = _DigitCNN()
        model.load_state_dict(state["weights"])
        info = json.loads(state["info"])
    except Exception:  # missing, truncated, corrupt or from another version: retrain
        return None
    return model.eval(), info


def _classifier_for(settings: dict, verbose: bool = True) -> tuple[nn.Module, dict, str]:
    key = _settings_key(settings)
    path = runtime.cache_dir() / f"course_classifier_{key}.pt"
    loaded = _load(path, key)
    if loaded is None:
        model, info = _train(settings, verbose)
        with atomic_writer(path) as fh:
            torch.save({"key": key, "weights": model.state_dict(), "info": json.dumps(info)}, fh)
    else:
        model, info = loaded
    return model, info, key


def _current_settings() -> dict:
    from course_lib.data import load_mnist

    source = load_mnist("test", limit=1, verbose=False).source   # what "auto" gives here
    return {**CLASSIFIER_SETTINGS, "source": source}


def course_classifier(device: torch.device | str | None = None, verbose: bool = True) -> nn.Module:
    """The course's digit classifier (notebooks 05 and 06), in eval mode, frozen.

    Input: images (N, 1, 28, 28) in [0, 1]; output: (N, 10) logits. Its
    ``features(x)`` method gives the (N, 128) penultimate activations.

    The first call trains it (about half a minute on a CPU) and caches the weights
    under ``runtime.cache_dir()``, keyed by the data source and the training
    settings; later calls, and later sessions, load them. A missing or corrupt
    cache file is simply trained again. Nothing is ever downloaded.
    """
    device = torch.device("cpu") if device is None else torch.device(device)
    settings = _current_settings()
    key = _settings_key(settings)
    if (key, str(device)) not in _LOADED:
        model, info, key = _classifier_for(settings, verbose=verbose)
        for p in model.parameters():
            p.requires_grad_(False)
        _INFO[key] = info
        _LOADED[(key, str(device))] = model.to(device).eval()
    return _LOADED[(key, str(device))]


def classifier_info() -> dict:
    """What the cached classifier was trained on and its test accuracy (notebooks 05 and 06)."""
    course_classifier(verbose=False)
    return dict(_INFO[_settings_key(_current_settings())])


# --- checking inputs ------------------------------------------------------------------------

def _as_images(images, what: str) -> torch.Tensor:
    """(N, 1, 28, 28) float images in [0, 1], or a ValueError that says what is wrong."""
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"{what} expects a torch.Tensor of images, got {type(images).__name__}")
    if not images.is_floating_point():
        raise ValueError(f"{what} expects float images in [0, 1], got dtype {images.dtype}")
    x = images.detach()
    if x.dim() == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 1, 28, 28)
    elif x.dim() == 3 and x.shape[1:] == (28, 28):
        x = x.unsqueeze(1)
    if x.dim() != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"{what} expects images of shape (N, 1, 28, 28), (N, 28, 28) or (N, 784), "
                         f"got {tuple(images.shape)}")
    if len(x) == 0:
        raise ValueError(f"{what} needs at least one image")
    if x.is_meta:
        raise ValueError(f"{what} needs real images, not tensors on the meta device")
    low, high = x.min().item(), x.max().item()
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{what} got images with NaN or infinite values")
    if low < -1e-6 or high > 1 + 1e-6:
        hint = (" These look like tanh outputs in [-1, 1]: pass (x + 1) / 2." if low >= -1 - 1e-6
                and high <= 1 + 1e-6 else "")
        raise ValueError(f"{what} expects images in [0, 1], got values in [{low:.3g}, {high:.3g}].{hint}")
    return x.float().clamp(0, 1).cpu()


@torch.no_grad()
def _batched(fn, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    return torch.cat([fn(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])


# --- what the classifier measures ----------------------------------------------------------

def predict_digits(images: torch.Tensor) -> torch.Tensor:
    """The digit the course's classifier sees in each image: (N,) int64 (notebooks 05 and 06)."""
    x = _as_images(images, "predict_digits")
    model = course_classifier()
    return _batched(lambda b: model(b).argmax(1), x)


def _probabilities(images: torch.Tensor, what: str) -> torch.Tensor:
    x = _as_images(images, what)
    model = course_classifier()
    return _batched(lambda b: torch.softmax(model(b).double(), dim=1), x)   # (N, 10)


def classifier_features(images: torch.Tensor) -> torch.Tensor:
    """The classifier's 128 penultimate activations per image: (N, 128) (notebooks 05 and 06).

    These play the role of the Inception features in FID: :func:`frechet_distance`
    compares two sets of them.
    """
    x = _as_images(images, "classifier_features")
    model = course_classifier()
    return _batched(model.features, x)


def _sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    r"""The Fréchet distance between Gaussians fitted to two feature sets (notebooks 05 and 06).

    $d^2 = \|\mu_a-\mu_b\|^2 + \mathrm{tr}\,\Sigma_a + \mathrm{tr}\,\Sigma_b
    - 2\,\mathrm{tr}(\Sigma_a^{1/2}\Sigma_b\Sigma_a^{1/2})^{1/2}$, with
    $\mathrm{tr}(\Sigma_a\Sigma_b)^{1/2}$ computed through the symmetric form so that it
    stays real. ``features_*`` are (N, F) and (M, F); both need at least 2 rows.
    Zero for identical sets; it grows with a shift of the mean and with a change of spread.
    """
    a, b = features_a, features_b
    for name, f in (("features_a", a), ("features_b", b)):
        if not isinstance(f, torch.Tensor) or f.dim() != 2:
            raise ValueError(f"frechet_distance expects {name} as a 2-D tensor (N, F), got "
                             f"{getattr(f, 'shape', type(f).__name__)}")
        if len(f) < 2:
            raise ValueError(f"frechet_distance needs at least 2 rows in {name} to estimate a covariance")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two feature sets must have the same width, got {a.shape[1]} and {b.shape[1]}")
    a, b = a.detach().cpu().double(), b.detach().cpu().double()   # the CPU first: MPS has no float64
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T).reshape(a.shape[1], -1), torch.cov(b.T).reshape(b.shape[1], -1)
    root_a = _sqrtm_psd(cov_a)
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    d2 = (mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross
    return max(d2.item(), 0.0)


def classifier_score(images: torch.Tensor) -> float:
    r"""The Inception-style score $\exp(\mathbb{E}_x\,\mathrm{KL}(p(y|x)\,\|\,p(y)))$ (notebooks 05, 06).

    $p(y|x)$ is the course classifier's softmax and $p(y)$ its average over the
    images. 1 when every image gets the same prediction, at most 10 (one sure digit
    per image, every digit equally often).
    """
    p = _probabilities(images, "classifier_score")                    # (N, 10)
    marginal = p.mean(0, keepdim=True)                                # (1, 10)
    kl = torch.xlogy(p, p).sum(1) - (p * marginal.log()).sum(1)       # (N,)
    return math.exp(kl.mean().item())


def class_histogram(images: torch.Tensor) -> torch.Tensor:
    """The fraction of images the classifier reads as each digit: (10,), sums to 1 (notebooks 05, 06)."""
    digits = predict_digits(images)
    return torch.bincount(digits, minlength=10).double() / len(digits)


# --- the 2-D ring of Gaussians --------------------------------------------------------------

class ModeCoverage(NamedTuple):
    """What :func:`count_modes` found."""

    covered: int            # how many modes received at least min_fraction of the samples
    counts: torch.Tensor    # (K,) how many samples landed within `sigmas` stds of each mode
    high_quality: float     # the fraction of samples that landed near some mode


def count_modes(samples: torch.Tensor, centers: torch.Tensor, std: float, *, sigmas: float = 3.0,
                min_fraction: float = 0.01) -> ModeCoverage:
    """How many modes of a mixture the samples cover (notebook 06, mode collapse on the ring).

    A sample belongs to the nearest center when it lies within ``sigmas * std`` of it
    (the usual "high-quality sample" rule); a mode counts as covered when it holds at
    least ``min_fraction`` of all samples (so a few stray points do not count).
    ``samples`` is (N, D), ``centers`` (K, D), e.g. ``ring_of_gaussians().means``.
    """
    if not isinstance(samples, torch.Tensor) or not isinstance(centers, torch.Tensor):
        raise ValueError("count_modes expects tensors: samples (N, D) and centers (K, D)")
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"count_modes expects samples (N, D) and centers (K, D) with the same D, got "
                         f"{tuple(samples.shape)} and {tuple(centers.shape)}")
    if len(samples) == 0 or len(centers) == 0:
        raise ValueError("count_modes needs at least one sample and one center")
    if not (std > 0) or not (sigmas > 0) or not (0 <= min_fraction <= 1):
        raise ValueError(f"std and sigmas must be positive and min_fraction in [0, 1], got "
                         f"std={std}, sigmas={sigmas}, min_fraction={min_fraction}")
    x, c = samples.detach().cpu().double(), centers.detach().cpu().double()   # the CPU first: MPS has no float64
    distance = torch.cdist(x, c)                                      # (N, K)
    nearest = distance.min(1)
    near = nearest.values <= sigmas * std                             # (N,)
    counts = torch.bincount(nearest.indices[near], minlength=len(c))
    covered = int((counts >= max(1, math.ceil(min_fraction * len(x)))).sum())
    return ModeCoverage(covered=covered, counts=counts, high_quality=near.double().mean().item())
