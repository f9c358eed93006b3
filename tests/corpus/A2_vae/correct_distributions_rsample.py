"""reparameterize with torch.distributions: Normal(mu, std).rsample() (the library's own reparameterised sample)."""
CELLS = {
    "a2_reparameterize": '''\
from torch.distributions import Normal


def reparameterize(mu, logvar):
    """A sample z ~ N(mu, exp(logvar)) that gradients pass through."""
    return Normal(mu, torch.exp(0.5 * logvar)).rsample()
''',
}
