"""torch.distributions and torch.nn.functional instead of formulas written out: Categorical's
normalised logits for Bayes' rule, its KL for KL, one_hot for counting, gather for the NLL."""

CELLS = {
    "a0_log_posterior": '''def log_posterior(log_likelihood, log_prior):
    """log p(y | x) from log p(x | y), shape (..., K), and log p(y), shape (K,)."""
    # Categorical normalises its logits: logits - logsumexp(logits)
    return torch.distributions.Categorical(logits=log_likelihood + log_prior).logits''',
    "a0_kl": '''def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    P = torch.distributions.Categorical(probs=p)
    Q = torch.distributions.Categorical(probs=q)
    return torch.distributions.kl_divergence(P, Q)''',
    "a0_fit_categorical": '''def fit_categorical(samples, num_classes):
    """The maximum-likelihood categorical for the samples: shape (num_classes,)."""
    one_hot = torch.nn.functional.one_hot(samples.flatten(), num_classes)
    return one_hot.float().mean(dim=0)''',
    "a0_average_nll": '''def average_nll(probs, samples):
    """-(1/N) sum_n log probs[x_n] in nats, over all the samples."""
    flat = samples.flatten()
    picked = torch.gather(probs, 0, flat)
    return -torch.log(picked).mean()''',
}
