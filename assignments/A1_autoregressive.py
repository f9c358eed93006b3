# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/assignments/A1_autoregressive.ipynb)
#
# # A1 · Autoregressive models: masks, likelihoods and samples
#
# Notebook 03 built PixelCNN from four pieces. In this assignment you write each of them
# yourself, then train a small PixelCNN made of *your* layers and draw digits from it:
#
# 1. the **causal mask** of a masked convolution, types A and B;
# 2. the **masked convolution** itself, a subclass of `nn.Conv2d`;
# 3. the **negative log-likelihood** of each image, and its conversion to **bits per dimension**;
# 4. the **sampling loop** that draws an image one pixel at a time.
#
# **How this assignment works.** Write your code only inside the cells that say
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError(...)` line. Each exercise is
# followed by check cells: run them; when one passes it prints nothing, when it fails it
# tells you what was expected, what your code gave, and the most likely mistake. The
# grader runs these checks and a few hidden ones, and it only takes your solution cells:
# helper functions written in other cells are not seen, and editing a check cell changes
# nothing. Use `torch`, `torch.nn` (`nn`), `torch.nn.functional` (`F`) and `math`, all
# imported below; `numpy` is allowed too. The course's own PixelCNN
# (`course_lib.models.pixelcnn`) is imported only for the checks: they run your code with
# it taken away, so calling it fails the check.
#
# Points: mask 4, masked convolution 5, likelihood 4, bits per dimension 2, sampling 5
# (20 in total). Everything runs on the CPU in a few seconds.

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
import torch.nn as nn
import torch.nn.functional as F

from course_lib import checks, data, runtime, viz
from course_lib.models import pixelcnn  # the course's reference: only the checks use it

env = runtime.setup(seed=0)
profile = env.profile

# %% [markdown]
# ## 1. The causal mask
#
# An autoregressive model writes the probability of an image as a product over its pixels,
# taken in a fixed order:
#
# $$p(x) = \prod_{i=1}^{D} p(x_i \mid x_1, \dots, x_{i-1}).$$
#
# PixelCNN uses **raster order**: row by row from the top, left to right within a row. The
# network predicts all $D$ conditionals at once, one output per pixel, so the output at
# pixel $i$ must not depend on the input at pixel $i$ or after it. A convolution respects
# this when its kernel is **masked**: with the kernel centred on pixel $i$, every weight on a
# pixel that comes later in raster order is multiplied by 0. Those are the pixels right of
# the centre in the centre row, and every row below it.
#
# * A **type A** mask also zeroes the centre. The first layer uses it: it reads the image,
#   and the prediction for pixel $i$ must not see $x_i$ itself.
# * A **type B** mask keeps the centre. Later layers use it: at pixel $i$ they read
#   features that were computed only from pixels before $i$, so looking at the centre is
#   allowed.
#
# The weight of `nn.Conv2d` has shape `(out_channels, in_channels, k, k)`, and every pair
# of channels gets the same spatial mask.
#
# **Exercise 1.** Write `causal_mask(kernel_size, mask_type, in_channels=1, out_channels=1)`:
# return a `float32` tensor of shape `(out_channels, in_channels, k, k)` holding 1 where
# a weight is kept and 0 where it is masked, for an odd `kernel_size` $k$ and
# `mask_type` `"A"` or `"B"`.

# %% nbgrader={"grade": false, "grade_id": "a1_mask", "locked": false, "schema_version": 3, "solution": true}
def causal_mask(kernel_size, mask_type, in_channels=1, out_channels=1):
    """The 0/1 mask (out_channels, in_channels, k, k) of a masked convolution, in raster order."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'causal_mask: start from zeros (k, k); put 1 on every row above the centre '
        'and left of the centre in the centre row (and on the centre itself for type '
        'B); then expand to (out_channels, in_channels, k, k).')


# %% [markdown]
# **Predict, then run.** How many of the 25 weights of a 5×5 kernel does a type A mask
# keep? And type B? Write your two numbers down, then run the cell.

# %% tags=["raises-exception"]
for kind in "AB":
    mask = causal_mask(5, kind)[0, 0]
    print(f"type {kind}: keeps {int(mask.sum())} of 25 weights\n{mask.int()}")

# %% [markdown]
# Two full rows of 5 above the centre, and 2 pixels left of it: 12 for type A. Type B adds
# the centre: 13. Half the kernel, less or plus the centre.

# %% nbgrader={"grade": true, "grade_id": "a1_mask_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
def own_work(student, name, modules=(pixelcnn,)):
    """`student`, run with the course's reference code taken away: using it fails the check."""
    message = (f"`{name}` uses the course's own reference, {{}}: the exercise asks you to write it "
               "yourself, so the checks run your code with the reference taken away.")

    class Taken:
        def __init__(self, where):
            self.where = where

        def __call__(self, *args, **kwargs):
            raise AssertionError(message.format(self.where))

        def __getattr__(self, attr):
            raise AssertionError(message.format(self.where))

    def run(*args, **kwargs):
        saved = [(m, key, value) for m in modules for key, value in list(vars(m).items())
                 if not key.startswith("_") and str(getattr(value, "__module__", "")).startswith("course_lib")]
        for m, key, _ in saved:
            setattr(m, key, Taken(f"{m.__name__}.{key}"))
        try:
            return student(*args, **kwargs)
        except NotImplementedError as err:
            raise AssertionError(f"`{name}` is not implemented yet: it still raises NotImplementedError ({err}). "
                                 "Replace the `raise NotImplementedError(...)` line with your code.") from None
        except AssertionError:
            raise
        except Exception as err:  # the student's code crashed: a failed check that says where
            raise AssertionError(f"`{name}` raised {type(err).__name__}: {err}") from None
        finally:
            for m, key, value in saved:
                setattr(m, key, value)
    return run


def mask_variant(keep):
    """A mask built from `keep(row, col, centre, mask_type)`, expanded like the real one."""
    def build(k, mask_type, in_channels=1, out_channels=1):
        c = k // 2
        m = torch.tensor([[float(keep(r, s, c, mask_type)) for s in range(k)] for r in range(k)])
        return m.expand(out_channels, in_channels, k, k).clone()
    return build


mask_mistakes = [
    (mask_variant(lambda r, s, c, t: r < c or (r == c and (s < c or (s == c and t == "A")))),
     "the centre pixel has the wrong mask type: type A hides the centre (the first layer must not see "
     "the pixel it predicts), type B keeps it."),
    (mask_variant(lambda r, s, c, t: r < c or r == c and (s != c or t == "B")),
     "the rest of the current row leaks: the pixels right of the centre come later in raster order, "
     "so their weights must be 0."),
    (mask_variant(lambda r, s, c, t: r < c or r == c and (s < c or s == c and t == "B") or r > c),
     "the rows below the centre leak: every pixel there comes later in raster order, so their weights must be 0."),
    (mask_variant(lambda r, s, c, t: s < c or (s == c and (r < c or r == c and t == "B"))),
     "wrong raster order: you went column by column. Raster order is row by row, top to bottom, "
     "left to right within a row: keep every row above the centre and the pixels left of it."),
    (mask_variant(lambda r, s, c, t: r > c or (r == c and (s > c or s == c and t == "B"))),
     "your mask is reversed: it keeps the pixels *after* the centre. Keep the rows above and the pixels left of it."),
    (lambda k, t, i=1, o=1: torch.ones(o, i, k, k),
     "your mask keeps every weight (all ones): zero the centre's future, and the centre itself for type A."),
    (lambda k, t, i=1, o=1: pixelcnn.causal_mask(k, t, o, i),
     "the channel axes are swapped: the shape is (out_channels, in_channels, k, k), like nn.Conv2d's weight."),
]
checks.check_function(
    own_work(causal_mask, "causal_mask"), pixelcnn.causal_mask,
    [(3, "A"), (3, "B"), (5, "A"), (5, "B"), (7, "A", 2, 3), (7, "B", 3, 2), (1, "B"), (1, "A", 2, 2)],
    name="causal_mask", known_mistakes=mask_mistakes, dtype=torch.float32)

# %% nbgrader={"grade": true, "grade_id": "a1_mask_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
for k, kind, cin, cout in [(3, "A", 4, 1), (5, "B", 1, 6), (3, "B", 2, 5)]:
    found = own_work(causal_mask, "causal_mask")(k, kind, cin, cout)
    checks.check_shape(found, (cout, cin, k, k), name=f"causal_mask({k}, {kind!r}, {cin}, {cout})",
                       hint="the shape is (out_channels, in_channels, k, k), like nn.Conv2d's weight.")
    checks.check_property(f"every channel pair of causal_mask({k}, {kind!r}, {cin}, {cout}) has the same "
                          "spatial mask", found, found[:1, :1].expand_as(found),
                          hint="build one (k, k) mask, then expand it to every (out, in) pair.")
    checks.check_property(f"causal_mask({k}, {kind!r}) keeps (k*k - 1)/2 weights{' + the centre' * (kind == 'B')}",
                          found[0, 0].sum(), (k * k - 1) / 2 + (kind == "B"),
                          hint="half the kernel before the centre, plus the centre for type B only.")


# %% [markdown]
# ## 2. The masked convolution
#
# A masked convolution is an ordinary `nn.Conv2d` whose kernel is multiplied by the mask
# **in every forward pass**, so that it convolves with `weight * mask`. Masking once, when
# the layer is made, is not enough: the optimiser updates every entry of the weight at
# every step, so the masked entries would come back to life. The mask itself is not
# learned: keep it as a buffer (`self.register_buffer("mask", ...)`, which moves with the
# layer to another device and is saved with it) or as a plain tensor attribute, never as an
# `nn.Parameter`. Padding $k // 2$ keeps the image size, so output pixel $(r, c)$ sits
# above input pixel $(r, c)$.
#
# **Exercise 2.** Complete `MaskedConv2d`: `__init__` makes the convolution (with
# `padding=kernel_size // 2` and a bias) and keeps the mask from your `causal_mask`;
# `forward` maps `(B, in_channels, H, W)` to `(B, out_channels, H, W)` with the masked kernel.

# %% nbgrader={"grade": false, "grade_id": "a1_conv", "locked": false, "schema_version": 3, "solution": true}
class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only pixels before the centre (type A) or up to it (type B)."""

    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        # YOUR CODE HERE
        raise NotImplementedError(
            '__init__: super().__init__(in_channels, out_channels, kernel_size, '
            'padding=kernel_size // 2), then self.register_buffer("mask", '
            'causal_mask(...)).')

    def forward(self, x):
        """(B, in_channels, H, W) -> (B, out_channels, H, W), convolved with the masked kernel."""
        # YOUR CODE HERE
        raise NotImplementedError(
            'forward: F.conv2d(x, <the weight times the mask>, self.bias, '
            'padding=self.padding): mask in every forward pass.')


# %% [markdown]
# **Predict, then run.** Stack one type A layer and four type B layers, all 3×3, and ask
# which input pixels the output at the centre of a 9×9 image depends on (a pixel counts
# when the gradient of that output with respect to it is not zero). Each 3×3 layer reaches
# one pixel further, so five layers could reach 5 pixels away, past the border of this
# image. Which pixels *before* the centre, in raster order, does the stack still not see?
# Sketch your guess, then run.

# %% tags=["raises-exception"]
def receptive_field(layers, size=9):
    """Which input pixels the output at the centre depends on: (size, size) of 0/1."""
    torch.manual_seed(1)
    stack = nn.Sequential(*layers)
    x = torch.randn(1, 1, size, size, requires_grad=True)
    stack(x)[0, 0, size // 2, size // 2].backward()
    return (x.grad[0, 0] != 0).float()


field = receptive_field([MaskedConv2d(1, 4, 3, "A")] + [MaskedConv2d(4, 4, 3, "B") for _ in range(4)])
for r, row in enumerate(field.int().tolist()):
    print(" ".join("o" if (r, s) == (4, 4) else "#" if v else "." for s, v in enumerate(row)))
blind = [(r, s) for r in range(9) for s in range(9) if (r < 4 or (r == 4 and s < 4)) and not field[r, s]]
print(f"{int(field.sum())} pixels seen; {len(blind)} pixels before the centre are never seen: {blind}")

# %% [markdown]
# `#` marks the pixels the centre output `o` sees. The region grows up and to the left,
# but a wedge of pixels above and to the **right** of the centre stays dark, although they
# come before the centre in raster order and could help predict it: the **blind spot** of
# the plain PixelCNN. Notebook 03 shows it in pictures and removes it with the gated
# PixelCNN's two stacks.

# %% nbgrader={"grade": true, "grade_id": "a1_conv_check", "locked": true, "points": 3, "schema_version": 3, "solution": false} tags=["raises-exception"]
torch.manual_seed(2)
reference_mask = pixelcnn.causal_mask


def build_layer(cin, cout, k, kind):
    """Your MaskedConv2d, made with a correct mask (so a mistake in exercise 1 costs nothing here)."""
    global causal_mask
    yours, causal_mask = causal_mask, reference_mask
    try:
        layer = own_work(MaskedConv2d, "MaskedConv2d")(cin, cout, k, kind)
    finally:
        causal_mask = yours
    if not isinstance(layer, nn.Conv2d):
        raise AssertionError("`MaskedConv2d` must be a subclass of nn.Conv2d (class MaskedConv2d(nn.Conv2d)), "
                             "so that it keeps the convolution's weight and bias.")
    if isinstance(layer, pixelcnn.MaskedConv2d):
        raise AssertionError("`MaskedConv2d` subclasses the course's reference pixelcnn.MaskedConv2d: "
                             "the exercise asks you to write it yourself, on top of nn.Conv2d.")
    trainable = sorted(n for n, p in layer.named_parameters() if p.requires_grad)
    if trainable != ["bias", "weight"]:
        raise AssertionError(f"`MaskedConv2d`'s trainable parameters are {trainable}, expected ['bias', 'weight'].\n"
                             "  likely mistake: the mask is an nn.Parameter, so the optimiser would change it; "
                             "keep it as a buffer (register_buffer) or a plain tensor. (A layer without bias: "
                             "keep nn.Conv2d's default bias=True.)")
    checks.check_shape(layer.weight.detach(), (cout, cin, k, k), name="MaskedConv2d.weight",
                       hint="pass in_channels, out_channels and kernel_size to nn.Conv2d's __init__ in this order.")
    return layer


def conv_forward(layer):
    """The layer's forward pass, with a hint when it crashes on shapes or in-place updates."""
    def forward(x):
        try:
            return layer(x)
        except RuntimeError as err:
            text = str(err)
            if "must match the size" in text or "broadcast" in text:
                hint = ("the mask has the shape of the weight (out, in, k, k): multiply it with the weight, "
                        "not with the input or the output.")
            elif "leaf Variable" in text or "in-place" in text:
                hint = ("`self.weight *= mask` changes a Parameter that requires grad in place: convolve with "
                        "`self.weight * self.mask` instead.")
            else:
                raise
            raise AssertionError(f"`MaskedConv2d.forward` raised RuntimeError: {text}\n  likely mistake: {hint}") from None
    return own_work(forward, "MaskedConv2d.forward")


def conv_mistakes(weight, bias, k, kind):
    other = "B" if kind == "A" else "A"
    return [
        (lambda x: F.conv2d(x, weight, bias, padding=k // 2),
         "your layer computes an UNMASKED convolution: the mask never reaches the weight used in forward. "
         "Convolve with weight * mask in every forward pass (masking once in __init__ is undone by the next "
         "optimiser step, and a mask on the input or the output is not the same)."),
        (lambda x: F.conv2d(x, weight * reference_mask(k, other, weight.shape[1], weight.shape[0]), bias, padding=k // 2),
         f"you masked with type {other}, the other mask type: pass mask_type on to causal_mask."),
        (lambda x: F.conv2d(x, weight * reference_mask(k, kind, weight.shape[1], weight.shape[0]), None, padding=k // 2),
         "the bias is missing: pass self.bias to F.conv2d."),
        (lambda x: F.conv2d(x, weight * reference_mask(k, kind, weight.shape[1], weight.shape[0]), bias),
         "no padding: the output must keep the input's height and width, so pad by kernel_size // 2."),
    ]


def check_masked_conv(cin, cout, k, kind, inputs):
    layer = build_layer(cin, cout, k, kind)
    with torch.no_grad():  # new weights, as after an optimiser step
        layer.weight.copy_(torch.randn_like(layer.weight))
        layer.bias.copy_(torch.randn_like(layer.bias))
    weight, bias = layer.weight.detach().clone(), layer.bias.detach().clone()
    mask = reference_mask(k, kind, cin, cout)
    checks.check_function(
        conv_forward(layer), lambda x: F.conv2d(x, weight * mask, bias, padding=k // 2),
        [(x,) for x in inputs], name=f"MaskedConv2d({cin}, {cout}, {k}, {kind!r}).forward",
        known_mistakes=conv_mistakes(weight, bias, k, kind), rtol=1e-4, atol=1e-5)


for cin, cout, k, kind in [(1, 4, 3, "A"), (4, 4, 3, "B"), (2, 3, 5, "A"), (3, 2, 7, "B")]:
    check_masked_conv(cin, cout, k, kind, [torch.randn(2, cin, 6, 9), torch.randn(3, cin, 10, 8)])

# %% nbgrader={"grade": true, "grade_id": "a1_conv_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
torch.manual_seed(3)


def check_layer_rules(cin, cout, k, kind, shape):
    layer = build_layer(cin, cout, k, kind)
    name = f"MaskedConv2d({cin}, {cout}, {k}, {kind!r})"
    out = conv_forward(layer)(torch.randn(*shape))
    if out.requires_grad:
        out.sum().backward()
    grad = layer.weight.grad
    allowed = reference_mask(k, kind, cin, cout).bool()
    if grad is None or not bool((grad[allowed] != 0).any()):
        raise AssertionError(f"No gradient reaches `{name}.weight`, so it cannot learn.\n  likely mistake: a "
                             ".detach(), torch.no_grad() or .data in the forward pass, or an output that does "
                             "not come from the convolution; convolve with `self.weight * self.mask`.")
    checks.check_causal(conv_forward(layer), shape, mask_type=kind, name=name)
    with torch.no_grad():  # an optimiser step changes every entry of the weight
        layer.weight.add_(torch.randn_like(layer.weight))
    try:
        checks.check_causal(conv_forward(layer), shape, mask_type=kind, name=name + " after an optimiser step")
    except AssertionError as err:
        raise AssertionError(f"{err}\n  (it was causal before the weights changed: the mask must be applied in "
                             "every forward pass, not once in __init__.)") from None


for cin, cout, k, kind, shape in [(1, 3, 3, "A", (2, 1, 5, 6)), (3, 3, 3, "B", (1, 3, 4, 7)),
                                  (2, 2, 5, "A", (2, 2, 6, 5)), (2, 1, 5, "B", (1, 2, 5, 5))]:
    check_layer_rules(cin, cout, k, kind, shape)


# %% [markdown]
# ## 3. The likelihood, in nats per image and bits per dimension
#
# For binary images the network outputs one **logit** $\ell_i$ per pixel, and
# $p(x_i = 1 \mid x_{<i}) = \sigma(\ell_i)$ with the sigmoid $\sigma$. Pixel $i$ costs
#
# $$-\log p(x_i \mid x_{<i}) = -\left[x_i \log \sigma(\ell_i) + (1 - x_i) \log\bigl(1 - \sigma(\ell_i)\bigr)\right]$$
#
# nats (natural log). Computed literally, this breaks for large $|\ell|$: the sigmoid rounds
# to 0 or 1 and its log becomes $-\infty$. `F.logsigmoid(l)` $= \log \sigma(\ell)$ and
# `F.logsigmoid(-l)` $= \log(1 - \sigma(\ell))$ are stable, and so is
# `F.binary_cross_entropy_with_logits`.
#
# With **K grey levels** per pixel (the lecture's "softmax loss at each pixel"), the network
# outputs K logits per pixel, $p(x_i = v \mid x_{<i}) = \mathrm{softmax}(\ell_i)_v$, and pixel
# $i$ costs $-\log \mathrm{softmax}(\ell_i)_{x_i}$: `F.log_softmax` over the K axis, then pick the
# entry of the observed level (`gather`), or `F.cross_entropy`.
#
# The course's **contract**: `nll_per_image` returns one number per image, the *sum* over
# its pixels, in nats. (Averages over images, and per-pixel figures, come later.)
#
# **Exercise 3.** Write `nll_per_image(logits, x)` for both kinds of model:
#
# * Bernoulli: `logits` of shape `(N, 1, H, W)` and `x` of the same shape, floats 0 and 1;
# * softmax over K levels: `logits` of shape `(N, K, 1, H, W)` and `x` of shape `(N, 1, H, W)`,
#   integers (`int64`) in $0, \dots, K-1$.
#
# Return the `(N,)` negative log-likelihoods in nats, finite even for logits of size 100,
# and differentiable (the training loss is built on it).

# %% nbgrader={"grade": false, "grade_id": "a1_nll", "locked": false, "schema_version": 3, "solution": true}
def nll_per_image(logits, x):
    """-log p(x) of each image in nats, (N,): summed over every pixel of the image."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'nll_per_image: Bernoulli (logits.dim() == 4): -[x log sigmoid(l) + (1 - x) '
        'log sigmoid(-l)] with F.logsigmoid; K levels (logits.dim() == 5): '
        '-F.log_softmax over dim 1, gathered at x; then sum over every axis but the '
        'first.')


# %% [markdown]
# **Predict, then run.** A model that knows nothing outputs logit 0 for every pixel
# ($p = 1/2$). What is its negative log-likelihood for one 28×28 binary image, in nats?
# And with equal logits over K = 16 grey levels? Does it matter which image we score?

# %% tags=["raises-exception"]
blank = torch.zeros(2, 1, 28, 28)                                    # two all-black binary images
digit = data.binarize(data.load_mnist("test", limit=1, verbose=False).images, seed=0)
grey = data.quantize(data.load_mnist("test", limit=1, verbose=False).images, 16)  # (1, 1, 28, 28), 0..15
print("binary, logit 0  :", nll_per_image(torch.zeros(2, 1, 28, 28), blank).tolist(),
      nll_per_image(torch.zeros(1, 1, 28, 28), digit).tolist(), "nats;  784 ln 2 =", 784 * math.log(2))
print("16 levels, equal :", nll_per_image(torch.zeros(1, 16, 1, 28, 28), grey).tolist(),
      "nats;  784 ln 16 =", 784 * math.log(16))

# %% [markdown]
# Every image costs the same under a model that knows nothing: 784 ln 2 ≈ 543.4 nats with
# two values per pixel, 784 ln 16 ≈ 2173.7 nats with sixteen. A trained model must do better
# than these on real digits to have learned anything.

# %% nbgrader={"grade": true, "grade_id": "a1_nll_check", "locked": true, "points": 3, "schema_version": 3, "solution": false} tags=["raises-exception"]
torch.manual_seed(4)


def bce(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none")


def per_level(logits, x):
    """-log softmax(logits)[x] at every pixel, (N, 1, H, W)."""
    return F.cross_entropy(logits, x, reduction="none")


def binary(n, h, w, scale=1.0):
    return scale * torch.randn(n, 1, h, w), torch.randint(0, 2, (n, 1, h, w)).float()


def levels(n, k, h, w, scale=1.0):
    return scale * torch.randn(n, k, 1, h, w), torch.randint(0, k, (n, 1, h, w))


nll_mistakes = [
    (lambda l, x: (bce(l, x) if l.dim() == 4 else per_level(l, x)).flatten(1).mean(1),
     "you averaged over the pixels (or divided by their number) where the contract sums: nll_per_image is "
     "the NLL of the whole image in nats, the sum over its pixels. Per-dimension figures are exercise 4's job."),
    (lambda l, x: (bce(l, x) if l.dim() == 4 else per_level(l, x)).flatten(1).sum(1) / math.log(2),
     "your result is in bits (log base 2); the contract is nats (the natural log). The conversion to bits "
     "comes in exercise 4."),
    (lambda l, x: (bce(l, x) if l.dim() == 4 else per_level(l, x)).flatten(1).mean(1) / math.log(2),
     "your result is in bits per dimension; this function returns nats per image, summed over the pixels."),
    (lambda l, x: bce(x, l).flatten(1).sum(1),
     "the arguments are swapped: the logits are the model's output, x holds the binary pixels."),
    (lambda l, x: -(x * torch.sigmoid(l) + (1 - x) * (1 - torch.sigmoid(l))).flatten(1).sum(1),
     "the log is missing: sum -log p(x_i | x_<i), not -p."),
    (lambda l, x: -(x * torch.log(l) + (1 - x) * torch.log(1 - l)).flatten(1).sum(1),
     "you treated the logits as probabilities: apply the sigmoid (better: use F.logsigmoid)."),
    (lambda l, x: -(x * torch.log(torch.sigmoid(l)) + (1 - x) * torch.log(1 - torch.sigmoid(l))).flatten(1).sum(1),
     "log(sigmoid(l)) is -inf when the sigmoid rounds to 0 or 1 (large |logit|): use F.logsigmoid(l) and "
     "F.logsigmoid(-l), or F.binary_cross_entropy_with_logits."),
    (lambda l, x: -l.gather(1, x.unsqueeze(1)).flatten(1).sum(1),
     "you used the raw logit of the observed level: normalise first, log p = F.log_softmax(logits, dim=1)."),
    (lambda l, x: -F.softmax(l, dim=1).gather(1, x.unsqueeze(1)).flatten(1).sum(1),
     "the log is missing: take -log softmax (F.log_softmax), not -softmax."),
    (lambda l, x: -F.log_softmax(l, dim=-1).gather(1, x.unsqueeze(1)).flatten(1).sum(1),
     "the softmax runs over the wrong axis: the K levels are axis 1 of the (N, K, 1, H, W) logits."),
    (lambda l, x: -F.log_softmax(l, dim=2).gather(1, x.unsqueeze(1)).flatten(1).sum(1),
     "the softmax runs over the wrong axis: the K levels are axis 1 of the (N, K, 1, H, W) logits."),
]
nll_cases = [binary(4, 5, 5), binary(2, 28, 28, scale=3.0), binary(3, 4, 6),
             (torch.tensor([[[[100.0, -100.0], [40.0, -40.0]]]]), torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])),
             levels(3, 4, 5, 5), levels(2, 8, 3, 7, scale=3.0), levels(2, 2, 4, 4),
             (torch.tensor([[100.0, -100.0, 0.0]]).reshape(1, 3, 1, 1, 1), torch.tensor([[[[1]]]]))]
checks.check_function(own_work(nll_per_image, "nll_per_image"), pixelcnn.nll_per_image, nll_cases,
                      name="nll_per_image", known_mistakes=nll_mistakes, rtol=1e-4, atol=1e-4)

# %% nbgrader={"grade": true, "grade_id": "a1_nll_more", "locked": true, "points": 1, "schema_version": 3, "solution": false} tags=["raises-exception"]
torch.manual_seed(41)
checks.check_property("a model with logit 0 everywhere costs 784 ln 2 nats per 28x28 binary image",
                      own_work(nll_per_image, "nll_per_image")(torch.zeros(3, 1, 28, 28), binary(3, 28, 28)[1]),
                      torch.full((3,), 784 * math.log(2)), rtol=1e-5,
                      hint="each pixel costs -log(1/2) = ln 2 nats: sum over the 784 pixels, in natural log.")
checks.check_property("equal logits over K = 16 levels cost 784 ln 16 nats per 28x28 image",
                      own_work(nll_per_image, "nll_per_image")(torch.zeros(2, 16, 1, 28, 28), levels(2, 16, 28, 28)[1]),
                      torch.full((2,), 784 * math.log(16)), rtol=1e-5,
                      hint="each pixel costs -log(1/16) = ln 16 nats: sum over the 784 pixels, in natural log.")
for logits, x in (binary(2, 4, 4), levels(2, 5, 4, 4)):
    checks.check_gradient_flow(own_work(nll_per_image, "nll_per_image"), {"logits": logits, "x": x},
                               name="nll_per_image", must_flow=["logits"],
                               hints={"logits": "the training loss is built on nll_per_image: no .item(), "
                                                ".detach() or NumPy round trip."})


# %% [markdown]
# ### Bits per dimension
#
# Nats per image grow with the image: a 64×64 image costs more than a 28×28 one under any
# model. Dividing by the number of **dimensions** $D$ of one image (channels × height ×
# width) and by $\ln 2$ gives **bits per dimension**, which compares across image sizes:
#
# $$\text{bits/dim} = \frac{-\log p(x)}{D \ln 2}.$$
#
# A model that gives every binary pixel probability 1/2 costs exactly 1 bit per dimension.
#
# **Exercise 4.** Write `bits_per_dim(nll, x)`: `nll` holds the `(N,)` nats per image of the
# images `x` of shape `(N, C, H, W)`; return the `(N,)` bits per dimension of each image.

# %% nbgrader={"grade": false, "grade_id": "a1_bpd", "locked": false, "schema_version": 3, "solution": true}
def bits_per_dim(nll, x):
    """Each image's NLL in bits per dimension, (N,): nats / (D ln 2), D = the values in ONE image."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'bits_per_dim: D = the number of values in one image, x[0].numel(); divide '
        'the nats by D and by ln 2 (math.log(2)).')


# %% tags=["raises-exception"]
print("the know-nothing model:", bits_per_dim(nll_per_image(torch.zeros(2, 1, 28, 28), blank), blank), "bits/dim")

# %% nbgrader={"grade": true, "grade_id": "a1_bpd_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
from course_lib import likelihood  # noqa: E402  (the course's conversion, the reference here)

torch.manual_seed(5)


def bpd_reference(nll, x):
    return torch.tensor([likelihood.nats_to_bits_per_dim(v, x[0].numel()) for v in nll.tolist()])


bpd_mistakes = [
    (lambda nll, x: nll / x[0].numel(),
     "your result is in nats per dimension: divide by ln 2 as well to get bits."),
    (lambda nll, x: nll / math.log(2),
     "your result is in bits per IMAGE: divide by the number of dimensions D of one image as well."),
    (lambda nll, x: nll / (x.numel() * math.log(2)),
     "you divided by the number of values in the whole batch: D counts the values of ONE image, x[0].numel()."),
    (lambda nll, x: nll / (x.shape[-2] * x.shape[-1] * math.log(2)),
     "you counted height x width only: with several channels, D = channels x height x width."),
    (lambda nll, x: nll / (x[0].numel() * math.log(10)),
     "you used log base 10: bits are log base 2, so divide by ln 2."),
    (lambda nll, x: nll * math.log(2) / x[0].numel(),
     "you multiplied by ln 2: converting nats to bits divides by ln 2 (1 bit = ln 2 nats)."),
    (lambda nll, x: (nll / (x[0].numel() * math.log(2))).mean(),
     "you averaged over the images: return one figure per image, shape (N,)."),
]
checks.check_function(own_work(bits_per_dim, "bits_per_dim", (pixelcnn, likelihood)), bpd_reference,
                      [(784 * math.log(2) * torch.ones(3), torch.zeros(3, 1, 28, 28)),
                       (100 * torch.rand(5), torch.zeros(5, 1, 28, 28)),
                       (50 * torch.rand(4), torch.zeros(4, 3, 5, 7)),
                       (torch.rand(1), torch.zeros(1, 2, 3, 3))],
                      name="bits_per_dim", known_mistakes=bpd_mistakes)


# %% [markdown]
# ## 4. Sampling, one pixel at a time
#
# Training evaluates all conditionals in one forward pass, because the whole image is
# known. Generation is sequential: pixel $i$ can only be drawn once pixels $1, \dots, i-1$
# have been. The naive sampler starts from a canvas of zeros and, for every pixel in
# raster order,
#
# 1. runs the network on the canvas (one full forward pass);
# 2. turns the logit at that pixel into a probability, $\sigma(\ell_i)$;
# 3. **draws** the pixel from it (`torch.bernoulli`): taking the most likely value instead
#    (argmax, or thresholding at 1/2) makes every sample the same "average" image;
# 4. **writes it into the canvas**, so that the next forward pass sees it.
#
# Thanks to the masks, the pixels not drawn yet (still 0) do not affect the logit at pixel
# $i$. Run the loop under `torch.no_grad()`: no gradients are needed, and it is faster.
#
# **Exercise 5.** Write `sample(model, n, height, width)`: `model` maps a canvas
# `(n, 1, height, width)` to logits of the same shape; return `n` images of shape
# `(n, 1, height, width)`, floats 0 and 1, drawn pixel by pixel in raster order from a canvas
# of zeros, with torch's global random numbers (`torch.bernoulli` or `torch.distributions`).

# %% nbgrader={"grade": false, "grade_id": "a1_sample", "locked": false, "schema_version": 3, "solution": true}
def sample(model, n, height, width):
    """n binary images (n, 1, height, width), drawn pixel by pixel in raster order."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'sample: canvas = zeros; for each row i, for each column j: p = '
        'sigmoid(model(canvas)[:, :, i, j]); canvas[:, :, i, j] = '
        'torch.bernoulli(p).')


# %% [markdown]
# ### Train a small PixelCNN made of your layers
#
# A type A layer reads the image, type B layers follow, and a 1×1 layer gives one logit per
# pixel. The training loss is the average over a batch of `nll_per_image`, nats per image.
# (The `fast` profile trains on 512 digits for one epoch, about a second: expect blobs,
# not digits. The `full` profile trains for four epochs on 4,500 digits; notebook 03 trains
# a far better gated PixelCNN.)

# %% tags=["raises-exception"]
from course_lib import train

train_digits = data.load_mnist("train", limit=profile.choose(full=4500, fast=512))
test_digits = data.load_mnist("test", limit=profile.choose(full=500, fast=128), verbose=False)
x_train = data.binarize(train_digits.images, seed=0)   # (N, 1, 28, 28) of 0/1, drawn once
x_test = data.binarize(test_digits.images, seed=0)

torch.manual_seed(0)
width = profile.choose(full=32, fast=16)
model = nn.Sequential(MaskedConv2d(1, width, 7, "A"), nn.ReLU(),
                      *[m for _ in range(profile.choose(full=4, fast=2))
                        for m in (MaskedConv2d(width, width, 3, "B"), nn.ReLU())],
                      MaskedConv2d(width, 1, 1, "B"))
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train), batch_size=64, shuffle=True)
model = model.to(env.device)   # the GPU when there is one; train.fit moves each batch there
history = train.fit(model, loader, lambda m, batch: nll_per_image(m(batch[0]), batch[0]).mean(),
                    torch.optim.Adam(model.parameters(), lr=3e-3), epochs=profile.choose(full=4, fast=1))
with torch.no_grad():
    test_nll = nll_per_image(model(x_test.to(env.device)), x_test.to(env.device)).cpu()
runtime.report("A1 PixelCNN test NLL", test_nll.mean(), "nats/image")
runtime.report("A1 PixelCNN test bits/dim", bits_per_dim(test_nll, x_test).mean(), "bits/dim")

# %% [markdown]
# **Predict, then run.** Sampling 16 digits of 28×28 pixels: how many forward passes of the
# network does your `sample` make, 784 or 16 × 784? And is the test NLL above or below the
# know-nothing model's 543 nats?

# %% tags=["raises-exception"]
class Counted(nn.Module):
    """Counts the forward passes of the model it wraps."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, x):
        self.calls += 1
        return self.model(x)


counted = Counted(model.eval().cpu())   # your sample() draws on a CPU canvas, so the model comes back to the CPU
torch.manual_seed(0)
start = time.perf_counter()
digits = sample(counted, 16, 28, 28)
seconds = time.perf_counter() - start
print(f"{counted.calls} forward passes for 16 digits in {seconds:.1f} s; test NLL {test_nll.mean():.1f} nats "
      f"(know-nothing: {784 * math.log(2):.1f})")
viz.show_images(digits, nrow=8, title="16 digits drawn pixel by pixel from your PixelCNN")

# %% [markdown]
# One forward pass per pixel, for the whole batch at once: 784 passes, however many digits
# we draw, and each pass recomputes the entire image although only one pixel changed.
# That is the price of sequential generation; notebook 03 shows a faster sampler that gives
# the same samples.
#
# In the `full` profile this small plain PixelCNN (blind spot included) trains for four
# epochs on 4,500 digits; its test NLL is printed above, and its samples are pen strokes,
# some of them digit-like. The published PixelCNN reaches 81.30 nats on binarised MNIST
# (van den Oord et al. 2016), with a far larger network trained on 60,000 digits for much
# longer.

# %% nbgrader={"grade": true, "grade_id": "a1_sample_check", "locked": true, "points": 3, "schema_version": 3, "solution": false} tags=["raises-exception"]
class Spy(nn.Module):
    """Every pixel is 1 with probability 1; remembers each canvas it is shown."""

    def __init__(self):
        super().__init__()
        self.seen, self.offset = [], nn.Parameter(torch.zeros(()))

    def forward(self, canvas):
        self.seen.append(canvas.detach().clone())
        return torch.full_like(canvas, 30.0) + self.offset


class CopyPrevious(nn.Module):
    """Pixel i copies pixel i - 1 (raster order); the first pixel is a fair coin."""

    def __init__(self):
        super().__init__()
        self.offset = nn.Parameter(torch.zeros(()))

    def forward(self, canvas):
        flat = canvas.flatten(1)                                           # (n, H*W)
        previous = torch.cat([torch.full_like(flat[:, :1], 0.5), flat[:, :-1]], dim=1)
        return (40.0 * (2 * previous - 1)).reshape(canvas.shape) + self.offset


class Independent(nn.Module):
    """Pixel (i, j) is 1 with probability probs[i, j], whatever the canvas."""

    def __init__(self, probs):
        super().__init__()
        self.logits = nn.Parameter(torch.logit(probs)[None, None])

    def forward(self, canvas):
        return self.logits.expand(len(canvas), -1, -1, -1)


def sample_with_hints(model, n, height, width):
    try:
        return sample(model, n, height, width)
    except RuntimeError as err:
        if "p_in <= 1" not in str(err) and "between 0 and 1" not in str(err):
            raise
        raise AssertionError(f"`sample` raised RuntimeError: {err}\n  likely mistake: torch.bernoulli takes "
                             "probabilities in [0, 1]: apply torch.sigmoid to the logits first.") from None


def draw(model, n, height, width):
    """Your sample(...), checked for shape, dtype and 0/1 values."""
    out = own_work(sample_with_hints, "sample")(model, n, height, width)
    checks.check_shape(out, (n, 1, height, width), name=f"sample(model, {n}, {height}, {width})",
                       hint="return the whole canvas, (n, 1, height, width).")
    checks.check_dtype(out, torch.float32, name="sample", hint="keep the canvas a float tensor of 0s and 1s.")
    if not bool(((out == 0) | (out == 1)).all()):
        raise AssertionError("`sample` returns values other than 0 and 1.\n  likely mistake: you wrote the "
                             "probabilities (or logits) into the canvas instead of drawing 0 or 1.")
    return out


def check_order(n, height, width):
    spy = Spy()
    draw(spy, n, height, width)
    d = height * width
    if len(spy.seen) < d:
        raise AssertionError(f"`sample` ran the model {len(spy.seen)} times for {height}x{width} = {d} pixels.\n"
                             "  likely mistake: the pixels must be drawn one at a time, each from a new forward "
                             "pass that sees the pixels drawn before it: one pass per pixel.")
    raster = torch.arange(d)
    columns = raster.reshape(height, width).t().flatten()  # pixel index visited t-th, column by column
    for t, canvas in enumerate(spy.seen[:d]):
        filled = (canvas != 0).any(dim=(0, 1)).flatten()
        if torch.equal(filled, raster < t):
            continue
        if t > 0 and not bool(filled.any()):
            hint = ("the sampled pixels are never fed back: write each drawn pixel into the canvas that the "
                    "next forward pass sees.")
        elif torch.equal(filled, torch.isin(raster, columns[:t])):
            hint = ("wrong raster order: you went column by column. Raster order is row by row (outer loop "
                    "over rows i, inner loop over columns j).")
        else:
            hint = ("start from a canvas of zeros and fill it in raster order: row by row, left to right, "
                    "one pixel per forward pass.")
        raise AssertionError(f"At forward pass {t} the model should see exactly the first {t} pixels "
                             f"(raster order) filled in.\n  found: {filled.reshape(height, width).int().tolist()}"
                             f"\n  likely mistake: {hint}")


def check_feedback(n, height, width):
    images = draw(CopyPrevious(), n, height, width).flatten(1)
    constant = (images == images[:, :1]).all(dim=1)
    if not bool(constant.all()):
        raise AssertionError("Under a model where each pixel copies the one before it (raster order), every "
                             "sample should be all 0s or all 1s; some of yours are not.\n  likely mistake: the "
                             "drawn pixels are not fed back, or pixel (i, j) is read from the wrong logit.")
    if len(set(images[:, 0].tolist())) < 2:
        raise AssertionError("Under a model whose first pixel is a fair coin, all your samples start with the "
                             "same value.\n  likely mistake: argmax (or a threshold at 1/2) instead of drawing "
                             "with torch.bernoulli.")


def check_distribution(probs, n):
    images = draw(Independent(probs), n, *probs.shape)
    if bool((images == images[:1]).all()):
        raise AssertionError("All your samples are the same image.\n  likely mistake: argmax (or a threshold "
                             "at 1/2) instead of drawing each pixel with torch.bernoulli(sigmoid(logit)).")
    for (i, j), p in zip(torch.cartesian_prod(torch.arange(probs.shape[0]), torch.arange(probs.shape[1])).tolist(),
                         probs.flatten().tolist()):
        checks.check_frequencies(images[:, 0, i, j].long(), torch.tensor([1 - p, p]), name=f"sample, pixel ({i}, {j})",
                                 hint="pixel (i, j) must be 1 with probability sigmoid(logits[:, :, i, j]): "
                                      "check the sigmoid and the indices.")


torch.manual_seed(6)
check_order(3, 3, 5)
check_feedback(64, 3, 4)
check_distribution(torch.tensor([[0.2, 0.7, 0.5], [0.9, 0.35, 0.05]]), 3000)

# %% nbgrader={"grade": true, "grade_id": "a1_sample_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
torch.manual_seed(7)
check_order(2, 4, 3)
check_feedback(32, 5, 2)
torch.manual_seed(8)
samples_a = draw(Independent(torch.full((2, 3), 0.5)), 50, 2, 3)
torch.manual_seed(8)
samples_b = draw(Independent(torch.full((2, 3), 0.5)), 50, 2, 3)
checks.check_property("the same seed gives the same samples", samples_b, samples_a,
                      hint="draw with torch's global random numbers (torch.bernoulli, torch.distributions), "
                           "not with a generator or a seed of your own.")
if torch.equal(draw(Independent(torch.full((2, 3), 0.5)), 50, 2, 3), samples_b):
    raise AssertionError("Two calls of `sample` in a row gave the same 50 images.\n  likely mistake: your "
                         "sample sets a seed or uses its own torch.Generator: draw with torch's global random "
                         "numbers, so that each call gives new images.")
