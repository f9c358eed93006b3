r"""The ELBO on latent-variable models small enough to compute every term exactly (notebook 05).

A VAE's $\log p(x)$ and posterior $p(z \mid x)$ are intractable, so on a VAE the
derivation of the ELBO cannot be checked. Here are two models where nothing is:

* :class:`DiscreteLatentModel`: z takes one of K values, $p(z = k) = \pi_k$, and given z
  the D binary pixels are independent Bernoullis (the mixture of notebook 01). Every
  expectation over $q(z \mid x)$ is a sum of K terms, so each line of the derivation is
  a number computed to float64 precision.
* :class:`LinearGaussianModel`: $z \sim \mathcal N(0, I_J)$,
  $x \mid z \sim \mathcal N(Wz + b, s^2 I_D)$ (probabilistic PCA). Then
  $p(x) = \mathcal N(b, WW^\top + s^2 I)$ and the posterior is Gaussian, so the ELBO of a
  Gaussian $q$, the exact KL to the posterior and the gap are closed forms.

The identity both check, for *any* distribution q over z (derived line by line in
notebook 05, lecture 5):

$$\log p(x) = \underbrace{\mathbb E_q[\log p(x \mid z)] - D_\mathrm{KL}(q \,\|\, p(z))}_{\text{ELBO}}
            + \underbrace{D_\mathrm{KL}(q \,\|\, p(z \mid x))}_{\ge 0,\ \text{the gap}}.$$
"""
from __future__ import annotations

import math

import torch

__all__ = ["DiscreteLatentModel", "LinearGaussianModel", "categorical_kl"]


def categorical_kl(q: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    r"""$D_\mathrm{KL}(q \,\|\, r) = \sum_k q_k \log (q_k / r_k)$ per row, with $0 \log 0 = 0$: (N,).

    Infinite when q puts mass where r has none. Notebook 05.
    """
    q, r = torch.as_tensor(q, dtype=torch.float64), torch.as_tensor(r, dtype=torch.float64)
    q, r = torch.broadcast_tensors(q, r)
    terms = torch.where(q > 0, q * (torch.log(q) - torch.log(r)), torch.zeros_like(q))
    return terms.sum(-1)


def _as_distribution(q: torch.Tensor, n: int, k: int) -> torch.Tensor:
    q = torch.as_tensor(q, dtype=torch.float64)
    if q.shape == (k,):
        q = q.expand(n, k)
    if q.shape != (n, k):
        raise ValueError(f"q must give {k} probabilities per image: shape ({k},) or ({n}, {k}), "
                         f"got {tuple(q.shape)}")
    if torch.any(q < 0) or not torch.allclose(q.sum(1), torch.ones(n, dtype=torch.float64)):
        raise ValueError("each row of q must be a probability distribution (>= 0, sums to 1)")
    return q


class DiscreteLatentModel:
    r"""$p(z = k) = \pi_k$, $p(x \mid z = k) = \prod_d \theta_{kd}^{x_d} (1 - \theta_{kd})^{1 - x_d}$.

    ``prior``: (K,) probabilities; ``pixel_probs``: (K, D) in (0, 1). Images are (N, D)
    binary. Every method works in float64 and returns one number (or row) per image.
    """

    def __init__(self, prior, pixel_probs):
        prior = torch.as_tensor(prior, dtype=torch.float64)
        theta = torch.as_tensor(pixel_probs, dtype=torch.float64)
        if prior.dim() != 1 or torch.any(prior <= 0) or abs(prior.sum().item() - 1) > 1e-9:
            raise ValueError("prior must be a (K,) vector of positive probabilities summing to 1")
        if theta.dim() != 2 or theta.shape[0] != len(prior):
            raise ValueError(f"pixel_probs must have shape (K, D) with K = {len(prior)}, "
                             f"got {tuple(theta.shape)}")
        if torch.any(theta <= 0) or torch.any(theta >= 1):
            raise ValueError("pixel_probs must lie strictly between 0 and 1")
        self.prior, self.pixel_probs = prior, theta
        self.states, self.pixels = theta.shape

    @classmethod
    def random(cls, states: int = 3, pixels: int = 4, seed: int = 0) -> "DiscreteLatentModel":
        """A model with random parameters: no state is rare (prior weights
        proportional to uniform(0.2, 1.2)), pixel probabilities in [0.1, 0.9]."""
        g = torch.Generator().manual_seed(seed)
        prior = torch.rand(states, generator=g, dtype=torch.float64) + 0.2
        prior = prior / prior.sum()
        theta = 0.1 + 0.8 * torch.rand(states, pixels, generator=g, dtype=torch.float64)
        return cls(prior, theta)

    def _check_x(self, x) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64)
        if x.dim() == 1:
            x = x.unsqueeze(0)
        if x.dim() != 2 or x.shape[1] != self.pixels or not torch.all((x == 0) | (x == 1)):
            raise ValueError(f"x must be binary images of shape (N, {self.pixels})")
        return x

    def all_images(self) -> torch.Tensor:
        """Every binary image of D pixels, (2^D, D): p(x) over them sums to 1."""
        codes = torch.arange(2 ** self.pixels)
        return ((codes.unsqueeze(1) >> torch.arange(self.pixels - 1, -1, -1)) & 1).to(torch.float64)

    # --- the model's own quantities --------------------------------------------------------

    def log_likelihood(self, x) -> torch.Tensor:
        r"""$\log p(x \mid z = k)$ for every image and state: (N, K)."""
        x = self._check_x(x)
        return x @ torch.log(self.pixel_probs).T + (1 - x) @ torch.log1p(-self.pixel_probs).T

    def log_joint(self, x) -> torch.Tensor:
        r"""$\log p(x \mid z = k) + \log p(z = k)$: (N, K)."""
        return self.log_likelihood(x) + torch.log(self.prior)

    def log_evidence(self, x) -> torch.Tensor:
        r"""$\log p(x) = \log \sum_k p(x \mid k)\, p(k)$, exact: (N,)."""
        return torch.logsumexp(self.log_joint(x), dim=1)

    def posterior(self, x) -> torch.Tensor:
        r"""The true posterior $p(z = k \mid x) = p(x \mid k) p(k) / p(x)$ (Bayes' rule): (N, K)."""
        joint = self.log_joint(x)
        return torch.exp(joint - torch.logsumexp(joint, dim=1, keepdim=True))

    # --- the ELBO's terms, for any q(z | x) ------------------------------------------------

    def expected_log_likelihood(self, x, q) -> torch.Tensor:
        r"""$\mathbb E_{z \sim q}[\log p(x \mid z)] = \sum_k q_k \log p(x \mid k)$: (N,)."""
        ll = self.log_likelihood(x)
        return (_as_distribution(q, *ll.shape) * ll).sum(1)

    def kl_to_prior(self, x, q) -> torch.Tensor:
        r"""$D_\mathrm{KL}(q(z \mid x) \,\|\, p(z))$: (N,)."""
        x = self._check_x(x)
        return categorical_kl(_as_distribution(q, len(x), self.states), self.prior)

    def kl_to_posterior(self, x, q) -> torch.Tensor:
        r"""$D_\mathrm{KL}(q(z \mid x) \,\|\, p(z \mid x))$, the term a VAE cannot compute: (N,)."""
        x = self._check_x(x)
        return categorical_kl(_as_distribution(q, len(x), self.states), self.posterior(x))

    def elbo(self, x, q) -> torch.Tensor:
        r"""$\mathcal L = \mathbb E_q[\log p(x \mid z)] - D_\mathrm{KL}(q \,\|\, p(z)) \le \log p(x)$: (N,)."""
        return self.expected_log_likelihood(x, q) - self.kl_to_prior(x, q)

    def expectation(self, x, q, values) -> torch.Tensor:
        r"""$\mathbb E_{z \sim q}[f(z)] = \sum_k q_k f(k)$ for ``values`` = f(k), (N, K): (N,).

        Lets a notebook evaluate each line of the derivation as written, e.g.
        ``expectation(x, q, log_joint - log_posterior)``.
        """
        values = torch.as_tensor(values, dtype=torch.float64)
        x = self._check_x(x)
        q = _as_distribution(q, len(x), self.states)
        values = values.expand(len(x), self.states)
        return torch.where(q > 0, q * values, torch.zeros_like(q)).sum(1)


class LinearGaussianModel:
    r"""$z \sim \mathcal N(0, I_J)$, $x \mid z \sim \mathcal N(Wz + b, s^2 I_D)$: every term in closed form.

    ``weight`` W: (D, J); ``bias`` b: (D,); ``noise_std`` s > 0. A distribution over z is
    given as ``(mean (N, J), cov (J, J) or (N, J, J))``.
    """

    def __init__(self, weight, bias, noise_std: float):
        self.weight = torch.as_tensor(weight, dtype=torch.float64)
        self.bias = torch.as_tensor(bias, dtype=torch.float64)
        if self.weight.dim() != 2 or self.bias.shape != (self.weight.shape[0],):
            raise ValueError("weight must be (D, J) and bias (D,)")
        if not noise_std > 0:
            raise ValueError(f"noise_std must be > 0, got {noise_std}")
        self.noise_var = float(noise_std) ** 2
        self.pixels, self.latent = self.weight.shape

    @classmethod
    def random(cls, pixels: int = 5, latent: int = 2, noise_std: float = 0.5,
               seed: int = 0) -> "LinearGaussianModel":
        g = torch.Generator().manual_seed(seed)
        return cls(torch.randn(pixels, latent, generator=g, dtype=torch.float64),
                   torch.randn(pixels, generator=g, dtype=torch.float64), noise_std)

    def _check_x(self, x) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64)
        if x.dim() != 2 or x.shape[1] != self.pixels:
            raise ValueError(f"x must have shape (N, {self.pixels})")
        return x

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.latent, generator=g, dtype=torch.float64)
        noise = torch.randn(n, self.pixels, generator=g, dtype=torch.float64)
        return z @ self.weight.T + self.bias + math.sqrt(self.noise_var) * noise

    def log_evidence(self, x) -> torch.Tensor:
        r"""$\log p(x) = \log \mathcal N(x; b, WW^\top + s^2 I)$, exact: (N,)."""
        x = self._check_x(x)
        cov = self.weight @ self.weight.T + self.noise_var * torch.eye(self.pixels, dtype=torch.float64)
        return torch.distributions.MultivariateNormal(self.bias, cov).log_prob(x)

    def log_likelihood(self, x, z) -> torch.Tensor:
        r"""$\log p(x \mid z)$ for (N, D) images and (N, J) or (S, N, J) codes."""
        mean = z @ self.weight.T + self.bias
        return -0.5 * (((x - mean) ** 2).sum(-1) / self.noise_var
                       + self.pixels * math.log(2 * math.pi * self.noise_var))

    def posterior(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        r"""The true posterior $\mathcal N(m, \Sigma)$: $\Sigma = (I + W^\top W / s^2)^{-1}$,
        $m = \Sigma W^\top (x - b) / s^2$. Returns (mean (N, J), cov (J, J))."""
        x = self._check_x(x)
        precision = torch.eye(self.latent, dtype=torch.float64) + self.weight.T @ self.weight / self.noise_var
        cov = torch.linalg.inv(precision)
        mean = (x - self.bias) @ self.weight @ cov.T / self.noise_var
        return mean, cov

    def expected_log_likelihood(self, x, q_mean, q_cov) -> torch.Tensor:
        r"""$\mathbb E_q[\log p(x \mid z)] = -\frac{1}{2s^2}\big(\|x - Wm - b\|^2
        + \operatorname{tr}(W \Sigma_q W^\top)\big) - \frac D2 \log 2\pi s^2$: (N,)."""
        x = self._check_x(x)
        residual = x - q_mean @ self.weight.T - self.bias
        trace = torch.einsum("dj,...jk,dk->...", self.weight, q_cov, self.weight)
        return -0.5 * ((residual ** 2).sum(1) + trace) / self.noise_var \
            - 0.5 * self.pixels * math.log(2 * math.pi * self.noise_var)

    @staticmethod
    def gaussian_kl(mean0, cov0, mean1, cov1) -> torch.Tensor:
        r"""$D_\mathrm{KL}(\mathcal N_0 \| \mathcal N_1) = \tfrac12\big(\operatorname{tr}(\Sigma_1^{-1}\Sigma_0)
        + (m_1 - m_0)^\top \Sigma_1^{-1} (m_1 - m_0) - J + \log\det\Sigma_1 - \log\det\Sigma_0\big)$."""
        j = mean0.shape[-1]
        inv1 = torch.linalg.inv(cov1)
        diff = (mean1 - mean0).unsqueeze(-1)                              # (N, J, 1)
        maha = (diff.transpose(-1, -2) @ inv1 @ diff).reshape(diff.shape[:-2])
        trace = torch.diagonal(inv1 @ cov0, dim1=-2, dim2=-1).sum(-1)
        return 0.5 * (trace + maha - j + torch.logdet(cov1) - torch.logdet(cov0))

    def kl_to_prior(self, q_mean, q_cov) -> torch.Tensor:
        eye = torch.eye(self.latent, dtype=torch.float64)
        return self.gaussian_kl(q_mean, q_cov, torch.zeros_like(q_mean), eye)

    def kl_to_posterior(self, x, q_mean, q_cov) -> torch.Tensor:
        mean, cov = self.posterior(x)
        return self.gaussian_kl(q_mean, q_cov, mean, cov)

    def elbo(self, x, q_mean, q_cov) -> torch.Tensor:
        r"""$\mathbb E_q[\log p(x \mid z)] - D_\mathrm{KL}(q \,\|\, p(z))$, exact: (N,)."""
        return self.expected_log_likelihood(x, q_mean, q_cov) - self.kl_to_prior(q_mean, q_cov)
