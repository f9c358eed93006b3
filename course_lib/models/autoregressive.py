r"""Autoregressive models: the chain rule of probability, pixel by pixel.

Taught in notebook 02 (taxonomy: the chain rule made exact on tiny images); PixelCNN
joins this file in notebook 03.

Any distribution over images $x = (x_1, \dots, x_D)$ can be written, for any order
of the pixels, as a product of one-dimensional conditionals:

$$p(x) = \prod_{i=1}^{D} p(x_i \mid x_1, \dots, x_{i-1})$$

A *fully visible belief network* models each conditional directly. On binary 3x3
images we can do it with a table: for pixel i and every possible context
$x_{<i} \in \{0,1\}^{i-1}$ one probability $p(x_i = 1 \mid x_{<i})$. That is
$2^0 + 2^1 + \dots + 2^8 = 511$ numbers, and they describe *every* distribution on the
512 images. PixelRNN and PixelCNN replace the table, which grows as $2^D$, by a neural
network that reads the context.

``context_size=k`` keeps only the last k pixels of the order as the context (a Markov
chain along the order): fewer numbers, but then the model is no longer able to
represent every distribution, and the pixel order starts to matter.
"""
from __future__ import annotations


import torch

from course_lib.likelihood import as_binary_vectors

__all__ = ["TabularChainRule", "all_binary_images", "image_codes", "empirical_probabilities",
           "downsample_binary"]


def all_binary_images(n_pixels: int) -> torch.Tensor:
    """Every binary image of ``n_pixels`` pixels, (2**n_pixels, n_pixels); row j spells j in binary."""
    if not isinstance(n_pixels, int) or not 1 <= n_pixels <= 20:
        raise ValueError(f"n_pixels must be an int in 1..20 to enumerate, got {n_pixels!r}")
    codes = torch.arange(2 ** n_pixels)
    powers = 2 ** torch.arange(n_pixels - 1, -1, -1)
    return ((codes[:, None] // powers) % 2).to(torch.float64)


def image_codes(x: torch.Tensor) -> torch.Tensor:
    """Binary images (N, D) -> their index in ``all_binary_images(D)`` (first pixel = top bit)."""
    flat = as_binary_vectors(x)
    powers = 2.0 ** torch.arange(flat.shape[1] - 1, -1, -1, dtype=torch.float64)
    return (flat @ powers).long()


def empirical_probabilities(x: torch.Tensor) -> torch.Tensor:
    """How often each of the 2**D possible images occurs in ``x``: (2**D,), sums to 1."""
    flat = as_binary_vectors(x)
    counts = torch.bincount(image_codes(flat), minlength=2 ** flat.shape[1]).to(torch.float64)
    return counts / counts.sum()


def downsample_binary(images: torch.Tensor, size: int = 3, threshold: float = 0.3) -> torch.Tensor:
    """Grey (N, 1, 28, 28) digits -> binary (N, 1, size, size): average-pool, then threshold."""
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W), got {tuple(images.shape)}")
    pooled = torch.nn.functional.adaptive_avg_pool2d(images.float(), size)
    return (pooled > threshold).float()


class TabularChainRule:
    r"""$p(x) = \prod_i p(x_{o_i} \mid \text{context})$ with one table entry per (pixel, context).

    ``order`` is the order $o$ in which pixels are generated (default: raster order);
    ``context_size=None`` conditions on *all* previous pixels (exact, $2^D - 1$ entries),
    an int k on the last k only. ``smoothing`` is the Laplace pseudo-count alpha:
    $p(x_i = 1 \mid c) = (n_1(c) + \alpha) / (n_0(c) + n_1(c) + 2\alpha)$;
    with alpha = 0 a context never seen in training gets 1/2.
    """

    def __init__(self, n_pixels: int, order=None, context_size: int | None = None,
                 smoothing: float = 1.0):
        if not isinstance(n_pixels, int) or not 1 <= n_pixels <= 20:
            raise ValueError(f"n_pixels must be an int in 1..20, got {n_pixels!r}")
        order = list(range(n_pixels)) if order is None else [int(i) for i in order]
        if sorted(order) != list(range(n_pixels)):
            raise ValueError(f"order must be a permutation of 0..{n_pixels - 1}, got {order}")
        if context_size is not None and (not isinstance(context_size, int) or context_size < 0):
            raise ValueError(f"context_size must be None or an int >= 0, got {context_size!r}")
        if smoothing < 0:
            raise ValueError(f"smoothing must be >= 0, got {smoothing}")
        self.n_pixels = n_pixels
        self.order = order
        self.context_size = context_size
        self.smoothing = float(smoothing)
        # counts[i]: (number of contexts of step i, 2) -> how often x_{o_i} = 0 / 1 there
        self.counts = [torch.zeros(2 ** self.context_length(i), 2, dtype=torch.float64)
                       for i in range(n_pixels)]

    def context_length(self, step: int) -> int:
        """How many earlier pixels the conditional at ``step`` of the order reads."""
        return step if self.context_size is None else min(step, self.context_size)

    @property
    def n_parameters(self) -> int:
        """The number of table entries p(x_i = 1 | context): 2**D - 1 for the full context."""
        return sum(len(c) for c in self.counts)

    def _ordered(self, x: torch.Tensor) -> torch.Tensor:
        return as_binary_vectors(x, self.n_pixels)[:, self.order]               # (N, D)

    def _context_index(self, ordered: torch.Tensor, step: int) -> torch.Tensor:
        k = self.context_length(step)
        if k == 0:
            return torch.zeros(len(ordered), dtype=torch.long)
        context = ordered[:, step - k: step]                                      # (N, k)
        powers = 2.0 ** torch.arange(k - 1, -1, -1, dtype=torch.float64)
        return (context @ powers).long()

    def fit(self, x: torch.Tensor) -> "TabularChainRule":
        """Count, for every step and context, how often the next pixel is 0 and 1."""
        ordered = self._ordered(x)
        for step in range(self.n_pixels):
            index = self._context_index(ordered, step) * 2 + ordered[:, step].long()
            self.counts[step] = torch.bincount(index, minlength=2 * len(self.counts[step])) \
                .reshape(-1, 2).to(torch.float64)
        return self

    def conditional(self, step: int) -> torch.Tensor:
        """p(x_{o_step} = 1 | context) for every context of that step: (2**k,)."""
        n0, n1 = self.counts[step].unbind(dim=1)
        a = self.smoothing
        total = n0 + n1 + 2 * a
        return torch.where(total > 0, (n1 + a) / total.clamp_min(1e-300), torch.full_like(n1, 0.5))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        r"""$\log p(x) = \sum_i \log p(x_{o_i} \mid \text{context})$ in nats: (N,) float64."""
        ordered = self._ordered(x)
        total = torch.zeros(len(ordered), dtype=torch.float64)
        for step in range(self.n_pixels):
            p_one = self.conditional(step)[self._context_index(ordered, step)]
            pixel = ordered[:, step]
            total += torch.log(torch.where(pixel == 1, p_one, 1 - p_one))
        return total

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """Ancestral sampling, one pixel at a time in the order: D sequential steps. (n, D)."""
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        ordered = torch.zeros(n, self.n_pixels, dtype=torch.float64)
        for step in range(self.n_pixels):  # each step needs the pixels drawn before it
            p_one = self.conditional(step)[self._context_index(ordered, step)]
            ordered[:, step] = (torch.rand(n, generator=generator, dtype=torch.float64) < p_one).double()
        samples = torch.empty_like(ordered)
        samples[:, self.order] = ordered
        return samples.float()

    def probabilities_of_all_images(self) -> torch.Tensor:
        """p(x) for all 2**D images, in the order of ``all_binary_images``: (2**D,)."""
        return self.log_prob(all_binary_images(self.n_pixels)).exp()
