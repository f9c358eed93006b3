"""iwae_bound vectorised as one flat batch of N*k codes (repeat_interleave: the k codes of an image are
neighbours), Gaussian log-densities written out by hand in a helper defined inside the cell."""
CELLS = {
    "a2_iwae": '''\
LOG_2PI = math.log(2 * math.pi)


def log_normal(z, mu, logvar):
    return -0.5 * (LOG_2PI + logvar + (z - mu) ** 2 / logvar.exp()).sum(-1)


def iwae_bound(model, x, k):
    mu, logvar = model.encode(x)
    mu_k, logvar_k = mu.repeat_interleave(k, dim=0), logvar.repeat_interleave(k, dim=0)   # (N*k, J)
    x_k = x.repeat_interleave(k, dim=0)
    z = reparameterize(mu_k, logvar_k)
    logits = model.decode(z)
    log_px = -F.binary_cross_entropy_with_logits(logits, x_k, reduction="none").sum(-1)
    log_w = log_px + log_normal(z, torch.zeros_like(z), torch.zeros_like(z)) - log_normal(z, mu_k, logvar_k)
    return torch.logsumexp(log_w.view(len(x), k), dim=1) - math.log(k)
''',
}
