"""The probability toolkit: tested reference versions of what assignment A0 asks for.

Taught in assignment A0 (``solutions/A0_probability_toolkit``). The check cells of
A0 compare a student's function against these; later notebooks may use them freely.
Every function works on the last axis and broadcasts over leading (batch) axes.
"""
from __future__ import annotations

import torch


def posterior(prior: torch.Tensor, likelihood: torch.Tensor) -> torch.Tensor:
    r"""Bayes' rule: $p(y \mid x) = p(x \mid y)\,p(y) / \sum_{y'} p(x \mid y')\,p(y')$.

    ``prior`` holds $p(y)$ over K classes, shape ``(K,)``; ``likelihood`` holds
    $p(x \mid y)$ of the observed x for each class, shape ``(..., K)``. The
    denominator is the evidence $p(x)$.
    """
    if prior.shape[-1] != likelihood.shape[-1]:
        raise ValueError(f"prior has {prior.shape[-1]} classes but likelihood has {likelihood.shape[-1]}")
    joint = prior * likelihood  # p(x, y), shape (..., K)
    return joint / joint.sum(dim=-1, keepdim=True)


def logsumexp(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    r"""$\log \sum_i e^{x_i}$ without overflow: $m + \log \sum_i e^{x_i - m}$ with $m = \max_i x_i$.

    After the shift the largest term is $e^0 = 1$, so the sum lies in $[1, n]$ and
    neither overflows nor underflows to zero. A slice that is all $-\infty$ gives $-\infty$.
    """
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # all -inf: keep it -inf, not nan
    return (x - m).exp().sum(dim=dim).log() + m.squeeze(dim)


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    r"""$\mathrm{KL}(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)$ in nats (natural log).

    Terms with $p_i = 0$ contribute 0 (the limit of $t \log t$); a term with $p_i > 0$
    and $q_i = 0$ makes the divergence $+\infty$.
    """
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)


def sample_categorical(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    r"""Inverse-CDF sampling: the smallest k with $F(k) > u$, for uniforms $u \in [0, 1)$.

    ``probs`` has shape ``(K,)``; ``u`` any shape; the result is a long tensor of class
    indices with the shape of ``u``. The CDF may end a rounding error below 1, so the
    index is clamped to K - 1.
    """
    cdf = probs.cumsum(dim=-1)
    index = torch.searchsorted(cdf, u.contiguous(), right=True)  # number of cdf entries <= u
    return index.clamp(max=probs.shape[-1] - 1)
