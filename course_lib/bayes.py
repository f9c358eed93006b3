r"""Bayes' rule ties the three kinds of model together, computed in log space.

Taught in notebook 01 (discriminative, generative and conditional generative models).

$$p(y \mid x) = \frac{p(x \mid y)\, p(y)}{p(x)}, \qquad
  p(x) = \sum_{y'} p(x \mid y')\, p(y')$$

With a conditional generative model $p(x \mid y)$ and a prior over labels $p(y)$ we get
*both* a classifier $p(y \mid x)$ and a density $p(x)$. Probabilities of whole images
are tiny (about $e^{-150}$ for a digit), so everything is done with logs and the sum
becomes a ``logsumexp``:

$$\log p(y \mid x) = \log p(x \mid y) + \log p(y)
                     - \operatorname{logsumexp}_{y'}\big[\log p(x \mid y') + \log p(y')\big]$$

The rule also runs the other way: a classifier $p(y \mid x)$ and an *unconditional*
density $p(x)$ give a conditional generative model,

$$p(x \mid y) = \frac{p(y \mid x)\, p(x)}{p(y)}, \qquad
  p(y) = \sum_x p(y \mid x)\, p(x) = \mathbb{E}_{x \sim p(x)}\big[p(y \mid x)\big].$$

For 784-pixel images the sum over $x$ cannot be listed, so $p(y)$ is estimated from
samples of $p(x)$ (``log_label_marginal``), and samples of $p(x \mid y)$ are drawn by
*importance resampling*: draw many images from $p(x)$ and keep each with probability
proportional to $p(y \mid x)$ (``resample_by_label``).
"""
from __future__ import annotations

import torch

from course_lib.likelihood import as_binary_vectors
from course_lib.models.bernoulli_mixture import BernoulliMixture

__all__ = ["log_posterior", "log_evidence", "GenerativeClassifier", "log_label_marginal",
           "log_conditional", "resample_by_label", "effective_sample_size"]


def _check(log_likelihood, log_prior):
    log_likelihood = torch.as_tensor(log_likelihood, dtype=torch.float64)
    log_prior = torch.as_tensor(log_prior, dtype=torch.float64)
    if log_likelihood.dim() != 2:
        raise ValueError("log_likelihood must have shape (N, C): log p(x_n | y = c), got "
                         f"{tuple(log_likelihood.shape)}")
    if log_prior.shape != (log_likelihood.shape[1],):
        raise ValueError(f"log_prior must have shape ({log_likelihood.shape[1]},), got "
                         f"{tuple(log_prior.shape)}")
    return log_likelihood, log_prior


def log_evidence(log_likelihood, log_prior) -> torch.Tensor:
    r"""$\log p(x) = \operatorname{logsumexp}_y [\log p(x \mid y) + \log p(y)]$: (N,)."""
    log_likelihood, log_prior = _check(log_likelihood, log_prior)
    return torch.logsumexp(log_likelihood + log_prior, dim=1)


def log_posterior(log_likelihood, log_prior) -> torch.Tensor:
    r"""Bayes' rule in log space: $\log p(y \mid x)$ from $\log p(x \mid y)$ (N, C) and $\log p(y)$ (C,).

    Notebook 01 computes it by hand for one digit, then uses this function.
    """
    log_likelihood, log_prior = _check(log_likelihood, log_prior)
    joint = log_likelihood + log_prior
    return joint - torch.logsumexp(joint, dim=1, keepdim=True)


class GenerativeClassifier:
    """A conditional generative model p(x | y) (one Bernoulli mixture per class) and p(y).

    ``predict_proba`` gives p(y | x) by Bayes' rule; ``log_prob`` gives the density p(x),
    so the same model can assign labels *and* reject inputs that look like no class.
    """

    def __init__(self, n_components: int = 5, smoothing: float = 1.0, seed: int = 0):
        self.n_components = n_components
        self.smoothing = smoothing
        self.seed = seed
        self.class_models: list[BernoulliMixture] = []
        self.log_prior: torch.Tensor | None = None

    def fit(self, x: torch.Tensor, labels: torch.Tensor, iterations: int = 30) -> "GenerativeClassifier":
        as_binary_vectors(x)  # validates before any work
        labels = torch.as_tensor(labels).long().cpu()
        if labels.shape != (len(x),):
            raise ValueError(f"labels must have shape ({len(x)},), got {tuple(labels.shape)}")
        classes = int(labels.max()) + 1
        counts = torch.bincount(labels, minlength=classes).to(torch.float64)
        if (counts == 0).any():
            raise ValueError(f"every class 0..{classes - 1} needs at least one example; "
                             f"missing: {torch.nonzero(counts == 0).flatten().tolist()}")
        self.log_prior = torch.log(counts / counts.sum())                   # log p(y)
        self.class_models = [
            BernoulliMixture(min(self.n_components, int(counts[c])), self.smoothing,
                             seed=self.seed + c).fit(x[labels == c], iterations=iterations)
            for c in range(classes)]
        return self

    def _check_fitted(self):
        if self.log_prior is None:
            raise RuntimeError("the classifier is not fitted yet: call fit(x, labels) first")

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        r"""$\log p(x \mid y)$ for every image and class: (N, C)."""
        self._check_fitted()
        return torch.stack([m.log_prob(x) for m in self.class_models], dim=1)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        r"""The density of the images, $\log p(x)$, marginalising the label: (N,)."""
        return log_evidence(self.log_likelihood(x), self.log_prior)

    def predict_log_proba(self, x: torch.Tensor) -> torch.Tensor:
        return log_posterior(self.log_likelihood(x), self.log_prior)

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        r"""$p(y \mid x)$ by Bayes' rule: (N, C), each row sums to 1."""
        return self.predict_log_proba(x).exp()

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.predict_log_proba(x).argmax(dim=1)

    def sample(self, label: int, n: int, seed: int | None = None) -> torch.Tensor:
        """Images drawn from p(x | y = label): generation conditioned on the label."""
        self._check_fitted()
        if not 0 <= label < len(self.class_models):
            raise ValueError(f"label must be in 0..{len(self.class_models) - 1}, got {label}")
        return self.class_models[label].sample(n, seed=seed)


# --- the other direction: p(x | y) from a classifier p(y | x) and a density p(x) ----------

def _log_probs(value, what: str, dim: int) -> torch.Tensor:
    value = torch.as_tensor(value, dtype=torch.float64)
    if value.dim() != dim:
        raise ValueError(f"{what} must have {dim} dimension(s), got shape {tuple(value.shape)}")
    return value


def log_label_marginal(log_p_y_given_x_of_samples) -> torch.Tensor:
    r"""$\log p(y) = \log \mathbb{E}_{x \sim p(x)}[p(y \mid x)]$ from S samples of p(x): (S, C) -> (C,).

    The classifier's $\log p(y \mid x)$ on images drawn from the density $p(x)$; their
    average is a Monte Carlo estimate of $\sum_x p(y \mid x)\, p(x)$, computed with a
    ``logsumexp`` so that nothing underflows. Taught in notebook 01.
    """
    log_p = _log_probs(log_p_y_given_x_of_samples, "log_p_y_given_x_of_samples", 2)
    if len(log_p) == 0:
        raise ValueError("need at least one sample of p(x)")
    return torch.logsumexp(log_p, dim=0) - torch.log(torch.tensor(float(len(log_p)), dtype=torch.float64))


def log_conditional(log_p_y_given_x, log_p_x, log_p_y) -> torch.Tensor:
    r"""Bayes' rule backwards: $\log p(x \mid y) = \log p(y \mid x) + \log p(x) - \log p(y)$.

    ``log_p_y_given_x`` (N, C) from a classifier, ``log_p_x`` (N,) from an unconditional
    density, ``log_p_y`` (C,) the label marginal: returns (N, C). Taught in notebook 01.
    """
    log_p_y_given_x = _log_probs(log_p_y_given_x, "log_p_y_given_x", 2)
    log_p_x = _log_probs(log_p_x, "log_p_x", 1)
    log_p_y = _log_probs(log_p_y, "log_p_y", 1)
    if log_p_x.shape[0] != log_p_y_given_x.shape[0]:
        raise ValueError(f"log_p_x must have shape ({log_p_y_given_x.shape[0]},), got {tuple(log_p_x.shape)}")
    if log_p_y.shape[0] != log_p_y_given_x.shape[1]:
        raise ValueError(f"log_p_y must have shape ({log_p_y_given_x.shape[1]},), got {tuple(log_p_y.shape)}")
    return log_p_y_given_x + log_p_x[:, None] - log_p_y[None, :]


def resample_by_label(samples: torch.Tensor, log_p_label_given_x, n: int, seed: int = 0) -> torch.Tensor:
    r"""Samples of $p(x \mid y)$ from samples of $p(x)$: keep sample s with probability $\propto p(y \mid x_s)$.

    ``samples`` (S, ...) drawn from $p(x)$; ``log_p_label_given_x`` (S,) the classifier's
    $\log p(y \mid x_s)$ for the one label wanted. Draws ``n`` of them with replacement,
    weights $w_s = p(y \mid x_s) / \sum_t p(y \mid x_t)$ (importance resampling: exact
    as S grows, since $p(x \mid y) \propto p(y \mid x)\,p(x)$). Taught in notebook 01.
    """
    log_w = _log_probs(log_p_label_given_x, "log_p_label_given_x", 1)
    if log_w.shape[0] != len(samples):
        raise ValueError(f"need one log p(y | x) per sample: {len(samples)} samples, "
                         f"{log_w.shape[0]} values")
    if n < 1:
        raise ValueError(f"n must be a positive number of samples, got {n}")
    weights = torch.exp(log_w - torch.logsumexp(log_w, dim=0))          # (S,), sums to 1
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.multinomial(weights, n, replacement=True, generator=generator)
    return samples[chosen]


def effective_sample_size(log_weights) -> float:
    r"""$(\sum_s w_s)^2 / \sum_s w_s^2$: how many of the weighted samples really count."""
    log_w = _log_probs(log_weights, "log_weights", 1)
    return float(torch.exp(2 * torch.logsumexp(log_w, 0) - torch.logsumexp(2 * log_w, 0)))
