"""The max found by hand (a pairwise torch.maximum loop over the axis, .max(...).values),
the -inf case handled with nan_to_num and masks, sorting for the sampler."""

CELLS = {
    "a0_logsumexp": '''def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    slices = x.unbind(dim)
    m = slices[0]
    for s in slices[1:]:
        m = torch.maximum(m, s)
    finite = torch.isfinite(m)
    shift = torch.where(finite, m, torch.zeros_like(m))
    total = torch.zeros_like(m)
    for s in slices:
        total = total + torch.exp(s - shift)
    return torch.log(total) + shift''',
    "a0_log_posterior": '''def log_posterior(log_likelihood, log_prior):
    """log p(y | x) from log p(x | y), shape (..., K), and log p(y), shape (K,)."""
    joint = log_likelihood + log_prior
    m = joint.max(dim=-1, keepdim=True).values
    evidence = m + (joint - m).exp().sum(dim=-1, keepdim=True).log()
    return joint - evidence''',
    "a0_sample": '''def sample_categorical(probs, u):
    """Class indices (long, shape of u): the smallest k with cdf[k] > u."""
    cdf = probs.cumsum(0)
    flat = u.reshape(-1)
    # sort u, walk the cdf once, put the answers back in u's order
    order = torch.argsort(flat)
    out = torch.empty(flat.shape, dtype=torch.long)
    k = 0
    for i in order.tolist():
        while k < len(cdf) - 1 and cdf[k] <= flat[i]:
            k += 1
        out[i] = k
    return out.reshape(u.shape)''',
    "a0_kl": '''def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    terms = p * (p.log() - q.log())
    terms = terms.masked_fill(p == 0, 0.0)
    return terms.sum(-1)''',
}
