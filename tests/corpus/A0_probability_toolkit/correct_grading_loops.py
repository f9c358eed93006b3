"""Loops instead of vectorised code: log-sum-exp as a running ("online") maximum over the
reduced axis, one element at a time, and KL as a sum over the last axis term by term.

Different from the reference: Python loops over an axis, `movedim`, `torch.maximum`,
an explicit `torch.where` for the p = 0 terms; no `amax`, no `xlogy`.
"""
CELLS = {
    "a0_logsumexp": '''def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    x = x.movedim(dim, -1)  # the reduced axis last
    m = x[..., 0]
    s = torch.ones_like(m)
    for i in range(1, x.shape[-1]):
        xi = x[..., i]
        new_m = torch.maximum(m, xi)
        shift = torch.where(torch.isfinite(new_m), new_m, torch.zeros_like(new_m))
        s = s * torch.exp(m - shift) + torch.exp(xi - shift)
        m = new_m
    shift = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    return shift + torch.log(s * torch.exp(m - shift))
''',
    "a0_kl": '''def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    total = torch.zeros(torch.broadcast_shapes(p.shape, q.shape)[:-1], dtype=p.dtype)
    for i in range(p.shape[-1]):
        pi, qi = p[..., i], q[..., i]
        term = torch.where(pi > 0, pi * torch.log(pi / qi), torch.zeros_like(pi))
        total = total + term
    return total
''',
}
