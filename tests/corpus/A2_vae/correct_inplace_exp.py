"""std computed as logvar.mul(0.5).exp_() (pytorch/examples' old style, in place on a new tensor), eps with
torch.empty_like(...).normal_(); the KL written with explicit variance and log terms."""
CELLS = {
    "a2_reparameterize": '''\
def reparameterize(mu, logvar):
    std = logvar.mul(0.5).exp_()
    eps = torch.empty_like(std).normal_()
    return eps.mul(std).add_(mu)
''',
    "a2_gaussian_kl": '''\
def gaussian_kl(mu, logvar):
    var = torch.exp(logvar)
    per_dim = 0.5 * (var + mu * mu - 1.0 - logvar)
    return torch.sum(per_dim, dim=1)
''',
}
