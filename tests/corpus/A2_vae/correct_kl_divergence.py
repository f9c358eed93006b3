"""gaussian_kl with torch.distributions.kl_divergence between Normal(mu, std) and Normal(0, 1), summed over the last axis."""
CELLS = {
    "a2_gaussian_kl": '''\
import torch.distributions as D


def gaussian_kl(mu, logvar):
    q = D.Normal(mu, logvar.mul(0.5).exp())
    prior = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return D.kl_divergence(q, prior).sum(-1)
''',
}
