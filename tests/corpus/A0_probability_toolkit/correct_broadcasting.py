"""Broadcast comparisons instead of library search and counting functions."""

CELLS = {
    "a0_sample": '''def sample_categorical(probs, u):
    """Class indices (long, shape of u): the smallest k with cdf[k] > u."""
    cdf = torch.cumsum(probs, dim=-1)              # (K,)
    below = (cdf <= u.unsqueeze(-1))               # (..., K): entries with F(k) <= u
    return below.sum(dim=-1).clamp(max=probs.numel() - 1).long()''',
    "a0_fit_categorical": '''def fit_categorical(samples, num_classes):
    """The maximum-likelihood categorical for the samples: shape (num_classes,)."""
    classes = torch.arange(num_classes)
    matches = samples.reshape(-1, 1) == classes    # (N, K)
    return matches.float().sum(0) / matches.shape[0]''',
    "a0_average_nll": '''def average_nll(probs, samples):
    """-(1/N) sum_n log probs[x_n] in nats, over all the samples."""
    one_hot = samples.reshape(-1, 1) == torch.arange(len(probs))   # (N, K)
    log_q = torch.where(one_hot, probs.log(), torch.zeros_like(probs))
    return -log_q.sum() / one_hot.shape[0]''',
    "a0_kl": '''def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    ratio = torch.where(p > 0, p / q, torch.ones_like(p))
    return (p * torch.log(ratio)).sum(dim=-1)''',
}
