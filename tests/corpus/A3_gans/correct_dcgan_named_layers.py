"""DCGAN with named layers and functional activations (F.relu, F.leaky_relu, torch.tanh),
z reshaped with view / [:, :, None, None], and the logits taken with .view(-1)."""

CELLS = {
    "a3_dcgan": '''class Generator(nn.Module):
    """DCGAN generator: z (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self, latent_dim=64, channels=32):
        super().__init__()
        self.latent_dim = latent_dim
        c = channels
        self.fc_like = nn.ConvTranspose2d(latent_dim, 4 * c, kernel_size=7, stride=1, padding=0, bias=False)
        self.bn1 = nn.BatchNorm2d(4 * c)
        self.up1 = nn.ConvTranspose2d(4 * c, 2 * c, kernel_size=4, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * c)
        self.up2 = nn.ConvTranspose2d(2 * c, 1, kernel_size=4, stride=2, padding=1)

    def forward(self, z):
        h = F.relu(self.bn1(self.fc_like(z[:, :, None, None])))
        h = F.relu(self.bn2(self.up1(h)))
        return torch.tanh(self.up2(h))


class Discriminator(nn.Module):
    """DCGAN discriminator: images (N, 1, 28, 28) -> logits (N,)."""

    def __init__(self, channels=32):
        super().__init__()
        c = channels
        self.conv1 = nn.Conv2d(1, c, kernel_size=4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(c, 2 * c, kernel_size=4, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * c)
        self.conv3 = nn.Conv2d(2 * c, 1, kernel_size=7)

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), negative_slope=0.2)
        return self.conv3(h).view(-1)
''',
}
