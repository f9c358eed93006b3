"""The VAE built from helper classes Encoder and Decoder (nn.Modules with nn.Sequential inside); the
VAE's encode and decode delegate to them. (A helper written `class Encoder(object)` is refused by the
grader's screen, which forbids the name `object`; a plain `class Helper:` is fine.)"""
CELLS = {
    "a2_vae": '''\
class Encoder(nn.Module):
    def __init__(self, pixels, hidden, latent):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    def __init__(self, latent, hidden, pixels):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, pixels))

    def forward(self, z):
        return self.net(z)


class Sizes:
    """A plain helper class (no base class)."""

    def __init__(self, pixels, hidden, latent):
        self.pixels, self.hidden, self.latent = pixels, hidden, latent


class VAE(nn.Module):
    def __init__(self, pixels=784, hidden=400, latent=20):
        super().__init__()
        self.sizes = Sizes(pixels, hidden, latent)
        self.encoder = Encoder(pixels, hidden, latent)
        self.decoder = Decoder(latent, hidden, pixels)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return self.decode(z), mu, logvar
''',
}
