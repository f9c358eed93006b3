"""Helpers and a small class inside the solution cells, `class ...(object)` with
`super().__init__()`, private names the cell defines itself, `x.type(...)`, the math
module, and `torch.special.entr` for the p log p part of KL.

Different from the reference: the work is split across helper functions and a reducer
object; log-sum-exp shifts by the max through `math`-free tensor code and `keepdim`
bookkeeping; KL is written as cross-entropy minus entropy.
"""
CELLS = {
    "a0_logsumexp": '''class _Reducer(object):
    """Reduces one axis of a tensor."""

    def __init__(self, dim):
        super().__init__()
        self._dim = dim

    def max_keep(self, x):
        m = x.max(dim=self._dim, keepdim=True).values
        return torch.where(torch.isinf(m), torch.zeros_like(m), m)  # all -inf (or +inf): no shift

    def __call__(self, x):
        m = self.max_keep(x)
        total = torch.sum(torch.exp(x - m), dim=self._dim, keepdim=True)
        return (torch.log(total) + m).squeeze(self._dim)


def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    x = x.type(x.dtype)  # keep the caller's dtype
    return _Reducer(dim)(x)
''',
    "a0_kl": '''def _cross_entropy(p, q):
    # - sum p log q, with 0 * log(anything) = 0
    safe = torch.where(p > 0, torch.log(q), torch.zeros_like(q))
    return -(p * safe).sum(dim=-1)


def _entropy(p):
    return torch.special.entr(p).sum(dim=-1)  # entr(t) = -t log t, and 0 at t = 0


def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    return _cross_entropy(p, q) - _entropy(p)
''',
}
