"""Everything computed in float64 inside the function, then returned in the input's dtype;
torch.log2 for bits, index_add for counting."""

CELLS = {
    "a0_logsumexp": '''def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    x64 = x.double()
    m = x64.amax(dim=dim, keepdim=True).nan_to_num(neginf=0.0)
    result = m.squeeze(dim) + (x64 - m).exp().sum(dim=dim).log()
    return result.to(x.dtype)''',
    "a0_log_posterior": '''def log_posterior(log_likelihood, log_prior):
    """log p(y | x) from log p(x | y), shape (..., K), and log p(y), shape (K,)."""
    dtype = torch.promote_types(log_likelihood.dtype, log_prior.dtype)
    joint = log_likelihood.double() + log_prior.double()
    evidence = logsumexp(joint, dim=-1).unsqueeze(-1)
    return (joint - evidence).to(dtype)''',
    "a0_kl": '''def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    p64, q64 = p.double(), q.double()
    return (torch.xlogy(p64, p64) - torch.xlogy(p64, q64)).sum(-1).to(p.dtype)''',
    "a0_bits_per_dim": '''def bits_per_dim(log_probs, num_dims):
    """Average negative log-likelihood of the images, in bits per dimension."""
    log2_probs = log_probs.double() / math.log(2)  # log2 p(x)
    return (-log2_probs.mean() / num_dims).to(log_probs.dtype)''',
    "a0_fit_categorical": '''def fit_categorical(samples, num_classes):
    """The maximum-likelihood categorical for the samples: shape (num_classes,)."""
    flat = samples.reshape(-1)
    counts = torch.zeros(num_classes, dtype=torch.float64).index_add_(0, flat, torch.ones(len(flat), dtype=torch.float64))
    return (counts / len(flat)).float()''',
    "a0_average_nll": '''def average_nll(probs, samples):
    """-(1/N) sum_n log probs[x_n] in nats, over all the samples."""
    return -torch.log(probs.double()[samples.reshape(-1)]).mean().to(probs.dtype)''',
}
