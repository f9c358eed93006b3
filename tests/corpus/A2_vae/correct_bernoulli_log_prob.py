"""negative_elbo with torch.distributions.Bernoulli(logits=...).log_prob(x) for the reconstruction term, the KL
inline, and the reduction through a dictionary."""
CELLS = {
    "a2_negative_elbo": '''\
from torch.distributions import Bernoulli


def negative_elbo(x, logits, mu, logvar, reduction="mean"):
    reconstruction = -Bernoulli(logits=logits).log_prob(x).sum(dim=1)
    kl = 0.5 * torch.sum(mu.pow(2) + logvar.exp() - logvar - 1, dim=1)
    loss = reconstruction + kl
    return {"none": lambda t: t, "mean": torch.mean, "sum": torch.sum}[reduction](loss)
''',
}
