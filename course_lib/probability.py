r"""The probability toolkit: tested reference versions of what assignment A0 asks for.

Taught in assignment A0 (``solutions/A0_probability_toolkit``), in its order: log-sum-exp,
Bayes' rule in log space, KL divergence, inverse-CDF sampling, bits per dimension, and
maximum likelihood for a categorical. A0's check cells compare a student's function
against these; later notebooks may use them freely. Every function works on the last
axis and broadcasts over leading (batch) axes.

There is one Bayes implementation in the course: :func:`log_posterior` reshapes its
batch and calls :func:`course_lib.bayes.log_posterior` (notebook 01).
"""
from __future__ import annotations

import torch

from course_lib import bayes, likelihood

__all__ = ["logsumexp", "log_posterior", "kl_divergence", "entropy", "sample_categorical",
           "bits_per_dim", "fit_categorical", "average_nll"]


def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    r"""$\log \sum_i e^{x_i}$ without overflow: $m + \log \sum_i e^{x_i - m}$ with $m = \max_i x_i$.

    After the shift the largest term is $e^0 = 1$, so the sum lies in $[1, n]$ and
    neither overflows nor underflows to zero. A slice that is all $-\infty$ (every
    probability 0) gives $-\infty$, not nan.
    """
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # all -inf: keep it -inf, not nan
    return (x - m).exp().sum(dim=dim).log() + m.squeeze(dim)


def log_posterior(log_likelihood: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    r"""Bayes' rule in log space: $\log p(y \mid x) = \log p(x \mid y) + \log p(y) - \log p(x)$.

    ``log_likelihood`` holds $\log p(x \mid y{=}k)$ of the observed x, shape ``(..., K)``;
    ``log_prior`` holds $\log p(y)$, shape ``(K,)``. The evidence is
    $\log p(x) = \operatorname{logsumexp}_k [\log p(x \mid k) + \log p(k)]$. The result has
    the shape and dtype of ``log_likelihood``. Computed by :func:`course_lib.bayes.log_posterior`.
    """
    if log_prior.dim() != 1 or log_likelihood.dim() < 1 or log_prior.shape[0] != log_likelihood.shape[-1]:
        raise ValueError(f"log_prior must have shape (K,) and log_likelihood (..., K); got "
                         f"{tuple(log_prior.shape)} and {tuple(log_likelihood.shape)}")
    k = log_prior.shape[0]
    flat = log_likelihood.reshape(-1, k)  # (..., K) -> (N, K)
    out = bayes.log_posterior(flat, log_prior)  # float64
    return out.reshape(log_likelihood.shape).to(torch.promote_types(log_likelihood.dtype, log_prior.dtype))


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    r"""$\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)$ in nats (natural log), over the last axis.

    Terms with $p_i = 0$ contribute 0 (the limit of $t \log t$); a term with $p_i > 0$
    and $q_i = 0$ makes the divergence $+\infty$.
    """
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)


def entropy(p: torch.Tensor) -> torch.Tensor:
    r"""$H(p) = -\sum_i p_i \log p_i$ in nats, over the last axis ($0 \log 0 = 0$)."""
    return -torch.xlogy(p, p).sum(dim=-1)


def sample_categorical(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    r"""Inverse-CDF sampling: the smallest k with $F(k) > u$, for uniforms $u \in [0, 1)$.

    ``probs`` has shape ``(K,)``; ``u`` any shape; the result is a long tensor of class
    indices with the shape of ``u``. The CDF may end a rounding error below 1, so the
    index is clamped to K - 1.
    """
    cdf = probs.cumsum(dim=-1)
    index = torch.searchsorted(cdf, u.contiguous(), right=True)  # number of cdf entries <= u
    return index.clamp(max=probs.shape[-1] - 1)


def bits_per_dim(log_probs: torch.Tensor, num_dims: int) -> torch.Tensor:
    r"""Average negative log-likelihood in bits per dimension: $-\frac{1}{N}\sum_n \log p(x_n) / (D \ln 2)$.

    ``log_probs`` holds $\log p(x_n)$ in nats for N images of ``num_dims`` = D values each.
    A float64 scalar tensor; computed by :func:`course_lib.likelihood.bits_per_dim`.
    """
    return torch.tensor(likelihood.bits_per_dim(log_probs, num_dims), dtype=torch.float64)


def fit_categorical(samples: torch.Tensor, num_classes: int) -> torch.Tensor:
    r"""The maximum-likelihood categorical: $\hat p_k = n_k / N$, the class frequencies.

    ``samples`` holds class indices in ``0..num_classes-1``, any shape; the result has shape
    ``(num_classes,)`` (default float dtype), with 0 for a class never seen.
    """
    samples = samples.flatten()
    if samples.numel() == 0:
        raise ValueError("fit_categorical needs at least one sample")
    counts = torch.bincount(samples, minlength=num_classes)  # (K,)
    return counts.to(torch.get_default_dtype()) / samples.numel()


def average_nll(probs: torch.Tensor, samples: torch.Tensor) -> torch.Tensor:
    r"""$-\frac{1}{N}\sum_n \log p(x_n)$ in nats: the average negative log-likelihood of the
    samples (class indices, any shape) under the categorical ``probs`` (shape ``(K,)``)."""
    return -probs[samples].log().mean()
