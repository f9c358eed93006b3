# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/notebooks/04_autoencoders.ipynb)
#
# # 04 · Autoencoders: features without labels
#
# Labels are expensive; unlabelled images are cheap. An **autoencoder** learns from images
# alone: an encoder squeezes each image into a short code, a decoder rebuilds the image
# from the code, and the only training signal is "the rebuilt image should look like the
# input". Lecture 4 asks what the code is good for, and this notebook measures each answer:
#
# 1. the bottleneck and the reconstruction loss, written out in a few lines;
# 2. code size as compression: reconstruction error against the size of the code;
# 3. features for a task with few labels: the codes against raw pixels;
# 4. denoising; 5. outlier detection by reconstruction error;
# 6. can we *sample* from an autoencoder? The question that leads to the VAE (notebook 05).

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
from IPython.display import Markdown, display
from torch import nn
from torch.nn import functional as F

from course_lib import data, outliers, runtime, train, viz
from course_lib.models import autoencoder as ae

env = runtime.setup(seed=0)
profile = env.profile
device = env.device            # the models train there; the digits stay on the CPU, moved a batch at a time

train_digits = data.load_mnist("train", limit=profile.choose(full=20_000, fast=1000))
test_digits = data.load_mnist("test", limit=profile.choose(full=2000, fast=300))
x_train, y_train = train_digits.images, train_digits.labels     # (N, 1, 28, 28) in [0, 1]
x_test, y_test = test_digits.images, test_digits.labels
EPOCHS = profile.choose(full=20, fast=1)
PRIOR_95_RADIUS = math.sqrt(-2 * math.log(0.05))   # 95% of a 2-D standard normal lies within this radius
print(f"{len(x_train)} training and {len(x_test)} test digits, {EPOCHS} epochs per model")

# %% [markdown]
# ## 1. Encoder, bottleneck, decoder
#
# The encoder $f$ maps the 784 pixels to a code $z$ of, say, 32 numbers; the decoder $g$
# maps the code back to 784 numbers, read through a sigmoid as grey levels in [0, 1]. The
# loss compares the reconstruction $\hat x = \operatorname{sigmoid}(g(f(x)))$ with the
# input, pixel by pixel. For grey levels in [0, 1] the binary cross-entropy is a natural
# choice (the squared error works too):
#
# $$\ell(x) = -\sum_{d=1}^{784} \big[x_d \log \hat x_d + (1 - x_d)\log(1 - \hat x_d)\big].$$
#
# Nothing else: no labels, no probabilities over $z$. Here is the whole model and one
# epoch of training, written out. The networks live on `device` (the GPU when there is
# one); the digits stay on the CPU and each batch is moved to the networks.

# %%
torch.manual_seed(0)
encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 32)).to(device)  # x -> z
decoder = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 784)).to(device)               # z -> logits
optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=2e-3)

def loss_per_image(x):
    x = x.to(device)                                                    # the batch goes where the model is
    logits = decoder(encoder(x))                                        # (N, 784)
    return F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1)

before = loss_per_image(x_test).mean().item()
for batch in train.TensorBatches(x_train, batch_size=64):
    loss = loss_per_image(batch).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
after = loss_per_image(x_test).mean().item()
print(f"test reconstruction loss: {before:.1f} nats per image before, {after:.1f} after one epoch")
assert after < before, "one epoch of training lowers the reconstruction loss"
assert after < 784 * math.log(2), "and beats predicting 1/2 for every pixel (784 log 2 nats)"

# %% [markdown]
# From now on we use the tested `course_lib.models.autoencoder.Autoencoder` (the same
# network: 784-256-32-256-784) and its `reconstruction_loss`, trained by `train.fit`.

# %%
torch.manual_seed(0)
model = ae.Autoencoder(latent=32).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
started = time.perf_counter()
history = train.fit(model, train.TensorBatches(x_train, batch_size=64), ae.reconstruction_loss,
                    optimizer, epochs=EPOCHS, desc="autoencoder, 32-number code",
                    evaluate=lambda m: {"test loss": ae.reconstruction_loss(m, x_test.to(device))})
runtime.synchronize(device)                # a GPU may still be working when the call returns
ae_seconds = time.perf_counter() - started
runtime.report("autoencoder (code 32): test reconstruction BCE", history.last["test loss"], "nats/image")
viz.show_images(torch.cat([x_test[:10], model.reconstruct(x_test[:10].to(device)).cpu()]), nrow=10,
                title="test digits (top) and their reconstructions from 32 numbers (bottom)")

# %% [markdown]
# ## 2. Code size is compression
#
# A 32-number code stores a 784-pixel image in 1/24 of the numbers. A smaller code must
# throw more away.
#
# > **Predict, then run.** We train one autoencoder for each code size 2, 4, 8, 16, 32
# > and 64. Will the test error keep falling all the way to 64? Will going from 2 to 4
# > numbers help more or less than going from 32 to 64?

# %%
sizes = [2, 4, 8, 16, 32, 64]
by_size = ae.error_against_latent_size(x_train, x_test, sizes, epochs=EPOCHS, device=device)
fig = viz.CourseFigure(figsize=(6, 3.5))
ax = fig.add_subplot(1, 1, 1)
ax.plot(sizes, [by_size[s] for s in sizes], marker="o")
ax.set_xscale("log", base=2)
ax.set_xlabel("code size (numbers per image)")
ax.set_ylabel("test BCE (nats per image)")
ax.set_title("reconstruction error against code size")
ax.grid(alpha=0.3)
display(fig)
Markdown(viz.markdown_table(["code size", "compression", "test BCE (nats/image)"],
                            [[s, f"{784 / s:.0f}x", f"{by_size[s]:.1f}"] for s in sizes], "rrr"))

# %%
gain_small, gain_large = by_size[2] - by_size[4], by_size[32] - by_size[64]
print(f"2 -> 4 numbers: the error falls by {gain_small:.1f} nats; 32 -> 64: by {gain_large:.1f} nats")
for s in sizes:
    runtime.report(f"autoencoder, code {s}: test BCE", by_size[s], "nats/image")
if not profile.fast:  # one short epoch (fast profile) does not separate the sizes reliably
    assert by_size[2] > by_size[16] > by_size[64], "a larger code should reconstruct better"
    assert gain_small > gain_large

# %% [markdown]
# The first few numbers buy the most: with 2 numbers the autoencoder can only say roughly
# which digit and how it is slanted; each doubling then adds detail (stroke width, small
# kinks), and the returns shrink. The right size depends on the use: for compression you
# want the smallest code that is good enough, for features a code that keeps what the task
# needs.
#
# ## 3. Throw the decoder away: features for a small labelled set
#
# The lecture's main use. Train the autoencoder on every unlabelled image, keep only the
# encoder, and fit a small classifier (a logistic regression) on the codes of the few
# images that have labels. Does that beat a classifier on the raw pixels of the same few
# images?
#
# > **Predict, then run.** With 1, 3, 10, 30 and 100 labelled digits per class (5 random
# > draws each), which wins, and does the gap grow or shrink as labels get more
# > plentiful?

# %%
codes_train, codes_test = ae.encode_dataset(model, x_train).cpu(), ae.encode_dataset(model, x_test).cpu()
per_class_counts = profile.choose(full=[1, 3, 10, 30, 100], fast=[1, 10])
draws = profile.choose(full=5, fast=1)
rows, accuracy = [], {}
for k in per_class_counts:
    raw, codes = [], []
    for seed in range(draws):
        few = ae.few_labels(y_train, k, seed=seed)
        raw.append(ae.probe_accuracy(x_train[few], y_train[few], x_test, y_test))
        codes.append(ae.probe_accuracy(codes_train[few], y_train[few], codes_test, y_test))
    accuracy[k] = (sum(raw) / draws, sum(codes) / draws)
    rows.append([k, 10 * k, f"{1 - accuracy[k][0]:.1%}", f"{1 - accuracy[k][1]:.1%}",
                 "codes" if accuracy[k][1] > accuracy[k][0] else "pixels"])
Markdown(viz.markdown_table(["labels per class", "labelled images", "test error: raw pixels",
                             "test error: autoencoder codes", "better"], rows, "rrrrl"))

# %%
for k in per_class_counts:
    runtime.report(f"{k} labels/class: test error on pixels", 1 - accuracy[k][0])
    runtime.report(f"{k} labels/class: test error on codes", 1 - accuracy[k][1])
wins = [k for k in per_class_counts if accuracy[k][1] > accuracy[k][0]]
print("the codes beat the raw pixels with", wins or "no", "labels per class; the margin "
      "(pixel error minus code error) is",
      {k: f"{accuracy[k][1] - accuracy[k][0]:+.1%}" for k in per_class_counts})
most = max(per_class_counts)
assert min(accuracy[most]) > 0.1 + 0.2, "with the most labels both probes are far above chance (10%)"
if not profile.fast:  # the claim below is about the full run's numbers
    assert accuracy[1][1] > accuracy[1][0] and accuracy[10][1] > accuracy[10][0]
    assert (accuracy[1][1] - accuracy[1][0]) > (accuracy[100][1] - accuracy[100][0])

# %% [markdown]
# In the full run the codes win clearly when labels are scarce (one to ten per class) and
# the margin shrinks as labels grow: with 100 labels per class a linear classifier can
# find in the pixels what the autoencoder found without them. Raw pixels are a hard
# starting point for a linear classifier with 10 examples: each of 784 weights is nearly
# unconstrained. The 32 codes summarise the shapes of *all* the training digits, labelled
# or not. (Notebook 01 made the same point with PCA, a linear autoencoder.) A larger,
# better-trained autoencoder, a convolutional one, or fine-tuning the encoder with the
# labels usually helps more; a reconstruction loss does not promise features that
# separate classes, which is why the gap can also be small, as it is at 100 labels here.
#
# ## 4. Denoising
#
# Corrupt each training image with noise and ask the autoencoder to rebuild the *clean*
# image. To do that it must know what digits look like; it cannot just copy its input.
#
# > **Predict, then run.** On test digits with Gaussian noise (std 0.5, clipped to
# > [0, 1]), which output is closer to the clean digit: the plain autoencoder's, or the
# > denoising autoencoder's? Is the plain autoencoder's output closer to the clean digit
# > than the noisy input itself?

# %%
torch.manual_seed(0)
denoiser = ae.DenoisingAutoencoder(latent=32, noise_std=0.5).to(device)
train.fit(denoiser, train.TensorBatches(x_train, batch_size=64), ae.reconstruction_loss,
          torch.optim.Adam(denoiser.parameters(), lr=2e-3), epochs=EPOCHS, desc="denoising autoencoder",
          verbose=False)
noisy = ae.corrupt(x_test, 0.5, generator=torch.Generator().manual_seed(1))

def mse(a, b):
    return ((a - b) ** 2).flatten(1).mean(1).mean().item()

rebuilt = {"plain autoencoder": model.reconstruct(noisy.to(device)).cpu(),
           "denoising autoencoder": denoiser.reconstruct(noisy.to(device)).cpu()}
errors = {"noisy input": mse(noisy, x_test), **{name: mse(r, x_test) for name, r in rebuilt.items()}}
for name, value in errors.items():
    runtime.report(f"denoising: MSE to the clean digit, {name}", value)
viz.show_images(torch.cat([x_test[:8], noisy[:8], rebuilt["plain autoencoder"][:8], rebuilt["denoising autoencoder"][:8]]),
                nrow=8, title="clean / noisy / plain autoencoder / denoising autoencoder")

# %%
assert max(errors["plain autoencoder"], errors["denoising autoencoder"]) < errors["noisy input"], \
    "both autoencoders bring a noisy digit closer to the clean one"
if not profile.fast:
    assert errors["denoising autoencoder"] < errors["plain autoencoder"] < errors["noisy input"]
print({name: round(value, 4) for name, value in errors.items()})

# %% [markdown]
# The denoiser, trained on exactly this kind of corruption, gets closest to the clean
# digits. The plain autoencoder was never shown noise; whatever it does with a noisy
# input is a side effect of its bottleneck, and the numbers above show how far that
# goes. The same recipe with "remove colour" as the corruption gives colourisation, the
# lecture's other example: train on (grey, colour) pairs and the network must learn what
# colours objects usually have.
#
# ## 5. Outlier detection by reconstruction error
#
# An autoencoder reconstructs well what resembles its training data. An input it
# reconstructs badly is unlike anything it has seen. Rule: reject inputs whose error
# exceeds what 99 % of the training digits stay below.
#
# > **Predict, then run.** We show it test digits and notebook 01's unreasonable inputs:
# > binary noise, a blank page, letters, inverted digits. Which will be rejected? In
# > notebook 01 a blank page had a *higher* likelihood than any digit under a mixture of
# > Bernoullis. What will the autoencoder do with it?

# %%
train_errors = ae.reconstruction_error(model, x_train).cpu()
threshold = ae.outlier_threshold(train_errors, 99.0)
groups = {"test digits": x_test, **outliers.unreasonable_inputs(x_test, n=50)}
error_of = {name: ae.reconstruction_error(model, images).cpu() for name, images in groups.items()}
rejected = {name: (e > threshold).float().mean().item() for name, e in error_of.items()}
Markdown(viz.markdown_table(
    ["input", "median error (MSE per pixel)", "rejected"],
    [[name, f"{error_of[name].median():.4f}", f"{rejected[name]:.0%}"] for name in groups], "lrr")
    + f"\n\nThreshold: {threshold:.4f}, the 99th percentile of the training digits' errors.")

# %%
viz.log_likelihood_strips({n: -e for n, e in error_of.items()}, threshold=-threshold,
                          xlabel="minus the reconstruction error (MSE per pixel)",
                          title="what the autoencoder reconstructs badly is rejected")

# %%
for name in groups:
    runtime.report(f"outliers: rejected {name}", rejected[name])
print("rejection rates:", {n: f"{r:.0%}" for n, r in rejected.items()})
print(f"training digits rejected: {(train_errors > threshold).float().mean():.1%} (1% by construction); "
      f"test digits: {rejected['test digits']:.1%}")
if not profile.fast:  # the sentences below describe the full run
    assert rejected["blank page"] == 0 and rejected["inverted digits"] == 1
    assert min(rejected[name] for name in groups if name.startswith("noise")) == 1
    assert rejected["letters"] >= 0.9 and rejected["test digits"] < 0.15

# %% [markdown]
# More test digits than the 1 % of training digits are rejected: the autoencoder rebuilds
# the digits it was trained on better than new ones (it overfits a little), so a
# threshold set on training errors is strict for new data. In practice one sets it on
# held-out digits.
#
# A blank page is easy to reconstruct (every pixel 0), so
# a low reconstruction error, like a high likelihood, measures how *simple* an input is,
# not whether it is a digit. Noise, letters and inverted digits cannot be rebuilt through a code
# learned from digits. Every outlier score has blind spots; knowing them is part of
# using one.
#
# ## 6. Can we sample from an autoencoder?
#
# The decoder turns any code into an image. So pick a random code and decode it: a new
# digit? The trouble is *which* random code. Nothing in the training asked the codes to
# fill any particular region; they lie wherever the encoder put them. A 2-number
# autoencoder, trained like those of section 2, lets us look.

# %%
torch.manual_seed(0)
model2 = ae.Autoencoder(latent=2).to(device)
train.fit(model2, train.TensorBatches(x_train, batch_size=64), ae.reconstruction_loss,
          torch.optim.Adam(model2.parameters(), lr=2e-3), epochs=EPOCHS, desc="autoencoder, 2-number code",
          verbose=False)
codes2 = ae.encode_dataset(model2, x_train).cpu()
inside = (codes2.norm(dim=1) < PRIOR_95_RADIUS).float().mean().item()
runtime.report("2-D autoencoder: training codes inside the N(0, I) 95% disc", inside)
print(f"the codes' mean {codes2.mean(0).numpy().round(2)}, std {codes2.std(0).numpy().round(2)}; "
      f"{inside:.0%} of them lie inside the disc that holds 95% of N(0, I)")
viz.latent_scatter(codes2, y_train, title="codes of the training digits (2-number autoencoder)")

# %% [markdown]
# The codes have their own centre, scale and shape: arms, clusters and gaps, nothing like
# the round cloud of a standard normal (the disc that holds 95 % of $\mathcal N(0, I)$
# contains the printed fraction of them). With 2 numbers we could still draw codes by
# eye; our real autoencoder has 32.
#
# > **Predict, then run.** We draw 1,000 codes from $\mathcal N(0, I)$ in 32 dimensions,
# > and 1,000 from a Gaussian fitted to the training codes (their mean and per-coordinate
# > spread). Call a code "near the data" if it is as close to some training code as 95 %
# > of the test digits' codes are. Two questions: what fraction of the *drawn* codes is
# > near the data, and what fraction of the *test digits* has a drawn code near it (how
# > much of the data the draws cover)?

# %%
codes32, codes32_test = ae.encode_dataset(model, x_train).cpu(), ae.encode_dataset(model, x_test).cpu()
g = torch.Generator().manual_seed(0)
drawn = {"N(0, I)": torch.randn(1000, 32, generator=g),
         "Gaussian fitted to the codes": codes32.mean(0) + codes32.std(0) * torch.randn(1000, 32, generator=g)}
typical = torch.cdist(codes32_test, codes32).min(1).values.quantile(0.95).item()
near, covered = {}, {}
for name, z in drawn.items():
    near[name] = (torch.cdist(z, codes32).min(1).values < typical).float().mean().item()
    covered[name] = (torch.cdist(codes32_test, z).min(1).values < typical).float().mean().item()
    runtime.report(f"autoencoder: {name} draws near the data", near[name])
    runtime.report(f"autoencoder: test digits covered by {name} draws", covered[name])
print(f"'near' = closer than {typical:.2f} (95% of test digits' codes are that close to a training code)")
Markdown(viz.markdown_table(["codes drawn from", "draws near the data", "test digits covered"],
                            [[n, f"{near[n]:.0%}", f"{covered[n]:.0%}"] for n in drawn], "lrr"))

# %%
print("mean norm of the training codes:", round(codes32.norm(dim=1).mean().item(), 1),
      " of N(0, I) draws:", round(drawn["N(0, I)"].norm(dim=1).mean().item(), 1))
if not profile.fast:  # the sentences below describe the full run
    assert covered["N(0, I)"] < 0.5 and near["Gaussian fitted to the codes"] < 0.5

# %%
with torch.no_grad():
    pictures = torch.cat([torch.sigmoid(model.decode(z[:16].to(device))).reshape(-1, 1, 28, 28).cpu()
                          for z in drawn.values()])
viz.show_images(pictures, nrow=16, title="decoded random codes: N(0, I) (top), fitted Gaussian (bottom)")

# %% [markdown]
# Neither way of drawing codes works. $\mathcal N(0, I)$ draws sit in a small ball near
# the origin, while the training codes spread much further (compare the mean norms): the
# draws may land among codes of real digits, but only of the few digits encoded near the
# origin, and they cover only the printed fraction of the test digits. The fitted Gaussian
# gets the centre and scale right but not the *shape* of the cloud (its correlations, its
# gaps), so most of its draws land where no digit was encoded, where the decoder was never
# trained. Look at the pictures: samples that are too alike, or blends and fragments. An
# autoencoder gives no distribution over codes to sample from.
#
# The **variational autoencoder** (notebook 05) fixes exactly this: it makes the encoder
# output a *distribution* over codes and pulls every one of them towards one known prior,
# $\mathcal N(0, I)$, so that decoding draws from that prior gives digits. The price is a
# reconstruction that is slightly worse and an objective that needs some derivation.
#
# ## Summary
#
# * An autoencoder learns a code from unlabelled images by reconstructing them; the code
#   size trades compression against reconstruction error.
# * Its encoder gives features that help a classifier when labels are few (measured above,
#   with the margin printed) and stop mattering when labels are plentiful.
# * Trained to undo a corruption it denoises; its reconstruction error flags many
#   outliers, but not the simplest inputs.
# * It is not a generative model: nothing says where the codes are, so random codes
#   decode to nonsense. Notebook 05 adds a prior over codes and a probabilistic encoder.
