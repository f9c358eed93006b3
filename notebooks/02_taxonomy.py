# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/notebooks/02_taxonomy.ipynb)
#
# # 02 · A taxonomy of generative models, and the chain rule made exact
#
# A generative model is given samples from $p_\text{data}(x)$ and learns a
# $p_\text{model}(x)$ that resembles it. Lecture 2 asks *why* we want one, and sorts the
# many ways of building one into a family tree. Then we take the first branch of the tree,
# the chain rule of probability, and compute it **exactly** on images so small that every
# possible image can be listed. There we also see why **maximum likelihood** is the way
# to train such a model, and that counting *is* maximum likelihood: the bridge to the
# autoregressive models of [notebook 03](03_autoregressive.ipynb), trained by
# maximum likelihood with a network instead of a table.

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

import torch
from IPython.display import Markdown

from course_lib import data, runtime, viz

env = runtime.setup(seed=0)
profile = env.profile

# %% [markdown]
# ## 1. Why generative models?
#
# * **Realistic samples**: new images for art and design, and conditional versions that
#   fill in what is missing: super-resolution (a sharp image given a blurry one),
#   colourisation (a colour image given a grey one; [notebook 04](04_autoencoders.ipynb)
#   explains how an autoencoder learns it), inpainting.
# * **Simulation and planning**: a generative model of how a time series continues
#   (video frames, a robot's sensor readings) lets an agent imagine the outcome of its
#   actions before taking them, as in model-based reinforcement learning.
# * **Latent representations**: models with a latent code $z$ (VAEs,
#   [notebook 05](05_variational_autoencoders.ipynb)) learn features from
#   unlabeled data that help downstream tasks.
# * **Density estimation** itself: an explicit $p(x)$ scores inputs and can flag outliers
#   ([notebook 01](01_supervised_unsupervised.ipynb)).
#
# ## 2. The family tree
#
# The first split asks whether the model *writes down* $p_\text{model}(x)$.
#
# * **Explicit density**: the model *writes $p_\text{model}(x)$ down* as a formula. Whether
#   that formula can also be *computed* splits the branch:
#   * *Tractable*: $p_\text{model}(x)$ is computed exactly, so the model can be trained by
#     maximum likelihood directly. **Fully visible belief networks** use the chain rule
#     $p(x) = \prod_i p(x_i \mid x_{<i})$ (NADE, MADE, PixelRNN, PixelCNN); **normalising
#     flows** push a simple density through an invertible map; a **mixture** sums over a
#     few components (notebook 01).
#   * *Approximate*: the formula holds a sum or integral too large to compute, so
#     $p_\text{model}(x)$ is only approximated: the VAE maximises a **variational** lower
#     bound on $\log p(x)$; a Boltzmann machine's $p(x)$ divides by a sum over every possible
#     image, and training it by **Markov chain** Monte Carlo gives neither $p(x)$ nor a bound.
# * **Implicit density**: no formula for $p_\text{model}(x)$, only a way to *sample* from
#   it: **directly**, in one pass of a network (the GAN), or by running a **Markov chain**
#   (the generative stochastic network, GSN).
#
# The highlighted boxes are the models this course builds, and where.

# %%
from course_lib import taxonomy

taxonomy.taxonomy_figure()

# %% [markdown]
# ## 3. The chain rule, exactly, on 3×3 images
#
# The chain rule is not a modelling assumption: for *any* distribution over images
# $x = (x_1, \dots, x_D)$ and *any* order of the pixels,
#
# $$p(x) = p(x_1)\, p(x_2 \mid x_1)\, p(x_3 \mid x_1, x_2) \cdots
#        = \prod_{i=1}^D p(x_i \mid x_{<i}).$$
#
# An autoregressive model learns each one-dimensional conditional $p(x_i \mid x_{<i})$.
# PixelCNN does it with a neural network for 784 pixels. To *see* the rule at work we
# shrink the digits until everything can be enumerated: 3×3 binary images, of which there
# are only $2^9 = 512$.
#
# ### 3.1 Tiny digits
#
# Each digit is average-pooled to 3×3 and a cell is on when its average ink exceeds 0.2
# (`course_lib.models.autoregressive.downsample_binary`).

# %%
from course_lib.models import autoregressive as ar

train_digits = data.load_mnist("train", limit=profile.choose(full=None, fast=2000))
test_digits = data.load_mnist("test", verbose=False)
tiny_train = ar.downsample_binary(train_digits.images, size=3, threshold=0.2)   # (N, 1, 3, 3)
tiny_test = ar.downsample_binary(test_digits.images, size=3, threshold=0.2)
x_train, x_test = tiny_train.flatten(1), tiny_test.flatten(1)                 # (N, 9)
D = 9

first = torch.arange(0, len(train_digits), max(1, len(train_digits) // 10))[:10]
big = torch.nn.functional.interpolate(tiny_train[first], size=28, mode="nearest")
viz.image_tiles(torch.cat([train_digits.images[first], big]), ncols=10, tile=0.9,
                title="Ten digits (top) and their 3×3 binary versions (bottom)")

# %% [markdown]
# How are the training images spread over the 512 possible 3×3 images? The empirical
# distribution $\hat p(x)$ is just the frequency of each pattern.
#
# **Predict, then run.** Of the 512 possible 3×3 images, how many do you expect among the
# training digits: a handful, about half, or nearly all?

# %%
empirical = ar.empirical_probabilities(x_train)                 # (512,), sums to 1
all_images = ar.all_binary_images(D)                            # (512, 9), row j spells j in binary
seen = int((empirical > 0).sum())
top = empirical.argsort(descending=True)[:16]
print(f"{seen} of the 512 possible images occur among {len(x_train)} training digits")
runtime.report("distinct 3x3 patterns in the training digits", seen)
viz.image_tiles(all_images[top].reshape(-1, 3, 3), ncols=16,
                labels=[f"{p:.1%}" for p in empirical[top].tolist()],
                title="The 16 most frequent 3×3 images and their frequency")

# %% [markdown]
# ### 3.2 The chain rule as a table
#
# For binary pixels, each conditional $p(x_i = 1 \mid x_{<i})$ is one number per
# *context* $x_{<i}$. Pixel 1 has one context (nothing before it), pixel 2 has two, pixel
# $i$ has $2^{i-1}$: in all $2^0 + 2^1 + \dots + 2^8 = 511$ numbers, exactly the number of
# free parameters of a distribution over 512 outcomes. So the table can represent *every*
# distribution on 3×3 images.
#
# We fill it by counting. With Laplace smoothing (add $\alpha$ to both counts),
#
# $$p(x_i = 1 \mid c) = \frac{n_1(c) + \alpha}{n_0(c) + n_1(c) + 2\alpha},$$
#
# where $n_1(c)$ counts training images with context $c$ whose pixel $i$ is on. The
# fitted model is `course_lib.models.autoregressive.TabularChainRule`.

# %%
model = ar.TabularChainRule(D, smoothing=1.0).fit(x_train)
print("table entries p(x_i = 1 | context):", model.n_parameters, "=", sum(2 ** i for i in range(D)))
print(f"p(x_1 = 1)            = {model.conditional(0)[0].item():.3f}")
print(f"p(x_2 = 1 | x_1 = 0)  = {model.conditional(1)[0].item():.3f}")
print(f"p(x_2 = 1 | x_1 = 1)  = {model.conditional(1)[1].item():.3f}")

# %% [markdown]
# **Check 1: the probabilities of all 512 images sum to 1.** Nothing forced this except
# the chain rule: each conditional sums to 1 over its pixel's two values, so the product
# sums to 1 over all images. We evaluate $p(x)$ for every one of the 512 images and add up.
#
# This is the sense in which **images compete for probability mass** (notebook 01's blank
# page): there is one unit of probability to share among all 512 images, so any image that
# gains some takes it from the others. A good model gives it to the patterns digits make.

# %%
p_all = model.probabilities_of_all_images()                     # (512,)
total = p_all.sum().item()
print(f"sum over all 512 images: {total:.17f}   (off by {abs(total - 1):.1e})")
runtime.report("chain rule: |sum of p(x) over 512 images - 1|", abs(total - 1))
assert abs(total - 1) < 1e-12

# %% [markdown]
# **Check 2: how close is the model to the data?** Without smoothing ($\alpha = 0$) the
# counted conditionals multiply back to the empirical frequencies *exactly*: the table is
# so flexible that it memorises the training set. With $\alpha = 1$ it moves a little
# probability onto images never seen in training.

# %%
exact = ar.TabularChainRule(D, smoothing=0.0).fit(x_train)
gap = (exact.probabilities_of_all_images() - empirical).abs().max().item()
print(f"alpha = 0: largest |p_model(x) - p_hat(x)| over all 512 images = {gap:.1e}")
runtime.report("chain rule, alpha=0: max |p_model - empirical|", gap)
assert gap < 1e-12

from course_lib.viz import CourseFigure

fig = CourseFigure(figsize=(9, 4))
for k, (name, m) in enumerate([("alpha = 0", exact), ("alpha = 1", model)]):
    ax = fig.add_subplot(1, 2, k + 1)
    p_model = m.probabilities_of_all_images()
    ax.scatter(empirical.clamp_min(1e-5), p_model.clamp_min(1e-5), s=10, alpha=0.6)
    ax.plot([1e-5, 1], [1e-5, 1], color="0.5", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("empirical frequency of the image (1e-5 = never seen)")
    ax.set_ylabel("model probability")
    ax.set_title(f"{name}: sum = {p_model.sum().item():.12f}")
fig.tight_layout()
fig

# %% [markdown]
# The cost of memorising shows on **test** digits: a test image whose pattern never
# occurred in training gets probability 0 from the unsmoothed table, and its
# log-likelihood is $-\infty$. Smoothing keeps every probability positive. We score both in
# **bits per dimension**: the average over images of $-\log_2 p(x)$, divided by the 9
# pixels, $-\frac{1}{N}\sum_n \log p(x_n) / (9 \ln 2)$. An average per image, so it does not
# grow with the number of test images; per pixel, so images of different sizes compare.

# %%
from course_lib.likelihood import bits_per_dim

for name, m in [("alpha = 0", exact), ("alpha = 1", model)]:
    log_p = m.log_prob(x_test)                                   # (N_test,) nats
    bits = (-log_p.mean() / (D * math.log(2))).item()            # written out once
    print(f"{name}: test images with p(x) = 0: {int((log_p == -math.inf).sum()):3d}   "
          f"test bits/dim: {bits:.4f}")
smoothed_test_bits = bits_per_dim(model.log_prob(x_test), D)    # the same, from course_lib.likelihood
assert smoothed_test_bits == (-model.log_prob(x_test).mean() / (D * math.log(2))).item()
coin_bits = bits_per_dim(torch.full((len(x_test),), D * math.log(0.5), dtype=torch.float64), D)  # p(x) = 2^-9
assert abs(coin_bits - 1) < 1e-12, "a fair coin per pixel scores exactly 1 bit/dim"
assert math.isfinite(smoothed_test_bits) and smoothed_test_bits < coin_bits, "the table beats a fair coin"
runtime.report("chain rule table (alpha=1): test bits/dim on 3x3 digits", smoothed_test_bits)

# %% [markdown]
# From now on we use the tested `course_lib.likelihood.bits_per_dim`, as every later
# notebook does.
#
# ### 3.3 Counting is maximum likelihood
#
# Why fill the table by counting? Because counting *is* **maximum likelihood**: of all
# tables, the unsmoothed counts give the training images the highest total log-likelihood.
# For one context $c$ the log-likelihood of pixel $i$ is
# $n_1(c) \log q + n_0(c) \log (1 - q)$; setting its derivative
# $n_1(c)/q - n_0(c)/(1 - q)$ to zero gives $q = n_1(c) / (n_0(c) + n_1(c))$, the count.
#
# Maximum likelihood has a second reading. The average negative log-likelihood of the
# training set is the **cross-entropy** between the data's distribution $\hat p$ and the model,
#
# $$-\frac1N \sum_n \log p_\text{model}(x_n) = -\sum_x \hat p(x) \log p_\text{model}(x)
#   = \underbrace{-\sum_x \hat p(x) \log \hat p(x)}_{H(\hat p)\text{, fixed by the data}}
#   + \underbrace{\sum_x \hat p(x) \log \frac{\hat p(x)}{p_\text{model}(x)}}_{\mathrm{KL}(\hat p \,\|\, p_\text{model}) \;\ge\; 0},$$
#
# so maximising the likelihood is minimising $\mathrm{KL}(\hat p \,\|\, p_\text{model})$. On
# 3×3 images every term can be summed over all 512 images.
#
# **Predict, then run.** Which table has KL = 0, the smoothed one or the unsmoothed one?
# Which one has the better *test* score?

# %%
def entropy_terms(p_data, p_model):
    """(cross-entropy, entropy, KL) in nats, summed over all 512 images; 0 log 0 = 0."""
    seen = p_data > 0
    cross_entropy = -(p_data[seen] * p_model[seen].log()).sum().item()
    entropy = -(p_data[seen] * p_data[seen].log()).sum().item()
    kl = (p_data[seen] * (p_data[seen] / p_model[seen]).log()).sum().item()
    return cross_entropy, entropy, kl


for name, m in [("alpha = 0 (counts, maximum likelihood)", exact), ("alpha = 1 (smoothed, MAP)", model)]:
    cross_entropy, entropy, kl = entropy_terms(empirical, m.probabilities_of_all_images())
    train_nll = -m.log_prob(x_train).mean().item()               # the average over the training images
    print(f"{name}: train NLL {train_nll:.6f} = cross-entropy {cross_entropy:.6f} = "
          f"H {entropy:.6f} + KL {kl:.1e} nats per image;  test {bits_per_dim(m.log_prob(x_test), D):.4f} bits/dim")
    assert abs(train_nll - cross_entropy) < 1e-9 and abs(cross_entropy - (entropy + kl)) < 1e-9
    assert kl >= -1e-12

# %% [markdown]
# And the derivative argument on the data: take pixel 5 in a context where it is often on
# and often off, and move its conditional $q$ away from the count. Its share of the training log-likelihood,
# $n_1 \log q + n_0 \log(1 - q)$, is largest at the count.

# %%
n0, n1 = exact.counts[4].T                                      # (16,), (16,): counts per context of pixel 5
c = int(torch.minimum(n0, n1).argmax())                         # a context where pixel 5 is often on and often off
n0, n1 = n0[c].item(), n1[c].item()
counted = n1 / (n0 + n1)
share = {q: n1 * math.log(q) + n0 * math.log(1 - q) for q in (counted - 0.05, counted, counted + 0.05)}
for q, value in share.items():
    print(f"q = {q:.3f}: n1 log q + n0 log(1 - q) = {value:.2f} nats   (n0 = {n0:.0f}, n1 = {n1:.0f})")
assert share[counted] == max(share.values())

# %% [markdown]
# The counted table has $\mathrm{KL}(\hat p \,\|\, p_\text{model}) = 0$ (up to rounding in the
# last bits of a float64): it *is* the empirical
# distribution, the maximum-likelihood fit, and moving any one of its numbers lowers the
# training likelihood. Smoothing adds pseudo-counts, which is the **maximum a posteriori**
# (MAP) estimate under a Beta prior: a little KL on the training set bought back as a
# finite, better score on test images. [Notebook 03](03_autoregressive.ipynb) keeps exactly this principle,
# minimise the average $-\log p_\text{model}(x)$ of the training images, but replaces the
# table by a PixelCNN whose conditionals come out of a softmax; nothing can be counted there,
# so gradient descent does the maximising. (A0 has an exercise on the identity.)

# %% [markdown]
# ### 3.4 Sampling by the chain rule
#
# To draw an image, draw pixel 1 from $p(x_1)$; then pixel 2 from $p(x_2 \mid x_1)$ with
# the value just drawn; and so on. Each step needs the pixels before it, so sampling takes
# $D$ **sequential** steps. Here it is written out for a single image:

# %%
generator = torch.Generator().manual_seed(0)
image = torch.zeros(D)
for i in range(D):
    context = int("".join(str(int(v)) for v in image[:i]) or "0", 2)   # x_<i read as a binary number
    p_on = model.conditional(i)[context].item()
    image[i] = float(torch.rand(1, generator=generator).item() < p_on)
    print(f"step {i + 1}: p(x_{i + 1} = 1 | x_<{i + 1} = {image[:i].int().tolist()}) = {p_on:.2f}"
          f"  ->  x_{i + 1} = {int(image[i])}")

# %% [markdown]
# `TabularChainRule.sample` does the same for many images at once (all images in parallel,
# but still one pixel after another). With many samples, the frequency of each image
# approaches the model's probability.

# %%
n_samples = profile.choose(full=200_000, fast=20_000)
samples = model.sample(n_samples, seed=0)                       # (n, 9)
sample_freq = ar.empirical_probabilities(samples)
tv = 0.5 * (sample_freq - p_all).abs().sum().item()
# what sampling noise alone would give: E|freq - p| is about sqrt(2 p (1 - p) / (pi n)) per image
noise = 0.5 * (2 * p_all * (1 - p_all) / (math.pi * n_samples)).sqrt().sum().item()
print(f"total variation between {n_samples} samples and the model: {tv:.4f} "
      f"(sampling noise alone: about {noise:.4f})")
runtime.report("chain-rule samples vs model: total variation", tv)
assert tv < 2 * noise
viz.image_tiles(samples[:32].reshape(-1, 3, 3), ncols=16,
                title="32 samples of the 3×3 model (drawn pixel by pixel)")

# %% [markdown]
# ### 3.5 Does the order of the pixels matter?
#
# The chain rule holds for every order, so a model with the **full** context cannot
# depend on the order: fitted by counting without smoothing, it reproduces the empirical
# distribution in every order, and the training log-likelihood is the same.
#
# Real models cannot afford the full context; they *restrict* it. Keep only the previous
# pixel in the order, $p(x_i \mid x_{i-1})$ (a Markov chain, 17 numbers instead of 511),
# and the order starts to matter: which neighbour a pixel gets to see decides how well
# it can be predicted. We score each order on the training images in bits/dim.
#
# **Predict, then run.** With the full context, how much will the score change between
# orders? With only the previous pixel, will raster and *reversed* raster order differ?

# %%
orders = {
    "raster (row by row)": list(range(9)),
    "column by column": [0, 3, 6, 1, 4, 7, 2, 5, 8],
    "reversed raster": list(range(8, -1, -1)),
    "a random order": torch.randperm(9, generator=torch.Generator().manual_seed(0)).tolist(),
}
rows = []
full_values, short_values = {}, {}
for name, order in orders.items():
    full = ar.TabularChainRule(D, order=order, smoothing=0.0).fit(x_train)
    short = ar.TabularChainRule(D, order=order, context_size=1, smoothing=0.0).fit(x_train)
    full_values[name] = bits_per_dim(full.log_prob(x_train), D)
    short_values[name] = bits_per_dim(short.log_prob(x_train), D)
    rows.append([f"{name} {order}", f"{full_values[name]:.9f}", f"{short_values[name]:.4f}"])
full_spread = max(full_values.values()) - min(full_values.values())
short_spread = max(short_values.values()) - min(short_values.values())
runtime.report("full context: spread of train bits/dim over orders", full_spread, "bits/dim")
runtime.report("previous pixel only: spread of train bits/dim over orders", short_spread, "bits/dim")
print(f"previous pixel only: the orders differ by up to {short_spread:.4f} bits/dim "
      f"= {short_spread * D * math.log(2):.3f} nats per image")
assert full_spread < 1e-9 < short_spread
assert abs(short_values["raster (row by row)"] - short_values["reversed raster"]) < 1e-9
Markdown(viz.markdown_table(["order", "full context: train bits/dim",
                             "previous pixel only: train bits/dim"], rows, align="lrr"))

# %% [markdown]
# * With the full context, all orders give the same number up to rounding in the last
#   digits: the order is a free choice.
# * With only the previous pixel, the order changes the score (by the amount printed
#   above, per image). Reversing the order is the one change that does not matter here: a
#   first-order Markov chain fitted by counting has the same likelihood read forwards or
#   backwards.
#
# PixelRNN and PixelCNN restrict the context in their own way, to the pixels above and to
# the left, in raster order. PixelCNN's masked convolutions see only part of that region at
# first (the "blind spot" of [notebook 03](03_autoregressive.ipynb)).
#
# ### 3.6 Why a table cannot scale, and why sampling is slow
#
# For 28×28 binary digits the table would need $2^{784} - 1 \approx 10^{236}$ entries.
# Autoregressive models replace it with a network that reads the context and outputs
# $p(x_i \mid x_{<i})$, shared across all contexts. Training stays easy (all conditionals
# of a training image are computed in parallel, since every pixel is known), but sampling
# stays sequential: one step per pixel.

# %%
Markdown(viz.markdown_table(
    ["image", "pixels = sampling steps ($N^2$)", "PixelRNN sequential steps over the image ($2N-1$)"],
    [[f"{n}×{n}", n * n, 2 * n - 1] for n in (3, 28, 64)], align="lrr"))

# %% [markdown]
# PixelRNN's recurrence over an $N \times N$ image needs $2N - 1$ sequential steps even
# when all pixels are known (one per diagonal wave of the LSTM); PixelCNN removes that by
# computing every conditional in one parallel pass during training. Drawing a *sample*
# still needs one network evaluation per pixel, $N^2$ of them, for both. [Notebook 03](03_autoregressive.ipynb)
# times it.
#
# ## 4. The families compared
#
# What the lecture says about each family this course builds. The measured columns are
# empty on purpose: each later notebook fills its row with the course's own numbers
# (`course_lib.taxonomy.comparison_table`).

# %%
Markdown(taxonomy.comparison_table())

# %% [markdown]
# ## Summary
#
# * Generative models give samples, fill in missing parts of data, simulate, and learn
#   features; the tree sorts them by whether $p_\text{model}(x)$ is written down (explicit:
#   computed exactly, or only approximated) or not at all (implicit: sample only).
# * The chain rule $p(x) = \prod_i p(x_i \mid x_{<i})$ holds for any distribution and any
#   order. On 3×3 images a table of 511 conditionals represents it exactly: the
#   probabilities of all 512 images sum to 1, unsmoothed counts reproduce the data's
#   frequencies, sampling goes pixel by pixel.
# * Counting is maximum likelihood (with smoothing, MAP), and maximising the likelihood is
#   minimising $\mathrm{KL}(p_\text{data} \,\|\, p_\text{model})$: cross-entropy = entropy + KL.
# * Restricting the context makes the model smaller, but then the pixel order matters.
# * Next, [notebook 03](03_autoregressive.ipynb): replace the table by a neural
#   network (PixelCNN), trained by maximum likelihood, and model 28×28 digits.
