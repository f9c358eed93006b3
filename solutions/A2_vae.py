# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/solutions/A2_vae.ipynb)
#
# # A2 · Variational autoencoders: the ELBO by hand
#
# In notebook 05 the VAE's loss came out of a derivation: for every image $x$,
#
# $$\log p_\theta(x) \;\ge\; \underbrace{\mathbb E_{z \sim q_\phi(z \mid x)}\big[\log p_\theta(x \mid z)\big]
#   - D_\mathrm{KL}\big(q_\phi(z \mid x) \,\|\, p(z)\big)}_{\text{the ELBO}} .$$
#
# Here you write every piece of it yourself, then train your own VAE on MNIST:
#
# 1. **the reparameterisation trick**: a sample $z \sim q_\phi(z \mid x)$ that gradients pass through;
# 2. **the KL term** in closed form;
# 3. **the negative ELBO**, the loss, with its reductions (what is summed, what is averaged);
# 4. **the VAE**, the lecture's 784-400-20 network and its forward pass;
# 5. **the importance-weighted bound** (IWAE), a tighter estimate of $\log p_\theta(x)$.
#
# **How this assignment works.** Write your code only inside the cells that say
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError(...)` line. Each exercise is
# followed by check cells: run them; when they pass they print nothing, when they fail they
# say what was expected, what your code gave, and the most likely mistake. The grader runs
# these checks and a few hidden ones on new inputs, and it only takes your solution cells:
# helpers written in other cells are not seen, and editing a check cell changes nothing.
# Use `torch`, `torch.nn` (`nn`), `torch.nn.functional` (`F`), `torch.distributions` and
# `math`; do not import other modules, and do not call the course's own answers in
# `course_lib.models.vae` (the checks notice it).
#
# Points: reparameterisation 5, KL 5, negative ELBO 5, VAE 5, IWAE 5 (25 in total).

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
import torch.nn.functional as F
from torch import nn

import course_lib.models.vae  # the course's answers: only the check cells use them
from course_lib import checks, data, runtime, train, viz

env = runtime.setup(seed=0)
profile = env.profile

# %% [markdown]
# The next cell takes what this assignment's check cells need besides `course_lib.checks`
# from `course_lib/vae_checks.py`; you do not need to read it. While your code runs inside
# a check, the course's own answers refuse to run, and where your function calls one of
# your *earlier* answers (`reparameterize`, `gaussian_kl`), the check puts the course's
# formula in its place for that moment: a mistake costs points in its own exercise only.

# %%
from course_lib import vae_checks

as_student = vae_checks.student_runner(globals())
failure, binary_images = vae_checks.failure, vae_checks.binary_images

# %% [markdown]
# ## 1. The reparameterisation trick
#
# The encoder of a VAE does not output a code; it outputs a distribution over codes,
# $q_\phi(z \mid x) = \mathcal N\big(\mu, \operatorname{diag}\sigma^2\big)$, as two vectors
# of length $J$: the means `mu` and the **log-variances** `logvar` $= \log \sigma^2$. (A
# network can output any real number; a log-variance may be any real number, a standard
# deviation may not be negative.)
#
# To train the encoder we need gradients *through* a sample. `torch.normal(mu, std)`
# draws a correct sample but gives no gradient to `mu` or `std`. The trick moves the
# randomness into a noise $\varepsilon$ that does not depend on the encoder:
#
# $$z = \mu + \sigma \odot \varepsilon, \qquad \sigma = \exp\big(\tfrac12\,\text{logvar}\big), \qquad
#   \varepsilon \sim \mathcal N(0, I).$$
#
# Now $z$ is an ordinary function of $\mu$ and $\text{logvar}$:
# $\partial z / \partial \mu = 1$ and $\partial z / \partial\, \text{logvar} = \tfrac12 \sigma \varepsilon
# = \tfrac12 (z - \mu)$, and the checks test exactly that.
#
# **Exercise 1.** Write `reparameterize(mu, logvar)`: `mu` and `logvar` have shape `(N, J)`;
# return one sample per entry, shape `(N, J)`, with fresh noise on every call, that
# gradients reach `mu` and `logvar` through.

# %% nbgrader={"grade": false, "grade_id": "a2_reparameterize", "locked": false, "schema_version": 3, "solution": true}
def reparameterize(mu, logvar):
    """A sample z ~ N(mu, exp(logvar)) per entry, shape (N, J), that gradients pass through."""
    ### BEGIN SOLUTION
    # HINT: std = exp(logvar / 2); eps = torch.randn_like(mu); return mu + std * eps.
    std = torch.exp(0.5 * logvar)
    eps = torch.randn_like(mu)
    return mu + std * eps
    ### END SOLUTION


# %% [markdown]
# **Predict, then run.** Every entry has $\mu = 3$ and $\text{logvar} = \log 4$. What mean and
# what standard deviation will 10,000 samples have?

# %%
mu_demo = torch.full((10_000, 1), 3.0)
z_demo = reparameterize(mu_demo, torch.full_like(mu_demo, math.log(4.0)))
print(f"mean {z_demo.mean():.3f}, standard deviation {z_demo.std():.3f}")

# %% [markdown]
# The standard deviation is 2, not 4: $\log 4$ is the log of the *variance*, and
# $\sigma = e^{\log 4 / 2} = 2$.

# %% nbgrader={"grade": true, "grade_id": "a2_reparameterize_check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
NO_GRADIENT = ("no gradient through the sample: torch.normal(mu, std), Normal(mu, std).sample() and "
               ".detach() all cut the graph. Write z = mu + std * eps with eps = torch.randn_like(mu) "
               "(or use Normal(mu, std).rsample()).")
MISSING_HALF = ("the missing ½: std = exp(logvar) is the variance, not the standard deviation; "
                "std = exp(logvar / 2).")
LOGVAR_AS_STD = ("std vs log-variance: you used logvar itself as the standard deviation; "
                 "std = exp(logvar / 2).")


def check_reparameterize(mu, logvar):
    """Every rule of exercise 1 on one batch (mu, logvar) of shape (N, J)."""
    run = as_student(reparameterize, "reparameterize")
    z = run(mu, logvar)
    checks.check_shape(z, tuple(mu.shape), name="reparameterize(mu, logvar)",
                       hint="one sample per entry: z has the shape of mu.")
    if not bool(torch.isfinite(z).all()):
        raise failure("`reparameterize` returns inf or nan.", "a log or a square root of logvar, which can be "
                      "negative: the standard deviation is exp(logvar / 2).")
    if torch.equal(z.detach(), mu):
        raise failure("`reparameterize` returns mu itself.", "no noise: add std * eps, with eps drawn from "
                      "a standard normal (torch.randn_like(mu)).")
    checks.check_gradient_flow(run, {"mu": mu, "logvar": logvar}, name="reparameterize",
                               must_flow=["mu", "logvar"], hints={"mu": NO_GRADIENT, "logvar": NO_GRADIENT})
    mu_leaf, logvar_leaf = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
    z = run(mu_leaf, logvar_leaf)
    z.sum().backward()
    checks.check_property("dz/dmu = 1", mu_leaf.grad, torch.ones_like(mu),
                          hint="z = mu + std * eps: mu enters with weight 1.")
    gap = z.detach() - mu
    checks.check_close(logvar_leaf.grad, 0.5 * gap, name="the gradient dz/dlogvar, which must be (z - mu) / 2",
                       rtol=1e-4, atol=1e-5,
                       known_mistakes=[(gap, MISSING_HALF), (gap / logvar, LOGVAR_AS_STD),
                                       (gap / (2 * logvar), LOGVAR_AS_STD)])
    eps = gap / torch.exp(0.5 * logvar)  # what the noise must have been: N(0, 1) entries
    again = run(mu, logvar)
    if torch.equal(again.detach(), z.detach()):
        raise failure("`reparameterize` gives the same sample on every call.", "fresh noise on every call: "
                      "do not seed the random generator (torch.manual_seed) inside the function.")
    if len(mu) > 1 and torch.allclose(eps, eps[:1].expand_as(eps), rtol=1e-4, atol=1e-5):
        raise failure("Every row of the batch got the same noise eps.", "draw eps with the shape of mu "
                      "(torch.randn_like(mu)), not one row that is broadcast over the batch.")
    if len(eps) < 100:
        return  # too few samples for the statistics below
    n = eps.numel()
    negative = (eps < 0).float().mean().item()
    if abs(negative - 0.5) > 5 * 0.5 / math.sqrt(n):
        raise failure("The noise is not symmetric around 0.", "eps must be standard normal: torch.randn, "
                      "not torch.rand (uniform on [0, 1)).", expected="about half of eps below 0",
                      found=f"{negative:.1%} below 0")
    rows = len(eps)
    mean, std = eps.mean(0), eps.std(0)  # per latent dimension, each with its own logvar
    if bool(((mean.abs() > 5 / math.sqrt(rows)) | ((std - 1).abs() > 5 / math.sqrt(2 * rows))).any()):
        raise failure("The noise eps = (z - mu) / exp(logvar / 2) is not standard normal.",
                      "z = mu + exp(logvar / 2) * eps with eps ~ N(0, 1): check the scale of your noise.",
                      expected="mean 0 and standard deviation 1 in every dimension",
                      found=f"means {mean.tolist()} and standard deviations {std.tolist()}")


torch.manual_seed(1)
spread = torch.linspace(-3.0, 3.0, 6)  # a different log-variance in each dimension
check_reparameterize(2 * torch.randn(3000, 6), spread + 0.1 * torch.randn(3000, 6))
check_reparameterize(torch.randn(1, 4), torch.randn(1, 4))

# %% nbgrader={"grade": true, "grade_id": "a2_reparameterize_more", "locked": true, "points": 2, "schema_version": 3, "solution": false}
mu_check, logvar_check = torch.randn(5, 3), torch.full((5, 3), math.log(9.0))
checks.check_shape(as_student(reparameterize, "reparameterize")(mu_check, logvar_check), (5, 3),
                   name="reparameterize on a (5, 3) batch")
many = as_student(reparameterize, "reparameterize")(torch.zeros(20_000, 2), torch.full((20_000, 2), math.log(9.0)))
checks.check_property("samples with logvar = log 9 have standard deviation 3", many.std(0), torch.full((2,), 3.0),
                      hint="the standard deviation is exp(logvar / 2): here exp(log(9) / 2) = 3.", atol=0.1)
### BEGIN HIDDEN TESTS
torch.manual_seed(11)
check_reparameterize(torch.randn(2000, 20), 4 * torch.rand(2000, 20) - 3)
check_reparameterize(5 * torch.randn(2, 1), torch.tensor([[-6.0], [4.0]]))
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The KL term, in closed form
#
# The second term of the ELBO compares the encoder's Gaussian with the prior
# $p(z) = \mathcal N(0, I)$. For two Gaussians the KL divergence has a closed form; with a
# diagonal covariance it is a sum over the $J$ latent dimensions:
#
# $$D_\mathrm{KL}\big(\mathcal N(\mu, \operatorname{diag}\sigma^2) \,\|\, \mathcal N(0, I)\big)
#   = -\tfrac12 \sum_{j=1}^{J} \big(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\big).$$
#
# It is never negative, and it is zero exactly when $\mu = 0$ and $\sigma = 1$: an encoder
# that says nothing about $x$.
#
# **Exercise 2.** Write `gaussian_kl(mu, logvar)`: inputs `(N, J)`; return the KL of each
# example, **summed** over the latent dimensions, shape `(N,)`.

# %% nbgrader={"grade": false, "grade_id": "a2_gaussian_kl", "locked": false, "schema_version": 3, "solution": true}
def gaussian_kl(mu, logvar):
    """KL( N(mu, exp(logvar)) || N(0, I) ) per example, summed over the last axis: (N, J) -> (N,)."""
    ### BEGIN SOLUTION
    # HINT: -0.5 * (1 + logvar - mu**2 - exp(logvar)), summed over the last axis (dim=-1).
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)
    ### END SOLUTION


# %% [markdown]
# **Predict, then run.** An encoder outputs $\mu_j = 1$ and $\sigma_j = 1$ in each of its
# $J = 20$ dimensions. How many nats is its KL from the prior?

# %%
print(f"{gaussian_kl(torch.ones(1, 20), torch.zeros(1, 20)).item():.3f} nats")

# %% [markdown]
# Each dimension contributes $\tfrac12 \mu_j^2 = \tfrac12$, and the dimensions add up:
# $20 \times \tfrac12 = 10$ nats. Averaging over the dimensions would give $\tfrac12$, a
# KL that no longer grows with the number of dimensions the code uses.

# %% nbgrader={"grade": true, "grade_id": "a2_gaussian_kl_check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
STD_VS_LOGVAR = "std vs log-variance: the second argument is log(sigma^2), so sigma^2 = exp(logvar)"
kl_mistakes = [
    (lambda mu, lv: 0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(-1),
     "the KL sign: the closed form starts with -1/2; a KL is never negative."),
    (lambda mu, lv: -0.5 * (1 + lv + mu ** 2 - lv.exp()).sum(-1),
     "a sign inside the bracket: it is 1 + logvar - mu^2 - exp(logvar)."),
    (lambda mu, lv: -0.5 * (1 + 2 * lv - mu ** 2 - (2 * lv).exp()).sum(-1),
     STD_VS_LOGVAR + " and log(sigma^2) = logvar; you treated logvar as log(sigma)."),
    (lambda mu, lv: -0.5 * (1 + lv - mu ** 2 - (2 * lv).exp()).sum(-1),
     STD_VS_LOGVAR + "; you used exp(logvar) as sigma and squared it."),
    (lambda mu, lv: -0.5 * (1 + (lv ** 2).log() - mu ** 2 - lv ** 2).sum(-1),
     STD_VS_LOGVAR + "; you used logvar as sigma."),
    (lambda mu, lv: -(1 + lv - mu ** 2 - lv.exp()).sum(-1),
     "the missing ½: the closed form is -1/2 * sum(...)."),
    (lambda mu, lv: -0.5 * (1 + lv - mu ** 2 - lv.exp()).mean(-1),
     "KL averaged instead of summed over the latent dimensions: the KL of a diagonal Gaussian is the "
     "sum of the KLs of its dimensions (use .sum(-1))."),
    (lambda mu, lv: 0.5 * ((-lv).exp() * (1 + mu ** 2) - 1 + lv).sum(-1),
     "the arguments reversed: you computed KL(p(z) || q); the ELBO needs KL(q(z|x) || p(z))."),
    (lambda mu, lv: -0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(),
     "you summed over the batch too: return one KL per example, shape (N,) (sum over dim=-1 only)."),
    (lambda mu, lv: -0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(-1).mean(),
     "you averaged over the batch: return one KL per example, shape (N,)."),
]
reference = course_lib.models.vae
torch.manual_seed(2)
checks.check_function(
    as_student(gaussian_kl, "gaussian_kl"), reference.gaussian_kl,
    [(torch.randn(6, 4), torch.randn(6, 4)), (3 * torch.randn(2, 20), 2 * torch.randn(2, 20)),
     (torch.randn(1, 3), torch.full((1, 3), -5.0)), (torch.zeros(3, 5), torch.zeros(3, 5))],
    name="gaussian_kl", known_mistakes=kl_mistakes)

# %% nbgrader={"grade": true, "grade_id": "a2_gaussian_kl_more", "locked": true, "points": 2, "schema_version": 3, "solution": false}
run_kl = as_student(gaussian_kl, "gaussian_kl")
checks.check_property("KL(N(0, I) || N(0, I)) = 0", run_kl(torch.zeros(4, 20), torch.zeros(4, 20)),
                      torch.zeros(4), hint="with mu = 0 and logvar = 0 each bracket is 1 + 0 - 0 - 1 = 0.")
checks.check_shape(run_kl(torch.randn(7, 3), torch.randn(7, 3)), (7,), name="gaussian_kl on a (7, 3) batch",
                   hint="sum over the latent dimensions only (dim=-1): one KL per example.")
checks.check_gradient_flow(run_kl, {"mu": torch.randn(3, 2), "logvar": torch.randn(3, 2)}, name="gaussian_kl",
                           must_flow=["mu", "logvar"])
### BEGIN HIDDEN TESTS
torch.manual_seed(12)
checks.check_function(
    run_kl, reference.gaussian_kl,
    [(torch.randn(9, 20), 3 * torch.rand(9, 20) - 2), (torch.randn(1, 1), torch.randn(1, 1)),
     (10 * torch.randn(4, 7), torch.randn(4, 7))],
    name="gaussian_kl", known_mistakes=kl_mistakes)
mu_h, lv_h = torch.randn(5, 6), torch.randn(5, 6)
by_distributions = torch.distributions.kl_divergence(
    torch.distributions.Normal(mu_h, (0.5 * lv_h).exp()), torch.distributions.Normal(0.0, 1.0)).sum(-1)
checks.check_property("gaussian_kl agrees with torch.distributions.kl_divergence", run_kl(mu_h, lv_h),
                      by_distributions, hint="the closed form, summed over the last axis.", rtol=1e-4, atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The loss: the negative ELBO, and its reductions
#
# Training maximises the ELBO, so the loss we minimise is its negative. For one image,
# with one sample $z = \mu + \sigma \odot \varepsilon$ from the encoder,
#
# $$-\mathcal L(x) = \underbrace{-\log p_\theta(x \mid z)}_{\text{reconstruction}}
#   + \underbrace{D_\mathrm{KL}\big(q_\phi(z \mid x) \,\|\, p(z)\big)}_{\text{exercise 2}} .$$
#
# The decoder outputs one **logit** per pixel; pixel $d$ is on with probability
# $\operatorname{sigmoid}(\text{logit}_d)$, so $-\log p_\theta(x \mid z)$ is the binary
# cross-entropy, **summed over the pixels**. `F.binary_cross_entropy_with_logits` computes it
# from the logits directly (stable); do not apply a sigmoid yourself first. Both terms are
# sums, so both are in nats per image; averaging one of them silently reweights the two.
#
# The **reductions**, as in PyTorch's own losses: `reduction="none"` returns one value per
# example, shape `(N,)`; `"mean"` (the default) averages those over the batch, nats per
# image, the number we train on and report; `"sum"` adds them up.
#
# **Exercise 3.** Write `negative_elbo(x, logits, mu, logvar, reduction="mean")`: `x` holds
# binary images `(N, D)` (0 or 1), `logits` the decoder's output `(N, D)`, `mu` and `logvar`
# the encoder's `(N, J)`. You may call your `gaussian_kl`.

# %% nbgrader={"grade": false, "grade_id": "a2_negative_elbo", "locked": false, "schema_version": 3, "solution": true}
def negative_elbo(x, logits, mu, logvar, reduction="mean"):
    """Minus the ELBO: BCE summed over pixels plus the KL; per example ('none'), or its 'mean' or 'sum'."""
    ### BEGIN SOLUTION
    # HINT: F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1) + gaussian_kl(mu, logvar) is (N,); then reduce.
    per_example = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1) + gaussian_kl(mu, logvar)
    if reduction == "none":
        return per_example
    if reduction == "mean":
        return per_example.mean()
    if reduction == "sum":
        return per_example.sum()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    ### END SOLUTION


# %% [markdown]
# **Predict, then run.** A decoder that knows nothing outputs logit 0 for every pixel
# (probability ½), and an encoder that knows nothing outputs the prior ($\mu = 0$,
# $\text{logvar} = 0$). What is the negative ELBO of a 784-pixel image, whatever the image?

# %%
blank = negative_elbo(binary_images(3), torch.zeros(3, 784), torch.zeros(3, 20), torch.zeros(3, 20), reduction="none")
print("per image:", blank, "  784 * log 2 =", 784 * math.log(2))

# %% [markdown]
# Every pixel costs $\log 2$ nats, a coin flip, and the KL is zero: $784 \log 2 \approx 543.4$
# nats per image, the number a VAE's loss starts near and must go below.

# %% nbgrader={"grade": true, "grade_id": "a2_negative_elbo_check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def reduce(per_example, reduction):
    return {"none": per_example, "mean": per_example.mean(), "sum": per_example.sum()}[reduction]


def bce_sum(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def kl_sum(mu, lv):
    return -0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(-1)


RECON_AVERAGED = ("reconstruction averaged while the KL is summed: F.binary_cross_entropy_with_logits "
                  "averages by default; use reduction='none' and .sum(-1) over the pixels.")
elbo_mistakes = [
    (lambda x, l, m, v, r: reduce(bce_sum(l, x) - kl_sum(m, v), r),
     "the KL sign: the negative ELBO *adds* the KL to the reconstruction term."),
    (lambda x, l, m, v, r: reduce(-(bce_sum(l, x) + kl_sum(m, v)), r),
     "the wrong overall sign: you returned the ELBO (to be maximised); the loss is its negative, "
     "reconstruction error + KL."),
    (lambda x, l, m, v, r: reduce(bce_sum(torch.sigmoid(l), x) + kl_sum(m, v), r),
     "sigmoid applied twice: F.binary_cross_entropy_with_logits applies the sigmoid itself; pass it the "
     "logits, not torch.sigmoid(logits)."),
    (lambda x, l, m, v, r: reduce(F.binary_cross_entropy_with_logits(l, x, reduction="none").mean(-1)
                                  + kl_sum(m, v), r), RECON_AVERAGED),
    (lambda x, l, m, v, r: reduce(F.binary_cross_entropy_with_logits(l, x) + kl_sum(m, v), r), RECON_AVERAGED),
    (lambda x, l, m, v, r: reduce(bce_sum(l, x) + kl_sum(m, v) / m.shape[-1], r),
     "KL averaged instead of summed over the latent dimensions: both terms are sums (nats per image)."),
    (lambda x, l, m, v, r: reduce(bce_sum(l, x), r), "the KL term is missing."),
    (lambda x, l, m, v, r: reduce(kl_sum(m, v), r), "the reconstruction term is missing."),
    (lambda x, l, m, v, r: reduce(bce_sum(l, x) + 0.5 * kl_sum(m, v), r),
     "the KL is halved: gaussian_kl already holds the -1/2 of the closed form."),
]
reference = course_lib.models.vae
torch.manual_seed(3)
elbo_cases = [(binary_images(5, seed=1), 2 * torch.randn(5, 784), torch.randn(5, 20), torch.randn(5, 20), "none"),
              (binary_images(3, 12, seed=2), torch.randn(3, 12), torch.randn(3, 2), torch.randn(3, 2), "none")]
checks.check_function(
    as_student(negative_elbo, "negative_elbo", earlier=["gaussian_kl"]),
    lambda x, l, m, v, r: reference.negative_elbo(x, l, m, v), elbo_cases,
    name="negative_elbo(..., reduction='none')", known_mistakes=elbo_mistakes, rtol=1e-5, atol=1e-4)
checks.check_gradient_flow(
    as_student(negative_elbo, "negative_elbo", earlier=["gaussian_kl"]),
    {"x": binary_images(4, 10), "logits": torch.randn(4, 10), "mu": torch.randn(4, 3), "logvar": torch.randn(4, 3)},
    name="negative_elbo", must_flow=["logits", "mu", "logvar"])

# %% nbgrader={"grade": true, "grade_id": "a2_negative_elbo_more", "locked": true, "points": 2, "schema_version": 3, "solution": false}
reduction_mistakes = elbo_mistakes + [
    (lambda x, l, m, v, r: (bce_sum(l, x) + kl_sum(m, v)).sum(),
     "reduction='mean' averages over the examples: you summed them."),
    (lambda x, l, m, v, r: (bce_sum(l, x) + kl_sum(m, v)).mean(),
     "reduction='sum' adds the examples up: you averaged them."),
    (lambda x, l, m, v, r: (bce_sum(l, x) + kl_sum(m, v)).sum() / x.numel(),
     "you divided by the number of pixels too: 'mean' averages over examples only (nats per image)."),
]
reference = course_lib.models.vae
torch.manual_seed(4)
for reduction_check, reduce_reference in (("mean", torch.mean), ("sum", torch.sum)):
    checks.check_function(
        as_student(negative_elbo, "negative_elbo", earlier=["gaussian_kl"]),
        lambda x, l, m, v, r, f=reduce_reference: f(reference.negative_elbo(x, l, m, v)),
        [(binary_images(6, seed=3), torch.randn(6, 784), torch.randn(6, 20), torch.randn(6, 20), reduction_check),
         (binary_images(2, 5, seed=4), torch.randn(2, 5), torch.randn(2, 3), torch.randn(2, 3), reduction_check)],
        name=f"negative_elbo(..., reduction={reduction_check!r})", known_mistakes=reduction_mistakes,
        rtol=1e-5, atol=1e-4)
checks.check_function(
    as_student(lambda x, l, m, v: negative_elbo(x, l, m, v), "negative_elbo", earlier=["gaussian_kl"]),
    lambda x, l, m, v: reference.negative_elbo(x, l, m, v).mean(),
    [(binary_images(4, seed=5), torch.randn(4, 784), torch.randn(4, 20), torch.randn(4, 20))],
    name="negative_elbo(x, logits, mu, logvar) with the default reduction (the mean)",
    known_mistakes=[(lambda x, l, m, v: reference.negative_elbo(x, l, m, v),
                     "the default reduction is 'mean': write reduction='mean' in the signature."),
                    (lambda x, l, m, v: reference.negative_elbo(x, l, m, v).sum(),
                     "the default reduction is 'mean', not 'sum'.")], rtol=1e-5, atol=1e-4)
### BEGIN HIDDEN TESTS
torch.manual_seed(13)
for reduction_check, reduce_reference in (("none", lambda t: t), ("mean", torch.mean), ("sum", torch.sum)):
    checks.check_function(
        as_student(negative_elbo, "negative_elbo", earlier=["gaussian_kl"]),
        lambda x, l, m, v, r, f=reduce_reference: f(reference.negative_elbo(x, l, m, v)),
        [(binary_images(1, 784, seed=6), 5 * torch.randn(1, 784), torch.randn(1, 20), torch.randn(1, 20), reduction_check),
         (binary_images(8, 30, seed=7), torch.randn(8, 30), 3 * torch.randn(8, 4), torch.randn(8, 4), reduction_check)],
        name=f"negative_elbo(..., reduction={reduction_check!r})", known_mistakes=reduction_mistakes,
        rtol=1e-5, atol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The VAE: the lecture's 784-400-20 network
#
# The encoder maps an image (784 pixels) to a hidden layer of 400 units (ReLU), and from
# there, through two separate linear layers, to the 20 means and the 20 log-variances of
# $q_\phi(z \mid x)$ (a diagonal covariance: 20 numbers, not $20 \times 20$). The decoder
# maps a code (20 numbers) to 400 hidden units (ReLU) and then to 784 **logits**, one per
# pixel, with no sigmoid at the end: the loss takes logits.
#
# The forward pass is the whole of training's first half: encode, sample with the trick,
# decode.
#
# **Exercise 4.** Complete `VAE(pixels=784, hidden=400, latent=20)`:
# `encode(x)` takes `(N, pixels)` and returns `(mu, logvar)`, each `(N, latent)`;
# `decode(z)` takes `(M, latent)` and returns logits `(M, pixels)`; `forward(x)` returns
# `(logits, mu, logvar)` and must call `self.encode`, your `reparameterize` and `self.decode`.
# Helper classes or `nn.Sequential` are fine; the course's `VAE` is not.

# %% nbgrader={"grade": false, "grade_id": "a2_vae", "locked": false, "schema_version": 3, "solution": true}
class VAE(nn.Module):
    """The lecture's VAE: pixels -> hidden (ReLU) -> (mu, logvar) of size latent; latent -> hidden (ReLU) -> logits."""

    def __init__(self, pixels=784, hidden=400, latent=20):
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: five nn.Linear layers: pixels->hidden, hidden->latent (mu), hidden->latent (logvar), latent->hidden, hidden->pixels.
        self.encoder_hidden = nn.Linear(pixels, hidden)
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder_hidden = nn.Linear(latent, hidden)
        self.to_logits = nn.Linear(hidden, pixels)
        ### END SOLUTION

    def encode(self, x):
        """x (N, pixels) -> (mu, logvar), each (N, latent)."""
        ### BEGIN SOLUTION
        h = F.relu(self.encoder_hidden(x))
        return self.to_mu(h), self.to_logvar(h)
        ### END SOLUTION

    def decode(self, z):
        """z (M, latent) -> logits (M, pixels), no sigmoid."""
        ### BEGIN SOLUTION
        return self.to_logits(F.relu(self.decoder_hidden(z)))
        ### END SOLUTION

    def forward(self, x):
        """x -> (logits, mu, logvar): self.encode, reparameterize, self.decode."""
        ### BEGIN SOLUTION
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return self.decode(z), mu, logvar
        ### END SOLUTION


# %% [markdown]
# **Predict, then run.** Run the same two images through the model twice. Which of
# `logits`, `mu`, `logvar` come out the same both times?

# %%
torch.manual_seed(0)
vae_demo = VAE()
two = binary_images(2)
first, second = vae_demo(two), vae_demo(two)
for label, a, b in zip(("logits", "mu", "logvar"), first, second):
    print(f"{label:7s} identical: {torch.equal(a, b)}")

# %% [markdown]
# The encoder is a deterministic function of the image, so `mu` and `logvar` repeat; the
# code $z$ is drawn afresh on every pass, so the logits do not.

# %% nbgrader={"grade": true, "grade_id": "a2_vae_check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
reference = course_lib.models.vae


def new_vae(*args, **kwargs):
    model = as_student(VAE, "VAE")(*args, **kwargs)
    if not isinstance(model, nn.Module):
        raise failure("`VAE(...)` is not an nn.Module.", "class VAE(nn.Module), with super().__init__() first.")
    if any(isinstance(m, reference.VAE) for m in model.modules()):
        raise failure("Your VAE is (or contains) the course's own `course_lib.models.vae.VAE`.",
                      "this exercise asks you to write the network yourself, so the check does not count it.")
    return model


def check_encode_decode(model, n, pixels, latent):
    device = checks.device_of(model)  # the inputs go where the student's model is; checks compare on the CPU
    x = binary_images(n, pixels, seed=n).to(device)
    encoded = as_student(model.encode, "VAE.encode")(x)
    if not (isinstance(encoded, tuple) and len(encoded) == 2):
        raise failure("`encode(x)` should return a pair (mu, logvar).", "return self.to_mu(h), self.to_logvar(h) "
                      "(two tensors), not one tensor or a list.", found=type(encoded).__name__)
    checks.check_shape(encoded[0], (n, latent), name="mu from encode", hint=f"mu has one row per image and "
                       f"{latent} columns (latent).")
    checks.check_shape(encoded[1], (n, latent), name="logvar from encode", hint=f"logvar has one row per image and "
                       f"{latent} columns (latent).")
    if torch.equal(encoded[0], encoded[1]):
        raise failure("`encode` returns the same tensor as mu and as logvar.",
                      "mu and logvar come from two separate linear layers.")
    logits = as_student(model.decode, "VAE.decode")(3 * torch.randn(n, latent).to(device))
    checks.check_shape(logits, (n, pixels), name="logits from decode", hint=f"one logit per pixel: ({n}, {pixels}).")
    if bool(((logits >= 0) & (logits <= 1)).all()):
        raise failure("`decode` returns numbers that all lie in [0, 1]: probabilities, not logits.",
                      "no sigmoid at the end of the decoder; the loss (binary_cross_entropy_with_logits) "
                      "applies it.")


torch.manual_seed(5)
model_check = new_vae()
found_parameters = sum(p.numel() for p in model_check.parameters())
expected_parameters = sum(p.numel() for p in reference.VAE().parameters())
checks.check_close(found_parameters, expected_parameters, name="the number of parameters of VAE()",
                   known_mistakes=[(expected_parameters - 400 * 20 - 20,
                                    "a single head: mu and logvar need two separate linear layers 400 -> 20."),
                                   (0, "no layers registered: create them as attributes of self in __init__ "
                                       "(after super().__init__()), nn.Linear or nn.Sequential.")])
check_encode_decode(model_check, 5, 784, 20)
check_encode_decode(new_vae(pixels=12, hidden=7, latent=3), 4, 12, 3)
### BEGIN HIDDEN TESTS
check_encode_decode(new_vae(30, 10, 4), 1, 30, 4)
check_encode_decode(new_vae(latent=2), 64, 784, 2)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "a2_vae_forward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
FORGETS_TO_SAMPLE = ("the forward pass forgets to sample: it decodes mu itself; decode "
                     "z = reparameterize(mu, logvar).")


def check_forward(model, n, pixels, latent):
    """forward = encode, reparameterize, decode, traced: what went in and out of each."""
    device = checks.device_of(model)  # the inputs go where the student's model is; checks compare on the CPU
    x = binary_images(n, pixels, seed=100 + n).to(device)
    real_encode, real_decode = model.encode, model.decode
    encoded, decoded = [], []
    spread = torch.linspace(-3.0, 3.0, latent, device=device)  # very different variances per dimension

    def traced_encode(x):
        mu, logvar = real_encode(x)
        logvar = logvar + spread
        mu.retain_grad(), logvar.retain_grad()
        encoded.append((mu, logvar))
        return mu, logvar

    def traced_decode(z):
        decoded.append(z)
        return real_decode(z)

    model.encode, model.decode = traced_encode, traced_decode
    try:
        out = as_student(model, "VAE.forward", earlier=["reparameterize"])(x)
    finally:
        del model.encode, model.decode
    if not (isinstance(out, tuple) and len(out) == 3):
        raise failure("`forward(x)` should return a triple (logits, mu, logvar).",
                      "return self.decode(z), mu, logvar.", found=type(out).__name__)
    if len(encoded) != 1 or len(decoded) != 1:
        raise failure("`forward` should call self.encode once and self.decode once.",
                      "encode x with self.encode(x), sample z, decode it with self.decode(z).",
                      found=f"{len(encoded)} call(s) of encode, {len(decoded)} of decode")
    logits, mu_out, logvar_out = out
    (mu, logvar), z = encoded[0], decoded[0]
    checks.check_shape(logits, (n, pixels), name="logits from forward")
    if torch.equal(mu_out.detach(), logvar.detach()) and torch.equal(logvar_out.detach(), mu.detach()):
        raise failure("`forward` returns mu and logvar swapped.", "the order is (logits, mu, logvar).")
    checks.check_close(mu_out, mu, name="mu returned by forward (the encoder's)")
    checks.check_close(logvar_out, logvar, name="logvar returned by forward (the encoder's)")
    if torch.equal(z.detach(), mu.detach()):
        raise failure("`forward` decodes z = mu.", FORGETS_TO_SAMPLE)
    checks.check_close(logits, real_decode(z), name="logits returned by forward (the decoder's output for z)",
                       known_mistakes=[(torch.sigmoid(real_decode(z)),
                                        "forward returns probabilities: return the decoder's logits, "
                                        "no sigmoid.")])
    eps = ((z - mu) / torch.exp(0.5 * logvar)).detach()
    if n > 30 and bool(((eps.mean(0).abs() > 5 / math.sqrt(n)) | ((eps.std(0) - 1).abs() > 5 / math.sqrt(2 * n))).any()):
        raise failure("The z that forward decodes is not a sample of N(mu, exp(logvar)).",
                      "sample with reparameterize(mu, logvar): std = exp(logvar / 2).",
                      found=f"(z - mu) / std with standard deviations {eps.std(0).tolist()}")
    logits.sum().backward()
    for name, tensor in (("logvar", logvar), ("mu", mu)):
        if tensor.grad is None or not bool((tensor.grad != 0).any()):
            raise failure(f"No gradient reaches the encoder's {name} through forward.", NO_GRADIENT)


torch.manual_seed(6)
check_forward(new_vae(), 200, 784, 20)
check_forward(new_vae(pixels=12, hidden=7, latent=3), 4, 12, 3)
### BEGIN HIDDEN TESTS
torch.manual_seed(16)
check_forward(new_vae(), 1, 784, 20)
check_forward(new_vae(30, 10, 4), 500, 30, 4)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The importance-weighted bound
#
# The ELBO is a lower bound on $\log p_\theta(x)$, not the likelihood itself. To measure
# the likelihood of a trained VAE we use the encoder as a *proposal* for importance
# sampling. With $k$ codes $z_1, \dots, z_k$ drawn from $q_\phi(z \mid x)$ and the weights
# $w_i = p_\theta(x \mid z_i)\, p(z_i) / q_\phi(z_i \mid x)$,
#
# $$\mathcal L_k(x) = \log \frac1k \sum_{i=1}^k w_i
#   = \operatorname{logsumexp}_i\big(\log w_i\big) - \log k,
#   \qquad \log w_i = \log p_\theta(x \mid z_i) + \log p(z_i) - \log q_\phi(z_i \mid x).$$
#
# On average $\mathcal L_1$ is the ELBO, $\mathcal L_k$ grows with $k$, and it tends to
# $\log p_\theta(x)$ (Burda et al., 2016). The weights of whole images are like
# $e^{-100}$: compute in logs, with `torch.logsumexp`.
#
# **Exercise 5.** Write `iwae_bound(model, x, k)`: `x` holds binary images `(N, D)`;
# `model.encode(x)` gives `(mu, logvar)` of $q_\phi$; draw $k$ codes per image from it;
# `model.decode(z)` gives logits for a batch of codes `(M, J)`. Return $\mathcal L_k(x)$ for
# each image, shape `(N,)`, in nats. (`torch.distributions.Normal(...).log_prob` gives the
# Gaussian log-densities; sum them over the latent dimensions.)

# %% nbgrader={"grade": false, "grade_id": "a2_iwae", "locked": false, "schema_version": 3, "solution": true}
def iwae_bound(model, x, k):
    """The importance-weighted bound L_k(x) with k codes per image: (N,) nats."""
    ### BEGIN SOLUTION
    # HINT: z = reparameterize of mu, logvar repeated k times; log w = log p(x|z) + log p(z) - log q(z|x); logsumexp over the k samples minus log k.
    mu, logvar = model.encode(x)                                  # (N, J)
    n, j = mu.shape
    mu_k = mu.unsqueeze(0).expand(k, n, j)                        # (k, N, J)
    logvar_k = logvar.unsqueeze(0).expand(k, n, j)
    z = reparameterize(mu_k, logvar_k)                            # (k, N, J)
    logits = model.decode(z.reshape(k * n, j)).reshape(k, n, -1)  # (k, N, D)
    log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand(k, *x.shape), reduction="none").sum(-1)
    log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)                     # (k, N)
    log_qz = torch.distributions.Normal(mu_k, torch.exp(0.5 * logvar_k)).log_prob(z).sum(-1)
    return torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(k)
    ### END SOLUTION


# %% [markdown]
# **Predict, then run.** The same untrained VAE and the same 20 images: is $\mathcal L_{100}$ above
# or below $\mathcal L_1$, on average, and is either above $-$(the negative ELBO)?

# %%
torch.manual_seed(0)
images_demo = binary_images(20, seed=7)
with torch.no_grad():
    bound_1 = torch.stack([iwae_bound(vae_demo, images_demo, 1) for _ in range(20)]).mean(0)
    bound_100 = iwae_bound(vae_demo, images_demo, 100)
    elbo_demo = -negative_elbo(images_demo, *vae_demo(images_demo), reduction="none")
print(f"L_1 (mean of 20 draws) {bound_1.mean():.2f}   L_100 {bound_100.mean():.2f}   "
      f"one-sample ELBO {elbo_demo.mean():.2f}   nats per image")

# %% [markdown]
# $\mathcal L_1$ is a one-sample ELBO, so it and the ELBO agree up to sampling noise;
# $\mathcal L_{100}$ is higher: more samples, a tighter bound.

# %% nbgrader={"grade": true, "grade_id": "a2_iwae_check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
reference = course_lib.models.vae


class TracedVAE(nn.Module):
    """The course's VAE, traced: the codes of image n are shifted by 20 n along z_1 (so that
    every code given to decode can be traced back to its image) and decode records them."""

    def __init__(self, x, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.inner, self.x, self.codes = reference.VAE(pixels=x.shape[1], image_shape=(x.shape[1],)), x, []

    def encode(self, x):
        image = torch.cdist(x.reshape(len(x), -1).float(), self.x).argmin(1)  # which image each row is
        mu, logvar = self.inner.encode(self.x[image])
        spread = torch.linspace(-3.0, 3.0, mu.shape[1], device=mu.device)  # z_1 has the smallest variance
        return mu + 20.0 * image.unsqueeze(1) * (torch.arange(mu.shape[1], device=mu.device) == 0), logvar + spread

    def decode(self, z):
        self.codes.append(z.detach().reshape(-1, z.shape[-1]).clone())
        return self.inner.decode(z.reshape(-1, z.shape[-1])).reshape(*z.shape[:-1], -1)

    def forward(self, x):
        raise AssertionError("iwae_bound should use model.encode and model.decode, not model(x): it needs "
                             "the codes z to compute log p(z) - log q(z|x).")


def iwae_from_codes(model, x, k):
    """L_k recomputed from the codes the student's iwae_bound decoded, and known wrong variants."""
    with torch.no_grad():
        mu, logvar = model.encode(x)
        if not model.codes:
            raise failure("`iwae_bound` never called model.decode.", "decode the k codes of each image "
                          "with model.decode(z) to get log p(x | z).")
        codes = torch.cat(model.codes)
        owner = ((codes[:, None, :] - mu[None]) ** 2 / logvar.exp()[None]).sum(-1).argmin(1)  # (M,)
        counts = torch.bincount(owner, minlength=len(x))
        if bool((counts != k).any()):
            raise failure(f"`iwae_bound` decoded the wrong number of codes per image (k = {k}).",
                          "draw exactly k codes for each image, and decode each once.",
                          expected=f"{k} per image", found=f"{counts.tolist()}")
        eps = (codes - mu[owner]) / torch.exp(0.5 * logvar[owner])
        if bool((eps == 0).all()):
            raise failure("`iwae_bound` decodes mu itself, k times.", "the k codes must be samples from "
                          "q(z|x): reparameterize(mu, logvar).")
        rows = len(eps)
        if rows >= 100 and bool(((eps.mean(0).abs() > 5 / math.sqrt(rows))
                                 | ((eps.std(0) - 1).abs() > 5 / math.sqrt(2 * rows))).any()):
            raise failure("The codes that iwae_bound decodes are not samples of q(z|x) = N(mu, exp(logvar)).",
                          "sample with reparameterize(mu, logvar): std = exp(logvar / 2).",
                          found=f"(z - mu) / std with standard deviations {eps.std(0).tolist()}")
        normal = torch.distributions.Normal
        c, m, s = codes.double(), mu[owner].double(), torch.exp(0.5 * logvar[owner]).double()
        log_px = reference.bernoulli_log_likelihood(model.inner.decode(codes), x[owner]).double()
        log_pz, log_qz = normal(0.0, 1.0).log_prob(c).sum(-1), normal(m, s).log_prob(c).sum(-1)
        variants = {"right": log_px + log_pz - log_qz, "no q": log_px, "std": log_px + log_pz - normal(m, s * s).log_prob(c).sum(-1)}
        per_image = {key: [w[owner == i] for i in range(len(x))] for key, w in variants.items()}
        lse = lambda key: torch.stack([w.logsumexp(0) for w in per_image[key]])  # noqa: E731
        expected = lse("right") - math.log(k)
        mistakes = [
            (torch.stack([w.mean() for w in per_image["right"]]),
             "IWAE with the mean of log w instead of logsumexp - log k: that is the ELBO's estimate, not L_k."),
            (lse("right"), "IWAE without the log k: L_k = logsumexp(log w) - log k (an average of the k weights)."),
            (-expected, "the wrong sign: L_k is a log-likelihood (negative), not a loss."),
            (lse("no q") - math.log(k), "log w = log p(x|z) + log p(z) - log q(z|x): the prior and the "
                                         "proposal terms are missing."),
            (lse("std") - math.log(k), "std vs log-variance in log q(z|x): its standard deviation is exp(logvar / 2)."),
        ]
    return expected, mistakes


def check_iwae(n, k, seed, pixels=784):
    x = binary_images(n, pixels, seed=seed)
    model = TracedVAE(x, seed)
    found = as_student(iwae_bound, "iwae_bound", earlier=["reparameterize"])(model, x, k)
    checks.check_shape(found, (n,), name=f"iwae_bound(model, x, k={k}) for {n} images",
                       hint="one bound per image: reduce over the k samples only.")
    expected, mistakes = iwae_from_codes(model, x, k)
    checks.check_close(found, expected, name=f"iwae_bound (k = {k})", rtol=1e-5, atol=2e-3,
                       known_mistakes=mistakes)


check_iwae(4, 50, seed=8)
check_iwae(3, 1, seed=9, pixels=20)

# %% nbgrader={"grade": true, "grade_id": "a2_iwae_more", "locked": true, "points": 2, "schema_version": 3, "solution": false}
class PriorVAE(nn.Module):
    """q(z|x) = p(z) and a decoder that ignores z: every weight is p(x | logits), so L_k = log p(x) for every k."""

    def __init__(self, logits, latent):
        super().__init__()
        self.logits, self.latent = logits, latent

    def encode(self, x):
        return torch.zeros(len(x), self.latent, device=x.device), torch.zeros(len(x), self.latent, device=x.device)

    def decode(self, z):
        return self.logits.expand(*z.shape[:-1], -1)

    def log_likelihood(self, x, output):
        return reference.bernoulli_log_likelihood(output, x)


reference = course_lib.models.vae
torch.manual_seed(10)
prior_model = PriorVAE(torch.randn(784), latent=20)
x_prior = binary_images(5, seed=10)
for k_check in (1, 30):
    bound_expected = reference.iwae_bound(prior_model, x_prior, k_check)
    checks.check_close(as_student(iwae_bound, "iwae_bound", earlier=["reparameterize"])(prior_model, x_prior, k_check),
                       bound_expected, name=f"iwae_bound with q = p(z) and a decoder that ignores z (k = {k_check})",
                       rtol=1e-5, atol=1e-3,
                       known_mistakes=[(bound_expected + math.log(k_check),
                                        "IWAE without the log k: L_k = logsumexp(log w) - log k.")])
### BEGIN HIDDEN TESTS
check_iwae(1, 7, seed=18)
check_iwae(6, 20, seed=19, pixels=50)
prior_model = PriorVAE(3 * torch.randn(50), latent=3)
x_prior = binary_images(4, 50, seed=20)
checks.check_close(as_student(iwae_bound, "iwae_bound", earlier=["reparameterize"])(prior_model, x_prior, 12),
                   reference.iwae_bound(prior_model, x_prior, 12), name="iwae_bound with q = p(z) (k = 12)",
                   rtol=1e-5, atol=1e-3)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Train your VAE
#
# Everything you wrote, together: your `VAE`, trained on your `negative_elbo` (the batch
# mean, nats per image) with Adam, on statically binarised MNIST digits. The course's
# training loop `course_lib.train.fit` shows a progress bar and the loss per epoch.

# %%
train_digits = data.load_mnist("train", limit=profile.choose(full=10_000, fast=1_000))
test_digits = data.load_mnist("test", limit=profile.choose(full=500, fast=200), verbose=False)
x_train = data.binarize(train_digits.images, seed=0).reshape(len(train_digits), -1)  # (N, 784)
x_test = data.binarize(test_digits.images, seed=1).reshape(len(test_digits), -1)
loader = train.TensorBatches(x_train, batch_size=128)  # shuffled mini-batches, reshuffled every epoch

torch.manual_seed(0)
model = VAE().to(env.device)  # the GPU when there is one; train.fit moves each batch there
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def vae_step(model, x):
    logits, mu, logvar = model(x)
    return negative_elbo(x, logits, mu, logvar)  # the mean over the batch


def test_loss(model):
    return {"test negative ELBO": vae_step(model, x_test.to(env.device))}


history = train.fit(model, loader, vae_step, optimizer, epochs=profile.choose(full=10, fast=1), evaluate=test_loss)
viz.plot_history(history, title="your VAE: negative ELBO per image")

# %% [markdown]
# **Predict, then run.** On the test digits, how far above the negative ELBO is minus the
# IWAE bound with $k = 100$ codes: a fraction of a nat, a few nats, or tens of nats?

# %%
torch.manual_seed(1)
k_test = profile.choose(full=100, fast=10)
with torch.no_grad():
    test_elbo = vae_step(model, x_test.to(env.device)).item()
    test_iwae = -iwae_bound(model, x_test.to(env.device), k_test).mean().item()
runtime.report("A2 test negative ELBO (binarised)", test_elbo, "nats/image")
runtime.report(f"A2 test -IWAE bound, k={k_test}", test_iwae, "nats/image")
print(f"the IWAE bound is {test_elbo - test_iwae:.2f} nats per image tighter than the ELBO")

# %% [markdown]
# The bound with $k$ codes is tighter: minus the IWAE bound lies below the negative ELBO,
# because the encoder's Gaussian is not the true posterior $p_\theta(z \mid x)$ and
# importance weighting recovers part of what the ELBO loses. How much depends on how well
# the encoder has learned: after the fast profile's single epoch on 1,000 digits we
# measured about 17 nats with $k = 10$; more training and more codes change the figure,
# so read yours above. (Published, on the full binarised MNIST with far longer training:
# VAE 86.76 and IWAE 84.78 nats per image, a 2-nat gap; here far fewer digits and seconds
# of training, so both numbers are much higher.)
#
# Finally, new digits: codes from the prior $\mathcal N(0, I)$, decoded.

# %%
with torch.no_grad():
    samples = torch.sigmoid(model.decode(torch.randn(32, 20, device=env.device))).reshape(-1, 1, 28, 28).cpu()
viz.show_images(samples, nrow=8, title="your VAE: decoded codes from the prior")
