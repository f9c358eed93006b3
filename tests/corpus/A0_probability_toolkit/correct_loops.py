"""Plain Python loops instead of vectorised tensor code: one row, one sample, one class at a time."""

CELLS = {
    "a0_logsumexp": '''def logsumexp(x, dim=-1):
    """log(sum(exp(x))) over `dim`, stable for very large and very small x."""
    moved = x.movedim(dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    results = []
    for row in rows:
        values = row.tolist()
        m = max(values)
        if m == -math.inf:
            results.append(-math.inf)
            continue
        total = 0.0
        for v in values:
            total += math.exp(v - m)
        results.append(m + math.log(total))
    return torch.tensor(results, dtype=x.dtype).reshape(moved.shape[:-1])''',
    "a0_log_posterior": '''def log_posterior(log_likelihood, log_prior):
    """log p(y | x) from log p(x | y), shape (..., K), and log p(y), shape (K,)."""
    joint = log_likelihood + log_prior
    flat = joint.reshape(-1, joint.shape[-1])
    out = torch.empty_like(flat)
    for i in range(flat.shape[0]):
        out[i] = flat[i] - logsumexp(flat[i], dim=0)
    return out.reshape(joint.shape)''',
    "a0_kl": '''def kl_divergence(p, q):
    """KL(p || q) in nats over the last axis; terms with p = 0 count as 0."""
    k = p.shape[-1]
    p_rows, q_rows = p.reshape(-1, k), q.reshape(-1, k)
    out = []
    for p_row, q_row in zip(p_rows.tolist(), q_rows.tolist()):
        total = 0.0
        for pi, qi in zip(p_row, q_row):
            if pi == 0:
                continue
            if qi == 0:
                total = math.inf
                break
            total += pi * (math.log(pi) - math.log(qi))
        out.append(total)
    return torch.tensor(out, dtype=p.dtype).reshape(p.shape[:-1])''',
    "a0_sample": '''def sample_categorical(probs, u):
    """Class indices (long, shape of u): the smallest k with cdf[k] > u."""
    cdf = probs.cumsum(dim=-1).tolist()
    last = len(cdf) - 1
    out = []
    for value in u.flatten().tolist():
        k = 0
        while k < last and cdf[k] <= value:
            k += 1
        out.append(k)
    return torch.tensor(out, dtype=torch.long).reshape(u.shape)''',
    "a0_bits_per_dim": '''def bits_per_dim(log_probs, num_dims):
    """Average negative log-likelihood of the images, in bits per dimension."""
    total = 0.0
    for value in log_probs.tolist():
        total += -value
    return torch.tensor(total / len(log_probs) / num_dims / math.log(2))''',
    "a0_fit_categorical": '''def fit_categorical(samples, num_classes):
    """The maximum-likelihood categorical for the samples: shape (num_classes,)."""
    counts = [0] * num_classes
    values = samples.flatten().tolist()
    for s in values:
        counts[s] += 1
    return torch.tensor([c / len(values) for c in counts])''',
    "a0_average_nll": '''def average_nll(probs, samples):
    """-(1/N) sum_n log probs[x_n] in nats, over all the samples."""
    values = samples.flatten().tolist()
    total = 0.0
    for s in values:
        p = probs[s].item()
        total += math.inf if p == 0 else -math.log(p)
    return torch.tensor(total / len(values))''',
}
