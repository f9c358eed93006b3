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
"""
from __future__ import annotations

import torch

from course_lib.likelihood import as_binary_vectors
from course_lib.models.bernoulli_mixture import BernoulliMixture

__all__ = ["log_posterior", "log_evidence", "GenerativeClassifier"]


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
    r"""Bayes' rule in log space: $\log p(y \mid x)$ from $\log p(x \mid y)$ (N, C) and $\log p(y)$ (C,)."""
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
