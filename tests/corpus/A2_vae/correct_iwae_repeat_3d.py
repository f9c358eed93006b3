"""iwae_bound with x.repeat (the copies of the batch one after another), codes decoded as a 3-D (N, k, J)
tensor, and the prior and proposal densities from one Normal each."""
CELLS = {
    "a2_iwae": '''\
def iwae_bound(model, x, k):
    mu, logvar = model.encode(x)
    n = x.shape[0]
    std = (0.5 * logvar).exp()
    eps = torch.randn(n, k, mu.shape[1])
    z = mu[:, None, :] + std[:, None, :] * eps            # (N, k, J)
    logits = model.decode(z)                               # (N, k, D)
    log_px = -F.binary_cross_entropy_with_logits(logits, x[:, None, :].expand_as(logits),
                                                 reduction="none").sum(-1)
    log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    log_qz = torch.distributions.Normal(mu[:, None, :], std[:, None, :]).log_prob(z).sum(-1)
    return torch.logsumexp(log_px + log_pz - log_qz, dim=1) - math.log(k)
''',
}
