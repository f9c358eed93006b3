# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/assignments/A0_probability_toolkit.ipynb)
#
# # A0 · Warm-up: a probability toolkit
#
# Seven small tools that every generative model in this course leans on:
#
# 1. **log-sum-exp**: adding probabilities that are stored as logarithms, without overflow;
# 2. **Bayes' rule in log space**: a posterior from a likelihood and a prior, built on (1);
# 3. **KL divergence**: how far one distribution is from another, and why the order matters;
# 4. **sampling by inverse CDF**: turning uniform random numbers into samples of a categorical;
# 5. **bits per dimension**: the unit in which the course compares density models;
# 6. and 7. **maximum likelihood**: fitting a categorical by counting, scoring it by its
#    average negative log-likelihood, and why that is the same as minimising a KL.
#
# **How this assignment works.** Write your code only inside the cells that say
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError(...)` line. Each exercise is
# followed by one or two check cells: run them; when a check passes it prints nothing, when
# it fails it tells you what was expected, what your code gave, and the most likely
# mistake. The visible checks test every rule the exercise states; the grader runs them
# again, with hidden ones that repeat the same rules on new random inputs. It only takes
# your solution cells: helper functions written in other cells are not seen, and editing a
# check cell changes nothing. Use `torch` (already imported) and `math`; do not import
# other modules.
#
# **Run the notebook cell by cell** (Shift+Enter runs the current cell and moves to the
# next). *Run All* stops at the first cell that raises an error, which is the first
# exercise you have not finished yet (its stub raises `NotImplementedError`), and leaves
# every cell after it unrun: that is expected, not a bug.
#
# Points: log-sum-exp 4, Bayes 3, KL 5, sampling 4, bits per dimension 2, maximum
# likelihood 4 (22 in total).

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

from course_lib import checks, data, probability, runtime

env = runtime.setup(seed=0)  # seeded: the random inputs of the checks are the same on every run

# %% [markdown]
# ## 1. Log-sum-exp
#
# Models work with log-probabilities because the probability of a whole image is tiny.
# In notebook 01 a binarised digit has $\log p(x \mid y) \approx -150$ nats under the
# Bernoulli mixture, so $p(x \mid y) \approx e^{-150}$. Whether such a number survives
# depends on the precision:

# %%
for exponent in (-150.0, -103.9, -104.0):
    print(f"float32: exp({exponent}) = {torch.exp(torch.tensor(exponent)).item():.3g}")
for exponent in (-150.0, -745.0, -746.0):
    value = torch.exp(torch.tensor(exponent, dtype=torch.float64)).item()
    print(f"float64: exp({exponent}) = {value:.3g}")

# %% [markdown]
# In **float32** (PyTorch's default) $e^{-150}$ is already 0: the smallest positive float32
# is $2^{-149} \approx e^{-103.3}$, and `exp` rounds everything below about $e^{-103.9}$ to
# 0. In **float64**, $e^{-150} \approx 7 \times 10^{-66}$ is fine; float64 only gives up
# near $e^{-745}$. So why not simply use float64? Because image likelihoods grow with the
# number of pixels: a colour CIFAR-10 image ($32 \times 32 \times 3$ values) scores
# thousands of nats, far below $e^{-745}$; and a classifier's wrong classes sit hundreds
# of nats below the right one. Logs keep every one of these numbers ordinary.
#
# To add probabilities stored as logs we need $\log \sum_i e^{x_i}$. Done naively it
# breaks: $e^{1000}$ overflows to `inf`, and $e^{-1000}$ underflows to 0, whose log is
# $-\infty$:

# %%
big = torch.tensor([1000.0, 1000.0])
print("naive, large inputs:", big.exp().sum().log())
print("naive, small inputs:", (-big).exp().sum().log())

# %% [markdown]
# The fix is to factor out the largest element $m = \max_i x_i$:
#
# $$\log \sum_i e^{x_i} = m + \log \sum_i e^{x_i - m}.$$
#
# Now the largest term is $e^0 = 1$, so the sum lies between 1 and $n$.
#
# **Exercise 1.** Write `logsumexp(x, dim=-1)`: $\log \sum_i e^{x_i}$ along the axis `dim`
# (the other axes are a batch: one answer per slice), correct for very large and very
# negative values and for slices whose values are far apart from other slices'. A slice
# whose entries are all $-\infty$ (every probability 0) gives $-\infty$. Write it yourself:
# `torch.logsumexp`, and softmax routes that contain one, are switched off while the check
# runs your function.

# %% nbgrader={"grade": false, "grade_id": "a0_logsumexp", "locked": false, "schema_version": 3, "solution": true}
def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'logsumexp: return log(sum(exp(x))) along `dim` (that axis removed), without '
        'overflow or underflow; an all -inf slice gives -inf.')


# %% tags=["raises-exception"]
print("stable, large inputs:", logsumexp(big), " (expected 1000 + log 2 =", 1000 + math.log(2), ")")

# %% nbgrader={"grade": true, "grade_id": "a0_logsumexp_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
no_library = ("Compute it with max, exp, sum and log: subtract the max along `dim` (keepdim=True), "
              "exponentiate, sum, take the log, add the max back.")
lse_mistakes = [
    (lambda x, dim=-1: x.exp().sum(dim=dim).log(),
     "the naive formula: exp overflows (or underflows) for large |x|; subtract the max first."),
    (lambda x, dim=-1: (x - x.amax(dim=dim, keepdim=True)).exp().sum(dim=dim).log(),
     "you subtracted the max but forgot to add it back at the end."),
    (lambda x, dim=-1: (x - x.max()).exp().sum(dim=dim).log() + x.max(),
     "one max over the whole tensor: slices far below it underflow. Take the max along `dim` "
     "(keepdim=True), one per slice."),
]
checks.check_function(
    logsumexp, probability.logsumexp,
    [(torch.randn(5),), (torch.tensor([1000.0, 1000.0]),), (torch.tensor([-1000.0, -1000.0]),),
     (10 * torch.randn(7),), (torch.tensor([3.0, 1000.0, -2.0]),), (torch.full((8,), -700.0),)],
    name="logsumexp", known_mistakes=lse_mistakes, forbid=checks.LOGSUMEXP_ROUTES, forbid_reason=no_library)

# %% nbgrader={"grade": true, "grade_id": "a0_logsumexp_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
far_apart = torch.stack([torch.randn(4), 1000 + torch.randn(4), -1000 + torch.randn(4)])  # (3, 4)
all_minus_inf = torch.tensor([[-math.inf, -math.inf, -math.inf], [0.0, 1.0, 2.0]])
checks.check_function(
    logsumexp, probability.logsumexp,
    [(torch.randn(3, 4),), (far_apart,), (torch.randn(3, 4), 0), (torch.randn(2, 3, 4), 1),
     (all_minus_inf,), (500 * torch.randn(4, 6, dtype=torch.float64), -1)],
    name="logsumexp", known_mistakes=lse_mistakes, forbid=checks.LOGSUMEXP_ROUTES, forbid_reason=no_library)


# %% [markdown]
# ## 2. Bayes' rule in log space
#
# A generative classifier models how each class produces data, $p(x \mid y)$, and how common
# each class is, $p(y)$. Bayes' rule turns these into what we want to know after seeing
# $x$:
#
# $$p(y \mid x) = \frac{p(x \mid y)\, p(y)}{p(x)}, \qquad p(x) = \sum_{y'} p(x \mid y')\, p(y').$$
#
# The denominator, the *evidence* $p(x)$, is what makes the posterior sum to one. With
# image likelihoods around $e^{-150}$ every factor must stay a logarithm: the product
# becomes a sum, and the sum over classes becomes your `logsumexp`:
#
# $$\log p(y \mid x) = \log p(x \mid y) + \log p(y) - \operatorname{logsumexp}_{y'}
#   \big[\log p(x \mid y') + \log p(y')\big].$$
#
# **Exercise 2.** Write `log_posterior(log_likelihood, log_prior)`: `log_likelihood` holds
# $\log p(x \mid y{=}k)$ for the observed $x$, shape `(..., K)` (leading axes are a batch of
# observations); `log_prior` holds $\log p(y{=}k)$, shape `(K,)`. Return
# $\log p(y \mid x)$ with the shape of `log_likelihood`, normalised over the last axis. A
# class with prior probability 0 ($\log p(y) = -\infty$) gets posterior $-\infty$. Use your
# `logsumexp` from exercise 1 (while this check runs, the course's reference `logsumexp`
# stands in for yours, so a mistake there costs points only once).

# %% nbgrader={"grade": false, "grade_id": "a0_log_posterior", "locked": false, "schema_version": 3, "solution": true}
def log_posterior(log_likelihood, log_prior):
    """log p(y | x) from log p(x | y), shape (..., K), and log p(y), shape (K,)."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'log_posterior: return log p(y | x), shape (..., K), normalised over the '
        'last axis (use your logsumexp).')


# %% [markdown]
# A screening test: 1% of people have the disease; the test detects it 90% of the time,
# and wrongly flags 5% of healthy people. Class 0 is *healthy*, class 1 is *ill*; a positive
# result has likelihood 0.05 under *healthy* and 0.90 under *ill*.

# %% tags=["raises-exception"]
prior = torch.tensor([0.99, 0.01])
positive = torch.tensor([0.05, 0.90])
print("p(healthy, ill | positive test) =", log_posterior(positive.log(), prior.log()).exp())

# %% [markdown]
# Only about 15% of positive results come from ill people: the disease is so rare that
# the healthy people wrongly flagged outnumber the ill ones correctly flagged.
#
# *Predict, then run:* two digit classes whose log-likelihoods for one image are $-1500$
# and $-1510$ nats (a larger image than MNIST's), with equal priors. What does Bayes' rule
# computed in probability space give, and what does the log-space version give?

# %% tags=["raises-exception"]
image_log_likelihood = torch.tensor([-1500.0, -1510.0])
equal_prior = torch.tensor([0.5, 0.5])
joint = image_log_likelihood.exp() * equal_prior
print("probability space:", joint / joint.sum())
print("log space        :", log_posterior(image_log_likelihood, equal_prior.log()).exp())

# %% [markdown]
# In probability space both likelihoods underflow to 0 and the posterior is $0/0$ = nan.
# In log space only their *difference* (10 nats) matters: $p(y{=}0 \mid x) = 1/(1 + e^{-10})$.

# %% nbgrader={"grade": true, "grade_id": "a0_log_posterior_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
bayes_mistakes = [
    (lambda ll, lp: ll + lp,
     "you return the log joint log p(x, y) = log p(x | y) + log p(y): subtract the log evidence "
     "log p(x), the logsumexp of the joint over classes."),
    (lambda ll, lp: ll - probability.logsumexp(ll, -1).unsqueeze(-1),
     "you normalised the log-likelihood and ignored the prior p(y)."),
    (lambda ll, lp: ll + lp - probability.logsumexp(ll, -1).unsqueeze(-1),
     "the evidence is the logsumexp of log-likelihood + log-prior, not of the log-likelihood alone."),
    (lambda ll, lp: ll * lp - probability.logsumexp(ll * lp, -1).unsqueeze(-1),
     "you multiplied logs: in log space the product p(x | y) p(y) becomes the sum log p(x | y) + log p(y)."),
]
screening = (torch.tensor([0.05, 0.90]).log(), torch.tensor([0.99, 0.01]).log())
image_sized = torch.tensor([[-1500.2, -1510.7, -1499.1], [-3.0, -1.0, -2.5], [-700.0, -690.0, -720.0]],
                           dtype=torch.float64)  # float32 would round -1500.2 to the nearest 1e-4
never = torch.tensor([-math.inf, math.log(0.5), math.log(0.5)])  # class 0 has prior 0
checks.check_function(
    log_posterior, probability.log_posterior,
    [screening, (torch.tensor([-2.3, -0.5, -1.2]), torch.tensor([0.2, 0.5, 0.3]).log()),
     (3 * torch.randn(4, 3), torch.log_softmax(torch.randn(3), 0)),
     (image_sized, torch.log_softmax(torch.randn(3, dtype=torch.float64), 0)),
     (torch.randn(2, 4, 3), never), (torch.randn(5, 2, dtype=torch.float64), torch.tensor([0.3, 0.7]).double().log())],
    name="log_posterior", known_mistakes=bayes_mistakes, stand_ins={"logsumexp": probability.logsumexp})

# %% nbgrader={"grade": true, "grade_id": "a0_log_posterior_more", "locked": true, "points": 1, "schema_version": 3, "solution": false} tags=["raises-exception"]
batch_posterior = checks.call(log_posterior, 100 * torch.randn(6, 5), torch.log_softmax(torch.randn(5), 0),
                              stand_ins={"logsumexp": probability.logsumexp})
checks.check_shape(batch_posterior, (6, 5), name="log_posterior (a batch of 6 observations)")
checks.check_property("each row of exp(log_posterior) sums to 1", batch_posterior.exp().sum(-1), 1.0,
                      hint="normalise each row (observation) over the classes, the last axis.", atol=1e-5)


# %% [markdown]
# ## 3. KL divergence
#
# The Kullback-Leibler divergence of $q$ from $p$,
#
# $$\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i},$$
#
# is zero exactly when $p = q$ and positive otherwise. It appears in every VAE (lecture 5)
# and in the analysis of GANs (lecture 6). The conventions:
#
# * we use the **natural log**, so the answer is in *nats* (with $\log_2$ it would be bits);
# * a term with $p_i = 0$ contributes **0** (the limit of $t \log t$ as $t \to 0$), even though
#   `0 * log(0)` evaluates to `nan` in floating point. `torch.xlogy(a, b)` computes
#   $a \log b$ with exactly this convention;
# * a term with $p_i > 0$ and $q_i = 0$ makes the divergence $+\infty$: $q$ says
#   impossible what $p$ produces.
#
# **Exercise 3.** Write `kl_divergence(p, q)`: $\mathrm{KL}(p \,\|\, q)$ over the last axis,
# one value per row of a batch (leading axes).

# %% nbgrader={"grade": false, "grade_id": "a0_kl", "locked": false, "schema_version": 3, "solution": true}
def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    # YOUR CODE HERE
    raise NotImplementedError(
        "kl_divergence: return KL(p || q) in nats over the last axis (shape: p's "
        'without its last axis), with the conventions above.')


# %% [markdown]
# KL is not symmetric: the two orders weigh the mismatch by different distributions.

# %% tags=["raises-exception"]
p = torch.tensor([0.8, 0.15, 0.05])
q = torch.tensor([1 / 3, 1 / 3, 1 / 3])
print(f"KL(p || q) = {kl_divergence(p, q):.4f} nats,  KL(q || p) = {kl_divergence(q, p):.4f} nats")

# %% nbgrader={"grade": true, "grade_id": "a0_kl_check", "locked": true, "points": 3, "schema_version": 3, "solution": false} tags=["raises-exception"]
kl_mistakes = [
    (lambda p, q: probability.kl_divergence(q, p),
     "you computed KL(q || p): the arguments are swapped (KL is not symmetric)."),
    (lambda p, q: (p * (p / q).log()).sum(dim=-1),
     "terms with p = 0 give 0 * log(0) = nan: they must count as 0 (use torch.xlogy or torch.where)."),
]
checks.check_function(
    kl_divergence, probability.kl_divergence,
    [(torch.tensor([0.8, 0.15, 0.05]), torch.tensor([1 / 3, 1 / 3, 1 / 3])),
     (torch.softmax(torch.randn(6), 0), torch.softmax(torch.randn(6), 0)),
     (torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.25, 0.25, 0.5])),
     (torch.softmax(torch.randn(4, 5), -1), torch.softmax(torch.randn(4, 5), -1)),
     (torch.tensor([[0.5, 0.5], [0.9, 0.1]]), torch.tensor([[1.0, 0.0], [0.5, 0.5]])),
     (torch.softmax(torch.randn(2, 3, 4, dtype=torch.float64), -1),
      torch.softmax(torch.randn(2, 3, 4, dtype=torch.float64), -1))],
    name="kl_divergence", known_mistakes=kl_mistakes)

# %% nbgrader={"grade": true, "grade_id": "a0_kl_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
p_check = torch.softmax(torch.randn(3, 5), -1)
checks.check_property("KL(p || p) = 0 for every row", checks.call(kl_divergence, p_check, p_check),
                      torch.zeros(3), hint="KL of a distribution from itself must vanish, row by row.", atol=1e-6)
certain, coin = torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5])
checks.check_property("KL(certain || fair coin) = log 2 nats", checks.call(kl_divergence, certain, coin),
                      math.log(2), hint="KL(p || q) = sum_i p_i log(p_i / q_i): here 1 * log(1 / 0.5) + 0.")

# %% [markdown]
# ### What the asymmetry means: covering modes or seeking one
#
# Take a distribution with two modes, `data.bimodal_1d()` (weights 0.3 and 0.7 at $-2$ and
# $+2$), on a grid of points, and look for the *single* Gaussian $q$ closest to it: once
# minimising $\mathrm{KL}(p \,\|\, q)$, once $\mathrm{KL}(q \,\|\, p)$. Your
# `kl_divergence` scores every candidate at once (one row per candidate).
#
# *Predict, then run:* which direction gives a wide Gaussian between the modes, and which a
# narrow one on a single mode? (Hint: where $p$ is large, which direction punishes a small $q$?)

# %% tags=["raises-exception"]
grid = torch.linspace(-6, 6, 601, dtype=torch.float64)
p_grid = data.bimodal_1d().log_prob(grid).exp()
p_grid = p_grid / p_grid.sum()                                   # p on the grid, (601,)
means = torch.linspace(-3, 3, 121, dtype=torch.float64)
stds = torch.linspace(0.3, 3.0, 55, dtype=torch.float64)
mu, sigma = [t.flatten() for t in torch.meshgrid(means, stds, indexing="ij")]  # (6655,) candidates
q_grid = torch.distributions.Normal(mu[:, None], sigma[:, None]).log_prob(grid).exp()
q_grid = q_grid / q_grid.sum(-1, keepdim=True)                   # one Gaussian per row, (6655, 601)
forward = kl_divergence(p_grid.expand_as(q_grid), q_grid)        # KL(p || q) per candidate
reverse = kl_divergence(q_grid, p_grid.expand_as(q_grid))        # KL(q || p) per candidate
p_mean = (p_grid * grid).sum()
print(f"p itself: mean {p_mean:.2f}, std {((p_grid * (grid - p_mean) ** 2).sum()).sqrt():.2f}")
for label, kl in (("KL(p || q), forward", forward), ("KL(q || p), reverse", reverse)):
    best = int(kl.argmin())
    print(f"{label}: best q = N({mu[best]:.2f}, {sigma[best]:.2f}^2), KL = {kl[best]:.3f} nats")

# %% [markdown]
# **Forward KL covers the modes.** $\mathrm{KL}(p \,\|\, q)$ averages $\log(p/q)$ under $p$:
# wherever $p$ has mass, a small $q$ costs a lot, so the best $q$ stretches over both modes
# (its mean and std are close to those of $p$ itself, printed above) and puts mass in the
# empty valley between them. **Reverse KL seeks a mode.** $\mathrm{KL}(q \,\|\, p)$ averages
# under $q$: $q$ is punished for putting mass where $p$ has none, not for missing some of
# $p$, so it sits on one mode (the heavier one, at $+2$, with that mode's std 0.5) and
# ignores the other.
# Maximum-likelihood training minimises the forward direction (section 6); the VAE's
# approximate posterior (lecture 5) is fitted with the reverse one.

# %% [markdown]
# ## 4. Sampling a categorical by inverse CDF
#
# To sample class $k$ with probability $p_k$ from one uniform number $u \in [0, 1)$, cut
# $[0, 1)$ into consecutive pieces of lengths $p_0, p_1, \dots$ and return the piece $u$
# falls into. With the cumulative sums $F(k) = p_0 + \dots + p_k$, the sample is the
# **smallest $k$ with $F(k) > u$**. Piece $k$ is $[F(k-1), F(k))$: closed on the left,
# so $u = F(k-1)$ belongs to class $k$, not $k-1$.
#
# Why the boundary rule matters: `torch.rand` can return exactly 0, and a class can have
# probability 0. With `probs = [0, 0.5, 0.5]`, $F(0) = 0$; the rule $F(k) \ge u$ would give
# class 0 for $u = 0$, drawing a class that has probability 0. With $F(k) > u$, class 0's
# piece $[0, 0)$ is empty, as it should be. (And the last $F$ may come out a rounding error
# below 1: make sure the index never exceeds $K - 1$.)
#
# **Exercise 4.** Write `sample_categorical(probs, u)`: `probs` has shape `(K,)`, `u` holds
# uniforms of any shape; return a `long` tensor of class indices with the shape of `u`,
# following the rule above. Use the `u` you are given, so that the same `u` always gives
# the same samples.

# %% nbgrader={"grade": false, "grade_id": "a0_sample", "locked": false, "schema_version": 3, "solution": true}
def sample_categorical(probs, u):
    """Class indices (long, shape of u): the smallest k with cdf[k] > u."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'sample_categorical: return, for each u, the smallest k with F(k) > u (at '
        'most K - 1), as a long tensor shaped like u.')


# %% tags=["raises-exception"]
probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
generator = torch.Generator().manual_seed(0)
samples = sample_categorical(probs, torch.rand(20_000, generator=generator))
print("wanted   :", probs)
print("empirical:", torch.bincount(samples, minlength=4) / len(samples))
print("u = 0 with probs [0, 0.5, 0.5] gives class", sample_categorical(torch.tensor([0.0, 0.5, 0.5]),
                                                                     torch.tensor([0.0])).item())

# %% nbgrader={"grade": true, "grade_id": "a0_sample_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
sample_mistakes = [
    (lambda probs, u: torch.searchsorted(probs.cumsum(-1), u.contiguous(), right=False),
     "u exactly on a boundary F(k) goes to the wrong class: you used `>=` (or searchsorted's default "
     "right=False); the sample is the smallest k with F(k) > u."),
    (lambda probs, u: torch.searchsorted(probs, u.contiguous(), right=True),
     "compare u with the cumulative sums F = probs.cumsum(-1), not with probs itself."),
    (lambda probs, u: torch.searchsorted(probs.cumsum(-1), u.contiguous(), right=True),
     "index K appears when the last cdf value is a rounding error below 1 and u is above it: clamp to K - 1."),
]
quarters = torch.tensor([0.25, 0.25, 0.5])
rounded = torch.tensor([0.009315435774624348, 0.061123888939619064, 0.27306488156318665,
                        0.21236388385295868, 0.2180105298757553, 0.15456339716911316,
                        0.07155794650316238])  # float32 cumsum ends at 1 - 2**-24, not 1
checks.check_function(
    sample_categorical, probability.sample_categorical,
    [(quarters, torch.tensor([0.0, 0.1, 0.25, 0.4, 0.5, 0.75, 0.99])),
     (torch.tensor([0.0, 0.5, 0.5]), torch.tensor([0.0, 0.3, 0.5, 0.9])),
     (torch.softmax(torch.randn(5), 0), torch.rand(50)),
     (torch.tensor([0.1, 0.6, 0.3]), torch.rand(4, 6)),
     (rounded, torch.tensor([0.0, 0.5, 1 - 2**-24]))],
    name="sample_categorical", known_mistakes=sample_mistakes, dtype=torch.long)

# %% nbgrader={"grade": true, "grade_id": "a0_sample_more", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
probs_fixed, u_fixed = torch.tensor([0.5, 0.3, 0.15, 0.05]), torch.rand(1000)
first = checks.call(sample_categorical, probs_fixed, u_fixed)
again = checks.call(sample_categorical, probs_fixed, u_fixed)
checks.check_property("the same u gives the same samples", again, first,
                      hint="you drew fresh random numbers (torch.rand, torch.multinomial) instead of using u.")
many = checks.call(sample_categorical, probs_fixed, torch.rand(20_000))
checks.check_shape(many, (20_000,), name="sample_categorical(probs, u) for 20,000 uniforms u",
                   hint="return one class index per uniform, in the shape of u.")
checks.check_frequencies(many, probs_fixed, name="sample_categorical",
                         hint="the frequencies should match probs: compare u with the cumulative sums.")


# %% [markdown]
# ## 5. Nats and bits per dimension
#
# A density model is scored by its average negative log-likelihood over test images,
# $-\frac1N \sum_n \log p(x_n)$, in **nats per image** (natural log). Two changes of unit make
# models comparable across data sets: dividing by $\ln 2$ turns nats into **bits**
# ($\log_2 t = \ln t / \ln 2$), and dividing by the number of values per image $D$
# (784 for MNIST, 3072 for CIFAR-10) gives **bits per dimension**. A model that gives every
# binary pixel probability 1/2 scores exactly 1 bit per dimension, whatever the image.
#
# **Exercise 5.** Write `bits_per_dim(log_probs, num_dims)`: `log_probs` holds
# $\log p(x_n)$ in nats for $N$ images, shape `(N,)`, each with `num_dims` values; return
# the average negative log-likelihood in bits per dimension, a tensor with one value.

# %% nbgrader={"grade": false, "grade_id": "a0_bits_per_dim", "locked": false, "schema_version": 3, "solution": true}
def bits_per_dim(log_probs, num_dims):
    """Average negative log-likelihood of the images, in bits per dimension."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'bits_per_dim: return -mean(log p(x)) converted from nats per image to bits '
        'per dimension.')


# %% tags=["raises-exception"]
coin_flips = torch.full((3,), 784 * math.log(0.5))       # log p(x) of the "every pixel 1/2" model
print(f"the coin-flip model: {bits_per_dim(coin_flips, 784):.4f} bits/dim")
pixelcnn = torch.tensor([-81.30])                          # published PixelCNN, binarised MNIST
print(f"PixelCNN's 81.30 nats per image: {bits_per_dim(pixelcnn, 784):.4f} bits/dim")

# %% [markdown]
# PixelCNN's published 81.30 nats per binarised MNIST digit (van den Oord et al., 2016)
# are about 0.15 bits per pixel: it needs less than a sixth of a bit to encode a pixel the
# coin-flip model codes with one.

# %% nbgrader={"grade": true, "grade_id": "a0_bits_per_dim_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
checks.check_function(
    bits_per_dim, probability.bits_per_dim,
    [(torch.tensor([-81.3, -95.0, -70.2]), 784), (torch.full((5,), 784 * math.log(0.5)), 784),
     (-50 - 100 * torch.rand(10), 784), (-3000 - 100 * torch.rand(6, dtype=torch.float64), 3072),
     (torch.tensor([-10.0]), 4)],
    name="bits_per_dim", rtol=1e-4)


# %% [markdown]
# ## 6. Maximum likelihood: counting, cross-entropy and KL
#
# Training a density model means choosing parameters that make the training data likely:
# **maximum likelihood**, or equivalently minimising the average negative log-likelihood
# $-\frac1N \sum_n \log q(x_n)$. Write $\hat p$ for the data's own frequencies (the
# *empirical distribution*). The average NLL is then the **cross-entropy**
# $H(\hat p, q) = -\sum_k \hat p_k \log q_k$, and it splits in two:
#
# $$H(\hat p, q) = \underbrace{-\sum_k \hat p_k \log \hat p_k}_{H(\hat p),\ \text{fixed by the data}}
#   + \underbrace{\sum_k \hat p_k \log \frac{\hat p_k}{q_k}}_{\mathrm{KL}(\hat p \,\|\, q)\ \ge\ 0}.$$
#
# Only the KL depends on the model, so **minimising the average NLL is minimising
# $\mathrm{KL}(p_\text{data} \,\|\, q)$**, the forward, mode-covering direction of section 3.
# For a categorical the KL is 0 exactly at $q = \hat p$: **counting is the maximum-likelihood
# estimate**. (Notebook 02's tables of counts are such estimates, smoothed; PixelCNN in
# notebook 03 is trained by the same principle, with a network in place of the table.)
#
# **Exercise 6.** Write `fit_categorical(samples, num_classes)`: `samples` holds class
# indices in `0..num_classes-1`, any shape; return the maximum-likelihood probabilities, a
# float tensor of shape `(num_classes,)` (a class never seen gets 0).

# %% nbgrader={"grade": false, "grade_id": "a0_fit_categorical", "locked": false, "schema_version": 3, "solution": true}
def fit_categorical(samples, num_classes):
    """The maximum-likelihood categorical for the samples: shape (num_classes,)."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'fit_categorical: return the maximum-likelihood probabilities of the classes '
        '0..num_classes-1, shape (num_classes,).')


# %% nbgrader={"grade": true, "grade_id": "a0_fit_categorical_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
fit_mistakes = [
    (lambda s, k: (torch.bincount(s.flatten(), minlength=k) + 1).float() / (s.numel() + k),
     "you added one to every count: that is smoothing (the MAP estimate with a uniform prior), "
     "not the maximum-likelihood estimate, which is the plain frequency."),
    (lambda s, k: torch.bincount(s.flatten()).float() / s.numel(),
     "classes above the largest sample are missing: torch.bincount(..., minlength=num_classes)."),
]
checks.check_function(
    fit_categorical, probability.fit_categorical,
    [(torch.tensor([0, 2, 2, 1, 2, 0]), 3), (torch.tensor([0, 1, 1, 0]), 4),
     (torch.randint(0, 5, (4, 7)), 5), (torch.randint(0, 10, (200,)), 10), (torch.tensor([3]), 5)],
    name="fit_categorical", known_mistakes=fit_mistakes)


# %% [markdown]
# **Exercise 7.** Write `average_nll(probs, samples)`: the average negative log-likelihood,
# in nats, of `samples` (class indices, any shape) under the categorical `probs` (shape
# `(K,)`), a tensor with one value. A sample of a class with probability 0 makes it $+\infty$.

# %% nbgrader={"grade": false, "grade_id": "a0_average_nll", "locked": false, "schema_version": 3, "solution": true}
def average_nll(probs, samples):
    """-(1/N) sum_n log probs[x_n] in nats, over all the samples."""
    # YOUR CODE HERE
    raise NotImplementedError(
        'average_nll: return the average over all samples of -log q(sample), in '
        'nats, as a tensor with one value.')


# %% nbgrader={"grade": true, "grade_id": "a0_average_nll_check", "locked": true, "points": 2, "schema_version": 3, "solution": false} tags=["raises-exception"]
nll_mistakes = [
    (lambda q, s: -q.log().mean(),
     "you averaged -log q over the classes; the average runs over the samples: -log q[sample] for each sample."),
    (lambda q, s: -q[s - 1].log().mean(),
     "classes are numbered from 0: the probability of sample k is probs[k], not probs[k - 1]."),
    (lambda q, s: -q[s].mean(),
     "you averaged the probabilities themselves: the negative log-likelihood averages -log q[sample]."),
]
checks.check_function(
    average_nll, probability.average_nll,
    [(torch.tensor([0.5, 0.3, 0.2]), torch.tensor([0, 0, 1, 2, 0])),
     (torch.softmax(torch.randn(6), 0), torch.randint(0, 6, (50,))),
     (torch.softmax(torch.randn(4), 0), torch.randint(0, 4, (5, 4))),
     (torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0, 2]))],
    name="average_nll", known_mistakes=nll_mistakes)

# %% [markdown]
# Now the identity, on 1,000 rolls of a loaded die. *Predict, then run:* which of the
# candidate models has the lowest average NLL, and by how much does each one exceed the
# entropy of the data?

# %% tags=["raises-exception"]
die = torch.tensor([0.1, 0.1, 0.1, 0.1, 0.1, 0.5])
rolls = torch.multinomial(die, 1000, replacement=True, generator=torch.Generator().manual_seed(1))
p_hat = fit_categorical(rolls, 6)
print("counts / N (the MLE):", p_hat)
print(f"entropy of the data H(p_hat) = {probability.entropy(p_hat):.4f} nats")
candidates = {"the MLE p_hat": p_hat, "the true die": die, "a fair die": torch.full((6,), 1 / 6)}
for label, q in candidates.items():
    nll = average_nll(q, rolls)
    print(f"{label:>14}: average NLL = {nll:.4f} = H(p_hat) + KL(p_hat || q) = "
          f"{probability.entropy(p_hat):.4f} + {kl_divergence(p_hat, q):.4f}")

# %% [markdown]
# The counts win, even against the die the rolls came from: on these 1,000 rolls nothing
# scores better than their own frequencies (KL = 0), while the true die pays a small KL for
# the sampling noise in the counts. That small gap is what overfitting looks like; on new
# rolls the true die would do better, which is why the course reports likelihoods on
# *test* data.
