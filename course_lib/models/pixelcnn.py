r"""PixelRNN and PixelCNN: the chain rule over pixels, with a neural network per conditional.

Taught in notebook 03 (autoregressive models); assignment A1 re-implements the causal
mask, the masked convolution, the per-image likelihood and the sampling loop.

An image $x$ of $D$ pixels, read in raster order (rows top to bottom, left to right
within a row), has the exact factorisation

$$p(x) = \prod_{i=1}^{D} p(x_i \mid x_1, \dots, x_{i-1}).$$

Notebook 02 stored every conditional in a table ($2^D - 1$ numbers). Here one network
outputs all $D$ conditionals at once, for every pixel, in a single forward pass; the only
rule is *causality*: output $i$ may depend on inputs $j < i$ only.

The file follows the lecture:

1. :func:`causal_mask` and :class:`MaskedConv2d` -- a convolution whose kernel is zero on
   the centre pixel and after it (type "A", first layer) or only after it (type "B", later
   layers, whose inputs already exclude the centre pixel).
2. :func:`nll_per_image` -- the training loss: per-pixel Bernoulli or K-way softmax
   negative log-likelihood, **summed** over the pixels of an image (nats per image); bits
   per dimension divide by $D \ln 2$ (:mod:`course_lib.likelihood`).
3. :class:`PixelCNN` -- a plain stack of masked convolutions (it has a blind spot).
4. :class:`GatedPixelCNN` -- vertical and horizontal stacks with gated activations
   (van den Oord et al. 2016, "Conditional image generation with PixelCNN decoders"):
   no blind spot.
5. :class:`RowLSTM` -- a small PixelRNN (the *Row LSTM* of van den Oord et al. 2016,
   "Pixel recurrent neural networks"): an LSTM that walks down the image one row at a time.
6. :func:`sample` and :func:`complete` -- generation is sequential: one pixel at a time.
   ``method="naive"`` runs the whole network once per pixel; ``method="fast"`` recomputes
   only what the next pixel can see (Ramachandran et al. 2017 cache the same way) and,
   because both draw from the same pre-drawn uniform numbers, gives identical samples.

Shapes. Binary images are float (N, 1, H, W) in {0, 1}; a Bernoulli model returns logits
(N, 1, H, W). K-level images are int64 (N, 1, H, W) in {0, ..., K-1}; a softmax model
returns logits **(N, K, 1, H, W)** -- the class dimension second, as ``F.cross_entropy``
expects, and the image keeps its channel dimension.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.likelihood import nats_to_bits_per_dim
from course_lib.train import History, fit

__all__ = ["causal_mask", "MaskedConv2d", "nll_per_image", "bits_per_dim_of", "PixelCNN",
           "GatedPixelCNN", "RowLSTM", "sample", "complete", "receptive_field", "blind_spot",
           "uniform_logits", "evaluate_nll", "scheduled_lr", "fit_by_maximum_likelihood",
           "train_or_load"]

MASK_TYPES = ("A", "B")


# --- 1. the causal mask and the masked convolution ----------------------------------------

def causal_mask(kernel_size: int, mask_type: str, in_channels: int = 1,
                out_channels: int = 1) -> torch.Tensor:
    r"""The 0/1 mask of a masked convolution, shape (out_channels, in_channels, k, k).

    Taught in notebook 03; assignment A1 asks for it. With $c = k // 2$ the centre:

    * rows below the centre (row $> c$): 0 -- pixels not generated yet;
    * the centre row right of the centre (column $> c$): 0;
    * the centre itself: 0 for type ``"A"`` (the first layer must not see the pixel it
      predicts), 1 for type ``"B"`` (later layers, whose input at the centre already
      summarises only earlier pixels);
    * everything else (rows above, the centre row left of the centre): 1.

    One channel per pixel (binary or grey digits), so every channel pair gets the same
    mask (no R/G/B channel groups).
    """
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1 \
            or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be an odd positive int (the mask needs a centre), "
                         f"got {kernel_size!r}")
    if mask_type not in MASK_TYPES:
        raise ValueError(f"mask_type must be 'A' (excludes the centre) or 'B' (includes it), "
                         f"got {mask_type!r}")
    for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    c = kernel_size // 2
    mask = torch.ones(kernel_size, kernel_size)
    mask[c + 1:, :] = 0                                   # rows below the centre
    mask[c, c + (1 if mask_type == "B" else 0):] = 0      # the centre (type A) and its right
    return mask.expand(out_channels, in_channels, kernel_size, kernel_size).clone()


class MaskedConv2d(nn.Conv2d):
    r"""A square convolution whose weight is multiplied by :func:`causal_mask` in every forward.

    Taught in notebook 03. ``padding = k // 2`` keeps the image size, so output pixel
    $(r, c)$ reads only inputs before $(r, c)$ in raster order (type A) or up to and
    including it (type B). The mask is a buffer: it moves with ``.to(device)`` and is saved
    in the state dict, but it is not a parameter and is never trained.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 mask_type: str = "A", bias: bool = True):
        mask = causal_mask(kernel_size, mask_type, in_channels, out_channels)  # validates
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)
        self.mask_type = mask_type
        self.register_buffer("mask", mask.to(self.weight.device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", mask_type={self.mask_type!r}"


# --- 2. the likelihood ---------------------------------------------------------------------

def nll_per_image(logits: torch.Tensor, x: torch.Tensor, levels: int | None = None) -> torch.Tensor:
    r"""Negative log-likelihood of each image in nats, (N,): **summed** over its pixels.

    Taught in notebook 03; assignment A1 asks for it.

    $$-\log p(x) = -\sum_{i=1}^{D} \log p(x_i \mid x_{<i})$$

    * Bernoulli: ``logits`` (N, 1, H, W), ``x`` float in {0, 1} of the same shape;
      $-\log p(x_i) = \mathrm{softplus}(-\ell_i)$ if $x_i = 1$, $\mathrm{softplus}(\ell_i)$ if 0.
    * Softmax over K levels: ``logits`` (N, K, 1, H, W), ``x`` int64 (N, 1, H, W) in
      {0, ..., K-1}; $-\log p(x_i) = -\log \mathrm{softmax}(\ell_i)_{x_i}$. ``levels=K``
      (optional) also checks that the logits have K classes.

    The mean over images of this is "nats per image"; divide by $D \ln 2$ for bits per
    dimension (:func:`bits_per_dim_of`, :func:`course_lib.likelihood.nats_to_bits_per_dim`).
    """
    if not isinstance(logits, torch.Tensor) or not isinstance(x, torch.Tensor):
        raise ValueError("logits and x must be torch tensors")
    checks = x.device.type != "meta"
    if logits.dim() == 4:                                            # Bernoulli
        if levels is not None:
            raise ValueError(f"levels={levels} expects softmax logits (N, K, 1, H, W), got "
                             f"Bernoulli-shaped logits {tuple(logits.shape)}")
        if logits.shape[1] != 1 or tuple(x.shape) != tuple(logits.shape):
            raise ValueError(f"Bernoulli logits must have shape (N, 1, H, W) equal to x's; got "
                             f"logits {tuple(logits.shape)} and x {tuple(x.shape)}")
        if not x.is_floating_point():
            raise ValueError(f"a Bernoulli model expects float images of 0s and 1s, got dtype {x.dtype}")
        if checks and x.numel() and not torch.all((x == 0) | (x == 1)):
            raise ValueError("a Bernoulli model expects binary images (only 0s and 1s): binarise "
                             "grey images first (course_lib.data.binarize)")
        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # (N, 1, H, W)
        return nll.flatten(1).sum(1)
    if logits.dim() == 5:                                            # softmax over K levels
        n, k = logits.shape[:2]
        if levels is not None and k != levels:
            raise ValueError(f"the logits have K={k} classes but levels={levels} was expected")
        if x.dim() != 4 or x.shape[1] != 1 or (x.shape[0], *x.shape[1:]) != (n, *logits.shape[2:]):
            raise ValueError(f"softmax logits (N, K, 1, H, W) = {tuple(logits.shape)} need x of "
                             f"shape (N, 1, H, W) = {(n, *logits.shape[2:])}, got {tuple(x.shape)}")
        if x.is_floating_point() or x.dtype == torch.bool:
            raise ValueError(f"a softmax model expects integer levels 0..{k - 1} (int64), got dtype "
                             f"{x.dtype} (use course_lib.data.quantize)")
        if checks and x.numel() and (x.min() < 0 or x.max() > k - 1):
            raise ValueError(f"levels must lie in 0..{k - 1} for K={k}, got values in "
                             f"{x.min().item()}..{x.max().item()}")
        nll = F.cross_entropy(logits, x.long(), reduction="none")        # (N, 1, H, W)
        return nll.flatten(1).sum(1)
    raise ValueError(f"logits must be Bernoulli (N, 1, H, W) or softmax (N, K, 1, H, W), got "
                     f"shape {tuple(logits.shape)}")


def bits_per_dim_of(nats_per_image: torch.Tensor | float, image_shape=(1, 28, 28)) -> float:
    """Mean nats per image -> bits per dimension (notebook 03): divide by D ln 2."""
    dim = math.prod(image_shape)
    return nats_to_bits_per_dim(float(torch.as_tensor(nats_per_image, dtype=torch.float64).mean()), dim)


def uniform_logits(x: torch.Tensor, levels: int | None = None) -> torch.Tensor:
    """The logits of the model that ignores the data: all zeros (1 bit/dim, or log2 K)."""
    if levels is None:
        return torch.zeros(x.shape, device=x.device)
    return torch.zeros((x.shape[0], levels, *x.shape[1:]), device=x.device)


# --- shared by the models: input checks, output head, row-by-row evaluation -----------------

class _Autoregressive(nn.Module):
    """What every model here shares: ``levels`` (None = Bernoulli), the input check, the loss.

    For sampling, a model gives the logits of one row, ``row_logits(x, r, state)``, after
    ``begin_row(x, r, state)``; the default recomputes the network on the strip of rows
    the output row can see (``rows_above`` of them plus the row itself).
    """

    rows_above: int = 0

    def __init__(self, levels: int | None):
        super().__init__()
        if levels is not None and (isinstance(levels, bool) or not isinstance(levels, int) or levels < 2):
            raise ValueError(f"levels must be None (Bernoulli) or an int K >= 2, got {levels!r}")
        self.levels = levels
        self.out_channels = 1 if levels is None else levels

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> the float network input (N, 1, H, W): 0/1, or level / (K - 1)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"expected images of shape (N, 1, H, W), got "
                             f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
        dtype = next((p.dtype for p in self.parameters()), torch.float32)
        if self.levels is None:
            if not x.is_floating_point():
                raise ValueError(f"a Bernoulli model expects float images of 0s and 1s, got {x.dtype}")
            return x.to(dtype)
        if x.is_floating_point() or x.dtype == torch.bool:
            raise ValueError(f"a {self.levels}-level model expects integer levels (int64), got {x.dtype}")
        return x.to(dtype) / (self.levels - 1)

    def _shape_logits(self, out: torch.Tensor) -> torch.Tensor:
        """(N, out_channels, H, W) -> Bernoulli (N, 1, H, W) or softmax (N, K, 1, H, W)."""
        return out if self.levels is None else out.unsqueeze(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, 1, H, W) -> logits: Bernoulli (N, 1, H, W) or softmax (N, K, 1, H, W)."""
        return self.forward_float(self._input(x))

    def forward_float(self, inp: torch.Tensor) -> torch.Tensor:
        """The network on float inputs (N, 1, H, W) (0/1 or level / (K-1)); gradients flow."""
        raise NotImplementedError

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Nats per image, (N,): ``nll_per_image(self(x), x)``."""
        return nll_per_image(self(x), x, levels=self.levels)

    def begin_row(self, x: torch.Tensor, r: int, state=None):
        return None

    def row_logits(self, x: torch.Tensor, r: int, state=None) -> torch.Tensor:
        """Logits of row ``r`` only: Bernoulli (N, 1, W), softmax (N, K, 1, W)."""
        top = max(0, r - self.rows_above)
        return self(x[:, :, top:r + 1])[..., -1, :]


def _head(channels: int, hidden: int, out_channels: int) -> nn.Sequential:
    """ReLU, 1x1 conv, ReLU, 1x1 conv: features -> logits at every pixel."""
    return nn.Sequential(nn.ReLU(), nn.Conv2d(channels, hidden, 1), nn.ReLU(),
                         nn.Conv2d(hidden, out_channels, 1))


# --- 3. the plain PixelCNN ------------------------------------------------------------------

class PixelCNN(_Autoregressive):
    r"""Plain PixelCNN: a type-A masked conv, then residual blocks of type-B masked convs.

    Taught in notebook 03. One forward pass gives all $D$ conditionals (training is
    parallel); stacking $k \times k$ type-B masks leaves a *blind spot*: pixels above and
    to the right that are in the past but that no path reaches.
    """

    def __init__(self, channels: int = 64, layers: int = 6, kernel_size: int = 3,
                 first_kernel_size: int = 7, levels: int | None = None, head: int | None = None):
        super().__init__(levels)
        self.config = dict(channels=channels, layers=layers, kernel_size=kernel_size,
                           first_kernel_size=first_kernel_size, levels=levels, head=head)
        self.first = MaskedConv2d(1, channels, first_kernel_size, "A")
        self.blocks = nn.ModuleList(MaskedConv2d(channels, channels, kernel_size, "B")
                                    for _ in range(layers))
        self.head = _head(channels, head or channels, self.out_channels)
        self.rows_above = first_kernel_size // 2 + layers * (kernel_size // 2)

    def forward_float(self, inp: torch.Tensor) -> torch.Tensor:
        h = self.first(inp)                                  # (N, 1, H, W) -> (N, C, H, W)
        for block in self.blocks:
            h = h + block(F.relu(h))                         # residual: (N, C, H, W)
        return self._shape_logits(self.head(h))


# --- 4. the gated PixelCNN: vertical and horizontal stacks ------------------------------------

def _gate(pre: torch.Tensor) -> torch.Tensor:
    r"""Gated activation $\tanh(a) \odot \sigma(b)$, (N, 2C, ...) -> (N, C, ...)."""
    a, b = pre.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    r"""One gated layer with a vertical and a horizontal stack (notebook 03).

    * vertical stack: a $(k//2 + 1) \times k$ convolution over the rows *above* (the first
      layer is shifted down one row so that row $r$ sees rows $< r$ only); it sees a
      rectangle above the pixel, which grows by $k//2$ rows and columns per layer -- no blind
      spot. With ``vertical_residual`` (not in the first layer) it adds its gated output to
      its input, as the horizontal stack does; van den Oord et al.'s figure 2 has the residual
      in the horizontal stack only.
    * horizontal stack: a $1 \times (k//2 + 1)$ convolution over the pixels on the left in
      the same row (the first layer: the $k//2$ pixels strictly left), plus a 1x1
      link from the vertical stack, a gate, a 1x1 convolution and a residual connection.
    """

    def __init__(self, in_channels: int, channels: int, kernel_size: int, first: bool,
                 vertical_residual: bool = True):
        super().__init__()
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size % 2 == 0 \
                or kernel_size < (3 if first else 1):
            raise ValueError(f"kernel_size must be an odd int (>= 3 for the first layer), got {kernel_size!r}")
        self.first, self.p = first, kernel_size // 2
        self.vertical_residual = vertical_residual and not first
        self.vertical = nn.Conv2d(in_channels, 2 * channels, (self.p + 1, kernel_size))
        # the first layer sees the p pixels strictly left, later layers p left and the pixel
        self.horizontal = nn.Conv2d(in_channels, 2 * channels, (1, self.p + (0 if first else 1)))
        self.vertical_to_horizontal = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.horizontal_out = nn.Conv2d(channels, channels, 1)

    def vertical_stack(self, v: torch.Tensor):
        """(N, C_in, H, W) -> the next vertical features (N, C, H, W) and the link (N, 2C, H, W)."""
        p, height = self.p, v.shape[2]
        if self.first:   # pad one more row on top and drop the last output row: rows < r only
            pre = self.vertical(F.pad(v, (p, p, p + 1, 0)))[:, :, :height]
        else:            # rows r - p .. r of a stack that already sees only rows < r
            pre = self.vertical(F.pad(v, (p, p, p, 0)))
        out = v + _gate(pre) if self.vertical_residual else _gate(pre)
        return out, self.vertical_to_horizontal(pre)

    def horizontal_stack(self, h: torch.Tensor, link: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) and the vertical link (N, 2C, H, W) -> (N, C, H, W)."""
        p, width = self.p, h.shape[3]
        if self.first:   # columns c - p .. c - 1: strictly left of the pixel
            pre = self.horizontal(F.pad(h, (p, 0, 0, 0)))[..., :width]
        else:            # columns c - p .. c
            pre = self.horizontal(F.pad(h, (p, 0, 0, 0)))
        out = self.horizontal_out(_gate(pre + link))
        return out if self.first else h + out


class GatedPixelCNN(_Autoregressive):
    r"""Gated PixelCNN (van den Oord et al. 2016): stacks of :class:`GatedLayer`, no blind spot.

    Taught in notebook 03. The first layer has a wider kernel (``first_kernel_size``);
    the logits come from the horizontal stack through a small 1x1 head.
    """

    def __init__(self, channels: int = 64, layers: int = 6, kernel_size: int = 3,
                 first_kernel_size: int = 7, levels: int | None = None, head: int | None = None,
                 vertical_residual: bool = True):
        super().__init__(levels)
        self.config = dict(channels=channels, layers=layers, kernel_size=kernel_size,
                           first_kernel_size=first_kernel_size, levels=levels, head=head,
                           vertical_residual=vertical_residual)
        self.layers = nn.ModuleList(
            [GatedLayer(1, channels, first_kernel_size, first=True)]
            + [GatedLayer(channels, channels, kernel_size, first=False,
                          vertical_residual=vertical_residual) for _ in range(layers - 1)])
        self.head = _head(channels, head or channels, self.out_channels)
        self.rows_above = first_kernel_size // 2 + 1 + (layers - 1) * (kernel_size // 2)

    def forward_float(self, inp: torch.Tensor) -> torch.Tensor:
        v = h = inp                                          # (N, 1, H, W)
        links = []
        for layer in self.layers:
            v, link = layer.vertical_stack(v)                # (N, C, H, W), (N, 2C, H, W)
            links.append(link)
        return self._horizontal(h, links)

    def _horizontal(self, h: torch.Tensor, links: list) -> torch.Tensor:
        """The horizontal stack, given every layer's vertical link, then the head -> logits."""
        for layer, link in zip(self.layers, links):
            h = layer.horizontal_stack(h, link)              # (N, C, H, W)
        return self._shape_logits(self.head(h))

    # Fast sampling: the vertical stack of row r sees rows < r only, so it runs once per row;
    # each pixel then needs only the horizontal stack on row r.
    def begin_row(self, x: torch.Tensor, r: int, state=None):
        top = max(0, r - self.rows_above)
        v = self._input(x[:, :, top:r + 1])                  # the strip of rows row r can see
        links = []
        for layer in self.layers:
            v, link = layer.vertical_stack(v)
            links.append(link[:, :, -1:])                    # (N, 2C, 1, W): row r only
        return links

    def row_logits(self, x: torch.Tensor, r: int, state=None) -> torch.Tensor:
        links = state if state is not None else self.begin_row(x, r)
        return self._horizontal(self._input(x[:, :, r:r + 1]), links)[..., 0, :]   # row r only


# --- 5. a small PixelRNN: the Row LSTM --------------------------------------------------------

class RowLSTMLayer(nn.Module):
    r"""One Row LSTM layer (van den Oord et al. 2016, "Pixel recurrent neural networks").

    Walks down the image one row at a time; the state of row $r$ is computed from

    * input-to-state: a $1 \times (k//2+1)$ convolution of row $r$'s input, columns $\le c$
      (mask B: the input already excludes the pixel itself);
    * state-to-state: a $1 \times k$ convolution of the hidden state of row $r - 1$;

    $[i, f, o, g] = \sigma, \sigma, \sigma, \tanh$ of their sum,
    $c_r = f \odot c_{r-1} + i \odot g$, $h_r = o \odot \tanh(c_r)$; the layer adds
    $W h_r$ (1x1) to its input (residual). $H$ sequential steps per layer.
    """

    def __init__(self, channels: int, hidden: int, kernel_size: int = 3):
        super().__init__()
        self.p, self.hidden = kernel_size // 2, hidden
        self.input_to_state = nn.Conv2d(channels, 4 * hidden, (1, self.p + 1))
        self.state_to_state = nn.Conv2d(hidden, 4 * hidden, (1, kernel_size), padding=(0, self.p),
                                        bias=False)
        self.out = nn.Conv2d(hidden, channels, 1)

    def input_gates(self, f: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> input-to-state contributions (N, 4h, H, W), columns <= c."""
        return self.input_to_state(F.pad(f, (self.p, 0, 0, 0)))

    def step(self, gates_in: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        """One row: input gates (N, 4h, 1, W), previous (h, c) (N, h, 1, W) -> new (h, c)."""
        i, f, o, g = (gates_in + self.state_to_state(h)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        n, _, height, width = f.shape
        gates = self.input_gates(f)                           # (N, 4h, H, W), all rows at once
        h = c = gates.new_zeros(n, self.hidden, 1, width)
        rows = []
        for r in range(height):                               # the sequential part
            h, c = self.step(gates[:, :, r:r + 1], h, c)
            rows.append(h)
        return f + self.out(torch.cat(rows, dim=2))           # (N, C, H, W)


class RowLSTM(_Autoregressive):
    """A small PixelRNN: 7x7 type-A masked conv, Row LSTM layers, 1x1 head (notebook 03).

    Training needs H sequential steps per layer (one per row); the triangular receptive
    field of the Row LSTM reaches every row above, but not every pixel of them.
    """

    def __init__(self, channels: int = 32, hidden: int = 32, layers: int = 2, kernel_size: int = 3,
                 first_kernel_size: int = 7, levels: int | None = None, head: int | None = None):
        super().__init__(levels)
        self.config = dict(channels=channels, hidden=hidden, layers=layers, kernel_size=kernel_size,
                           first_kernel_size=first_kernel_size, levels=levels, head=head)
        self.first = MaskedConv2d(1, channels, first_kernel_size, "A")
        self.layers = nn.ModuleList(RowLSTMLayer(channels, hidden, kernel_size) for _ in range(layers))
        self.head = _head(channels, head or channels, self.out_channels)

    def forward_float(self, inp: torch.Tensor) -> torch.Tensor:
        f = self.first(inp)                                   # (N, C, H, W)
        for layer in self.layers:
            f = layer(f)
        return self._shape_logits(self.head(f))

    # Fast sampling: keep each layer's (h, c) of the last finished row.
    def _row(self, x: torch.Tensor, r: int, states):
        top = max(0, r - self.first.kernel_size[0] // 2)
        f = self.first(self._input(x[:, :, top:r + 1]))[:, :, -1:]     # (N, C, 1, W)
        new_states = []
        for layer, (h, c) in zip(self.layers, states):
            h, c = layer.step(layer.input_gates(f), h, c)
            f = f + layer.out(h)
            new_states.append((h, c))
        return self._shape_logits(self.head(f))[..., 0, :], new_states

    def begin_row(self, x: torch.Tensor, r: int, state=None):
        if state is None:
            weight = self.first.weight
            zeros = torch.zeros(x.shape[0], self.layers[0].hidden, 1, x.shape[3], dtype=weight.dtype,
                                device=weight.device)
            state = {"next_row": 0, "states": [(zeros, zeros)] * len(self.layers)}
        while state["next_row"] < r:                          # finish the rows above r
            _, states = self._row(x, state["next_row"], state["states"])
            state = {"next_row": state["next_row"] + 1, "states": states}
        return state

    def row_logits(self, x: torch.Tensor, r: int, state=None) -> torch.Tensor:
        state = self.begin_row(x, r, state)
        return self._row(x, r, state["states"])[0]


# --- 6. sampling and completion ---------------------------------------------------------------

def _draw(logits: torch.Tensor, u: torch.Tensor, levels: int | None) -> torch.Tensor:
    """One pixel per image from its logits, by inverse CDF of a pre-drawn uniform ``u`` (N, 1).

    Bernoulli logits (N, 1): 1 if u < sigmoid(logit). Softmax logits (N, K, 1): the first
    level whose cumulative probability exceeds u. Using the same ``u`` makes two samplers
    that compute the same probabilities draw the same pixels.
    """
    if levels is None:
        return (u < torch.sigmoid(logits.double())).to(torch.float32)
    cdf = torch.softmax(logits.double(), dim=1).cumsum(dim=1)   # (N, K, 1)
    return (cdf[:, :-1] < u[:, None]).sum(dim=1)               # (N, 1) levels


def _fill(model: _Autoregressive, canvas: torch.Tensor, unknown: torch.Tensor, u: torch.Tensor,
          method: str, stop_after: int | None = None) -> torch.Tensor:
    """Fill the ``unknown`` pixels of ``canvas`` in raster order (the sampling loop)."""
    if method not in ("naive", "fast"):
        raise ValueError(f"method must be 'naive' (one full forward per pixel) or 'fast', got {method!r}")
    if method == "fast" and not hasattr(model, "row_logits"):
        raise ValueError("method='fast' needs a course model (begin_row / row_logits); "
                         "use method='naive' for any other network")
    levels = getattr(model, "levels", None)
    _, _, height, width = canvas.shape
    was_training = model.training
    model.eval()
    state, done = None, 0
    try:
        with torch.no_grad():
            for r in range(height):
                if method == "fast":
                    state = model.begin_row(canvas, r, state)
                for c in range(width):
                    todo = unknown[:, :, r, c]                 # (N, 1)
                    if stop_after is not None and done >= stop_after:
                        return canvas
                    done += 1
                    if not todo.any():
                        continue
                    if method == "naive":
                        logits = model(canvas)[..., r, c]     # (N, 1) or (N, K, 1)
                    else:
                        logits = model.row_logits(canvas, r, state)[..., c]
                    value = _draw(logits, u[:, :, r, c], levels).to(canvas.dtype)
                    canvas[:, :, r, c] = torch.where(todo, value, canvas[:, :, r, c])
    finally:
        model.train(was_training)
    return canvas


def _uniforms(shape, seed: int | None, generator: torch.Generator | None, device) -> torch.Tensor:
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
    return torch.rand(shape, generator=generator, dtype=torch.float64).to(device)


def _model_device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def sample(model: _Autoregressive, n: int, shape=(1, 28, 28), seed: int | None = 0,
           generator: torch.Generator | None = None, method: str = "fast",
           stop_after: int | None = None) -> torch.Tensor:
    r"""Draw ``n`` images pixel by pixel in raster order: $x_i \sim p(x_i \mid x_{<i})$.

    Taught in notebook 03; assignment A1 asks for the loop (``method="naive"``).

    * ``"naive"``: one full forward pass per pixel, $D$ passes in all;
    * ``"fast"``: the model recomputes only what the next pixel can see (a strip of rows
      for the plain PixelCNN; the vertical stack once per row and the horizontal stack
      per pixel for the gated one; one LSTM row step per pixel for the Row LSTM).

    Every pixel is drawn from the same uniform number $u_i$ (from ``seed`` or
    ``generator``) by inverse CDF, so both methods give identical samples whenever they
    compute the same probabilities (up to float rounding: $u_i$ would have to fall within
    about $10^{-7}$ of a probability to tell them apart). ``stop_after=t`` stops after the
    first t pixels (the rest stay 0): the sampling widget steps with it.
    Returns float {0, 1} images (Bernoulli) or int64 levels (softmax), (n, *shape).
    Any network mapping (N, 1, H, W) images to logits works with ``method="naive"``; its
    ``levels`` attribute (None when absent: Bernoulli) says which kind of logits it returns.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    shape = tuple(shape)
    if len(shape) != 3 or shape[0] != 1 or min(shape) < 1:
        raise ValueError(f"shape must be (1, H, W), one channel, got {shape}")
    device = _model_device(model)
    dtype = torch.float32 if getattr(model, "levels", None) is None else torch.long
    canvas = torch.zeros((n, *shape), dtype=dtype, device=device)
    unknown = torch.ones((n, *shape), dtype=torch.bool, device=device)
    return _fill(model, canvas, unknown, _uniforms((n, *shape), seed, generator, device), method,
                 stop_after)


def complete(model: _Autoregressive, images: torch.Tensor, known_mask: torch.Tensor,
             seed: int | None = 0, generator: torch.Generator | None = None,
             method: str = "fast") -> torch.Tensor:
    r"""Complete occluded images: keep the pixels where ``known_mask`` is true, sample the rest.

    Taught in notebook 03. Each missing pixel is drawn from $p(x_i \mid x_{<i})$, where
    $x_{<i}$ mixes known and already completed pixels; the model only conditions on the
    past, so known pixels *below* a missing one do not inform it (an autoregressive model
    cannot look ahead). ``images`` (N, 1, H, W), ``known_mask`` bool broadcastable to it.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W), got "
                         f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)}")
    known_mask = torch.as_tensor(known_mask, device=images.device)
    if known_mask.dtype != torch.bool:
        raise ValueError(f"known_mask must be a bool tensor (True = keep the pixel), got {known_mask.dtype}")
    try:
        known = known_mask.expand(images.shape)
    except RuntimeError as err:
        raise ValueError(f"known_mask of shape {tuple(known_mask.shape)} does not broadcast to "
                         f"the images' shape {tuple(images.shape)}") from err
    if hasattr(model, "_input"):
        model._input(images)                                       # checks dtype for this model
    device = _model_device(model)
    canvas = torch.where(known, images, torch.zeros_like(images)).to(device)
    return _fill(model, canvas, ~known.to(device),
                 _uniforms(tuple(images.shape), seed, generator, device), method)


# --- pictures for notebook 03: what one output pixel can see ----------------------------------

def receptive_field(model: nn.Module, pixel: tuple[int, int], shape=(1, 28, 28)) -> torch.Tensor:
    r"""$|\partial \text{output}(r, c) / \partial x|$, (H, W): which inputs one output pixel sees.

    Taught in notebook 03 (the receptive-field and blind-spot pictures). Evaluated on
    random inputs in float64; ``model`` may also be a single layer. Zero where the output
    cannot see the input.
    """
    r, c = pixel
    height, width = shape[1:]
    if not (0 <= r < height and 0 <= c < width):
        raise ValueError(f"pixel {pixel} is outside the image {shape}")
    model = copy.deepcopy(model).to("cpu", torch.float64)
    network = model.forward_float if isinstance(model, _Autoregressive) else model
    # 8 random images, so that a ReLU that happens to be off for one input hides nothing
    x = torch.rand((8, *shape), dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x.requires_grad_(True)
    out = network(x)
    out = out.reshape(out.shape[0], -1, height, width)          # any channels / classes
    out[:, :, r, c].sum().backward()
    return x.grad.abs().sum((0, 1))                              # (H, W)


def blind_spot(field: torch.Tensor, pixel: tuple[int, int]) -> torch.Tensor:
    """Past pixels (before ``pixel`` in raster order) inside the field's bounding box that
    the output cannot see, as a bool (H, W) map (notebook 03)."""
    r, c = pixel
    height, width = field.shape
    seen = field != 0
    rows = torch.arange(height)[:, None].expand(height, width)
    cols = torch.arange(width)[None, :].expand(height, width)
    past = (rows < r) | ((rows == r) & (cols < c))
    if not seen.any():
        return torch.zeros_like(seen)
    top, left, right = rows[seen].min(), cols[seen].min(), cols[seen].max()
    box = (rows >= top) & (cols >= left) & (cols <= right)
    return past & box & ~seen


# --- 7. training by maximum likelihood --------------------------------------------------------

def evaluate_nll(model: _Autoregressive, images: torch.Tensor, batch_size: int = 250) -> float:
    """Mean negative log-likelihood in nats per image over ``images`` (notebook 03)."""
    device = _model_device(model)
    was_training = model.training
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            total += model.nll(images[start:start + batch_size].to(device)).double().sum().item()
    model.train(was_training)
    return total / len(images)


SCHEDULE = "linear warm-up, then cosine decay to 0 at the last step"   # part of checkpoint keys


def scheduled_lr(step: int, total_steps: int, lr: float, warmup: int = 100) -> float:
    r"""The learning rate of update ``step`` (0-based) of ``total_steps`` (notebook 03).

    A linear warm-up, ``lr * (step + 1) / warmup`` for the first ``warmup`` updates, then a
    cosine decay $\mathrm{lr} \cdot \tfrac12 (1 + \cos(\pi \, \mathrm{step} / \mathrm{total\_steps}))$
    that ends near 0 at the last step: whatever the budget, the run ends with small steps that
    settle into a minimum instead of bouncing around it (Loshchilov and Hutter 2017, "SGDR").
    """
    for name, n in (("step", step), ("total_steps", total_steps), ("warmup", warmup)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{name} must be a non-negative int, got {n!r}")
    if total_steps < 1:
        raise ValueError(f"total_steps must be at least 1, got {total_steps}")
    if step < warmup:
        return lr * (step + 1) / warmup
    return lr * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total_steps)))


def fit_by_maximum_likelihood(model: _Autoregressive, train_images: torch.Tensor,
                              test_images: torch.Tensor, epochs: int, lr: float = 2e-3,
                              batch_size: int = 32, warmup: int = 100, checkpoint=None,
                              resume: bool = True, progress: bool = True, verbose: bool = True,
                              desc: str = "training") -> History:
    r"""Minimise $-\frac1N \sum_n \log p(x_n)$ with Adam; log nats/image and bits/dim (notebook 03).

    The learning rate warms up linearly over ``warmup`` steps, then decays as a cosine to 0
    at the last step (computed from Adam's own step count, so a resumed run continues the
    same schedule). Each epoch records the training loss (nats per image), ``test nats``
    and ``test bits/dim``. Uses :func:`course_lib.train.fit` (progress bar, atomic
    checkpoints, resume).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    dim = math.prod(train_images.shape[1:])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_images),
                                         batch_size=batch_size, shuffle=True, drop_last=True)
    total_steps = max(1, epochs * len(loader))
    first = next(model.parameters())

    def loss_fn(model, batch):
        step = int(optimizer.state[first]["step"]) if first in optimizer.state else 0
        for group in optimizer.param_groups:
            group["lr"] = scheduled_lr(step, total_steps, lr, warmup)
        nats = model.nll(batch[0]).mean()                     # nats per image
        return {"loss": nats, "bits/dim": nats.detach() / (dim * math.log(2))}

    def evaluate(model):
        nats = evaluate_nll(model, test_images)
        return {"test nats": nats, "test bits/dim": nats_to_bits_per_dim(nats, dim)}

    return fit(model, loader, loss_fn, optimizer, epochs=epochs, evaluate=evaluate,
               checkpoint=checkpoint, resume=resume, progress=progress, verbose=verbose, desc=desc)


def train_or_load(name: str, model: _Autoregressive, train_images: torch.Tensor,
                  test_images: torch.Tensor, *, epochs: int, lr: float, batch_size: int,
                  warmup: int = 100, settings: dict | None = None, retrain: bool = False,
                  directory=None, progress: bool = True,
                  verbose: bool = True) -> tuple[History, "Path"]:
    r"""Train ``model`` by maximum likelihood, or reload the weights an earlier run saved (notebook 03).

    The checkpoint's file name is a hash of everything that changes the trained weights
    (:func:`course_lib.train.checkpoint_path`): the model's class and ``model.config``,
    ``epochs``, ``lr``, ``batch_size``, the learning-rate schedule (:data:`SCHEDULE` and
    ``warmup``) and ``settings`` (data source and sizes, seeds).
    The same call again finds the finished checkpoint and trains nothing; any changed
    setting gives another file, so the model trains afresh; ``retrain=True`` ignores an
    existing checkpoint and overwrites it. Checkpoints are written atomically after every
    epoch, so an interrupted run resumes. Returns the history (its ``seconds`` are those
    of the run that trained) and the checkpoint's path.
    """
    from course_lib.train import checkpoint_path

    if not hasattr(model, "config"):
        raise ValueError("train_or_load needs a course model with a .config dict (its settings)")
    key = {"model": type(model).__name__, **model.config, "epochs": epochs, "lr": lr,
           "batch size": batch_size, "schedule": SCHEDULE, "warmup": warmup, **(settings or {})}
    path = checkpoint_path(name, key, directory)
    history = fit_by_maximum_likelihood(model, train_images, test_images, epochs=epochs, lr=lr,
                                        batch_size=batch_size, warmup=warmup, checkpoint=path,
                                        resume=not retrain,
                                        progress=progress, verbose=verbose, desc=name)
    return history, path
