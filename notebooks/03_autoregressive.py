# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/notebooks/03_autoregressive.ipynb)
#
# # 03 · Autoregressive models: PixelRNN and PixelCNN
#
# Notebook 02 wrote the probability of a 3×3 image as a product of one-pixel conditionals
# and stored every conditional in a table. Here a neural network takes the table's place,
# so that the same chain rule models 28×28 digits. We meet the two networks of the
# lecture, PixelRNN and PixelCNN, train them by maximum likelihood, look inside them (what
# can one output pixel see?), sample from them pixel by pixel, make sampling fast, and let
# them complete digits we partly hide.

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
import torch.nn.functional as F
from IPython.display import Markdown, display

from course_lib import data, runtime, viz
from course_lib.models import pixelcnn as pc

env = runtime.setup(seed=0)
profile = env.profile
RETRAIN = False   # True: train every model again, even if a checkpoint with these settings exists

# %% [markdown]
# ## 1. From the 3×3 table to a network
#
# For any distribution over images and any order of the pixels, the chain rule gives
#
# $$p(x) = \prod_{i=1}^{D} p(x_i \mid x_1, \dots, x_{i-1}).$$
#
# Models that learn each conditional directly are *fully visible belief networks*: nothing
# is hidden, every variable is a pixel. Two choices remain:
#
# * **an order**: like the lecture, we start in the top-left corner and go row by row,
#   left to right within a row (raster order);
# * **how to compute $p(x_i \mid x_{<i})$**: notebook 02 kept one number per context in a
#   table, $2^{i-1}$ numbers for pixel $i$. For a 28×28 digit that table would hold
#   $2^{784} - 1$ numbers. PixelRNN and PixelCNN replace it by **one** network that reads
#   the context and outputs the conditional, with the same weights for every pixel.
#
# Training is maximum likelihood: minimise $-\log p(x) = -\sum_i \log p(x_i \mid x_{<i})$
# over the training digits. On binary digits each conditional is a Bernoulli; on grey
# levels the lecture uses a softmax over the possible values at each pixel (section 9).
#
# The data: MNIST digits, binarised once with a fixed seed (each pixel on with probability
# its grey level; notebook 00 explains why we never threshold).

# %%
gpu = env.device.type == "cuda"
train_digits = data.load_mnist("train", limit=profile.choose(full=None if gpu else 4500, fast=600))
test_digits = data.load_mnist("test", limit=profile.choose(full=None if gpu else 500, fast=200),
                              verbose=False)
x_train = data.binarize(train_digits.images, seed=0)          # (N, 1, 28, 28) in {0, 1}
x_test = data.binarize(test_digits.images, seed=1)
D = 28 * 28
print(f"{len(x_train)} training and {len(x_test)} test digits from {train_digits.source}; "
      f"D = {D} pixels")
viz.show_images(x_test[:16], nrow=16, title="Binarised test digits")

# %% [markdown]
# ## 2. PixelRNN: an LSTM walks over the image
#
# PixelRNN (van den Oord et al. 2016) keeps a hidden state for every pixel, computed by an
# LSTM from the states of the pixels to the left and above. The state at pixel $i$ then
# summarises the context $x_{<i}$, and a softmax (or, for binary digits, a sigmoid) on it
# gives $p(x_i \mid x_{<i})$.
#
# The paper has two variants. The **Diagonal BiLSTM** sweeps the image diagonal by
# diagonal, so an $N \times N$ image needs $2N - 1$ sequential steps; the **Row LSTM**,
# which we build (`course_lib.models.pixelcnn.RowLSTM`), processes a whole row at once and
# needs $N$ sequential steps per layer:
#
# * a 7×7 masked convolution (type A, section 3) turns the image into features;
# * each Row LSTM layer computes, for row $r$, its gates from a 1×2 convolution of row $r$'s
#   features (the pixel and its left neighbour) plus a 1×3 convolution of the hidden state
#   of row $r - 1$: $c_r = f \odot c_{r-1} + i \odot g$, $h_r = o \odot \tanh(c_r)$;
# * 1×1 convolutions turn the last features into one logit per pixel.
#
# Why is it slow? Row $r$ cannot start before row $r - 1$ is finished, **even in
# training**, when every pixel is known: the recurrence is sequential by construction.
# We time one forward pass of a 2-layer Row LSTM on images with more and more rows.

# %%
rnn_probe = pc.RowLSTM(channels=16, hidden=16, layers=2).to(env.device)
rows_timed = profile.choose(full=[14, 28, 56, 112], fast=[14, 28])
with torch.no_grad():
    rnn_probe(torch.zeros(16, 1, rows_timed[0], 28, device=env.device))   # untimed: a GPU's one-off set-up
for height in rows_timed:
    x = torch.zeros(16, 1, height, 28, device=env.device)
    with torch.no_grad():
        started = time.perf_counter()
        rnn_probe(x)
        runtime.synchronize(env.device)    # a GPU returns before its work is done: wait before reading the clock
        seconds = time.perf_counter() - started
    print(f"{height:4d} rows: {2 * height:4d} sequential LSTM steps (2 layers)   {seconds * 1000:6.1f} ms")

# %% [markdown]
# The time grows with the number of rows, because each row is one more step of a loop that
# cannot run in parallel. PixelCNN removes the loop from training.
#
# ## 3. PixelCNN: masked convolutions
#
# PixelCNN computes every conditional with convolutions over a *context region* around the
# pixel. Training is then one parallel pass: all pixels of a training image are known, so
# all 784 conditionals come out of one forward pass. The only danger is **cheating**: a
# plain 3×3 convolution at pixel $i$ reads pixel $i$ itself and pixels after it, which the
# model must not see when it predicts $x_i$. The fix is to zero those kernel weights with a
# **mask**:
#
# * **type A** (first layer): zero the centre and everything after it, so the output at
#   $i$ sees only $x_{<i}$;
# * **type B** (later layers): zero only what comes after the centre. The centre is
#   allowed, because the feature at $i$ in a hidden layer already depends only on $x_{<i}$.
#
# Here is a masked convolution written out in a few lines:

# %%
k = 3
mask = torch.ones(k, k)
mask[k // 2, k // 2:] = 0          # type A: the centre and the rest of its row
mask[k // 2 + 1:, :] = 0           # the rows below
print(mask)

weight = torch.randn(1, 1, k, k)
image = torch.randn(1, 1, 6, 6)
masked_output = F.conv2d(image, weight * mask, padding=k // 2)   # (1, 1, 6, 6)

# %% [markdown]
# From now on we use the tested versions in `course_lib.models.pixelcnn`: `causal_mask(k,
# "A" or "B")` builds the mask and `MaskedConv2d` is an `nn.Conv2d` that multiplies its
# weight by it in every forward pass. Both agree with the lines above:

# %%
assert torch.equal(pc.causal_mask(3, "A")[0, 0], mask)
conv = pc.MaskedConv2d(1, 1, 3, mask_type="A")
with torch.no_grad():
    conv.weight.copy_(weight)
    conv.bias.zero_()
same_output = torch.allclose(conv(image), masked_output)
print("same output as the inline version:", same_output)
assert same_output
print("type B mask:\n", pc.causal_mask(3, "B")[0, 0])

# %% [markdown]
# **Predict, then run.** One type-A 3×3 layer: which input pixels can the output at row 3,
# column 3 see? Write down the list, then look at the picture below. It shows the gradient
# of that one output with respect to every input pixel: zero (white) means "cannot see".
#
# `pc.receptive_field(model, (row, col))` computes $|\partial\, \text{output}(r, c) /
# \partial x|$ on random inputs.

# %%
from course_lib.pixel_widgets import receptive_field_figure

probe = (3, 3)
fields = {f"type {t}, one 3×3 layer": pc.receptive_field(pc.MaskedConv2d(1, 1, 3, t), probe, (1, 7, 7))
          for t in ("A", "B")}
for title, field in fields.items():
    seen = [(int(r), int(c)) for r, c in torch.nonzero(field)]
    print(f"{title}: sees (row, column) {seen}")
receptive_field_figure(fields, probe)

# %% [markdown]
# Type A sees the three pixels above and the one on the left; type B also sees the pixel
# itself (red cross). No layer ever sees a pixel after the centre.

# %%
assert (fields["type A, one 3×3 layer"][3, 3] == 0) and (fields["type B, one 3×3 layer"][3, 3] != 0)
assert fields["type A, one 3×3 layer"][4:].sum() == 0 and fields["type A, one 3×3 layer"][3, 4:].sum() == 0

# %% [markdown]
# ## 4. The receptive field and the blind spot
#
# A **plain PixelCNN** (`pc.PixelCNN`) stacks a 7×7 type-A layer and several 3×3 type-B
# layers (with residual connections). Each layer widens what the output sees. But the
# 3×3 type-B mask only reaches *up-right* by one pixel per layer while it reaches *left*
# along the row and up: a growing wedge of past pixels above and to the right is never
# reached. That is the **blind spot**.
#
# The **gated PixelCNN** (van den Oord et al. 2016, `pc.GatedPixelCNN`) splits the network
# into two stacks:
#
# * a **vertical stack** whose convolution covers the full width of the kernel, but only
#   rows *above* the pixel: it sees a rectangle above that grows each layer;
# * a **horizontal stack** that sees only the pixels to the left in the current row, and
#   receives the vertical stack's features through a 1×1 connection.
#
# Each layer uses a *gated* activation $\tanh(W_f * x) \odot \sigma(W_g * x)$ instead of a
# ReLU. The horizontal stack has a residual connection (each layer adds its output to its
# input); we give the vertical stack one as well (`vertical_residual=True`, the default:
# the paper's figure has it in the horizontal stack only).
#
# **Predict, then run.** Where is the blind spot of a plain PixelCNN with 4 type-B layers,
# for the output at row 14, column 14? Does the gated network with the same number of
# layers have one? Sketch the regions, then compare with the gradient pictures.

# %%
shape, pixel = (1, 28, 28), (14, 14)
networks = {
    "plain: 7×7 type A + 4 type-B layers": pc.PixelCNN(channels=16, layers=4),
    "gated: first layer + 4 gated layers": pc.GatedPixelCNN(channels=16, layers=5),
}
fields = {title: pc.receptive_field(net, pixel, shape) for title, net in networks.items()}
spots = {title: pc.blind_spot(field, pixel) for title, field in fields.items()}
for title in fields:
    print(f"{title}: sees {int((fields[title] != 0).sum())} pixels, blind spot {int(spots[title].sum())} pixels")
receptive_field_figure(fields, pixel, spots)

# %% [markdown]
# Blue: the pixels the output at the red cross depends on. Orange: the blind spot, past
# pixels inside the field's bounding box that no path reaches. The plain stack
# misses a triangle above and to the right; the gated stack sees a full rectangle above
# plus the row on the left.

# %%
plain_spot, gated_spot = spots.values()
rows, cols = torch.nonzero(plain_spot, as_tuple=True)
print(f"plain: {int(plain_spot.sum())} blind pixels, all above (rows {rows.min().item()}-"
      f"{rows.max().item()}) and right of the pixel (columns {cols.min().item()}-{cols.max().item()})")
print(f"gated: {int(gated_spot.sum())} blind pixels")
assert plain_spot.sum() > 0 and gated_spot.sum() == 0
assert (rows < pixel[0]).all() and (cols > pixel[1]).all()

# %% [markdown]
# ## 5. The loss: nats per image and bits per dimension
#
# For a binary digit the network outputs one logit $\ell_i$ per pixel and $p(x_i = 1 \mid
# x_{<i}) = \sigma(\ell_i)$. The negative log-likelihood of an image is the **sum** over
# its pixels of the binary cross-entropy; `pc.nll_per_image(logits, x)` returns it per
# image, in nats. We report the mean over test images, and its version per pixel in bits:
#
# $$\text{bits/dim} = \frac{-\log p(x)}{D \ln 2}.$$
#
# **Predict, then run.** A model that ignores the data says $p(x_i = 1) = 1/2$ everywhere
# (all logits 0). How many nats does a digit cost it, and how many bits per dimension? And
# a model that knows only how often each pixel is on in the training set, but nothing about
# the context?

# %%
uniform = pc.nll_per_image(pc.uniform_logits(x_test), x_test)        # (N,) nats per image
print(f"uniform model: {uniform.mean().item():.2f} nats per image = 784 ln 2 = {D * math.log(2):.2f};"
      f" {pc.bits_per_dim_of(uniform):.4f} bits/dim")
assert abs(pc.bits_per_dim_of(uniform) - 1.0) < 1e-6

frequency = x_train.mean(0, keepdim=True).clamp(1e-3, 1 - 1e-3)       # (1, 1, 28, 28)
independent_logits = torch.logit(frequency).expand_as(x_test)
independent = pc.nll_per_image(independent_logits, x_test).mean().item()
print(f"independent pixels (no context): {independent:.1f} nats per image, "
      f"{pc.bits_per_dim_of(independent):.3f} bits/dim")
runtime.report("independent-pixel baseline, test NLL", independent, "nats")

# %% [markdown]
# The uniform model pays exactly one bit per pixel. Knowing each pixel's frequency already
# saves most of that, because most pixels are almost always off. What is left is the hard
# part: where exactly the strokes go, which only the context can tell.
#
# ## 6. Training by maximum likelihood
#
# We train three networks on the same digits:
#
# * the gated PixelCNN (no blind spot), with 7-wide kernels in its gated layers
#   (`kernel_size=7`) and few channels;
# * a plain PixelCNN with about as many parameters, trained for about as long. Its layers
#   cost less time per parameter, so it can run more epochs in the same time: a fair race is
#   equal size *and* equal training time, and the cell after the training prints both;
# * the Row LSTM (a small PixelRNN).
#
# `pc.fit_by_maximum_likelihood` runs the course's training loop (`course_lib.train.fit`:
# progress bar, a record per epoch, checkpoints after every epoch) with Adam, a short
# warm-up and a learning rate that decays as a cosine to 0 at the last step
# (`pc.scheduled_lr`), and measures the test NLL after each epoch.
# `pc.train_or_load` names each checkpoint by a hash of the model and every training
# setting: run the notebook again and it reloads the trained weights instead of training;
# change a setting and it trains afresh; `RETRAIN = True` (top of the notebook) forces it.
# The sizes and learning rates below were chosen by the trials in `docs/pixelcnn_tuning.md`.

# %%
data_settings = {"source": train_digits.source, "train": len(x_train), "test": len(x_test),
                 "binarize seeds": [0, 1], "seed": env.seed}


def train_model(name, model, images, test_images, epochs, lr, batch_size):
    model.to(env.device)                                   # the GPU when there is one
    torch.manual_seed(env.seed)
    history, path = pc.train_or_load(name, model, images, test_images, epochs=epochs, lr=lr,
                                     batch_size=batch_size, settings=data_settings, retrain=RETRAIN)
    minutes = sum(r["seconds"] for r in history.records) / 60        # of the run that trained it
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {n_params / 1e3:.0f}k parameters, {minutes:.1f} min of training, "
          f"test NLL {history.last['test nats']:.2f} nats = {history.last['test bits/dim']:.4f} bits/dim")
    return history, minutes


torch.manual_seed(env.seed)
gated = pc.GatedPixelCNN(kernel_size=7, **profile.choose(full=dict(channels=16, layers=6),
                                                         fast=dict(channels=8, layers=2)))
gated_history, gated_minutes = train_model(
    "gated_pixelcnn", gated, x_train, x_test, epochs=profile.choose(full=5, fast=1), lr=5e-3,
    batch_size=32)

# %%
torch.manual_seed(env.seed)
plain = pc.PixelCNN(**profile.choose(full=dict(channels=40, layers=6), fast=dict(channels=8, layers=2)))
plain_history, plain_minutes = train_model(
    "plain_pixelcnn", plain, x_train, x_test, epochs=profile.choose(full=10, fast=1), lr=5e-3,
    batch_size=32)

# %%
torch.manual_seed(env.seed)
rnn = pc.RowLSTM(**profile.choose(full=dict(channels=32, hidden=32, layers=2),
                                  fast=dict(channels=8, hidden=8, layers=1)))
rnn_history, rnn_minutes = train_model(
    "row_lstm", rnn, x_train, x_test, epochs=profile.choose(full=3, fast=1), lr=3e-3, batch_size=32)

# %% [markdown]
# The curves: training loss and test NLL in bits per dimension, per epoch.

# %%
fig = viz.CourseFigure(figsize=(10, 3.6))
for i, (key, title) in enumerate([("bits/dim", "training (mean over the epoch)"),
                                  ("test bits/dim", "test (after the epoch)")]):
    ax = fig.add_subplot(1, 2, i + 1)
    for name, history in [("gated PixelCNN", gated_history), ("plain PixelCNN", plain_history),
                          ("Row LSTM", rnn_history)]:
        ax.plot(history["epoch"], history[key], marker="o", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits / dim")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()
fig

# %%
models = {"gated PixelCNN": gated, "plain PixelCNN": plain, "Row LSTM (PixelRNN)": rnn}
results = {"gated PixelCNN": (gated_history, gated_minutes),
           "plain PixelCNN": (plain_history, plain_minutes),
           "Row LSTM (PixelRNN)": (rnn_history, rnn_minutes)}
n_params = {name: sum(p.numel() for p in m.parameters()) for name, m in models.items()}
for name, (history, minutes) in results.items():
    print(f"{name:20s} {n_params[name] / 1e3:5.0f}k parameters  {minutes:4.1f} min of training  "
          f"test NLL {history.last['test nats']:6.2f} nats")
    runtime.report(f"{name}: test NLL", history.last["test nats"], "nats")
    runtime.report(f"{name}: test bits/dim", history.last["test bits/dim"])
    runtime.report(f"{name}: training time", minutes, "min")
    runtime.report(f"{name}: parameters", n_params[name])
gated_nll, plain_nll = gated_history.last["test nats"], plain_history.last["test nats"]
rnn_nll = rnn_history.last["test nats"]
size_ratio = n_params["gated PixelCNN"] / n_params["plain PixelCNN"]
time_ratio = gated_minutes / plain_minutes
winner = "gated" if gated_nll < plain_nll else "plain"
verdict = (f"The {winner} PixelCNN comes out ahead by {abs(gated_nll - plain_nll):.2f} nats per "
           f"image. The gated network has {size_ratio:.2f} times the plain one's parameters and "
           f"trained for {time_ratio:.2f} times as long ({len(gated_history)} epochs against "
           f"{len(plain_history)}). Its output sees {gated.rows_above} rows above the pixel, the "
           f"plain one's {plain.rows_above} (minus the blind spot).")
display(Markdown(verdict))
if not profile.fast:   # the full profile's claims; the fast profile's tiny models prove nothing
    assert max(gated_nll, plain_nll, rnn_nll) < independent - 50
    assert 0.95 < size_ratio < 1.05, "the race is only fair between networks of similar size"

# %% [markdown]
# All three learn far more than the independent-pixel baseline of section 5 (over 50 nats
# better in the full profile). The sentence above says which PixelCNN won *this* run, by
# how much, and how fair the race was (equal size and equal time would both print 1.00).
# Two things pull in opposite directions. The gated network sees every past pixel within
# its reach (no blind spot), and its 7-wide kernels reach further per layer than 3×3 ones
# (the sentence above says how many rows each output sees). But each gated layer runs
# four convolutions and two gates where a plain layer runs one convolution, so it costs
# more time per parameter: in equal time the plain network can run more epochs (the
# sentence above prints how many each one got). Which
# effect wins depends on the sizes, the kernels and the machine: the trials in
# `docs/pixelcnn_tuning.md` measure it for several widths, depths and kernel sizes (there,
# a gated stack of the same size with 3×3 kernels lost to the plain one at equal time).
# So this race compares the two networks as built here, not gates against ReLUs alone: a
# plain stack with wider kernels would also see further (and keep its blind spot).
# The gated architecture was introduced on natural images, with much deeper networks
# (van den Oord et al. 2016, "Conditional image generation with PixelCNN decoders":
# CIFAR-10, PixelCNN 3.14, gated PixelCNN 3.03 bits/dim). The PixelRNN (Row LSTM) is
# smaller and trained for fewer epochs. (In the `fast` test profile the models are tiny
# and trained for one short epoch: ignore the numbers there.)
#
# **Is each trained network still causal?** Training changes the weights, never the
# masks: the gradient of one output pixel must still be zero with respect to that pixel
# and every pixel after it.

# %%
pixel = (14, 14)
for name, network in models.items():
    field = pc.receptive_field(network, pixel)                      # (28, 28)
    future = field.flatten()[pixel[0] * 28 + pixel[1]:]              # the pixel and all after it
    print(f"{name:20s} sees {int((field != 0).sum()):3d} earlier pixels, "
          f"largest gradient on the pixel or after it: {future.max().item():.1e}")
    assert future.max() == 0 and field.sum() > 0

#
# ## 7. Samples
#
# Sampling runs the chain rule forwards: draw $x_1$ from $p(x_1)$, put it into the image,
# compute $p(x_2 \mid x_1)$, draw $x_2$, and so on for all 784 pixels. Each pixel needs a
# new pass through the network, because its conditional depends on the pixels just drawn.

# %%
samples = pc.sample(gated, 16, seed=0)                        # (16, 1, 28, 28)
viz.show_images(samples, nrow=16, title="16 samples of the gated PixelCNN")

# %% [markdown]
# The samples have the strokes and thickness of digits; many are recognisable, some are
# not: the likelihood rewards getting the local stroke statistics right more than the
# global shape, and our networks are small and trained for minutes.
#
# ## 8. Fast sampling: same samples, less work
#
# The **naive** sampler runs the whole network on the whole image for every pixel: 784
# full forward passes. Most of that work is wasted: the next pixel's conditional depends
# only on pixels it can see. For the gated network:
#
# * the vertical stack at row $r$ sees only rows above $r$, so it is computed **once per
#   row** (on the strip of rows within reach), not once per pixel;
# * for each pixel only the horizontal stack of the current row runs: a 1×28 strip
#   instead of the 28×28 image.
#
# The Row LSTM keeps each layer's LSTM state of the last finished row and computes one row
# step per pixel; the plain PixelCNN recomputes only the strip of rows its output can see.
# This is the idea of caching that Ramachandran et al. (2017) push further.
#
# Both samplers draw pixel $i$ from the *same* uniform number $u_i$ (1 if $u_i < p$), so
# they give identical samples whenever they compute the same probabilities.
#
# **Predict, then run.** How much faster will the fast sampler be for 16 digits? The
# horizontal stack is about half of each layer's work, on 1/28 of the image.

# %%
timings, outputs = {}, {}
for method in ("naive", "fast"):
    started = time.perf_counter()
    outputs[method] = pc.sample(gated, 16, seed=1, method=method)
    runtime.synchronize(env.device)
    timings[method] = time.perf_counter() - started
same = torch.equal(outputs["naive"], outputs["fast"])
speedup = timings["naive"] / timings["fast"]
print(f"naive: {timings['naive']:.1f} s   fast: {timings['fast']:.1f} s   speed-up {speedup:.1f}x   "
      f"identical samples: {same}")
runtime.report("gated PixelCNN: naive sampling of 16 digits", timings["naive"], "s")
runtime.report("gated PixelCNN: fast sampling of 16 digits", timings["fast"], "s")
runtime.report("fast sampler speed-up", speedup, "x")
assert same
viz.show_images(torch.cat([outputs["naive"], outputs["fast"]]), nrow=16,
                title="Naive sampler (top row) and fast sampler (bottom row), same seed")

# %% [markdown]
# ## 9. Completing occluded digits
#
# Hide part of a test digit and sample only the hidden pixels, each from $p(x_i \mid
# x_{<i})$, where the context mixes the pixels we kept and those already completed
# (`pc.complete`). Different seeds give different completions.
#
# **Predict, then run.** We hide the bottom half of the digits, and then the right half.
# In which case will the completions agree better with the original digit? Think about
# which of the kept pixels each hidden pixel can see.

# %%
from course_lib.pixel_widgets import CompletionExplorer, SamplingStepper, occlusion_mask

originals = x_test[:6]
agreement = {}
for kind in ("bottom rows", "right columns"):
    known = occlusion_mask(kind, 14)                                 # (1, 28, 28), True = kept
    completions = pc.complete(gated, originals.repeat(3, 1, 1, 1), known, seed=0).cpu()   # 3 per digit
    hidden = ~known
    agree = (completions.reshape(3, -1, 1, 28, 28) == originals)[:, :, hidden].float().mean().item()
    assert torch.equal(completions[:, known], originals.repeat(3, 1, 1, 1)[:, known])  # kept as given
    agreement[kind] = agree
    print(f"{kind:14s}: completed pixels equal to the original's: {agree:.1%}")
    occluded = originals.clone()
    occluded[:, hidden] = 0.5
    display(viz.show_images(torch.cat([originals, occluded, completions]), nrow=6,
                            title=f"hide the {kind}: original, what the model sees, 3 completions"))

# %%
background = {kind: (originals[:, ~occlusion_mask(kind, 14)] == 0).float().mean().item()
              for kind in agreement}
display(Markdown(" ".join(
    f"Hiding the {kind}, {agreement[kind]:.0%} of the completed pixels equal the original's; "
    f"{background[kind]:.0%} of those hidden pixels are background in the original, so a model "
    f"that always drew background would score {background[kind]:.0%}." for kind in agreement)))

# %% [markdown]
# Most hidden pixels are background, which is easy to get right, so compare the agreement
# with the background share printed above, and look at the pictures: do the completed
# strokes join the kept ones? What differs between the two cases is what each hidden pixel
# can use. With the bottom half hidden, every hidden pixel sees the whole top half. With
# the right half hidden, the first hidden pixels (top rows, right side) see only the
# top-left corner: the model cannot look ahead at the kept pixels *below* them, the price
# of a fixed order.
# Try it yourself (it needs a running kernel):

# %%
explorer = CompletionExplorer(gated, {f"test digit {i}": x_test[i] for i in range(6)}, n=4)
explorer.show()

# %% [markdown]
# And step through the drawing of one sample, pixel by pixel: the bar shows $p(x_i = 1
# \mid x_{<i})$ for the next pixel (red square) and the dashed line the uniform number
# $u_i$ that decides it.

# %%
stepper = SamplingStepper(gated, seed=3)
stepper.show()

# %% [markdown]
# ## 10. The softmax over K grey levels
#
# The lecture's PixelCNN does not binarise: it predicts each pixel's value with a
# **softmax over the possible levels** (256 for 8-bit images). We quantise the digits to
# $K = 4$ levels and give the gated network $K$ outputs per pixel: logits of shape
# $(N, K, 1, 28, 28)$; the loss is the cross-entropy of the true level, summed over pixels.
# A model that ignores the data pays $\log_2 K = 2$ bits per dimension.

# %%
K = 4
q_train = data.quantize(train_digits.images, K)                        # (N, 1, 28, 28) int64
q_test = data.quantize(test_digits.images, K)
uniform_k = pc.nll_per_image(pc.uniform_logits(q_test, K), q_test, levels=K)
print(f"uniform over {K} levels: {pc.bits_per_dim_of(uniform_k):.4f} bits/dim = log2 K = {math.log2(K)}")
assert abs(pc.bits_per_dim_of(uniform_k) - math.log2(K)) < 1e-6

torch.manual_seed(env.seed)
softmax_model = pc.GatedPixelCNN(levels=K, **profile.choose(full=dict(channels=24, layers=5),
                                                            fast=dict(channels=8, layers=2)))
softmax_history, softmax_minutes = train_model(
    "gated_pixelcnn_4_levels", softmax_model, q_train, q_test, epochs=profile.choose(full=2, fast=1),
    lr=3e-3, batch_size=32)
runtime.report(f"gated PixelCNN, {K} levels: test bits/dim", softmax_history.last["test bits/dim"])
level_samples = pc.sample(softmax_model, 16, seed=0).cpu()            # (16, 1, 28, 28) levels
viz.show_images(data.dequantize(torch.cat([q_test[:16], level_samples]), K), nrow=16,
                title=f"{K}-level test digits (top) and samples (bottom)")

# %% [markdown]
# ## 11. Pros and cons, and what came next
#
# **Pros.** The likelihood $p(x)$ is exact and cheap to evaluate (one forward pass), so
# training is plain maximum likelihood and the test NLL is an honest yardstick for
# comparing models. Samples are good, and completion comes for free.
#
# **Cons.** Generation is sequential: one network evaluation per pixel (per sub-pixel for
# colour images). Caching makes each step cheaper but does not remove the loop. The fixed
# order also means a pixel never sees what comes after it.
#
# **Improvements** the lecture lists, with where they appear:
#
# * **gated layers** and the two-stack fix of the blind spot (van den Oord et al. 2016,
#   built above);
# * **residual and skip ("short-cut") connections** to train deeper stacks (our plain and
#   gated stacks use residual connections);
# * **the discretised logistic mixture** of PixelCNN++ (Salimans et al. 2017): instead of a
#   256-way softmax per sub-pixel, a mixture of a few logistic distributions, which knows
#   that level 127 is close to level 128 and needs far fewer outputs;
# * **multi-scale** models that generate a small image first and then refine it, so that
#   the sequential chain is shorter (e.g. Reed et al. 2017);
# * training tricks: dropout, downsampling inside the network, and more.
#
# ## 12. The course's figures beside the published ones

# %%
# Published: van den Oord, Kalchbrenner and Kavukcuoglu (2016), "Pixel recurrent neural
# networks", ICML, the table of test NLLs on binarised MNIST.
published = {"PixelCNN": 81.30, "PixelRNN (Diagonal BiLSTM, 7 layers)": 79.20}
rows = [[name, f"{history.last['test nats']:.2f}", f"{history.last['test bits/dim']:.4f}",
         f"{minutes:.1f} min", f"{n_params[name] / 1e3:.0f}k"]
        for name, (history, minutes) in results.items()]
rows += [["independent pixels (section 5)", f"{independent:.2f}",
          f"{pc.bits_per_dim_of(independent):.4f}", "-", "784"]]
rows += [[f"published: {name}", f"{value:.2f}", f"{value / (D * math.log(2)):.4f}", "-", "-"]
         for name, value in published.items()]
display(Markdown(viz.markdown_table(["model", "test NLL [nats/image]", "bits/dim", "training",
                                     "parameters"], rows, align="lrrrr")))
display(Markdown(
    f"Ours: {len(x_train):,} training and {len(x_test):,} test digits ({train_digits.source}), "
    f"binarised once with a fixed seed; {sum(m for _, m in results.values()):.0f} min of "
    f"training for the three networks on this machine's {env.device.type.upper()}. Published: "
    f"the standard binarised MNIST (tens of thousands of training digits, 10,000 test digits), "
    f"networks trained on GPUs for far longer."))

# %% [markdown]
# The published figures come from the paper cited in the cell, on the standard binarised
# MNIST; the line under the table says what ours used. Three differences make ours
# higher: about a tenth of the training digits (so our networks overfit sooner), minutes of
# training instead of GPU-days, and small networks sized for that budget. Our 500-digit
# test set also makes our figures move by about a nat from one test set to another.
#
# **On Colab, or wherever torchvision can download MNIST**, the data come from
# torchvision's MNIST: with a GPU the full profile trains on all 60,000 training digits and
# tests on all 10,000 test digits; on a CPU it keeps the first 4,500 and 500 of them, so
# the notebook still finishes in minutes. Thirteen times more digits per epoch, with the
# same networks and epochs, means many more updates and less overfitting: expect test NLLs
# several nats lower than ours, still above the published ones. We have no GPU here, so
# that is an expectation, not a measurement; the table prints what your run measured.
#
# Notebook 02's comparison of the families, with the autoregressive row now measured:

# %%
from course_lib import taxonomy

family = "autoregressive (PixelCNN)"
Markdown(taxonomy.comparison_table({
    (family, "test NLL (bits/dim)"): f"{gated_history.last['test bits/dim']:.3f} (gated PixelCNN)",
    (family, "time to sample 16 digits"): f"{timings['fast']:.1f} s (naive: {timings['naive']:.0f} s)",
}))

# %% [markdown]
# ## Summary
#
# * An autoregressive model writes $p(x) = \prod_i p(x_i \mid x_{<i})$ for a fixed order
#   and learns every conditional with one network: the 3×3 table of notebook 02, made
#   scalable.
# * PixelRNN computes the conditionals with an LSTM walking over the image: sequential
#   even in training. PixelCNN uses masked convolutions (type A first, then type B): all
#   conditionals in one parallel pass.
# * Stacked masks leave a blind spot; the gated PixelCNN's vertical and horizontal stacks
#   remove it. Section 6 printed what that bought on our digits, at equal size and time.
# * Likelihoods are exact: we report nats per image and bits per dimension; a uniform
#   model pays exactly 1 bit (binary) or $\log_2 K$ bits ($K$ levels).
# * Sampling and completion go pixel by pixel; caching what the next pixel cannot change
#   makes it faster (section 8 printed by how much) with exactly the same samples.
# * Next, notebook 04: autoencoders, and then latent-variable models whose samples come in
#   one pass.
