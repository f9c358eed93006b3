"""DCGAN built from a list of blocks in a loop (nn.ModuleList of Sequentials), nn.Unflatten
for z, nn.Flatten(0) for the logits; the generator losses as explicit sums divided by the
batch size."""

CELLS = {
    "a3_dcgan": '''class Generator(nn.Module):
    """DCGAN generator: z (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self, latent_dim=64, channels=32):
        super().__init__()
        self.latent_dim = latent_dim
        widths = [latent_dim, 4 * channels, 2 * channels]
        shapes = [(7, 1, 0), (4, 2, 1)]
        blocks = [nn.Unflatten(1, (latent_dim, 1, 1))]
        for (cin, cout), (kernel, stride, pad) in zip(zip(widths, widths[1:]), shapes):
            blocks.append(nn.Sequential(nn.ConvTranspose2d(cin, cout, kernel, stride, pad, bias=False),
                                        nn.BatchNorm2d(cout), nn.ReLU(inplace=True)))
        blocks.append(nn.Sequential(nn.ConvTranspose2d(widths[-1], 1, 4, 2, 1), nn.Tanh()))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, z):
        for block in self.blocks:
            z = block(z)
        return z


class Discriminator(nn.Module):
    """DCGAN discriminator: images (N, 1, 28, 28) -> logits (N,)."""

    def __init__(self, channels=32):
        super().__init__()
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Conv2d(1, channels, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)),
            nn.Sequential(nn.Conv2d(channels, 2 * channels, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * channels),
                          nn.LeakyReLU(0.2, inplace=True)),
            nn.Conv2d(2 * channels, 1, 7),
            nn.Flatten(0),
        ])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
''',
    "a3_g_losses": '''def saturating_generator_loss(fake_logits):
    n = fake_logits.shape[0]
    return -F.softplus(fake_logits).sum() / n


def non_saturating_generator_loss(fake_logits):
    n = fake_logits.numel()
    return F.softplus(-fake_logits).sum() / n
''',
}
