# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deep-generative-course/course/blob/main/solutions/A0_probability_toolkit.ipynb)
#
# # A0 · Warm-up: a probability toolkit
#
# Four small tools that every generative model in this course leans on:
#
# 1. **Bayes' rule**: turning a likelihood and a prior into a posterior;
# 2. **log-sum-exp**: adding probabilities that are stored as logarithms, without overflow;
# 3. **KL divergence**: how far one distribution is from another, and why the order matters;
# 4. **sampling by inverse CDF**: turning uniform random numbers into samples of a categorical.
#
# **How this assignment works.** Write your code only inside the cells that say
# `# YOUR CODE HERE`, replacing the `raise NotImplementedError(...)` line. Each exercise is
# followed by a check cell: run it; when it passes it prints nothing, when it fails it
# tells you what was expected, what your code gave, and the most likely mistake. The
# grader runs these checks and a few hidden ones, and it only takes your solution cells:
# helper functions written in other cells are not seen, and editing a check cell changes
# nothing. Use `torch` (already imported) and `math`; do not import other modules.
#
# Points: Bayes 3, log-sum-exp 4, KL 5, sampling 4 (16 in total).

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

from course_lib import checks, probability

_ = torch.manual_seed(0)  # the random inputs of the checks are the same on every run

# %% [markdown]
# ## 1. Bayes' rule
#
# A generative classifier models how each class produces data, $p(x \mid y)$, and how common
# each class is, $p(y)$. Bayes' rule turns these into what we want to know after seeing
# $x$:
#
# $$p(y \mid x) = \frac{p(x \mid y)\, p(y)}{p(x)}, \qquad p(x) = \sum_{y'} p(x \mid y')\, p(y').$$
#
# The denominator, the *evidence* $p(x)$, is what makes the posterior sum to one.
#
# A screening test: 1% of people have the disease; the test detects it 90% of the time,
# and wrongly flags 5% of healthy people. Class 0 is *healthy*, class 1 is *ill*; a positive
# result has likelihood 0.05 under *healthy* and 0.90 under *ill*.
#
# **Exercise 1.** Write `posterior(prior, likelihood)`: `prior` has shape `(K,)`,
# `likelihood` holds $p(x \mid y{=}k)$ for the observed $x$ and has shape `(..., K)`; return
# $p(y \mid x)$ with the shape of `likelihood`, normalised over the last axis.

# %% nbgrader={"grade": false, "grade_id": "a0_posterior", "locked": false, "schema_version": 3, "solution": true}
def posterior(prior, likelihood):
    """p(y | x) from the prior p(y), shape (K,), and the likelihood p(x | y), shape (..., K)."""
    ### BEGIN SOLUTION
    # HINT: multiply prior and likelihood (the joint p(x, y)), then divide by its sum over the last axis (the evidence p(x)).
    joint = prior * likelihood
    return joint / joint.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %%
prior = torch.tensor([0.99, 0.01])
positive = torch.tensor([0.05, 0.90])
print("p(healthy, ill | positive test) =", posterior(prior, positive))

# %% [markdown]
# Only about 15% of positive results come from ill people: the disease is so rare that
# the healthy people wrongly flagged outnumber the ill ones correctly flagged.

# %% nbgrader={"grade": true, "grade_id": "a0_posterior_check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
bayes_mistakes = [
    (lambda prior, lik: prior * lik,
     "you return the joint p(x, y) = p(x | y) p(y): divide it by the evidence p(x), its sum over classes."),
    (lambda prior, lik: lik / lik.sum(dim=-1, keepdim=True),
     "you normalised the likelihood and ignored the prior p(y)."),
    (lambda prior, lik: prior * lik / lik.sum(dim=-1, keepdim=True),
     "you divided by the sum of the likelihoods; the evidence is the sum of prior * likelihood."),
]
checks.check_function(
    posterior, probability.posterior,
    [(torch.tensor([0.99, 0.01]), torch.tensor([0.05, 0.90])),
     (torch.tensor([0.2, 0.5, 0.3]), torch.tensor([0.1, 0.6, 0.3])),
     (torch.softmax(torch.randn(4), 0), torch.rand(4))],
    name="posterior", known_mistakes=bayes_mistakes)

# %% nbgrader={"grade": true, "grade_id": "a0_posterior_more", "locked": true, "points": 1, "schema_version": 3, "solution": false}
checks.check_shape(posterior(torch.tensor([0.5, 0.5]), torch.rand(3, 2)), (3, 2), name="posterior (batch)")
### BEGIN HIDDEN TESTS
checks.check_function(
    posterior, probability.posterior,
    [(torch.softmax(torch.randn(5), 0), torch.rand(6, 5)),
     (torch.softmax(torch.randn(3), 0), torch.rand(2, 4, 3))],
    name="posterior", known_mistakes=bayes_mistakes)
checks.check_property("p(ill | positive) = 0.009 / (0.009 + 0.0495)",
                      posterior(torch.tensor([0.99, 0.01]), torch.tensor([0.05, 0.90]))[1],
                      0.009 / (0.009 + 0.0495), hint="check the numerator p(x | ill) p(ill) and the evidence.")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Log-sum-exp
#
# Models work with log-probabilities because probabilities of whole images are tiny
# (think $10^{-200}$). To add probabilities stored as logs we need
# $\log \sum_i e^{x_i}$. Done naively it breaks: $e^{1000}$ overflows to `inf`, and
# $e^{-1000}$ underflows to 0, whose log is $-\infty$:

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
# **Exercise 2.** Write `logsumexp(x, dim=-1)` this way (do not call `torch.logsumexp`).

# %% nbgrader={"grade": false, "grade_id": "a0_logsumexp", "locked": false, "schema_version": 3, "solution": true}
def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    ### BEGIN SOLUTION
    # HINT: take the max m over dim (keepdim=True), compute log(sum(exp(x - m))), then add m back.
    m = x.amax(dim=dim, keepdim=True)
    return (x - m).exp().sum(dim=dim).log() + m.squeeze(dim)
    ### END SOLUTION


# %%
print("stable, large inputs:", logsumexp(big), " (expected 1000 + log 2 =", 1000 + math.log(2), ")")

# %% nbgrader={"grade": true, "grade_id": "a0_logsumexp_check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
lse_mistakes = [
    (lambda x, dim=-1: x.exp().sum(dim=dim).log(),
     "the naive formula: exp overflows (or underflows) for large |x|; subtract the max first."),
    (lambda x, dim=-1: (x - x.amax(dim=dim, keepdim=True)).exp().sum(dim=dim).log(),
     "you subtracted the max but forgot to add it back at the end."),
    (lambda x, dim=-1: (x - x.amax(dim=dim, keepdim=True)).exp().sum(dim=dim).log() - x.amax(dim=dim),
     "you subtracted the max a second time instead of adding it back."),
]
checks.check_function(
    logsumexp, probability.logsumexp,
    [(torch.randn(5),), (torch.tensor([1000.0, 1000.0]),), (10 * torch.randn(7),),
     (torch.tensor([3.0, 1000.0, -2.0]),)],
    name="logsumexp", known_mistakes=lse_mistakes)

# %% nbgrader={"grade": true, "grade_id": "a0_logsumexp_more", "locked": true, "points": 2, "schema_version": 3, "solution": false}
checks.check_shape(logsumexp(torch.randn(3, 4)), (3,), name="logsumexp over the last axis")
### BEGIN HIDDEN TESTS
checks.check_function(
    logsumexp, probability.logsumexp,
    [(torch.tensor([-1000.0, -1000.0]),), (torch.randn(3, 4), 0), (torch.randn(2, 3, 4), 1),
     (500 * torch.randn(4, 6), -1)],
    name="logsumexp", known_mistakes=lse_mistakes)
checks.check_property("logsumexp of n equal values c is c + log n",
                      logsumexp(torch.full((8,), -700.0)), -700.0 + math.log(8),
                      hint="the shift by the max must be added back exactly.")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. KL divergence
#
# The Kullback-Leibler divergence of $q$ from $p$,
#
# $$\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i},$$
#
# is zero exactly when $p = q$ and positive otherwise. It appears in every VAE (lecture 5)
# and in the analysis of GANs (lecture 6). Two conventions matter:
#
# * we use the **natural log**, so the answer is in *nats* (with $\log_2$ it would be bits);
# * a term with $p_i = 0$ contributes **0** (the limit of $t \log t$ as $t \to 0$), even though
#   `0 * log(0)` evaluates to `nan` in floating point. `torch.xlogy(a, b)` computes
#   $a \log b$ with exactly this convention.
#
# **Exercise 3.** Write `kl_divergence(p, q)` summing over the last axis.

# %% nbgrader={"grade": false, "grade_id": "a0_kl", "locked": false, "schema_version": 3, "solution": true}
def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    ### BEGIN SOLUTION
    # HINT: sum over the last axis of p * (log p - log q), with terms where p == 0 set to 0 (torch.xlogy helps).
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)
    ### END SOLUTION


# %% [markdown]
# KL is not symmetric: the two orders weigh the mismatch by different distributions.

# %%
p = torch.tensor([0.8, 0.15, 0.05])
q = torch.tensor([1 / 3, 1 / 3, 1 / 3])
print(f"KL(p || q) = {kl_divergence(p, q):.4f} nats,  KL(q || p) = {kl_divergence(q, p):.4f} nats")

# %% nbgrader={"grade": true, "grade_id": "a0_kl_check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
kl_mistakes = [
    (lambda p, q: probability.kl_divergence(q, p),
     "you computed KL(q || p): the arguments are swapped (KL is not symmetric)."),
    (lambda p, q: probability.kl_divergence(p, q) / math.log(2),
     "you used log2 (bits); this assignment expects the natural log (nats)."),
    (lambda p, q: -probability.kl_divergence(p, q),
     "your KL is negative: is the sign of the whole expression flipped (log q/p instead of log p/q)?"),
    (lambda p, q: (p * (p / q).log()).sum(dim=-1),
     "terms with p = 0 give 0 * log(0) = nan: they must count as 0 (use torch.xlogy or torch.where)."),
    (lambda p, q: (q * (q / p).log()).sum(dim=-1),
     "you computed KL(q || p): the arguments are swapped (KL is not symmetric)."),
]
checks.check_function(
    kl_divergence, probability.kl_divergence,
    [(torch.tensor([0.8, 0.15, 0.05]), torch.tensor([1 / 3, 1 / 3, 1 / 3])),
     (torch.softmax(torch.randn(6), 0), torch.softmax(torch.randn(6), 0)),
     (torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.25, 0.25, 0.5]))],
    name="kl_divergence", known_mistakes=kl_mistakes)

# %% nbgrader={"grade": true, "grade_id": "a0_kl_more", "locked": true, "points": 2, "schema_version": 3, "solution": false}
p_check = torch.softmax(torch.randn(5), 0)
checks.check_property("KL(p || p) = 0", kl_divergence(p_check, p_check), 0.0,
                      hint="KL of a distribution from itself must vanish.", atol=1e-6)
### BEGIN HIDDEN TESTS
checks.check_function(
    kl_divergence, probability.kl_divergence,
    [(torch.softmax(torch.randn(4, 5), -1), torch.softmax(torch.randn(4, 5), -1)),
     (torch.tensor([0.0, 0.3, 0.0, 0.7]), torch.softmax(torch.randn(4), 0)),
     (torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0]))],
    name="kl_divergence", known_mistakes=kl_mistakes)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Sampling a categorical by inverse CDF
#
# To sample class $k$ with probability $p_k$ from one uniform number $u \in [0, 1)$, cut
# $[0, 1)$ into consecutive pieces of lengths $p_0, p_1, \dots$ and return the piece $u$
# falls into. With the cumulative sums $F(k) = p_0 + \dots + p_k$, the sample is the
# **smallest $k$ with $F(k) > u$**. Piece $k$ is $[F(k-1), F(k))$: closed on the left,
# so $u = F(k-1)$ belongs to class $k$, not $k-1$. (The last $F$ may come out a rounding
# error below 1; make sure the index never exceeds $K - 1$.)
#
# **Exercise 4.** Write `sample_categorical(probs, u)`: `probs` has shape `(K,)`, `u` holds
# uniforms of any shape; return a `long` tensor of class indices with the shape of `u`. Use
# the `u` you are given, so that the same `u` always gives the same samples.

# %% nbgrader={"grade": false, "grade_id": "a0_sample", "locked": false, "schema_version": 3, "solution": true}
def sample_categorical(probs, u):
    """Class indices (long, shape of u): the smallest k with cdf[k] > u."""
    ### BEGIN SOLUTION
    # HINT: cdf = probs.cumsum(-1); the sample is the number of cdf entries <= u (torch.searchsorted with right=True), at most K - 1.
    cdf = probs.cumsum(dim=-1)
    index = torch.searchsorted(cdf, u.contiguous(), right=True)
    return index.clamp(max=probs.shape[-1] - 1)
    ### END SOLUTION


# %%
probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
generator = torch.Generator().manual_seed(0)
samples = sample_categorical(probs, torch.rand(20_000, generator=generator))
print("wanted   :", probs)
print("empirical:", torch.bincount(samples, minlength=4) / len(samples))

# %% nbgrader={"grade": true, "grade_id": "a0_sample_check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
sample_mistakes = [
    (lambda probs, u: torch.searchsorted(probs.cumsum(-1), u.contiguous(), right=False),
     "u exactly on a boundary F(k) goes to the wrong class: you used `>=` (or searchsorted's default "
     "right=False); the sample is the smallest k with F(k) > u."),
    (lambda probs, u: probability.sample_categorical(probs, u) + 1,
     "your indices are off by one: classes are numbered from 0."),
    (lambda probs, u: torch.searchsorted(probs, u.contiguous(), right=True),
     "compare u with the cumulative sums F = probs.cumsum(-1), not with probs itself."),
]
quarters = torch.tensor([0.25, 0.25, 0.5])
checks.check_function(
    sample_categorical, probability.sample_categorical,
    [(quarters, torch.tensor([0.0, 0.1, 0.25, 0.4, 0.5, 0.75, 0.99])),
     (torch.softmax(torch.randn(5), 0), torch.rand(50)),
     (torch.tensor([0.1, 0.6, 0.3]), torch.rand(4, 6))],
    name="sample_categorical", known_mistakes=sample_mistakes, dtype=torch.long)

# %% nbgrader={"grade": true, "grade_id": "a0_sample_more", "locked": true, "points": 2, "schema_version": 3, "solution": false}
u_fixed = torch.rand(1000)
first, again = sample_categorical(probs, u_fixed), sample_categorical(probs, u_fixed)
checks.check_property("the same u gives the same samples", again, first,
                      hint="you drew fresh random numbers (torch.rand, torch.multinomial) instead of using u.")
### BEGIN HIDDEN TESTS
# A CDF that ends a rounding error below 1: u in [F(K-1), 1) must still give class K - 1;
# and u exactly on a boundary once more.
rounded = torch.tensor([0.009315435774624348, 0.061123888939619064, 0.27306488156318665,
                        0.21236388385295868, 0.2180105298757553, 0.15456339716911316,
                        0.07155794650316238])
checks.check_function(
    sample_categorical, probability.sample_categorical,
    [(rounded, torch.tensor([0.0, 0.5, 1 - 2**-24])), (torch.tensor([0.0, 1.0]), torch.rand(10)),
     (torch.tensor([0.5, 0.25, 0.25]), torch.tensor([0.75, 0.5, 0.2]))],
    name="sample_categorical",
    known_mistakes=sample_mistakes + [
        (lambda probs, u: torch.searchsorted(probs.cumsum(-1), u.contiguous(), right=True),
         "index K appears when the last cdf value is a rounding error below 1: clamp to K - 1.")])
many = sample_categorical(probs, torch.rand(50_000))
checks.check_frequencies(many, probs, name="sample_categorical",
                         hint="the frequencies should match probs: check how you compare u with the cdf.")
### END HIDDEN TESTS
