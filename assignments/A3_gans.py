# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/assignments/A3_gans.ipynb)
#
# # A3 · GANs: the losses, the optimal discriminator, a training step and DCGAN
#
# Notebook 06 showed a GAN's pieces working; here you write them:
#
# 1. the **discriminator's loss** on logits;
# 2. the two **generator losses**, saturating and non-saturating;
# 3. the **optimal discriminator** $D^*$ on discrete distributions;
# 4. the **Jensen–Shannon divergence**;
# 5. **one training step** of the lecture's algorithm: $k$ discriminator steps, then one
#    generator step;
# 6. the **DCGAN** generator and discriminator for 28×28 digits.
#
# **How this assignment works.** Write your code only inside the cells that say
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError(...)` line. Each exercise is
# followed by a check cell: run it; when it passes it prints nothing, when it fails it
# tells you what was expected, what your code gave, and the most likely mistake. The
# grader runs these checks and a few hidden ones, and it only takes your solution cells:
# helper functions written in other cells are not seen, and editing a check cell changes
# nothing. Use `torch`, `torch.nn` (as `nn`), `torch.nn.functional` (as `F`) and `math`;
# do not import other modules, and do not call the course's own GAN code
# (`course_lib.models.gan`, `course_lib.theory.gan`): the checks notice.
#
# Points: discriminator loss 3, generator losses 3, optimal discriminator 2, JSD 3,
# training step 5, DCGAN 4 (20 in total).

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
from torch import nn
from torch.nn import functional as F

from course_lib import checks, data, gan_checks, runtime
from course_lib.models import gan as reference
from course_lib.theory import gan as theory

env = runtime.setup(seed=0)  # seeded: the random inputs of the checks are the same on every run

# %% [markdown]
# ## 1. The discriminator's loss
#
# The discriminator $D$ returns a **logit** $\ell$ per input; the probability that the
# input is real is $D = \sigma(\ell)$. It maximises
# $V = \mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1 - D(G(z)))]$, that is it minimises
#
# $$L_D = -\frac1{n}\sum_i \log\sigma(\ell^\text{real}_i) - \frac1{n'}\sum_j \log\big(1 - \sigma(\ell^\text{fake}_j)\big),$$
#
# the binary cross-entropy with **real = 1** and **fake = 0**, each batch *averaged*.
# Compute it from the logits in a way that stays finite for logits like $\pm 200$:
# `F.binary_cross_entropy_with_logits`, or the identities
# $-\log\sigma(\ell) = \mathrm{softplus}(-\ell)$ and $-\log(1 - \sigma(\ell)) = \mathrm{softplus}(\ell)$.
#
# **Exercise 1.** Write `discriminator_loss(real_logits, fake_logits)`: both are 1-D
# tensors (their lengths may differ); return a 0-d tensor.

# %% nbgrader={"grade": false, "grade_id": "a3_d_loss", "locked": false, "schema_version": 3, "solution": true}
def discriminator_loss(real_logits, fake_logits):
    """-mean log D(real) - mean log(1 - D(fake)), from logits, stable for large |logits|."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'discriminator_loss: softplus(-real_logits).mean() + '
        'softplus(fake_logits).mean(), or binary_cross_entropy_with_logits with '
        'targets 1 and 0.')


# %% tags=["raises-exception"]
print("D says 1/2 to everything:", discriminator_loss(torch.zeros(4), torch.zeros(4)).item(),
      " (2 log 2 =", 2 * math.log(2), ")")

# %% nbgrader={"grade": true, "grade_id": "a3_d_loss_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
d_loss_mistakes = [
    (lambda r, f: reference.discriminator_loss(f, r),
     "the real/fake labels are swapped: real examples are labelled 1 (loss -log D) and fakes 0 (loss -log(1 - D))."),
    (lambda r, f: reference.discriminator_loss(torch.sigmoid(r), torch.sigmoid(f)),
     "you applied a sigmoid before a loss that expects logits: pass the raw logits to "
     "binary_cross_entropy_with_logits / softplus."),
    (lambda r, f: -(torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean()),
     "log(sigmoid(x)) overflows to -inf for large |x|: use softplus or binary_cross_entropy_with_logits."),
    (lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(),
     "you summed over each batch: average instead (mean)."),
    (lambda r, f: -reference.discriminator_loss(r, f),
     "the sign is flipped: D *maximises* V, so its loss is -V."),
]
checks.check_function(
    gan_checks.without_reference(discriminator_loss, reference.discriminator_loss),
    reference.discriminator_loss,
    [(torch.zeros(4), torch.zeros(4)), (torch.randn(6) * 3, torch.randn(4) * 3),
     (torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 1.5])),
     (torch.tensor([200.0, -200.0, 30.0]), torch.tensor([-200.0, 200.0]))],
    name="discriminator_loss", known_mistakes=d_loss_mistakes)

# %% nbgrader={"grade": true, "grade_id": "a3_d_loss_more", "locked": true, "points": 1, "schema_version": 3, "solution": false} tags=["raises-exception"]
checks.check_shape(gan_checks.call(discriminator_loss, torch.randn(5), torch.randn(7)), (),
                   name="discriminator_loss (a 0-d tensor)")


# %% [markdown]
# ## 2. The generator's losses
#
# The minimax game asks $G$ to **minimise** $\mathbb{E}_z[\log(1 - D(G(z)))]$: the
# *saturating* loss, whose gradient vanishes when $D$ confidently rejects the fakes. In
# practice $G$ minimises the *non-saturating* loss $-\mathbb{E}_z[\log D(G(z))]$ instead.
#
# **Exercise 2.** Write both, from the discriminator's logits on a batch of fakes (1-D),
# averaged over the batch, stable for large logits.

# %% nbgrader={"grade": false, "grade_id": "a3_g_losses", "locked": false, "schema_version": 3, "solution": true}
def saturating_generator_loss(fake_logits):
    """mean log(1 - D(G(z))), to be minimised by G (the minimax loss)."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'saturating_generator_loss: log(1 - sigmoid(l)) = -softplus(l).')


def non_saturating_generator_loss(fake_logits):
    """-mean log D(G(z)), to be minimised by G (the loss used in practice)."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'non_saturating_generator_loss: -log(sigmoid(l)) = softplus(-l).')


# %% tags=["raises-exception"]
confident = torch.tensor([-6.0], requires_grad=True)                # D(G(z)) = 0.0025
for loss in (saturating_generator_loss, non_saturating_generator_loss):
    grad, = torch.autograd.grad(loss(confident), confident)
    print(f"{loss.__name__}: d loss / d logit at D(G(z)) = 0.0025 is {grad.item():.4f}")

# %% nbgrader={"grade": true, "grade_id": "a3_g_losses_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
g_cases = [(torch.randn(8) * 3,), (torch.tensor([-200.0, 0.5, 200.0]),), (torch.zeros(3),)]
checks.check_function(
    gan_checks.without_reference(non_saturating_generator_loss, reference.non_saturating_generator_loss,
                                 reference.saturating_generator_loss),
    reference.non_saturating_generator_loss, g_cases, name="non_saturating_generator_loss",
    known_mistakes=[
        (reference.saturating_generator_loss,
         "this is the saturating loss log(1 - D(G(z))) where the non-saturating loss -log D(G(z)) is asked."),
        (lambda l: -reference.non_saturating_generator_loss(l),
         "the sign is flipped: G minimises -log D(G(z)), i.e. maximises log D(G(z))."),
        (lambda l: reference.non_saturating_generator_loss(torch.sigmoid(l)),
         "you applied a sigmoid before a loss that expects logits."),
        (lambda l: -torch.log(torch.sigmoid(l)).mean(),
         "log(sigmoid(x)) overflows to -inf for large |x|: use softplus(-x)."),
    ])
checks.check_function(
    gan_checks.without_reference(saturating_generator_loss, reference.saturating_generator_loss,
                                 reference.non_saturating_generator_loss),
    reference.saturating_generator_loss, g_cases, name="saturating_generator_loss",
    known_mistakes=[
        (reference.non_saturating_generator_loss,
         "this is the non-saturating loss; the saturating one is log(1 - D(G(z)))."),
        (lambda l: -reference.saturating_generator_loss(l),
         "the sign is flipped: the saturating loss is +log(1 - D(G(z))), which G minimises."),
        (lambda l: reference.saturating_generator_loss(torch.sigmoid(l)),
         "you applied a sigmoid before a loss that expects logits."),
        (lambda l: torch.log(1 - torch.sigmoid(l)).mean(),
         "log(1 - sigmoid(x)) overflows to -inf for large x: use -softplus(x)."),
    ])

# %% nbgrader={"grade": true, "grade_id": "a3_g_losses_more", "locked": true, "points": 1, "schema_version": 3, "solution": false} tags=["raises-exception"]
checks.check_property("the non-saturating loss at D = 1/2 is log 2",
                      gan_checks.call(non_saturating_generator_loss, torch.zeros(5)),
                      math.log(2), hint="-log(sigmoid(0)) = log 2.")


# %% [markdown]
# ## 3. The optimal discriminator
#
# For a fixed generator, the discriminator that maximises $V$ is, at every $x$,
#
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}$$
#
# (the maximiser of $a\log y + b\log(1-y)$ is $y = a/(a+b)$).
#
# **Exercise 3.** Write `optimal_discriminator(p_data, p_g)` for probability vectors over
# the same finite set of values (last axis; any leading batch axes). You may assume
# $p_\text{data}(x) + p_g(x) > 0$ everywhere.

# %% nbgrader={"grade": false, "grade_id": "a3_optimal_d", "locked": false, "schema_version": 3, "solution": true}
def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise."""
    # YOUR CODE HERE
    raise NotImplementedError(
        "optimal_discriminator: the real data's probability divided by the sum of "
        'both probabilities.')


# %% nbgrader={"grade": true, "grade_id": "a3_optimal_d_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
def _distribution(*shape):
    return torch.softmax(torch.randn(*shape, dtype=torch.float64), -1)


checks.check_function(
    gan_checks.without_reference(optimal_discriminator, theory.optimal_discriminator),
    theory.optimal_discriminator,
    [(torch.tensor([0.5, 0.3, 0.2]), torch.tensor([0.1, 0.3, 0.6])), (_distribution(6), _distribution(6)),
     (torch.tensor([0.0, 0.5, 0.5]), torch.tensor([0.5, 0.5, 0.0])), (_distribution(2, 4), _distribution(2, 4))],
    name="optimal_discriminator",
    known_mistakes=[
        (lambda pd, pg: pg / (pd + pg),
         "your optimal discriminator is upside down: D*(x) is the probability that x is *real*, "
         "p_data / (p_data + p_g)."),
        (lambda pd, pg: pd / pg, "divide by p_data + p_g, not by p_g alone."),
        (lambda pd, pg: pd / (pd + pg).sum(-1, keepdim=True), "the ratio is taken at each x, not with sums over x."),
    ])


# %% [markdown]
# ## 4. The Jensen–Shannon divergence
#
# Plugging $D^*$ into $V$ gives $\max_D V(G, D) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\|p_g)$, with
#
# $$\mathrm{JSD}(p\|q) = \tfrac12\,\mathrm{KL}(p\,\|\,m) + \tfrac12\,\mathrm{KL}(q\,\|\,m), \qquad m = \tfrac12(p + q).$$
#
# `kl_divergence` is given below (from A0: natural log, $0\log 0 = 0$, over the last axis).
#
# **Exercise 4.** Write `jensen_shannon(p, q)` over the last axis.

# %%
def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0 (given)."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)


# %% nbgrader={"grade": false, "grade_id": "a3_jsd", "locked": false, "schema_version": 3, "solution": true}
def jensen_shannon(p, q):
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, over the last axis."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'jensen_shannon: m = (p + q) / 2, then half of each KL divergence to m.')


# %% tags=["raises-exception"]
p_demo, q_demo = torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.0, 0.5, 0.5])
print(f"JSD = {jensen_shannon(p_demo, q_demo):.4f} nats; -log 4 + 2 JSD = {-math.log(4) + 2 * jensen_shannon(p_demo, q_demo):.4f}")

# %% nbgrader={"grade": true, "grade_id": "a3_jsd_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
jsd_mistakes = [
    (lambda p, q: kl_divergence(p, (p + q) / 2) + kl_divergence(q, (p + q) / 2),
     "JSD without its 1/2 factors: each KL to the mixture is weighted by 1/2."),
    (lambda p, q: 0.5 * kl_divergence(p, p + q) + 0.5 * kl_divergence(q, p + q),
     "JSD against the wrong mixture: m = (p + q) / 2, not p + q."),
    (lambda p, q: 0.5 * kl_divergence(p, q) + 0.5 * kl_divergence(q, p),
     "JSD against the wrong mixture: compare p and q each with their average m = (p + q) / 2, not with each other."),
    (lambda p, q: kl_divergence(p, (p + q) / 2),
     "only one of the two KL terms: JSD = KL(p || m) / 2 + KL(q || m) / 2."),
]
checks.check_function(
    gan_checks.without_reference(jensen_shannon, theory.jensen_shannon),
    theory.jensen_shannon,
    [(torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.0, 0.5, 0.5])), (_distribution(5), _distribution(5)),
     (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])), (_distribution(3, 4), _distribution(3, 4))],
    name="jensen_shannon", known_mistakes=jsd_mistakes)

# %% nbgrader={"grade": true, "grade_id": "a3_jsd_more", "locked": true, "points": 1, "schema_version": 3, "solution": false} tags=["raises-exception"]
p_j, q_j = _distribution(6), _distribution(6)
checks.check_property("-log 4 + 2 JSD = V(G, D*)", -math.log(4) + 2 * gan_checks.call(jensen_shannon, p_j, q_j),
                      theory.value(p_j, q_j, theory.optimal_discriminator(p_j, q_j)),
                      hint="JSD = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2.")


# %% [markdown]
# ## 5. One training step
#
# The lecture's algorithm, for one call with a batch `real` of $k \cdot m$ examples:
#
# 1. **$k$ discriminator steps.** Step $i$ ($i = 0, \dots, k-1$) uses the real minibatch
#    `real[i*m:(i+1)*m]` and $m$ fakes $G(z)$, $z \sim \mathcal{N}(0, I)$ of size
#    `generator.latent_dim`. The fakes must carry **no gradient to $G$** (make them under
#    `torch.no_grad()` or `.detach()` them). Then `d_optimizer.zero_grad()`, the
#    discriminator's loss on the logits `discriminator(real_i)` and `discriminator(fakes)`,
#    `backward()`, `d_optimizer.step()`.
# 2. **One generator step**, only after the $k$ discriminator steps: $m$ noise samples,
#    the **non-saturating** loss on `discriminator(generator(z))`, `g_optimizer.zero_grad()`,
#    `backward()`, `g_optimizer.step()`. The discriminator must not change in this step.
#
# Draw the noise where the data is, `torch.randn(m, generator.latent_dim, device=real.device)`:
# the last cell of this notebook runs your step on the GPU when there is one.
#
# Return `{"d_loss": <the mean of the k discriminator losses>, "g_loss": <the generator's loss>}`
# as Python floats. You may use your functions from exercises 1 and 2 (the check runs
# your step with the course's losses in their place, so that a mistake there is not
# counted twice).
#
# **Exercise 5.** Write `training_step(generator, discriminator, g_optimizer, d_optimizer, real, k)`.

# %% nbgrader={"grade": false, "grade_id": "a3_training_step", "locked": false, "schema_version": 3, "solution": true}
def training_step(generator, discriminator, g_optimizer, d_optimizer, real, k):
    """k discriminator steps (one real minibatch each, detached fakes), then one non-saturating generator step."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'training_step: m = len(real) // k; loop k times over the minibatches for D '
        '(fakes under torch.no_grad()); then one step for G.')


# %% [markdown]
# Your step, trained for a moment on the 1-D mixture of notebook 06 (two Gaussians at
# $-2$ and $+2$): the generator's mean and spread should move towards the data's.

# %% tags=["raises-exception"]
target = data.bimodal_1d()
torch.manual_seed(0)
toy_g, toy_d = reference.MLPGenerator(2, 1, hidden=32), reference.MLPDiscriminator(1, hidden=32)
toy_g_opt = torch.optim.Adam(toy_g.parameters(), lr=1e-3, betas=(0.5, 0.999))
toy_d_opt = torch.optim.Adam(toy_d.parameters(), lr=1e-3, betas=(0.5, 0.999))
pool = target.sample(4096, seed=0)[:, None]
with torch.no_grad():
    start = toy_g(torch.randn(2000, 2))
for step in range(150):
    logs = training_step(toy_g, toy_d, toy_g_opt, toy_d_opt, pool[torch.randint(0, 4096, (64,))], k=1)
with torch.no_grad():
    end = toy_g(torch.randn(2000, 2))
print(f"data: mean {pool.mean():.2f}, std {pool.std():.2f};  G before: mean {start.mean():.2f}, std {start.std():.2f};"
      f"  G after 150 steps: mean {end.mean():.2f}, std {end.std():.2f};  last losses {logs}")

# %% nbgrader={"grade": true, "grade_id": "a3_training_step_check", "locked": true, "points": 3, "schema_version": 3, "solution": false} tags=["raises-exception"]
def _checked_step(step):
    step = gan_checks.with_names(step, discriminator_loss=reference.discriminator_loss,
                                 non_saturating_generator_loss=reference.non_saturating_generator_loss,
                                 saturating_generator_loss=reference.saturating_generator_loss)
    return gan_checks.without_reference(step, reference.training_step, reference.discriminator_step,
                                        reference.generator_step, reference.train_gan)


gan_checks.check_training_step(_checked_step(training_step), k=1, m=8)
gan_checks.check_training_step(_checked_step(training_step), k=3, m=4)

# %% nbgrader={"grade": true, "grade_id": "a3_training_step_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
gan_checks.check_training_step(_checked_step(training_step), k=2, m=6, data_dim=1, latent_dim=2, seed=1)


# %% [markdown]
# ## 6. DCGAN for 28×28 digits
#
# Build the two networks of notebook 06 exactly as described (the check compares the
# parameter counts with this architecture), following DCGAN's guidelines: no pooling, no
# fully connected layers, batch norm, ReLU and tanh in the generator, LeakyReLU(0.2) in
# the discriminator. With `c = channels`:
#
# **`Generator(latent_dim, channels)`**, `forward(z)` with `z` of shape `(N, latent_dim)`:
# reshape to `(N, latent_dim, 1, 1)`, then
# `ConvTranspose2d(latent_dim, 4c, 7, stride 1, padding 0, bias=False)` → `(N, 4c, 7, 7)`,
# `BatchNorm2d`, ReLU; `ConvTranspose2d(4c, 2c, 4, stride 2, padding 1, bias=False)` →
# `(N, 2c, 14, 14)`, `BatchNorm2d`, ReLU; `ConvTranspose2d(2c, 1, 4, stride 2, padding 1)` (with bias) →
# `(N, 1, 28, 28)`, tanh.
#
# **`Discriminator(channels)`**, `forward(x)` with `x` of shape `(N, 1, 28, 28)`:
# `Conv2d(1, c, 4, stride 2, padding 1)` (with bias, no batch norm) → `(N, c, 14, 14)`,
# LeakyReLU(0.2); `Conv2d(c, 2c, 4, stride 2, padding 1, bias=False)` → `(N, 2c, 7, 7)`,
# `BatchNorm2d`, LeakyReLU(0.2); `Conv2d(2c, 1, 7)` (with bias) → `(N, 1, 1, 1)`; return
# the logits flattened to shape `(N,)` (no sigmoid).
#
# **Exercise 6.** Write both classes.

# %% nbgrader={"grade": false, "grade_id": "a3_dcgan", "locked": false, "schema_version": 3, "solution": true}
class Generator(nn.Module):
    """DCGAN generator: z (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self, latent_dim=64, channels=32):
        super().__init__()
        self.latent_dim = latent_dim
        # YOUR CODE HERE
        raise NotImplementedError(
            '__init__: three ConvTranspose2d layers 1 -> 7 -> 14 -> 28, BatchNorm2d '
            '+ ReLU after the first two, tanh at the end.')

    def forward(self, z):
        # YOUR CODE HERE
        raise NotImplementedError(
            'forward: reshape z to (N, latent_dim, 1, 1) and apply the layers.')


class Discriminator(nn.Module):
    """DCGAN discriminator: images (N, 1, 28, 28) -> logits (N,)."""

    def __init__(self, channels=32):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError(
            '__init__: Conv2d 28 -> 14 (LeakyReLU), Conv2d 14 -> 7 (BatchNorm2d, '
            'LeakyReLU), Conv2d with a 7x7 kernel -> one logit.')

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError(
            'forward: apply the layers and flatten the (N, 1, 1, 1) output to (N,).')


# %% nbgrader={"grade": true, "grade_id": "a3_dcgan_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
gan_checks.check_dcgan_modules(Generator, Discriminator, latent_dim=64, channels=32,
                               reference_generator=reference.DCGANGenerator(64, 32),
                               reference_discriminator=reference.DCGANDiscriminator(32))

# %% nbgrader={"grade": true, "grade_id": "a3_dcgan_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
gan_checks.check_dcgan_modules(Generator, Discriminator, latent_dim=16, channels=8,
                               reference_generator=reference.DCGANGenerator(16, 8),
                               reference_discriminator=reference.DCGANDiscriminator(8), batch=3)

# %% [markdown]
# Your DCGAN and your training step together, for a few steps on real digits (notebook
# 06 trains the course's version for minutes; here we only check that the pieces fit):

# %% tags=["raises-exception"]
digits = data.load_mnist("train", limit=256).images * 2 - 1
torch.manual_seed(0)
my_g, my_d = Generator(64, 16).to(env.device), Discriminator(16).to(env.device)
my_g_opt = torch.optim.Adam(my_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
my_d_opt = torch.optim.Adam(my_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
for i in range(0, 256, 64):
    logs = training_step(my_g, my_d, my_g_opt, my_d_opt, digits[i:i + 64].to(env.device), k=1)
print("after 4 steps on real digits:", logs)
