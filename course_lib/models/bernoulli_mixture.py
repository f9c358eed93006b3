r"""A mixture of Bernoullis: an explicit density model of binary images, fitted by EM.

Taught in notebook 01 (supervised vs unsupervised: density estimation) and used again
there, one mixture per class, as the conditional generative model $p(x \mid y)$.

The model of a binary image $x \in \{0, 1\}^D$ (D = 784 pixels for MNIST):

$$p(x) = \sum_{k=1}^K \pi_k \prod_{d=1}^D \mu_{kd}^{x_d} (1 - \mu_{kd})^{1 - x_d}$$

Each component k is a "prototype" image of pixel probabilities $\mu_k$; given the
component, pixels are independent. The log-likelihood is exact and cheap:

$$\log p(x) = \operatorname{logsumexp}_k \Big[\log \pi_k + \sum_d x_d \log \mu_{kd}
              + (1 - x_d) \log (1 - \mu_{kd})\Big]$$

EM (expectation-maximisation) fits $\pi$ and $\mu$:

* E-step: responsibilities $r_{nk} = p(k \mid x_n)$, by Bayes' rule in log space;
* M-step: $\pi_k = \frac{1}{N}\sum_n r_{nk}$ and
  $\mu_{kd} = \frac{\sum_n r_{nk} x_{nd} + \alpha}{\sum_n r_{nk} + 2\alpha}$.

$\alpha$ (``smoothing``) adds pseudo-counts, a Beta(1 + alpha, 1 + alpha) prior on every
$\mu_{kd}$: it keeps every probability away from 0 and 1, so that an unseen pixel
pattern in a test image costs a finite number of nats instead of $-\infty$. With
smoothing, EM is *MAP-EM*: it never decreases the penalised (MAP) objective

$$\frac1N\Big[\sum_n \log p(x_n) + \alpha \sum_{k,d} \big(\log \mu_{kd} + \log(1 - \mu_{kd})\big)\Big]$$

(``objective`` in ``history``; notebook 01 plots it), while the plain log-likelihood
(``log_likelihood``) may dip. With ``smoothing=0`` the two are the same.
"""
from __future__ import annotations

import math

import torch

from course_lib.likelihood import as_binary_vectors, bits_per_dim

__all__ = ["BernoulliMixture"]


class BernoulliMixture:
    """K Bernoulli prototypes and their weights; ``fit`` by EM, then ``log_prob`` and ``sample``."""

    def __init__(self, n_components: int, smoothing: float = 1.0, seed: int = 0):
        if not isinstance(n_components, int) or n_components < 1:
            raise ValueError(f"n_components must be a positive int, got {n_components!r}")
        if smoothing < 0:
            raise ValueError(f"smoothing must be >= 0, got {smoothing}")
        self.n_components = n_components
        self.smoothing = float(smoothing)
        self.seed = seed
        self.weights: torch.Tensor | None = None   # pi, (K,)
        self.means: torch.Tensor | None = None     # mu, (K, D)
        self.event_shape: tuple[int, ...] | None = None
        self.history: list[dict] = []

    # --- the density -----------------------------------------------------------------

    def _check_fitted(self):
        if self.means is None:
            raise RuntimeError("the mixture is not fitted yet: call fit(x) first")

    def log_joint(self, x: torch.Tensor) -> torch.Tensor:
        r"""$\log \pi_k + \log p(x_n \mid k)$ for every image and component: (N, K)."""
        self._check_fitted()
        flat = as_binary_vectors(x, self.means.shape[1])
        # log(0) only arises with smoothing=0; 0 * log(0) is 0 for the pixels that agree.
        log_mu = torch.log(self.means).nan_to_num(neginf=-1e300)
        log_one_minus = torch.log1p(-self.means).nan_to_num(neginf=-1e300)
        log_px_given_k = flat @ log_mu.T + (1 - flat) @ log_one_minus.T    # (N, K)
        return log_px_given_k + torch.log(self.weights)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats, one per image: (N,) float64."""
        return torch.logsumexp(self.log_joint(x), dim=1)

    def responsibilities(self, x: torch.Tensor) -> torch.Tensor:
        r"""$r_{nk} = p(k \mid x_n)$ (the E-step): (N, K), each row sums to 1."""
        joint = self.log_joint(x)
        return torch.exp(joint - torch.logsumexp(joint, dim=1, keepdim=True))

    def bits_per_dim(self, x: torch.Tensor) -> float:
        self._check_fitted()
        return bits_per_dim(self.log_prob(x), self.means.shape[1])

    # --- fitting by EM ---------------------------------------------------------------

    def _objective(self, total_log_lik: float) -> float:
        """Log-likelihood plus the log Beta prior (up to a constant), per image."""
        a = self.smoothing
        penalty = 0.0
        if a > 0:
            penalty = a * (torch.log(self.means) + torch.log1p(-self.means)).sum().item()
        return total_log_lik + penalty

    def initial_parameters(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Where ``fit`` starts EM: equal weights (K,) and prototypes (K, D), from ``seed``.

        Each prototype is a random training image blended with the mean image; notebook 01
        starts its hand-written EM steps from the same place.
        """
        flat = as_binary_vectors(x)
        if len(flat) < self.n_components:
            raise ValueError(f"need at least {self.n_components} images for "
                             f"{self.n_components} components, got {len(flat)}")
        generator = torch.Generator().manual_seed(self.seed)
        start = flat[torch.randperm(len(flat), generator=generator)[: self.n_components]]
        means = (0.5 * start + 0.5 * flat.mean(0)).clamp(0.02, 0.98)
        weights = torch.full((self.n_components,), 1.0 / self.n_components, dtype=torch.float64)
        return weights, means

    def fit(self, x: torch.Tensor, iterations: int = 50, tol: float = 1e-6,
            verbose: bool = False) -> "BernoulliMixture":
        """Fit by EM; stop after ``iterations`` or when the objective gains < ``tol`` per image."""
        flat = as_binary_vectors(x)
        n, dim = flat.shape
        if n < self.n_components:
            raise ValueError(f"need at least {self.n_components} images for "
                             f"{self.n_components} components, got {n}")
        self.event_shape = tuple(x.shape[1:])
        self.weights, self.means = self.initial_parameters(flat)
        self.history = []
        previous = -math.inf
        for it in range(iterations):
            joint = self.log_joint(flat)                                   # (N, K)
            log_lik = torch.logsumexp(joint, dim=1)                        # (N,)
            objective = self._objective(log_lik.sum().item()) / n
            self.history.append({"iteration": it, "log_likelihood": log_lik.mean().item(),
                                 "objective": objective})
            if verbose:
                print(f"EM iteration {it:3d}: mean log p(x) = {log_lik.mean().item():.3f} nats")
            if objective - previous < tol:
                break
            previous = objective
            # E-step
            resp = torch.exp(joint - log_lik[:, None])                     # (N, K)
            # M-step
            counts = resp.sum(0)                                           # (K,)
            # A component nobody is responsible for gets weight exactly 0 and drops out of
            # every sum (log 0 = -inf); clamping it to a tiny weight instead would leave a
            # uniform "floor" component that caps how unlikely any image can look.
            self.weights = counts / n
            a = self.smoothing
            self.means = (resp.T @ flat + a) / (counts[:, None] + 2 * a)
            if a == 0:  # an empty component keeps its old prototype instead of 0/0
                self.means = self.means.nan_to_num(0.5)
        return self

    # --- sampling --------------------------------------------------------------------

    def sample(self, n: int, seed: int | None = None, return_components: bool = False):
        """Ancestral sampling: k ~ pi, then every pixel ~ Bernoulli(mu_k). (n, *event_shape)."""
        self._check_fitted()
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        pixels = torch.rand(n, self.means.shape[1], generator=generator, dtype=torch.float64)
        samples = (pixels < self.means[component]).float().reshape(n, *self.event_shape)
        return (samples, component) if return_components else samples

    def prototypes(self) -> torch.Tensor:
        """The K prototypes mu_k as images, (K, *event_shape) float32, for display."""
        self._check_fitted()
        return self.means.float().reshape(self.n_components, *self.event_shape)
