r"""Unreasonable inputs, and rejecting them with a density model.

Taught in notebook 01: a discriminative model $p(y \mid x)$ must spread its probability
over the labels whatever it is shown; a density model $p(x)$ can say "this input is
unlike anything I was trained on" by giving it a low likelihood.

The rule used in the notebook: pick a threshold from the *training* data, e.g. the 1st
percentile of the training log-likelihoods, and reject every input below it. By
construction about 1% of training digits are rejected; what matters is how many test
digits and how many unreasonable inputs are.
"""
from __future__ import annotations

import torch

from course_lib.data import binarize

__all__ = ["noise_images", "blank_images", "letter_images", "inverted_images",
           "unreasonable_inputs", "rejection_threshold", "rejection_rate", "LETTER_STROKES"]

# Letters drawn as polylines on a 28x28 canvas, (row, column) corners, digit-sized.
LETTER_STROKES = {
    "A": [[(22, 7), (5, 14), (22, 21)], [(15, 10), (15, 18)]],
    "H": [[(5, 8), (22, 8)], [(5, 20), (22, 20)], [(13, 8), (13, 20)]],
    "X": [[(5, 7), (22, 21)], [(5, 21), (22, 7)]],
    "K": [[(5, 9), (22, 9)], [(5, 20), (14, 9), (22, 20)]],
    "M": [[(22, 6), (5, 6), (14, 14), (5, 22), (22, 22)]],
    "W": [[(5, 5), (22, 9), (12, 14), (22, 19), (5, 23)]],
    "E": [[(5, 20), (5, 8), (22, 8), (22, 20)], [(13, 8), (13, 18)]],
    "T": [[(5, 6), (5, 22)], [(5, 14), (22, 14)]],
}


def _draw_line(canvas: torch.Tensor, start, end, width: float) -> None:
    rows = torch.arange(canvas.shape[0], dtype=torch.float32)[:, None]
    cols = torch.arange(canvas.shape[1], dtype=torch.float32)[None, :]
    (r0, c0), (r1, c1) = start, end
    dr, dc = r1 - r0, c1 - c0
    length2 = max(dr * dr + dc * dc, 1e-9)
    t = (((rows - r0) * dr + (cols - c0) * dc) / length2).clamp(0, 1)
    distance = ((rows - (r0 + t * dr)) ** 2 + (cols - (c0 + t * dc)) ** 2).sqrt()
    canvas.copy_(torch.maximum(canvas, (width - distance).clamp(0, 1)))


def letter_images(letters: str = "AHXKMWET", width: float = 1.6, size: int = 28) -> torch.Tensor:
    """Letter-like scribbles drawn with digit-like strokes, grey levels in [0, 1]: (n, 1, size, size)."""
    unknown = [ch for ch in letters if ch not in LETTER_STROKES]
    if unknown:
        raise ValueError(f"no strokes for {unknown}; known letters: {''.join(LETTER_STROKES)}")
    images = torch.zeros(len(letters), 1, size, size)
    scale = size / 28
    for image, letter in zip(images, letters):
        for stroke in LETTER_STROKES[letter]:
            points = [(r * scale, c * scale) for r, c in stroke]
            for a, b in zip(points[:-1], points[1:]):
                _draw_line(image[0], a, b, width)
    return images


def noise_images(n: int, ink: float = 0.5, seed: int = 0, size: int = 28) -> torch.Tensor:
    """Binary noise: every pixel is 1 with probability ``ink``: (n, 1, size, size)."""
    if not 0 <= ink <= 1:
        raise ValueError(f"ink must be a probability in [0, 1], got {ink}")
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 1, size, size, generator=generator) < ink).float()


def blank_images(n: int = 1, value: float = 0.0, size: int = 28) -> torch.Tensor:
    """Images of one constant grey level (0 is an empty page): (n, 1, size, size)."""
    return torch.full((n, 1, size, size), float(value))


def inverted_images(images: torch.Tensor) -> torch.Tensor:
    """White digits on black become black on white: 1 - x."""
    return 1.0 - images


def unreasonable_inputs(digits: torch.Tensor, n: int = 50, seed: int = 0) -> dict[str, torch.Tensor]:
    """The notebook's gallery of unreasonable inputs, all binary (N, 1, 28, 28).

    ``digits`` are binary test digits; the inverted ones are made from them. The letters
    are drawn in grey and binarised exactly like the digits (static stochastic
    binarisation, ``data.binarize``), so that letters and digits differ in their shapes,
    not in clean versus speckled strokes.
    """
    if digits.dim() != 4 or digits.shape[1:] != (1, 28, 28):
        raise ValueError(f"digits must have shape (N, 1, 28, 28), got {tuple(digits.shape)}")
    ink = digits.mean().item()
    letters = letter_images()
    return {
        "noise (50% ink)": noise_images(n, 0.5, seed=seed),
        f"noise ({ink:.0%} ink, like a digit)": noise_images(n, ink, seed=seed + 1),
        "blank page": blank_images(1),
        "letters": binarize(letters, seed=seed + 2),
        "inverted digits": inverted_images(digits[:n]),
    }


def rejection_threshold(train_log_prob: torch.Tensor, percentile: float = 1.0) -> float:
    """The log p(x) below which only ``percentile`` % of the training images fall."""
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must lie in [0, 100], got {percentile}")
    values = torch.as_tensor(train_log_prob, dtype=torch.float64).flatten()
    if values.numel() == 0:
        raise ValueError("need at least one training log-likelihood")
    return float(torch.quantile(values, percentile / 100.0))


def rejection_rate(log_prob: torch.Tensor, threshold: float) -> float:
    """The fraction of inputs whose log p(x) falls below ``threshold`` (rejected)."""
    values = torch.as_tensor(log_prob, dtype=torch.float64).flatten()
    if values.numel() == 0:
        raise ValueError("no log-likelihoods given")
    return float((values < threshold).double().mean())
