"""Everything in log space with torch.where masks: the KL from log-probabilities, the NLL from
log(probs) gathered, the posterior with the evidence computed by the student's logsumexp over
a stacked joint; bits from log2 of e."""

CELLS = {
    "a0_logsumexp": '''def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    m, _ = torch.max(x, dim=dim, keepdim=True)
    m = m.masked_fill(torch.isneginf(m), 0)
    return torch.log(torch.exp(x - m).sum(dim)) + m.squeeze(dim)''',
    "a0_log_posterior": '''def log_posterior(log_likelihood, log_prior):
    """log p(y | x) from log p(x | y), shape (..., K), and log p(y), shape (K,)."""
    log_joint = torch.add(log_likelihood, log_prior)
    log_evidence = logsumexp(log_joint, dim=-1)
    return log_joint - log_evidence.unsqueeze(-1).expand_as(log_joint)''',
    "a0_kl": '''def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    log_p, log_q = torch.log(p), torch.log(q)
    terms = torch.where(p > 0, p * (log_p - log_q), torch.zeros_like(p))
    return terms.sum(-1)''',
    "a0_bits_per_dim": '''def bits_per_dim(log_probs, num_dims):
    """Average negative log-likelihood of the images, in bits per dimension."""
    return -log_probs.mean() * math.log2(math.e) / num_dims''',
    "a0_average_nll": '''def average_nll(probs, samples):
    """-(1/N) sum_n log probs[x_n] in nats, over all the samples."""
    log_probs = probs.log()
    return -log_probs.take(samples).mean()''',
}
