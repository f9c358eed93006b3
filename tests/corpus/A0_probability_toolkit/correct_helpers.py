"""Helper functions, a module-level constant and a small class defined inside the solution
cells, used by the answer."""

CELLS = {
    "a0_logsumexp": '''def _safe_max(x, dim):
    m = torch.amax(x, dim=dim, keepdim=True)
    return torch.where(m == -math.inf, torch.zeros_like(m), m)


def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    m = _safe_max(x, dim)
    return torch.squeeze(m, dim) + torch.log(torch.sum(torch.exp(x - m), dim=dim))''',
    "a0_log_posterior": '''def _normalise_log(values):
    return values - logsumexp(values, dim=-1)[..., None]


def log_posterior(log_likelihood, log_prior):
    """log p(y | x) from log p(x | y), shape (..., K), and log p(y), shape (K,)."""
    return _normalise_log(log_likelihood + log_prior)''',
    "a0_kl": '''def _plogp(a, b):
    """a * log(b), with 0 * log(anything) = 0."""
    return torch.where(a == 0, torch.zeros_like(a), a * torch.log(b))


def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    return torch.sum(_plogp(p, p) - _plogp(p, q), dim=-1)''',
    "a0_sample": '''def _cdf(probs):
    return torch.cumsum(probs, dim=0)


class InverseCdfSampler:
    def __init__(self, probs):
        self.cdf = _cdf(probs)
        self.last = len(probs) - 1

    def sample(self, u):
        index = torch.searchsorted(self.cdf, u.reshape(-1), right=True).reshape(u.shape)
        return torch.clamp(index, max=self.last)


def sample_categorical(probs, u):
    """Class indices (long, shape of u): the smallest k with cdf[k] > u."""
    return InverseCdfSampler(probs).sample(u)''',
    "a0_bits_per_dim": '''NATS_PER_BIT = math.log(2)


def _nats_to_bits(nats):
    return nats / NATS_PER_BIT


def bits_per_dim(log_probs, num_dims):
    """Average negative log-likelihood of the images, in bits per dimension."""
    nll_per_image = -log_probs.mean()
    return _nats_to_bits(nll_per_image) / num_dims''',
}
