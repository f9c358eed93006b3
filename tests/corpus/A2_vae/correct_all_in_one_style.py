"""Every exercise in a compact style: torch.randn with the shape of mu and sqrt(exp(logvar)); the KL via
torch.sum with keyword dim; negative_elbo through F.binary_cross_entropy_with_logits(reduction="sum") per
example in a loop-free way (sum over pixels with a reshape); iwae_bound with torch.no_grad as a decorator."""
CELLS = {
    "a2_reparameterize": '''\
def reparameterize(mu, logvar):
    return mu + torch.sqrt(torch.exp(logvar)) * torch.randn(mu.shape)
''',
    "a2_gaussian_kl": '''\
def gaussian_kl(mu, logvar):
    return 0.5 * torch.sum(torch.exp(logvar) + mu ** 2 - 1 - logvar, dim=-1)
''',
    "a2_negative_elbo": '''\
def negative_elbo(x, logits, mu, logvar, reduction="mean"):
    n = x.shape[0]
    bce = F.binary_cross_entropy_with_logits(logits.reshape(n, -1), x.reshape(n, -1), reduction="none")
    total = bce.sum(dim=1) - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
    if reduction == "none":
        return total
    return total.sum() / n if reduction == "mean" else total.sum()
''',
    "a2_iwae": '''\
@torch.no_grad()
def iwae_bound(model, x, k):
    mu, logvar = model.encode(x)
    samples = []
    for i in range(k):
        z = reparameterize(mu, logvar)
        log_px = -F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="none").sum(-1)
        log_pz = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)
        samples.append(log_px + log_pz - log_qz)
    return torch.logsumexp(torch.stack(samples), 0) - math.log(k)
''',
}
