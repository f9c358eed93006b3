r"""The GAN optimum, computed exactly on distributions small enough to list (notebook 06).

The lecture's proof that the minimax game is won by $p_g = p_\text{data}$, one line at a
time; each function here is one ingredient, so a notebook can print both sides of
every step on a discrete (or discretised 1-D) pair of distributions:

1. change of variables: $\mathbb{E}_{z}[\log(1-D(G(z)))] = \mathbb{E}_{x\sim p_g}[\log(1-D(x))]$;
2. exchange max and integral: $\max_D \int p_\text{data}\log D + p_g \log(1-D)\,dx
   = \int \max_y\,[\,p_\text{data}(x)\log y + p_g(x)\log(1-y)\,]\,dx$;
3. the side computation: $f(y) = a\log y + b\log(1-y)$ is maximised at $y = a/(a+b)$
   (:func:`maximiser_of_a_log_y_plus_b_log_1_minus_y`);
4. so $D^*_G(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))$ (:func:`optimal_discriminator`);
5. $V(G, D^*_G) = \mathrm{KL}(p_\text{data}\|m) + \mathrm{KL}(p_g\|m) - \log 4$ with
   $m = (p_\text{data}+p_g)/2$, i.e. $-\log 4 + 2\,\mathrm{JSD}(p_\text{data}\|p_g)$
   (:func:`value`, :func:`kl_divergence`, :func:`jensen_shannon`);
6. JSD $\ge 0$ with equality only when the two are equal: the unique minimum is at
   $p_g = p_\text{data}$, where $D^* = 1/2$ and $V = -\log 4$.

All functions take probability vectors (non-negative, summing to 1 along the last
axis) and work in float64, in nats.
"""
from __future__ import annotations

import math

import torch

__all__ = ["as_distribution", "discretize", "kl_divergence", "jensen_shannon",
           "maximiser_of_a_log_y_plus_b_log_1_minus_y", "optimal_discriminator", "value",
           "optimal_value"]

LOG4 = math.log(4.0)


def as_distribution(p, name: str = "p") -> torch.Tensor:
    """``p`` as a float64 probability vector, or a ValueError saying what is wrong (notebook 06)."""
    p = torch.as_tensor(p, dtype=torch.float64)
    if p.dim() == 0 or p.shape[-1] == 0:
        raise ValueError(f"{name} must be a probability vector with at least one entry, got shape {tuple(p.shape)}")
    if not torch.isfinite(p).all() or (p < 0).any():
        raise ValueError(f"{name} must be non-negative and finite")
    if not torch.allclose(p.sum(-1), torch.ones((), dtype=torch.float64), atol=1e-6):
        raise ValueError(f"{name} must sum to 1 along its last axis, got sums {p.sum(-1).tolist()}")
    return p


def _pair(p, q, names=("p", "q")):
    p, q = as_distribution(p, names[0]), as_distribution(q, names[1])
    if p.shape != q.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {tuple(p.shape)} and {tuple(q.shape)}")
    return p, q


def discretize(density, edges: torch.Tensor) -> torch.Tensor:
    """A 1-D density as probabilities of the bins between ``edges`` (midpoint rule, renormalised).

    ``density`` is a function x -> p(x) (e.g. ``GaussianMixture.prob``); the result is a
    probability vector with one entry per bin (notebook 06).
    """
    edges = torch.as_tensor(edges, dtype=torch.float64)
    if edges.dim() != 1 or len(edges) < 2 or not (edges[1:] > edges[:-1]).all():
        raise ValueError("edges must be an increasing 1-D tensor with at least 2 entries")
    mids = (edges[1:] + edges[:-1]) / 2
    mass = torch.as_tensor(density(mids), dtype=torch.float64) * (edges[1:] - edges[:-1])
    if (mass < 0).any() or mass.sum() <= 0:
        raise ValueError("the density must be non-negative with some mass inside the edges")
    return mass / mass.sum()


def kl_divergence(p, q) -> torch.Tensor:
    r"""$\mathrm{KL}(p\|q) = \sum_x p(x)\log\frac{p(x)}{q(x)}$ in nats (notebook 06).

    $0 \log 0 = 0$; the result is $+\infty$ where $q(x) = 0 < p(x)$.
    """
    p, q = _pair(p, q)
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1)


def jensen_shannon(p, q) -> torch.Tensor:
    r"""$\mathrm{JSD}(p\|q) = \tfrac12\mathrm{KL}(p\|m) + \tfrac12\mathrm{KL}(q\|m)$, $m = \tfrac12(p+q)$ (notebook 06).

    Symmetric, between 0 (only when p = q) and $\log 2$ (disjoint supports); always
    finite, unlike KL.
    """
    p, q = _pair(p, q)
    m = (p + q) / 2
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def maximiser_of_a_log_y_plus_b_log_1_minus_y(a, b) -> torch.Tensor:
    r"""The lecture's side computation: $\arg\max_{y\in[0,1]} a\log y + b\log(1-y) = \frac{a}{a+b}$ (notebook 06).

    $f'(y) = a/y - b/(1-y) = 0 \iff y = a/(a+b)$, and $f'' < 0$, so it is the maximum.
    Needs $a, b \ge 0$ with $a + b > 0$.
    """
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if (a < 0).any() or (b < 0).any() or ((a + b) <= 0).any():
        raise ValueError("a and b must be non-negative and not both zero")
    return a / (a + b)


def optimal_discriminator(p_data, p_g) -> torch.Tensor:
    r"""$D^*_G(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}$ for every x (notebook 06).

    Where both are 0, no term of $V$ depends on $D(x)$; we return 1/2 there.
    """
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(1e-300), torch.full_like(total, 0.5))


def value(p_data, p_g, d) -> torch.Tensor:
    r"""$V(G, D) = \sum_x p_\text{data}(x)\log D(x) + p_g(x)\log(1 - D(x))$ (notebook 06).

    The minimax objective after the change of variables, with the expectations written
    out as sums. ``d`` holds D(x) in [0, 1] for every x.
    """
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    d = torch.as_tensor(d, dtype=torch.float64)
    if d.shape != p_data.shape or (d < 0).any() or (d > 1).any():
        raise ValueError(f"d must hold values in [0, 1] with shape {tuple(p_data.shape)}")
    return (torch.xlogy(p_data, d) + torch.xlogy(p_g, 1 - d)).sum(-1)


def optimal_value(p_data, p_g) -> torch.Tensor:
    r"""$\max_D V(G, D) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\|p_g)$, computed as $V(G, D^*_G)$ (notebook 06)."""
    return value(p_data, p_g, optimal_discriminator(p_data, p_g))
