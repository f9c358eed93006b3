# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/notebooks/06_gans.ipynb)
#
# # 06 · Generative adversarial networks: a two-player game whose optimum is $p_g = p_\text{data}$
#
# Autoregressive models (notebook 03) maximise the likelihood; VAEs (notebook 05)
# maximise a lower bound on it. A GAN gives up writing down any density at all: it only
# wants to **draw samples**. It samples a latent $z$ from a simple prior and learns a
# transformation $G(z)$ whose outputs look like the data, and it learns what "look like"
# means from a second network, the **discriminator**, that is trained to tell real from
# generated.
#
# In this notebook: the game and its objective read term by term; alternating updates
# with $k$ discriminator steps; why the loss curves say little; the saturating loss and
# its fix; the proof that the game is won by $p_g = p_\text{data}$, checked numerically
# line by line; a 1-D playground; mode collapse on a ring of Gaussians; DCGAN on MNIST,
# latent interpolation and vector arithmetic; a conditional GAN; and how to score samples
# when there is no likelihood.

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
import copy
import math
import time

import torch
from IPython.display import Markdown, display
from torch.nn import functional as F

from course_lib import data, metrics, runtime, viz
from course_lib.gan_playground import GANPlayground, ring_figure, train_toy_gan
from course_lib.models import gan as G
from course_lib.theory import gan as theory

env = runtime.setup(seed=0)
profile = env.profile
device = env.device

# %% [markdown]
# ## 1. The idea: sample noise, learn a transformation
#
# Pick a prior that is easy to sample, say $z \sim \mathcal{N}(0, I)$, and push it
# through a function $G$. The outputs $x = G(z)$ have *some* distribution $p_g$: the
# generator defines it implicitly. We can sample it (draw $z$, compute $G(z)$) but not
# evaluate it: $p_g(x)$ would need the change-of-variables formula, an inverse of $G$ and
# a Jacobian determinant, which a neural network does not offer.
#
# The simplest case shows both sides: $G(z) = 2 + 0.5z$ in 1-D turns $\mathcal{N}(0, 1)$
# into $\mathcal{N}(2, 0.5^2)$. Here we *can* write $p_g$ down and compare it with samples.

# %%
z = torch.randn(100_000)
x = 2 + 0.5 * z                                                    # a (very small) generator
density_at_2 = 1 / (0.5 * math.sqrt(2 * math.pi))                  # N(2, 0.25) at its mean
empirical = ((x - 2).abs() < 0.01).float().mean().item() / 0.02    # fraction per unit length
print(f"mean {x.mean():.3f} (formula 2), std {x.std():.3f} (formula 0.5)")
print(f"p_g(2): from samples {empirical:.3f}, from the formula {density_at_2:.3f}")

# %% [markdown]
# With a deep network for $G$ nobody can write $p_g$ down. The GAN's trick is that it
# never needs to: it only compares *samples*.
#
# ## 2. The game, term by term
#
# The **discriminator** $D(x) \in (0, 1)$ is a classifier: the probability that $x$ is
# real. The **generator** $G$ tries to fool it. They play the minimax game
#
# $$\min_G \max_D \; V(G, D) = \underbrace{\mathbb{E}_{x\sim p_\text{data}}[\log D(x)]}_{\text{real data}}
# + \underbrace{\mathbb{E}_{z\sim p(z)}[\log(1 - D(G(z)))]}_{\text{fakes}}.$$
#
# * **First term.** The average, over real training examples, of $\log D(x)$. $D$ maximises
#   it by saying "real" ($D \to 1$) on real data. $G$ does not appear in it: the
#   generator does not care about this term.
# * **Second term.** Draw $z$, make a fake $G(z)$, ask $D$. $D$ maximises
#   $\log(1 - D(G(z)))$ by saying "fake" ($D \to 0$) on fakes. $G$ *minimises* the same
#   term: it wants its fakes called real, $D(G(z)) \to 1$.
#
# For $D$ this is an ordinary supervised problem, binary classification with real = 1
# and fake = 0: maximising $V$ is minimising the binary cross-entropy. Our networks
# output a **logit** $\ell$ and $D = \sigma(\ell)$; then $-\log D = \mathrm{softplus}(-\ell)$
# and $-\log(1 - D) = \mathrm{softplus}(\ell)$, which never overflow. Here are both
# terms estimated on a batch, written out, for a tiny untrained pair of networks on 1-D
# data:

# %%
target = data.bimodal_1d()                 # p_data: two Gaussians at -2 and +2, weights 0.3 / 0.7
toy = G.GAN(G.MLPGenerator(latent_dim=2, data_dim=1, hidden=32), G.MLPDiscriminator(data_dim=1, hidden=32))

real = target.sample(512, seed=1)                                  # (512,)
fake = toy.generator(torch.randn(512, 2))                           # (512, 1)
real_logits, fake_logits = toy.discriminator(real), toy.discriminator(fake)
real_term = -F.softplus(-real_logits).mean()                        # E log D(x)
fake_term = -F.softplus(fake_logits).mean()                         # E log(1 - D(G(z)))
print(f"E log D(x) = {real_term:.4f}    E log(1 - D(G(z))) = {fake_term:.4f}    V = {real_term + fake_term:.4f}")
print(f"the same with log(sigmoid(.)): {torch.log(torch.sigmoid(real_logits)).mean():.4f}, "
      f"{torch.log(1 - torch.sigmoid(fake_logits)).mean():.4f}")
print("log(sigmoid(-200)) in float32:", torch.log(torch.sigmoid(torch.tensor(-200.0))).item(),
      "   -softplus(200):", -F.softplus(torch.tensor(200.0)).item())

# %% [markdown]
# An untrained $D$ says about $1/2$ to everything, so each term is near $\log\frac12 = -0.693$.
# The last line is why we work on logits: the naive formula gives $-\infty$ for a
# confident discriminator.
#
# From now on we use the tested versions in `course_lib.models.gan`:
# `discriminator_loss(real_logits, fake_logits)` $= -V$ on a batch (minimised by $D$),
# and two generator losses, which section 4 compares.

# %%
assert torch.isclose(G.discriminator_loss(real_logits, fake_logits), -(real_term + fake_term))
print("discriminator_loss == -(E log D(x) + E log(1 - D(G(z)))):", True)

# %% [markdown]
# ## 3. Alternating updates, $k$ discriminator steps per generator step
#
# The lecture's algorithm, for each training iteration:
#
# 1. **$k$ times:** take a minibatch of $m$ real examples and $m$ noise samples; take one
#    gradient step that *increases* $V$ for $D$ (ascent; in code: a descent step on
#    `discriminator_loss`). The fakes are made with no graph back to $G$, so this step
#    cannot change $G$.
# 2. **Once:** take $m$ new noise samples; take one gradient step on $G$'s loss. The loss
#    flows back *through* $D$ into $G$, but only $G$'s parameters move.
#
# Some use $k = 1$, others $k > 1$; there is no best rule. Inline, one iteration reads:

# %%
def one_iteration(gan, real, g_opt, d_opt, k):
    m = len(real) // k
    for i in range(k):                                       # k steps for D
        with torch.no_grad():                                # fakes carry no graph to G
            fakes = gan.generator(torch.randn(m, gan.generator.latent_dim))
        d_loss = G.discriminator_loss(gan.discriminator(real[i * m:(i + 1) * m]), gan.discriminator(fakes))
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
    fakes = gan.generator(torch.randn(m, gan.generator.latent_dim))     # one step for G
    g_loss = G.non_saturating_generator_loss(gan.discriminator(fakes))
    g_opt.zero_grad()
    g_loss.backward()                                        # also fills D's .grad, which d_opt clears
    g_opt.step()
    return d_loss.item(), g_loss.item()


g_opt, d_opt = G.make_optimizers(toy, lr=1e-3)
print("d_loss, g_loss after one iteration with k = 2:", one_iteration(toy, target.sample(256, seed=2), g_opt, d_opt, k=2))

# %% [markdown]
# From now on we use `course_lib.models.gan.training_step` (the same, tested: the
# discriminator step leaves $G$ unchanged and the generator step leaves $D$ unchanged)
# and `train_gan`, which runs it inside the course's training loop `train.fit`
# (progress bar, a history record per epoch, checkpoints, Ctrl-C).
#
# ### The loss curves, read
#
# Let us train the 1-D toy GAN for a while with $k = 1$ and plot both losses per epoch.
# `train_toy_gan` also keeps a snapshot of $G$ and $D$ after every epoch for later.

# %%
grid = torch.linspace(-5, 5, 101)
torch.manual_seed(0)
toy = G.GAN(G.MLPGenerator(2, 1, hidden=32), G.MLPDiscriminator(1, hidden=32))
toy_history, toy_snapshots = train_toy_gan(toy, target, epochs=profile.choose(full=30, fast=4),
                                           n_data=2048, grid=grid, lr=1e-3)
viz.plot_history(toy_history, keys=["d_loss", "g_loss"], title="1-D GAN: the two losses per epoch")

# %%
first, last = toy_history.records[0], toy_history.records[-1]
playground = GANPlayground(toy_snapshots, target, grid)
jsd_start, jsd_end = playground.numbers(0)["jsd"], playground.numbers(len(toy_snapshots) - 1)["jsd"]
print(f"epoch 1:   d_loss {first['d_loss']:.3f}  g_loss {first['g_loss']:.3f}  D(x) {first['D(x)']:.3f}  D(G(z)) {first['D(G(z))']:.3f}")
print(f"epoch {last['epoch']}:  d_loss {last['d_loss']:.3f}  g_loss {last['g_loss']:.3f}  D(x) {last['D(x)']:.3f}  D(G(z)) {last['D(G(z))']:.3f}")
print(f"JSD(p_data, p_g) on the histogram: {jsd_start:.3f} nats before training, {jsd_end:.3f} after")
print(f"reference: 2 log 2 = {2 * math.log(2):.3f}, log 2 = {math.log(2):.3f}")
runtime.report("1-D GAN: JSD(p_data, p_g) after training", jsd_end, "nats")
assert jsd_end < jsd_start

# %% [markdown]
# Each loss measures a player **against the current opponent**, and the opponent keeps
# changing. A falling generator loss may mean a better generator or a weaker
# discriminator; a rising one may mean the discriminator just improved. So the curves
# do not settle into a descent the way a classifier's loss does, and neither tells you
# whether the samples are good: here $p_g$ moved much closer to $p_\text{data}$ (the JSD
# line above), which no single loss curve shows. When $D$ can no longer tell at all,
# $D = \frac12$ everywhere and the discriminator loss is $2\log 2 \approx 1.386$.
#
# > **Predict, then run.** Take a *perfect* generator, $p_g = p_\text{data}$, and the best
# > discriminator against it. What is the discriminator's loss? And what is $D(x)$?

# %%
p = torch.tensor([0.1, 0.4, 0.2, 0.3], dtype=torch.float64)
d_best = theory.optimal_discriminator(p, p)
print("D*(x) when p_g = p_data:", d_best.tolist())
print(f"discriminator loss -V(G, D*) = {-theory.value(p, p, d_best).item():.4f} = 2 log 2 = {2 * math.log(2):.4f}")
assert torch.equal(d_best, torch.full_like(p, 0.5))
assert math.isclose(-theory.value(p, p, d_best).item(), 2 * math.log(2), rel_tol=1e-12)

# %% [markdown]
# ## 4. The saturating loss and the non-saturating fix
#
# At the start of training the generator makes garbage, and $D$ learns within a few steps
# to reject it: $D(G(z)) \approx 0$. Look at the generator's minimax loss
# $\log(1 - D(G(z)))$ there: the curve is **flat** near $D = 0$, so $G$ gets almost no
# gradient exactly when it is worst. In practice $G$ instead **minimises
# $-\log D(G(z))$**: the same goal (fakes called real), but steep near $D = 0$.

# %%
d = torch.linspace(0.001, 0.999, 500)
fig = viz.CourseFigure(figsize=(6, 3.5))
ax = fig.add_subplot(1, 1, 1)
ax.plot(d, torch.log(1 - d), label="saturating: log(1 - D(G(z)))  (minimise)")
ax.plot(d, -torch.log(d), label="non-saturating: -log D(G(z))  (minimise)")
ax.axvspan(0, 0.1, color="0.9")
ax.text(0.01, 3.5, "start of\ntraining", fontsize=8)
ax.set_xlabel("D(G(z))")
ax.set_ylabel("generator loss")
ax.legend(fontsize=8)
fig.tight_layout()
fig

# %% [markdown]
# With respect to the logit $\ell$ the gradients are simple: $\frac{d}{d\ell}\log(1 - \sigma(\ell)) = -\sigma(\ell) = -D$
# and $\frac{d}{d\ell}(-\log\sigma(\ell)) = -(1 - D)$. At $D = 0.01$: $0.01$ against $0.99$.
#
# > **Predict, then run.** Give the discriminator a head start (300 steps against a
# > fresh generator), then measure the size of the generator's gradient under each loss.
# > How many times larger is the non-saturating one?

# %%
torch.manual_seed(0)
head_start = G.GAN(G.MLPGenerator(2, 1, hidden=32), G.MLPDiscriminator(1, hidden=32))
_, d_opt = G.make_optimizers(head_start, lr=1e-3)
pool = target.sample(4096, seed=3)
for _ in range(300):
    out = G.discriminator_step(head_start.generator, head_start.discriminator, d_opt, pool[torch.randint(0, 4096, (128,))])
print(f"after the head start: D(x) = {out['D(x)']:.3f}, D(G(z)) = {out['D(G(z))']:.4f}")

z = torch.randn(512, 2)
grad_norm = {}
for name, loss_fn in G.GENERATOR_LOSSES.items():
    head_start.generator.zero_grad()
    loss_fn(head_start.discriminator(head_start.generator(z))).backward()
    grad_norm[name] = torch.cat([p.grad.flatten() for p in head_start.generator.parameters()]).norm().item()
    print(f"{name:>15}: |gradient wrt G's parameters| = {grad_norm[name]:.4f}")
ratio = grad_norm["non-saturating"] / grad_norm["saturating"]
runtime.report("gradient ratio non-saturating / saturating at the start", ratio)
assert ratio > 10

# %% [markdown]
# Now a short run with each loss from that same starting point, with plain SGD so that
# the gradient's size is the step's size. (Adam divides each step by a running average
# of the gradient's size, which hides part of the problem; the 1-D toy then recovers
# with either loss.)

# %%
short_runs = {}
for name in G.GENERATOR_LOSSES:
    pair = copy.deepcopy(head_start)
    sgd = (torch.optim.SGD(pair.generator.parameters(), lr=0.05), torch.optim.SGD(pair.discriminator.parameters(), lr=0.05))
    torch.manual_seed(1)
    history, shots = train_toy_gan(pair, target, epochs=4, n_data=2048, grid=grid, generator_loss=name,
                                   optimizers=sgd, progress=False)
    short = GANPlayground(shots, target, grid)
    short_runs[name] = [short.numbers(i)["jsd"] for i in range(len(shots))]
    print(f"{name:>15}: JSD per epoch {[round(v, 3) for v in short_runs[name]]}; "
          f"D(G(z)) in epoch 1: {history.records[0]['D(G(z))']:.3f}")
runtime.report("JSD after 2 SGD epochs, saturating", short_runs["saturating"][2], "nats")
runtime.report("JSD after 2 SGD epochs, non-saturating", short_runs["non-saturating"][2], "nats")
assert short_runs["non-saturating"][2] < short_runs["saturating"][2]

# %% [markdown]
# The numbers above show the lecture's point: from the same head start, the
# non-saturating loss moves $p_g$ towards $p_\text{data}$ from the first epoch, while
# the saturating one waits until $D$ stops rejecting everything. Every GAN below uses the
# non-saturating loss.
#
# ## 5. The proof: the game is won by $p_g = p_\text{data}$
#
# We follow the lecture line by line and check each line on distributions small enough to
# list: $x$ takes 6 values, and the "generator" maps 4 equally likely latent values $z$
# to values of $x$. (For the proof, $G$ minimises the minimax objective itself.)

# %%
p_data = torch.tensor([0.05, 0.25, 0.30, 0.20, 0.15, 0.05], dtype=torch.float64)
p_z = torch.full((4,), 0.25, dtype=torch.float64)                  # the prior over z
G_table = torch.tensor([0, 2, 2, 5])                                  # G(z) for z = 0, 1, 2, 3
p_g = torch.zeros(6, dtype=torch.float64).index_add_(0, G_table, p_z)  # the distribution G induces
D_any = torch.tensor([0.9, 0.6, 0.5, 0.7, 0.8, 0.2], dtype=torch.float64)  # some discriminator
print("p_data =", p_data.tolist())
print("p_g    =", p_g.tolist())

# %% [markdown]
# **Line 1, change of variables.** The second expectation is over $z$; since $x = G(z)$
# has distribution $p_g$, it is also an expectation over $x \sim p_g$:
# $\mathbb{E}_{z}[\log(1 - D(G(z)))] = \mathbb{E}_{x\sim p_g}[\log(1 - D(x))]$.

# %%
over_z = (p_z * torch.log(1 - D_any[G_table])).sum()
over_x = (p_g * torch.log(1 - D_any)).sum()
print(f"E_z log(1 - D(G(z))) = {over_z:.10f}\nE_x~p_g log(1 - D(x)) = {over_x:.10f}")
assert torch.isclose(over_z, over_x)

# %% [markdown]
# **Line 2, expectations as integrals (here: sums) and max inside.**
# $\max_D \sum_x [p_\text{data}(x)\log D(x) + p_g(x)\log(1 - D(x))]
#  = \sum_x \max_{y}\,[p_\text{data}(x)\log y + p_g(x)\log(1-y)]$:
# each $x$ has its own value $D(x)$, so maximising the sum is maximising every term on
# its own. Check: maximise $V$ over all of $D$ by gradient ascent, and separately
# maximise each term over a grid of $y$. (Where $p_g(x) = 0$ the best value is $D(x) = 1$,
# which a logit reaches only in the limit: the two numbers agree to about $10^{-4}$.)

# %%
logit = torch.zeros(6, dtype=torch.float64, requires_grad=True)
ascent = torch.optim.Adam([logit], lr=0.1)
for _ in range(1500):
    loss = -theory.value(p_data, p_g, torch.sigmoid(logit))
    ascent.zero_grad()
    loss.backward()
    ascent.step()
max_of_sum = -loss.item()
ys = torch.linspace(1e-6, 1 - 1e-6, 100_001, dtype=torch.float64)
terms = p_data[:, None] * ys.log() + p_g[:, None] * (1 - ys).log()     # (6, grid)
sum_of_max = terms.max(dim=1).values.sum().item()
print(f"max over D of the sum: {max_of_sum:.6f}\nsum of the max per x:  {sum_of_max:.6f}")
assert abs(max_of_sum - sum_of_max) < 1e-3

# %% [markdown]
# **Line 3, the side computation.** $f(y) = a\log y + b\log(1-y)$ with $a = p_\text{data}(x)$,
# $b = p_g(x)$: $f'(y) = \frac{a}{y} - \frac{b}{1-y} = 0 \iff y = \frac{a}{a+b}$, a maximum
# since $f'' < 0$.

# %%
best_y = ys[terms.argmax(dim=1)]
formula = theory.maximiser_of_a_log_y_plus_b_log_1_minus_y(p_data, p_g)
print("argmax on the grid:", [round(v, 4) for v in best_y.tolist()])
print("a / (a + b):       ", [round(v, 4) for v in formula.tolist()])
assert torch.allclose(best_y, formula, atol=1e-4)

# %% [markdown]
# **Line 4, the optimal discriminator.** $D^*_G(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}$.
# It is what gradient ascent found above. We cannot compute it for real data (both
# densities are unknown), but we know what $D$ is aiming for.
#
# > **Predict, then run.** At the values of $x$ the generator never produces ($p_g(x) = 0$),
# > what is $D^*(x)$? And where $p_g$ puts *more* mass than $p_\text{data}$?

# %%
d_star = theory.optimal_discriminator(p_data, p_g)
print("D*(x)          =", [round(v, 4) for v in d_star.tolist()])
print("gradient ascent =", [round(v, 4) for v in torch.sigmoid(logit).tolist()])
print("where p_g = 0:", d_star[p_g == 0].tolist(), "   where p_g > p_data:", [round(v, 3) for v in d_star[p_g > p_data].tolist()])
assert torch.allclose(torch.sigmoid(logit)[p_g > 0], d_star[p_g > 0], atol=1e-3)
assert (torch.sigmoid(logit)[p_g == 0] > 0.99).all()               # on its way to 1
assert (d_star[p_g == 0] == 1).all() and (d_star[p_g > p_data] < 0.5).all()

# %% [markdown]
# **Line 5, plug $D^*$ back in** (the inner max is done) and read the sums as expectations again:
# $\max_D V = \mathbb{E}_{x\sim p_\text{data}}\!\left[\log\frac{p_\text{data}}{p_\text{data}+p_g}\right]
#  + \mathbb{E}_{x\sim p_g}\!\left[\log\frac{p_g}{p_\text{data}+p_g}\right]$.

# %%
v_star = theory.value(p_data, p_g, d_star)
line5 = (torch.xlogy(p_data, p_data / (p_data + p_g)) + torch.xlogy(p_g, p_g / (p_data + p_g))).sum()
print(f"V(G, D*) = {v_star:.10f}\nline 5   = {line5:.10f}")
assert torch.isclose(v_star, line5)

# %% [markdown]
# **Line 6, multiply and divide by 2** inside each log to bring in the average
# $m = \frac{p_\text{data} + p_g}{2}$; the two factors $\frac12$ come out as
# $\log\frac12 + \log\frac12 = -\log 4$:
# $\max_D V = -\log 4 + \mathbb{E}_{p_\text{data}}\!\left[\log\frac{p_\text{data}}{m}\right] + \mathbb{E}_{p_g}\!\left[\log\frac{p_g}{m}\right]$.

# %%
m = (p_data + p_g) / 2
line6 = -math.log(4) + torch.xlogy(p_data, p_data / m).sum() + torch.xlogy(p_g, p_g / m).sum()
print(f"line 6 = {line6:.10f}")
assert torch.isclose(line5, line6)

# %% [markdown]
# **Line 7, two KL divergences.** $\mathrm{KL}(p\|q) = \mathbb{E}_{x\sim p}[\log\frac{p(x)}{q(x)}]$, so
# $\max_D V = -\log 4 + \mathrm{KL}(p_\text{data}\|m) + \mathrm{KL}(p_g\|m)$.

# %%
line7 = -math.log(4) + theory.kl_divergence(p_data, m) + theory.kl_divergence(p_g, m)
print(f"line 7 = {line7:.10f}")
assert torch.isclose(line6, line7)

# %% [markdown]
# **Line 8, the Jensen–Shannon divergence.** $\mathrm{JSD}(p\|q) = \frac12\mathrm{KL}(p\|m) + \frac12\mathrm{KL}(q\|m)$, so
# $$\max_D V(G, D) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\|p_g).$$

# %%
jsd = theory.jensen_shannon(p_data, p_g)
line8 = -math.log(4) + 2 * jsd
print(f"line 8 = -log 4 + 2 JSD = {-math.log(4):.6f} + 2 x {jsd:.6f} = {line8:.10f}")
assert torch.isclose(line7, line8)
runtime.report("V(G, D*) - (-log 4 + 2 JSD) on the 6-point example", (v_star - line8).abs(), "nats")

# %% [markdown]
# **Line 9, the minimum.** $\mathrm{JSD} \ge 0$, with equality only when the two
# distributions are equal. So the generator's objective $\min_G\,[-\log 4 + 2\,\mathrm{JSD}]$
# has its **unique** minimum at $p_g = p_\text{data}$, where $D^* = \frac12$ everywhere and
# $V = -\log 4$. Check: slide $p_g$ towards $p_\text{data}$ along
# $p_t = (1-t)\,p_g + t\,p_\text{data}$ and watch $\max_D V$ fall to $-\log 4$ only at $t = 1$.

# %%
values = []
for t in torch.linspace(0, 1, 11, dtype=torch.float64):
    p_t = (1 - t) * p_g + t * p_data
    values.append(theory.optimal_value(p_data, p_t).item())
print("max_D V along the path:", [round(v, 4) for v in values])
print(f"-log 4 = {-math.log(4):.4f}")
assert all(a > b for a, b in zip(values, values[1:])) and abs(values[-1] + math.log(4)) < 1e-12
assert all(v > -math.log(4) + 1e-9 for v in values[:-1])
g = torch.Generator().manual_seed(0)
others = [torch.rand(6, generator=g, dtype=torch.float64) for _ in range(1000)]
lowest = min(theory.optimal_value(p_data, q / q.sum()).item() for q in others)
print(f"the lowest max_D V over 1,000 random p_g: {lowest:.4f} (> -log 4)")
assert lowest > -math.log(4)

# %% [markdown]
# The step "JSD $\ge 0$, with equality only when the two are equal" carries the whole
# conclusion, so check it, and the other bound, directly: $0 \le \mathrm{JSD} \le \log 2$,
# symmetric in its two arguments, $\log 2$ exactly when the supports do not overlap. The
# upper bound is why $\max_D V$ can never exceed $-\log 4 + 2\log 2 = 0$.

# %%
pairs = [(q / q.sum(), r / r.sum()) for q, r in zip(others[::2], others[1::2])]       # 500 random pairs
jsds = torch.stack([theory.jensen_shannon(q, r) for q, r in pairs])
swapped = torch.stack([theory.jensen_shannon(r, q) for q, r in pairs])
disjoint = theory.jensen_shannon(torch.tensor([0.5, 0.5, 0, 0, 0, 0], dtype=torch.float64),
                                 torch.tensor([0, 0, 0.25, 0.25, 0.25, 0.25], dtype=torch.float64))
print(f"500 random pairs: JSD between {jsds.min():.2e} and {jsds.max():.4f}; log 2 = {math.log(2):.4f}")
print(f"largest |JSD(p, q) - JSD(q, p)|: {(jsds - swapped).abs().max():.1e}")
print(f"JSD(p_data, p_data) = {theory.jensen_shannon(p_data, p_data).item():.1e}, "
      f"disjoint supports: {disjoint.item():.6f}")
assert (jsds > 0).all() and (jsds < math.log(2)).all() and torch.allclose(jsds, swapped)
assert theory.jensen_shannon(p_data, p_data).item() == 0
assert math.isclose(disjoint.item(), math.log(2), rel_tol=1e-12)   # exact sums: 1/2 and 1/4 are binary

# %% [markdown]
# **The caveats.** The proof is reassuring, but it is about ideal players:
#
# * It optimises over *all* functions $D$ and *all* distributions $p_g$. Our $G$ and $D$
#   are networks with a fixed, finite architecture; the optimal $D^*$ or a $G$ with
#   $p_g = p_\text{data}$ may simply not be among the functions they can represent.
# * It says where the optimum is, not that alternating gradient steps **reach** it, nor
#   how fast. The game can oscillate or collapse (section 7 shows one way).
# * In practice $G$ minimises the non-saturating loss, not the minimax objective the
#   proof is about.
#
# ## 6. A 1-D playground
#
# Move the slider (ipywidgets 7, as on Colab, or 8) through the epochs of the toy GAN
# trained in section 3: the data
# density (blue), a histogram of the generator's samples (green), the trained
# discriminator $D(x)$ (red) and the optimal one for the current generator,
# $D^*(x) = p_\text{data}/(p_\text{data} + p_g)$ (dashed), estimated from the same histogram.
# Where $p_g$ has no samples and $p_\text{data}$ has mass, $D^* = 1$; where they agree, $D^* = \frac12$.

# %%
playground.show()

# %%
for epoch in (0, len(toy_snapshots) // 2, len(toy_snapshots) - 1):
    n = playground.numbers(epoch)
    print(f"epoch {n['epoch']:>2}: JSD {n['jsd']:.3f} nats, largest |D - D*| where either density has mass {n['max_gap']:.2f}")

# %% [markdown]
# $D$ never quite equals $D^*$ (the gaps printed above): it is a small network that
# gets one step per generator step and never reaches its optimum, and $D^*$ here comes
# from a histogram of 2,000 samples, noisy where few samples land. Drag the slider to see
# where the two differ.
#
# ## 7. Mode collapse on a ring of 8 Gaussians
#
# The classic 2-D test: 8 narrow Gaussians on a circle. A generator that puts all its
# samples on a few modes can still fool a discriminator *locally*; the discriminator then
# pushes it to another mode, and so on. We count the modes covered after every epoch with
# `metrics.count_modes`: a sample counts for a mode when it lies within 3 standard
# deviations of its center, and a mode is covered when it holds at least 1 % of the samples.

# %%
ring = data.ring_of_gaussians()                  # 8 modes, radius 2, std 0.05
torch.manual_seed(0)
ring_gan = G.GAN(G.MLPGenerator(2, 2, hidden=128, layers=3), G.MLPDiscriminator(2, hidden=128, layers=3))
ring_history, ring_snapshots = train_toy_gan(ring_gan, ring, epochs=profile.choose(full=40, fast=6),
                                             n_data=profile.choose(full=8192, fast=2048), batch_size=256)
coverage = [metrics.count_modes(s["samples"], ring.means, std=0.05) for s in ring_snapshots]
covered = [c.covered for c in coverage]
print("modes covered after each epoch:", covered)
print("fraction of samples near some mode:", [round(c.high_quality, 2) for c in coverage][::5])
runtime.report("ring: most modes covered at once", max(covered))
runtime.report("ring: modes covered after the last epoch", covered[-1])
shown = sorted({0, 1, len(ring_snapshots) // 4, len(ring_snapshots) // 2, len(ring_snapshots) - 1})
ring_figure([ring_snapshots[i] for i in shown], ring.means, covered=[covered[i] for i in shown],
            real=ring.sample(1000, seed=0))

# %%
falls = [e for e in range(1, len(covered)) if covered[e] < covered[e - 1]]
first_max = covered.index(max(covered))
display(Markdown(
    f"Read the list above. Over {len(covered) - 1} epochs the generator covered at most "
    f"**{max(covered)} of the {len(ring.means)} modes** at once (first after epoch {first_max}), and "
    f"**{covered[-1]}** after the last epoch. "
    + (f"The count is not a steady climb: it fell {len(falls)} time{'s' if len(falls) > 1 else ''} from one epoch "
       f"to the next (for example from {covered[falls[0] - 1]} to {covered[falls[0]]} after epoch {falls[0]}): "
       "a snapshot can miss modes that the previous one covered."
       if falls else "In this run the count never fell from one epoch to the next.")))

# %% [markdown]
# Modes can be found, lost and found again as the two players chase each other: the
# discriminator learns to reject the modes the generator crowds onto, the generator
# moves on, and modes it left behind can be dropped. That is **mode collapse** in
# miniature. The remedies the outlook lists (other losses, minibatch statistics,
# unrolled or Wasserstein GANs) target exactly this.
#
# ## 8. DCGAN on MNIST
#
# DCGAN (Radford et al., 2016) was the first architecture that made GANs on images train
# reliably. Its guidelines, which `course_lib.models.gan` follows for 28×28 digits:
#
# * no pooling: **strided convolutions** in the discriminator, **fractionally strided
#   (transposed) convolutions** in the generator;
# * **batch norm** in both networks (not on the discriminator's input layer);
# * no fully connected hidden layers;
# * **ReLU** in the generator, **tanh** at its output (images in $[-1, 1]$);
# * **LeakyReLU** in the discriminator.
#
# and its training recipe: Adam with learning rate $2\cdot10^{-4}$ and $\beta_1 = 0.5$
# (the default 0.9 made their training oscillate), weights initialised from
# $\mathcal{N}(0, 0.02^2)$. We add well-known stabilisers, each switched on by an
# argument, and measured for this notebook (the trials are in `docs/gan_tuning.md`):
#
# * **one-sided label smoothing** (Salimans et al., 2016, "Improved techniques for
#   training GANs"): the discriminator's target for real digits is 0.9 instead of 1, so it
#   gains nothing from ever more confident verdicts and keeps giving the generator useful
#   gradients; the fakes keep the target 0 (smoothing them too would reward fakes where
#   there is no data);
# * **averaging the generator's weights** (Yazıcı et al., 2019, "The unusual effectiveness
#   of averaging in GAN training"; used by progressive GAN, StyleGAN and BigGAN): the game
#   makes the weights circle around a good point rather than settle on it, and an
#   exponential moving average of them, $\bar\theta \leftarrow \beta\,\bar\theta + (1-\beta)\,\theta$
#   after every step ($\beta$ is `average_decay` below), sits closer to it. We sample the average (`G.GeneratorAverage`),
#   with batch norm's running statistics re-measured for the averaged weights (BigGAN's
#   "standing statistics"). Training itself is unchanged: D always plays the live $G$.
#
# Neither is a cure at this length of training. In the course's trials
# (`docs/gan_tuning.md`) label smoothing changed the DCGAN's Fréchet ratio of section 10
# by less than the spread between disjoint sets of real digits; sampling the average
# instead of the live generator lowered it at the end of training by 0.1 in most runs,
# by 0.5 in one, and raised it by 0.1 in another, about as much as two runs with other
# seeds differ; and neither made a rare digit common. A
# third one did:
#
# * **a minibatch standard-deviation channel** in the discriminator (Karras et al., 2018,
#   "Progressive growing of GANs for improved quality, stability, and variation",
#   section 3; `minibatch_std=True`): D's last layer also sees one number, the spread of
#   its features over the whole batch. D otherwise judges each image on its own, and a
#   generator that draws some digits rarely or never can fool it image by image; a
#   batch from such a generator varies less than a real batch, and with this channel D
#   can see that. In the trials (same learning rate, with and without it) it raised the
#   share of the rarest digit.
#
# The other change that helped in those trials is a **larger learning rate than DCGAN's**. DCGAN's
# $2\cdot10^{-4}$ was chosen for datasets of millions of images; on a CPU the course's full
# profile has 4,500 digits (all 60,000 on a GPU) and a few thousand generator steps, and at
# $2\cdot10^{-4}$ the ratio stopped improving after about 25 epochs, far from the real
# digits; each larger rate tried, up to $2\cdot10^{-3}$, got further in the same epochs. So
# we take $2\cdot10^{-3}$ for both players and, over the last epochs, lower it linearly
# (`lr_decay_last`), so that the last steps are small ones around where the game has
# got to. Section 10 shows where this run ends.

# %%
settings = {"channels": 32, "batch_size": 32, "lr": 2e-3, "betas": (0.5, 0.999), "real_label": 0.9,
            "average_decay": 0.999, "epochs": profile.choose(full=40, fast=1),
            "lr_decay_last": profile.choose(full=10, fast=1)}
gpu = device.type == "cuda"                       # a CPU trains on 4,500 digits, a GPU on them all
train = data.load_mnist("train", limit=profile.choose(full=None if gpu else 4500, fast=512))
test = data.load_mnist("test")
images = train.images * 2 - 1                   # [0, 1] -> [-1, 1], the range of tanh
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, train.labels),
                                     batch_size=settings["batch_size"], shuffle=True, drop_last=True,
                                     generator=torch.Generator().manual_seed(0))
torch.manual_seed(0)
dcgan = G.GAN(G.DCGANGenerator(latent_dim=64, channels=settings["channels"]),
              G.DCGANDiscriminator(channels=settings["channels"], minibatch_std=True)).to(device)
print(dcgan.generator)
print(dcgan.discriminator)
for name, net in (("generator", dcgan.generator), ("discriminator", dcgan.discriminator)):
    print(f"{name}: {sum(p.numel() for p in net.parameters()):,} parameters")

# %% [markdown]
# The course's digit classifier (`course_lib.metrics`, trained once and cached) judges
# the samples while we train: after every epoch we keep 64 samples of the averaged
# generator from a fixed set of codes, and the Fréchet distance of its samples to the
# test digits in the classifier's features (section 10 explains it; lower is better).

# %%
classifier = metrics.course_classifier()
print(f"the course classifier: {metrics.classifier_info()['test_accuracy']:.1%} correct on the test digits")
n_eval = profile.choose(full=500, fast=100)
eval_features = metrics.classifier_features(test.images[:n_eval])
fixed_z = torch.randn(64, 64, generator=torch.Generator().manual_seed(1)).to(device)
over_training = []


def watch(model):
    generator = average.refresh_batch_norm()
    over_training.append(G.to_unit(G.sample(generator, 64, z=fixed_z)).cpu())
    fakes = G.to_unit(G.sample(generator, n_eval)).cpu()
    return {"frechet": metrics.frechet_distance(metrics.classifier_features(fakes), eval_features)}


average = G.GeneratorAverage(dcgan.generator, decay=settings["average_decay"])
started = time.perf_counter()
dcgan_history, _ = G.train_gan(dcgan, loader, settings["epochs"], k=1, lr=settings["lr"], betas=settings["betas"],
                               real_label=settings["real_label"], average=average,
                               lr_decay_last=settings["lr_decay_last"], evaluate=watch, desc="DCGAN")
runtime.synchronize(device)                                     # a GPU may still be working when the call returns
runtime.report("DCGAN: training time including the per-epoch evaluation", time.perf_counter() - started, "s")
dcgan_generator = average.refresh_batch_norm()                  # the generator we sample from now on

# %% [markdown]
# (`train_gan(..., checkpoint=path)` would also save both players and both optimizers
# after every epoch, and resume from there when run again.)
#
# How fast does it train? We time a few extra training steps on their own, since the
# epoch times above include the evaluation.

# %%
timing = copy.deepcopy(dcgan)
timing_average = G.GeneratorAverage(timing.generator, settings["average_decay"])
g_opt, d_opt = G.make_optimizers(timing, settings["lr"], settings["betas"])
batch = images[:settings["batch_size"]].to(device)


def timed_step():
    G.training_step(timing, batch, g_opt, d_opt, real_label=settings["real_label"])
    timing_average.update(timing.generator)


timed_step()                                                       # warm-up
steps = profile.choose(full=40, fast=5)
started = time.perf_counter()
for _ in range(steps):
    timed_step()
runtime.synchronize(device)                                        # wait for the GPU's queued work
images_per_second = steps * len(batch) / (time.perf_counter() - started)
runtime.report(f"DCGAN training speed ({device.type}, {env.threads} thread{'s' if env.threads > 1 else ''}, batch {len(batch)})",
               images_per_second, "images/s")
del timing, timing_average

# %%
viz.plot_history(dcgan_history, keys=["d_loss", "g_loss"], title="DCGAN: the losses per epoch")

# %%
viz.plot_history(dcgan_history, keys=["frechet"], title=f"DCGAN: Fréchet distance of {n_eval} samples to the test digits")

# %%
d_losses, g_losses = dcgan_history["d_loss"], dcgan_history["g_loss"]
distances = dcgan_history["frechet"]
display(Markdown(
    f"Over {len(dcgan_history)} epoch{'s' if len(dcgan_history) > 1 else ''} the discriminator's loss stayed between "
    f"{min(d_losses):.2f} and {max(d_losses):.2f} and the generator's between {min(g_losses):.2f} and "
    f"{max(g_losses):.2f}, while the Fréchet distance went from {distances[0]:.1f} after the first epoch to "
    f"{distances[-1]:.1f} after the last."))

# %% [markdown]
# That is section 3's point on real data: each loss only says how one player does
# against the *current* other one, so neither is a measure of the quality of the
# samples; the Fréchet distance compares the samples with real digits, and that is the
# number to watch.
#
# **Samples over training**, always from the same 64 codes $z$ (one row per epoch shown):

# %%
rows = sorted({0, len(over_training) // 3, 2 * len(over_training) // 3, len(over_training) - 1})
viz.show_images(torch.cat([over_training[i][:16] for i in rows]), nrow=16,
                title="epochs " + ", ".join(str(i + 1) for i in rows) + " (top to bottom)")

# %% [markdown]
# ### Latent interpolation
#
# Walk on a straight line between two codes, $z_t = (1-t)\,z_0 + t\,z_1$, and generate at
# each step. Digit-like images all along the path, morphing from one end to the other
# rather than cross-fading, are the lecture's evidence that a generator has learned
# structure rather than a lookup table of training digits. Look at the rows below with
# that in mind (the red numbers are the classifier's reading of each step).

# %%
pairs = torch.randn(2, 5, 64, generator=torch.Generator().manual_seed(7)).to(device)
t = torch.linspace(0, 1, 10, device=device)[None, :, None]                       # (1, 10, 1)
path = ((1 - t) * pairs[0][:, None] + t * pairs[1][:, None]).reshape(-1, 64)     # (50, 64)
path_images = G.to_unit(G.sample(dcgan_generator, len(path), z=path)).cpu()
viz.show_images(path_images, nrow=10, labels=metrics.predict_digits(path_images).tolist(),
                title="5 straight lines in latent space (red: the classifier's reading)")

# %% [markdown]
# ### Latent vector arithmetic
#
# The lecture's example averages the codes of a few *smiling women*, *neutral women* and
# *neutral men*, and generates from "smiling woman − neutral woman + neutral man". We
# need groups, and the course's classifier gives them to us: among many samples we pick
# the digit it reads, and the amount of ink (the mean pixel value) gives a second
# attribute: *thick* and *thin* strokes. Then
# $\bar z_\text{thick } a - \bar z_\text{thin } a + \bar z_\text{thin } b$ asks for a
# *thick* $b$.
#
# > **Predict, then run.** Will the result be read as digit $b$, and will it have more ink
# > than the average thin $b$?

# %%
codes = torch.randn(profile.choose(full=4000, fast=1000), 64, generator=torch.Generator().manual_seed(3)).to(device)
pool = G.to_unit(G.sample(dcgan_generator, len(codes), z=codes)).cpu()
digit, ink = metrics.predict_digits(pool), pool.mean(dim=(1, 2, 3))
counts = torch.bincount(digit, minlength=10)
a, b = counts.argsort(descending=True)[:2].tolist()              # the two most common digits
b = b if counts[b] > 0 else a                                     # (a barely trained generator)


def group(d, thick, size=8):
    """The codes of the `size` samples read as digit d with the most (thick) or least ink."""
    idx = (digit == d).nonzero().flatten()
    order = ink[idx].argsort(descending=thick)
    return codes[idx[order[:size]]]


z_thick_a, z_thin_a, z_thin_b = group(a, True).mean(0), group(a, False).mean(0), group(b, False).mean(0)
result = z_thick_a - z_thin_a + z_thin_b
made = G.to_unit(G.sample(dcgan_generator, 4, z=torch.stack([z_thick_a, z_thin_a, z_thin_b, result]))).cpu()
read = metrics.predict_digits(made).tolist()
made_ink = made.mean(dim=(1, 2, 3)).tolist()
viz.show_images(made, nrow=4, labels=[f"{r}" for r in read],
                title=f"thick {a}  -  thin {a}  +  thin {b}  =  ?")

# %%
display(Markdown(
    f"The classifier reads the result as **{read[3]}** (we asked for {b}); its ink is "
    f"{made_ink[3]:.3f} against {made_ink[2]:.3f} for the average thin {b} and {made_ink[0]:.3f} "
    f"for the average thick {a}. The arithmetic {'did' if read[3] == b and made_ink[3] > made_ink[2] else 'did not'} "
    "give a thicker digit of the second kind here."))

# %% [markdown]
# ## 9. A conditional GAN: the digit on request
#
# A conditional GAN models $p(x \mid y)$: the generator receives the label $y$ as well as
# $z$. The lecture's way to feed in the label is **conditional batch normalisation**:
# batch norm normalises each channel and then applies a learned scale and shift
# $\gamma, \beta$; here there is one pair $(\gamma_y, \beta_y)$ **per class**, looked up
# from the label. In a few lines:

# %%
class TinyConditionalBatchNorm(torch.nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.norm = torch.nn.BatchNorm2d(channels, affine=False)     # normalise only
        self.gamma = torch.nn.Parameter(torch.ones(classes, channels))
        self.beta = torch.nn.Parameter(torch.zeros(classes, channels))

    def forward(self, h, y):                                       # h (N, C, H, W), y (N,)
        return self.gamma[y][:, :, None, None] * self.norm(h) + self.beta[y][:, :, None, None]


cbn = TinyConditionalBatchNorm(3, 10)
with torch.no_grad():
    cbn.beta[7] += 5.0                                             # class 7's shift differs
h = torch.randn(4, 3, 2, 2)
out = cbn(h, torch.tensor([0, 7, 0, 7]))
print("per-image mean, labels 0, 7, 0, 7:", [round(v, 2) for v in out.mean(dim=(1, 2, 3)).tolist()])

# %% [markdown]
# `course_lib.models.gan.ConditionalDCGANGenerator` is the DCGAN generator with
# `ConditionalBatchNorm2d` in place of each batch norm. Its discriminator also sees the
# label, by *projection* (its score gets a learned per-class term), the pairing used by
# the conditional ImageNet GANs the lecture shows.
#
# Two more things make the label matter on a small CPU budget; both were measured while
# building this notebook (`docs/gan_tuning.md`). With conditional batch norm alone, the
# per-class scales and shifts start equal and Adam moves them by about the learning rate
# per step, so after 12 epochs the samples still ignored the label (about 11 % drawn as
# the digit asked for: chance). So:
#
# * the label also enters the **first layer**: a learned 7×7 map per class is added to
#   the projection of $z$, which is the same as feeding the one-hot label beside $z$
#   (Mirza and Osindero, 2014, the first conditional GAN);
# * the discriminator is **matching-aware** (`mismatched=True`; Reed et al., 2016): real
#   digits paired with a *wrong* label count as fakes too. A discriminator that ignored
#   the label would now lose points, so it learns to check that image and label agree,
#   and the generator's gradient then says "draw the digit you were asked for".

# %%
torch.manual_seed(0)
cgan = G.GAN(G.ConditionalDCGANGenerator(64, settings["channels"]),
             G.ConditionalDCGANDiscriminator(settings["channels"])).to(device)
cgan_average = G.GeneratorAverage(cgan.generator, decay=settings["average_decay"])
cgan_epochs = profile.choose(full=10, fast=1)      # the label makes the game easier: fewer epochs do
cgan_lr = 2e-4                                     # DCGAN's rate: enough here (docs/gan_tuning.md)
cgan_history, _ = G.train_gan(cgan, loader, cgan_epochs, k=1, lr=cgan_lr, betas=settings["betas"],
                              real_label=settings["real_label"], mismatched=True, average=cgan_average,
                              desc="conditional GAN")
cgan_generator = cgan_average.refresh_batch_norm()              # the averaged weights, as for the DCGAN

# %%
asked = torch.arange(10).repeat_interleave(10).to(device)                      # 10 of each digit
on_request = G.to_unit(G.sample(cgan_generator, len(asked), labels=asked)).cpu()
viz.show_images(on_request, nrow=10, title="each row: one digit asked for (0 at the top)")

# %%
n_asked = profile.choose(full=1000, fast=200)
asked = torch.arange(10).repeat(n_asked // 10)
conditional_samples = G.to_unit(G.sample(cgan_generator, n_asked, labels=asked.to(device))).cpu()
recognised = (metrics.predict_digits(conditional_samples) == asked).float()
per_digit = [recognised[asked == d].mean().item() for d in range(10)]
print("recognised as asked, per digit:", [f"{v:.0%}" for v in per_digit])
runtime.report("conditional GAN: samples recognised as the digit asked for", recognised.mean())
print(f"the course's target for the full profile: at least 90 % (here {recognised.mean():.1%})")

# %% [markdown]
# ## 10. Judging samples without a likelihood
#
# A GAN has no $\log p(x)$ to report, so we compare samples with real digits through the
# course's classifier (Heusel et al.'s FID and Salimans et al.'s Inception Score use an
# ImageNet network instead; our numbers are comparable within the course only):
#
# * **Fréchet distance**: fit a Gaussian to the classifier's 128 features of each set and
#   compute $\|\mu_a-\mu_b\|^2 + \mathrm{tr}(\Sigma_a+\Sigma_b-2(\Sigma_a\Sigma_b)^{1/2})$.
#   Lower is better. Even two sets of *real* digits are at some distance, and the smaller
#   the sets, the larger it is (means and a 128×128 covariance estimated from a few hundred
#   images are noisy). So the comparison must be like for like: every row below uses the
#   **same number $n$ of images** against the **same test digits**, and the floor, what a
#   generator that drew fresh digits from the data distribution itself would score, is the
#   distance of $n$ *real training* digits to those test digits, averaged over a few
#   disjoint sets of $n$. A model's ratio to that floor is the figure to read.
# * **Classifier score** $\exp(\mathbb{E}_x\mathrm{KL}(p(y|x)\,\|\,p(y)))$: high when each
#   sample is clearly one digit and all digits appear; at most 10.
# * **Class histogram**: the share of samples read as each digit. Mode collapse shows up
#   as a digit with a tiny share.
#
# > **Predict, then run.** Which row will have the *smallest* smallest-class share, and
# > will any model beat the real training digits on Fréchet distance?

# %%
n_metric = profile.choose(full=1000, fast=200)
test_features = metrics.classifier_features(test.images)
n_sets = min(4, len(train) // n_metric)                          # disjoint sets of n_metric real digits
real_sets = [train.images[i * n_metric:(i + 1) * n_metric] for i in range(n_sets)]
real_distances = [metrics.frechet_distance(metrics.classifier_features(x), test_features) for x in real_sets]
floor = sum(real_distances) / n_sets
print(f"{n_sets} disjoint sets of {n_metric} real training digits: Fréchet distance to the {len(test)} test digits "
      f"from {min(real_distances):.2f} to {max(real_distances):.2f}, mean {floor:.2f} (the floor)")
candidates = {
    "real training digits": real_sets[0],
    "DCGAN samples": G.to_unit(G.sample(dcgan_generator, n_metric)).cpu(),
    "conditional GAN (digits 0-9 in turn)": conditional_samples[:n_metric],
}
rows, scores = [], {}
for name, imgs in candidates.items():
    hist = metrics.class_histogram(imgs)
    scores[name] = {"frechet": metrics.frechet_distance(metrics.classifier_features(imgs), test_features),
                    "score": metrics.classifier_score(imgs), "smallest": hist.min().item(), "largest": hist.max().item()}
    s = scores[name]
    rows.append([name, len(imgs), f"{s['frechet']:.2f}", f"{s['score']:.2f}", f"{s['smallest']:.1%}", f"{s['largest']:.1%}"])
scores["real training digits"]["frechet"] = floor                # the mean over the disjoint sets
rows[0][2] = f"{floor:.2f} (mean of {n_sets} sets)"
test_hist = metrics.class_histogram(test.images)
rows.append(["real test digits (the reference)", len(test), f"{metrics.frechet_distance(test_features, test_features):.2f}",
             f"{metrics.classifier_score(test.images):.2f}", f"{test_hist.min().item():.1%}", f"{test_hist.max().item():.1%}"])
display(Markdown(viz.markdown_table(
    ["samples", "n", "Fréchet distance to the test digits", "classifier score", "smallest digit share", "largest digit share"],
    rows, align="lrrrrr")))
for name, s in scores.items():  # the table's figures, recorded for the benchmark (make bench)
    runtime.report(f"{name}: Fréchet distance to the test digits", s["frechet"])
    runtime.report(f"{name}: classifier score", s["score"])
    runtime.report(f"{name}: class histogram", metrics.class_histogram(candidates[name]))
runtime.report("real test digits: classifier score", metrics.classifier_score(test.images))
runtime.report("real test digits: class histogram", metrics.class_histogram(test.images))

# %%
for name in ("DCGAN samples", "conditional GAN (digits 0-9 in turn)"):
    print(f"{name}: Fréchet distance {scores[name]['frechet'] / floor:.1f} x the real train-vs-test distance")
runtime.report("DCGAN: Fréchet distance / real train-vs-test distance", scores["DCGAN samples"]["frechet"] / floor)
runtime.report(f"DCGAN: smallest digit share in {n_metric:,} samples", scores["DCGAN samples"]["smallest"])
runtime.report("conditional GAN: Fréchet distance / real distance", scores["conditional GAN (digits 0-9 in turn)"]["frechet"] / floor)
print("the course's targets for the DCGAN in the full profile: every digit >= 5 % of the samples "
      f"(smallest here {scores['DCGAN samples']['smallest']:.1%}), Fréchet distance <= 5 x the real "
      f"distance (here {scores['DCGAN samples']['frechet'] / floor:.1f} x)")

# %% [markdown]
# Read the table with its limits in mind: the classifier was trained on these very
# training digits, so real digits are its home ground; a generator that copied training
# digits would score as well as the first row, which is why the lecture also looks at
# nearest neighbours and interpolations. The conditional GAN was asked for each digit
# equally often, so its histogram is flat exactly when it draws what it is asked for:
# compare its smallest and largest shares with the per-digit rates of section 9.
#
# ## 11. Outlook
#
# Since DCGAN, GAN research exploded (the "GAN zoo" lists hundreds of variants). The
# highlights the lecture picks:
#
# * **Better losses.** The Wasserstein GAN (Arjovsky et al., 2017) replaces the JSD, which
#   is stuck at $\log 2$ when the two distributions do not overlap, by the earth mover's
#   distance, whose gradient does not vanish there; LSGAN (Mao et al., 2017) uses a least
#   squares loss. Both aim at the saturation and collapse seen above.
# * **Higher resolution.** Progressive GANs (Karras et al., 2018) grow both networks from
#   4×4 to 1024×1024 during training; StyleGAN (Karras et al., 2019) feeds the latent code
#   into every layer through per-channel scales and shifts, and its interpolations morph
#   faces smoothly.
# * **Conditional GANs at scale.** BigGAN (Brock et al., 2019) combines conditional batch
#   norm, spectral normalisation and self-attention to generate 512×512 ImageNet classes on
#   request.
# * **Images as the condition.** pix2pix (Isola et al., 2017) learns from paired images
#   (label maps to photos, sketches to handbags, day to night); CycleGAN (Zhu et al.,
#   2017) needs no pairs (horses to zebras), by asking that translating there and back
#   returns the original.
#
# GANs give sharp samples with no likelihood to report and a training game that needs
# care; the likelihood models of notebooks 03 and 05 give numbers you can compare but
# blurrier or slower samples. Assignment A3 has you write the losses, the optimal
# discriminator, a training step and the DCGAN modules yourself.
