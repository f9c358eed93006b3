"""The VAE with nn.Sequential blocks and one 400 -> 40 head split with torch.chunk into mu and logvar (the same
parameters as two 400 -> 20 heads); forward samples inline with the trick instead of calling reparameterize."""
CELLS = {
    "a2_vae": '''\
class VAE(nn.Module):
    def __init__(self, pixels=784, hidden=400, latent=20):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, pixels))

    def encode(self, x):
        mu, logvar = torch.chunk(self.enc(x), 2, dim=-1)
        return mu, logvar

    def decode(self, z):
        return self.dec(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(logvar / 2)
        return self.decode(z), mu, logvar
''',
}
