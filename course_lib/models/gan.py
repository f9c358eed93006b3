r"""Generative adversarial networks: the losses, the two players, and the alternating updates.

Taught in notebook 06 (lecture 6). The generator $G$ turns noise $z \sim p(z)$ into a
sample $G(z)$; the discriminator $D$ says how likely an input is to be real. They play

$$\min_G \max_D\; V(G, D) = \mathbb{E}_{x\sim p_\text{data}}[\log D(x)]
  + \mathbb{E}_{z\sim p(z)}[\log(1 - D(G(z)))].$$

Every discriminator here returns a **logit** $\ell$ with $D = \sigma(\ell)$, and the
losses take logits: $-\log\sigma(\ell) = \mathrm{softplus}(-\ell)$ and
$-\log(1-\sigma(\ell)) = \mathrm{softplus}(\ell)$ never overflow, while
``log(sigmoid(l))`` gives ``-inf`` once $\ell < -104$ in float32.

In this file, in the lecture's order:

1. the losses: :func:`discriminator_loss`, :func:`saturating_generator_loss` (the
   minimax one) and :func:`non_saturating_generator_loss` (the one used in practice);
2. the players: an MLP pair for 1-D/2-D toy data, a DCGAN pair for 28x28 digits, and a
   class-conditional generator with conditional batch normalisation;
3. training: :func:`discriminator_step`, :func:`generator_step` and
   :func:`training_step` (k discriminator steps, then one generator step), run by
   ``course_lib.train.fit`` through :func:`train_gan`.
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["discriminator_loss", "saturating_generator_loss", "non_saturating_generator_loss",
           "GENERATOR_LOSSES", "MLPGenerator", "MLPDiscriminator", "DCGANGenerator",
           "DCGANDiscriminator", "append_minibatch_std", "dcgan_init_", "ConditionalBatchNorm2d", "ConditionalDCGANGenerator",
           "ConditionalDCGANDiscriminator", "GAN", "discriminator_step", "generator_step",
           "training_step", "make_optimizers", "GeneratorAverage", "train_gan", "sample", "to_unit"]


# --- 1. the losses, on logits ----------------------------------------------------------------

def _logits(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"{name} must be a float tensor of discriminator logits, got "
                         f"{getattr(x, 'dtype', type(x).__name__)}")
    if x.dim() == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 1 or len(x) == 0:
        raise ValueError(f"{name} must have shape (N,) or (N, 1) with N >= 1, got {tuple(x.shape)}")
    return x


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, *,
                       real_label: float = 1.0) -> torch.Tensor:
    r"""$-\mathbb{E}_x[\log D(x)] - \mathbb{E}_z[\log(1 - D(G(z)))]$: minus $V$, minimised by D (notebook 06).

    Real inputs are labelled 1 and fakes 0: this is the binary cross-entropy of a
    real-versus-fake classifier, $\mathrm{softplus}(-\ell_\text{real}) +
    \mathrm{softplus}(\ell_\text{fake})$ averaged over each batch. Its value when D
    cannot tell at all ($\ell = 0$ everywhere) is $2\log 2$.

    ``real_label`` < 1 is *one-sided label smoothing* (Salimans et al., 2016, "Improved
    techniques for training GANs", section 3.4): the real examples get the target
    $\alpha$ instead of 1, i.e. $\alpha\,\mathrm{softplus}(-\ell) + (1-\alpha)\,\mathrm{softplus}(\ell)$,
    so D is never rewarded for ever more confident "real" verdicts; the fakes keep the
    target 0. The default, 1, is the loss of the minimax game.
    """
    real_logits, fake_logits = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    if not 0.5 < real_label <= 1.0:
        raise ValueError(f"real_label must lie in (0.5, 1], got {real_label!r}")
    real_term = F.softplus(-real_logits)
    if real_label != 1.0:
        real_term = real_label * real_term + (1 - real_label) * F.softplus(real_logits)
    return real_term.mean() + F.softplus(fake_logits).mean()


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$\mathbb{E}_z[\log(1 - D(G(z)))]$, minimised by G: the minimax loss (notebook 06).

    $= -\mathrm{softplus}(\ell)$. Its gradient with respect to the logit is
    $-\sigma(\ell) = -D$: when D easily spots the fakes (D(G(z)) near 0, the start of
    training), the generator gets almost no gradient. It *saturates*.
    """
    return -F.softplus(_logits(fake_logits, "fake_logits")).mean()


def non_saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""$-\mathbb{E}_z[\log D(G(z))]$, minimised by G: the loss used in practice (notebook 06).

    $= \mathrm{softplus}(-\ell)$, the cross-entropy of the fakes labelled *real*. Its
    gradient with respect to the logit is $-(1 - D)$: largest exactly when D rejects
    the fakes. Same goal (fakes judged real), better gradients at the start.
    """
    return F.softplus(-_logits(fake_logits, "fake_logits")).mean()


GENERATOR_LOSSES: dict[str, Callable] = {"saturating": saturating_generator_loss,
                                         "non-saturating": non_saturating_generator_loss}


# --- 2. the players --------------------------------------------------------------------------

class MLPGenerator(nn.Module):
    """z (N, latent_dim) -> x (N, data_dim): a small MLP for 1-D and 2-D toy data (notebook 06)."""

    def __init__(self, latent_dim: int = 2, data_dim: int = 1, hidden: int = 64, layers: int = 2):
        super().__init__()
        if min(latent_dim, data_dim, hidden, layers) < 1:
            raise ValueError("latent_dim, data_dim, hidden and layers must all be >= 1")
        self.latent_dim, self.data_dim = latent_dim, data_dim
        blocks, width = [], latent_dim
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        self.net = nn.Sequential(*blocks, nn.Linear(width, data_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"the generator expects z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """x (N, data_dim) (or (N,) in 1-D) -> logits (N,): the toy discriminator (notebook 06)."""

    def __init__(self, data_dim: int = 1, hidden: int = 64, layers: int = 2):
        super().__init__()
        if min(data_dim, hidden, layers) < 1:
            raise ValueError("data_dim, hidden and layers must all be >= 1")
        self.data_dim = data_dim
        blocks, width = [], data_dim
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        self.net = nn.Sequential(*blocks, nn.Linear(width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 1 and self.data_dim == 1:
            x = x[:, None]
        if x.dim() != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"the discriminator expects x of shape (N, {self.data_dim}), got {tuple(x.shape)}")
        return self.net(x)[:, 0]                                          # (N,)


def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN's initialisation (notebook 06): convolution weights ~ N(0, 0.02), batch norm scales ~ N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and not m.weight.is_meta:
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine and not m.weight.is_meta:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def _check_latent(z: torch.Tensor, latent_dim: int) -> torch.Tensor:
    if z.dim() == 4 and z.shape[2:] == (1, 1):
        z = z.flatten(1)
    if z.dim() != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"the generator expects z of shape (N, {latent_dim}), got {tuple(z.shape)}")
    return z


def _check_digits(x: torch.Tensor) -> None:
    if x.dim() != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"the discriminator expects images of shape (N, 1, 28, 28), got {tuple(x.shape)}")


class DCGANGenerator(nn.Module):
    r"""z (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1], following DCGAN's guidelines (notebook 06).

    Fractionally strided (transposed) convolutions upsample 1x1 -> 7x7 -> 14x14 -> 28x28;
    batch norm after every layer but the last; ReLU inside, tanh at the output. No
    pooling, no fully connected hidden layer (the first transposed convolution of a
    1x1 input is the "projection" of z). Weights start as DCGAN's: N(0, 0.02).
    """

    def __init__(self, latent_dim: int = 64, channels: int = 32):
        super().__init__()
        self.latent_dim, c = latent_dim, channels
        self.project = nn.ConvTranspose2d(latent_dim, 4 * c, 7, 1, 0, bias=False)   # (N, 4c, 7, 7)
        self.norm1 = nn.BatchNorm2d(4 * c)
        self.up1 = nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False)            # (N, 2c, 14, 14)
        self.norm2 = nn.BatchNorm2d(2 * c)
        self.up2 = nn.ConvTranspose2d(2 * c, 1, 4, 2, 1)                            # (N, 1, 28, 28)
        dcgan_init_(self)

    def normalize(self, layer: int, h: torch.Tensor, labels=None) -> torch.Tensor:
        return (self.norm1 if layer == 1 else self.norm2)(h)

    def project_latent(self, z: torch.Tensor, labels=None) -> torch.Tensor:
        return self.project(z[:, :, None, None])                                   # (N, 4c, 7, 7)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = _check_latent(z, self.latent_dim)
        h = F.relu(self.normalize(1, self.project_latent(z, labels), labels))
        h = F.relu(self.normalize(2, self.up1(h), labels))
        return torch.tanh(self.up2(h))


class DCGANDiscriminator(nn.Module):
    r"""images (N, 1, 28, 28) in [-1, 1] -> logits (N,), following DCGAN's guidelines (notebook 06).

    Strided convolutions downsample 28 -> 14 -> 7 instead of pooling; LeakyReLU(0.2)
    everywhere; batch norm on the hidden layer (not on the input layer, as in DCGAN);
    a 7x7 convolution gives one logit per image.
    """

    def __init__(self, channels: int = 32, minibatch_std: bool = False):
        super().__init__()
        c = channels
        self.minibatch_std = minibatch_std
        self.down1 = nn.Conv2d(1, c, 4, 2, 1)                                       # (N, c, 14, 14)
        self.down2 = nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False)                       # (N, 2c, 7, 7)
        self.norm2 = nn.BatchNorm2d(2 * c)
        self.out = nn.Conv2d(2 * c + int(minibatch_std), 1, 7, 1, 0)               # (N, 1, 1, 1)
        dcgan_init_(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        _check_digits(x)
        h = F.leaky_relu(self.down1(x), 0.2)
        return F.leaky_relu(self.norm2(self.down2(h)), 0.2)                        # (N, 2c, 7, 7)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)
        if self.minibatch_std:
            h = append_minibatch_std(h)
        return self.out(h).flatten()                                                # (N,)


def append_minibatch_std(h: torch.Tensor) -> torch.Tensor:
    r"""(N, C, H, W) -> (N, C+1, H, W): one more channel holding the batch's spread (notebook 06).

    The standard deviation of every feature over the batch, averaged to one number and
    given to every example as a constant extra channel (Karras et al., 2018, "Progressive
    growing of GANs", section 3, with one group: the whole batch). A generator that makes
    too little variety gives its batches a smaller spread than real batches have, and the
    discriminator can now see that and penalise it.
    """
    spread = h.std(dim=0, unbiased=False).mean() if len(h) > 1 else h.new_zeros(())
    return torch.cat([h, spread.expand(len(h), 1, *h.shape[2:])], dim=1)


class ConditionalBatchNorm2d(nn.Module):
    r"""Batch norm whose scale and shift are chosen by the class label (notebook 06).

    $\mathrm{CBN}(h, y) = \gamma_y \cdot \frac{h - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta_y$:
    the normalisation is ordinary batch norm; instead of one learned $(\gamma, \beta)$
    there is one pair per class, looked up from the label. That is how the label
    enters the generator.
    """

    def __init__(self, num_features: int, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.norm = nn.BatchNorm2d(num_features, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        if not self.gamma.weight.is_meta:
            nn.init.ones_(self.gamma.weight)
            nn.init.zeros_(self.beta.weight)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if labels is None:
            raise ValueError("conditional batch norm needs the class labels")
        if labels.dim() != 1 or len(labels) != len(h) or labels.dtype != torch.long:
            raise ValueError(f"labels must be int64 of shape ({len(h)},), got {labels.dtype} "
                             f"{tuple(labels.shape)}")
        gamma = self.gamma(labels)[:, :, None, None]                                # (N, C, 1, 1)
        beta = self.beta(labels)[:, :, None, None]
        return gamma * self.norm(h) + beta


class ConditionalDCGANGenerator(DCGANGenerator):
    r"""(z, label) -> image: the DCGAN generator with conditional batch norm (notebook 06).

    The label enters twice. In every batch norm (:class:`ConditionalBatchNorm2d`: a scale
    and shift per class), and in the first layer: a learned (4c, 7, 7) map per class is
    added to the projection of $z$, which is the same as feeding the one-hot label
    alongside $z$ (Mirza and Osindero's conditional GAN). Measured here (issue 10,
    docs/gan_tuning.md): with conditional batch norm alone the per-class scales and
    shifts grew so slowly under Adam's small steps that after 12 epochs the samples still
    ignored the label (about 11 % recognised as asked, chance level); the first-layer
    map gives the label a strong path from the first step.
    """

    def __init__(self, latent_dim: int = 64, channels: int = 32, num_classes: int = 10):
        super().__init__(latent_dim, channels)
        self.num_classes = num_classes
        self.label_map = nn.ConvTranspose2d(num_classes, 4 * channels, 7, 1, 0, bias=False)  # (N, 4c, 7, 7)
        if not self.label_map.weight.is_meta:
            nn.init.normal_(self.label_map.weight, 0.0, 0.02)                  # DCGAN's initialisation
        self.norm1 = ConditionalBatchNorm2d(4 * channels, num_classes)
        self.norm2 = ConditionalBatchNorm2d(2 * channels, num_classes)

    def project_latent(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        one_hot = F.one_hot(labels, self.num_classes).to(z.dtype)[:, :, None, None]  # (N, classes, 1, 1)
        return self.project(z[:, :, None, None]) + self.label_map(one_hot)

    def normalize(self, layer: int, h: torch.Tensor, labels=None) -> torch.Tensor:
        return (self.norm1 if layer == 1 else self.norm2)(h, labels)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("the conditional generator needs labels: G(z, y)")
        if not labels.is_meta and len(labels) and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f"labels must lie in [0, {self.num_classes - 1}]")
        return super().forward(z, labels)


class ConditionalDCGANDiscriminator(DCGANDiscriminator):
    r"""(image, label) -> logit, by projection: $\ell = w^\top h + e_y^\top h$ (notebook 06).

    $h$ is the whole (2c, 7, 7) feature map of the DCGAN discriminator, flattened: the
    vector its last layer (the 7x7 convolution, $w$) reads; $e_y$ is a learned vector of
    the same size per class (Miyato and Koyama's projection discriminator, used with
    conditional batch norm in the generator by SNGAN and BigGAN). Averaging $h$ over
    space first would leave only local stroke statistics, which say little about the
    digit: the label term could then barely tell a 3 labelled 7 from a 3 labelled 3.
    """

    def __init__(self, channels: int = 32, num_classes: int = 10):
        super().__init__(channels)
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, 2 * channels * 7 * 7)
        if not self.embed.weight.is_meta:
            nn.init.normal_(self.embed.weight, 0.0, 0.02)   # start close to the unconditional D

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("the conditional discriminator needs labels: D(x, y)")
        h = self.features(x)                                                        # (N, 2c, 7, 7)
        unconditional = self.out(h).flatten()                                       # (N,)
        projection = (self.embed(labels) * h.flatten(1)).sum(1)                   # (N,)
        return unconditional + projection


# --- 3. training: k discriminator steps, then one generator step -----------------------------

class GAN(nn.Module):
    """The two players in one module, so that ``train.fit`` can checkpoint both (notebook 06)."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        super().__init__()
        if not hasattr(generator, "latent_dim"):
            raise ValueError("the generator needs a `latent_dim` attribute (the size of z)")
        self.generator, self.discriminator = generator, discriminator

    @property
    def conditional(self) -> bool:
        return hasattr(self.generator, "num_classes")

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, labels) if self.conditional else self.generator(z)


def _noise(generator: nn.Module, n: int, device) -> torch.Tensor:
    return torch.randn(n, generator.latent_dim, device=device)


def _call(net: nn.Module, x: torch.Tensor, labels) -> torch.Tensor:
    return net(x) if labels is None else net(x, labels)


def discriminator_step(generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                       real: torch.Tensor, labels: torch.Tensor | None = None, *,
                       real_label: float = 1.0, mismatched: bool = False) -> dict:
    r"""One gradient step of D on a real batch and as many fakes (notebook 06).

    The fakes are made without a graph to the generator (``torch.no_grad``), so this
    step cannot change G; only D's optimizer steps. ``real_label`` < 1: one-sided label
    smoothing (see :func:`discriminator_loss`).

    ``mismatched=True`` (conditional GANs only) makes D *matching-aware* (Reed et al.,
    2016, "Generative adversarial text to image synthesis", GAN-CLS): real images paired
    with a wrong label count as fakes, beside the generated ones (the fake term averages
    both). D must then check that image and label agree, so G is pushed to draw the digit
    it was asked for, not just any digit.
    """
    if mismatched and labels is None:
        raise ValueError("mismatched=True needs the labels of a conditional GAN")
    with torch.no_grad():
        fake = _call(generator, _noise(generator, len(real), real.device), labels)
    real_logits = _call(discriminator, real, labels)
    fake_logits = _call(discriminator, fake, labels)
    if mismatched:
        classes = discriminator.num_classes
        wrong = (labels + torch.randint(1, classes, labels.shape, device=labels.device)) % classes
        fake_logits = torch.cat([fake_logits, discriminator(real, wrong)])
    loss = discriminator_loss(real_logits, fake_logits, real_label=real_label)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return {"d_loss": loss.detach(), "D(x)": torch.sigmoid(real_logits.detach()).mean(),
            "D(G(z))": torch.sigmoid(fake_logits[:len(fake)].detach()).mean()}


def generator_step(generator: nn.Module, discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                   batch_size: int, generator_loss: Callable = non_saturating_generator_loss,
                   labels: torch.Tensor | None = None) -> dict:
    """One gradient step of G against the current D (notebook 06).

    The loss flows back *through* D to G, but D's parameters are frozen
    (``requires_grad_(False)``) for the step and only G's optimizer steps.
    """
    device = next(generator.parameters()).device
    if labels is None and hasattr(generator, "num_classes"):
        labels = torch.randint(0, generator.num_classes, (batch_size,), device=device)
    frozen = [p for p in discriminator.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        fake = _call(generator, _noise(generator, batch_size, device), labels)
        loss = generator_loss(_call(discriminator, fake, labels))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    finally:
        for p in frozen:
            p.requires_grad_(True)
    return {"g_loss": loss.detach()}


def training_step(gan: GAN, real: torch.Tensor, g_optimizer, d_optimizer, k: int = 1,
                  generator_loss: Callable | str = non_saturating_generator_loss,
                  labels: torch.Tensor | None = None, *, real_label: float = 1.0,
                  mismatched: bool = False) -> dict:
    r"""One iteration of the lecture's algorithm (notebook 06): k steps of D, then one of G.

    ``real`` holds k minibatches of m examples, (k*m, ...); the i-th discriminator step
    uses the i-th. The generator step then uses m fresh noise samples. Returns the
    numbers to log (averaged over the k discriminator steps).
    """
    if isinstance(generator_loss, str):
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"unknown generator loss {generator_loss!r}: expected one of {list(GENERATOR_LOSSES)}")
        generator_loss = GENERATOR_LOSSES[generator_loss]
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    if len(real) < k:
        raise ValueError(f"the batch of {len(real)} examples cannot be split into k={k} minibatches")
    if gan.conditional and labels is None:
        raise ValueError("a conditional GAN needs the labels of the real batch")
    m = len(real) // k
    logs: dict[str, float] = {}
    for i in range(k):
        chunk = slice(i * m, (i + 1) * m)
        out = discriminator_step(gan.generator, gan.discriminator, d_optimizer, real[chunk],
                                 None if labels is None else labels[chunk], real_label=real_label,
                                 mismatched=mismatched)
        for key, value in out.items():
            logs[key] = logs.get(key, 0.0) + value / k
    fake_labels = None if labels is None else labels[:m]
    logs.update(generator_step(gan.generator, gan.discriminator, g_optimizer, m, generator_loss, fake_labels))
    return logs


def make_optimizers(gan: GAN, lr: float = 2e-4, betas=(0.5, 0.999), d_lr: float | None = None) -> tuple:
    """Adam for each player, with DCGAN's settings (lr 2e-4, beta1 0.5): (g_optimizer, d_optimizer).

    ``d_lr`` gives the discriminator its own learning rate (Heusel et al.'s two time-scale
    rule, TTUR); by default both players use ``lr`` (notebook 06).
    """
    return (torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=betas),
            torch.optim.Adam(gan.discriminator.parameters(), lr=lr if d_lr is None else d_lr, betas=betas))


class GeneratorAverage:
    r"""A running average of the generator's weights, sampled instead of the last weights (notebook 06).

    $\bar\theta \leftarrow \beta\,\bar\theta + (1-\beta)\,\theta$ after every generator step
    (Yazıcı et al., 2019, "The unusual effectiveness of averaging in GAN training"; used
    by progressive GAN, StyleGAN and BigGAN). The game makes the last weights circle
    around a good point rather than settle on it; their average sits closer to it. The
    decay is warmed up, $\beta_t = \min(\beta, (1+t)/(10+t))$, so that the first, poor
    weights are soon forgotten.

    Batch norm's running averages belong to the weights they were measured with, so
    :meth:`refresh_batch_norm` re-measures them for the averaged weights on fresh noise
    ("standing statistics", Brock et al., 2019). ``average.generator`` is an ordinary
    generator module: sample it with :func:`sample`.
    """

    def __init__(self, generator: nn.Module, decay: float = 0.999):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must lie in [0, 1), got {decay!r}")
        self.decay, self.steps = decay, 0
        self.generator = copy.deepcopy(generator).eval()
        for p in self.generator.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        """Move the average one step towards ``generator``'s current weights."""
        beta = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for mine, theirs in zip(self.generator.parameters(), generator.parameters()):
            mine.lerp_(theirs.detach(), 1 - beta)
        self.steps += 1

    @torch.no_grad()
    def refresh_batch_norm(self, batches: int = 10, batch_size: int = 256) -> nn.Module:
        """Batch norm's running mean and variance, measured afresh for the averaged weights."""
        norms = [m for m in self.generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        device = next(self.generator.parameters()).device
        labels = None
        for m in norms:
            m.reset_running_stats()
            m.momentum = None                               # a plain average over the batches below
        self.generator.train()
        for _ in range(batches):
            z = _noise(self.generator, batch_size, device)
            if hasattr(self.generator, "num_classes"):
                labels = torch.randint(0, self.generator.num_classes, (batch_size,), device=device)
            _call(self.generator, z, labels)
        for m in norms:
            m.momentum = 0.1
        return self.generator.eval()


def train_gan(gan: GAN, loader, epochs: int, *, k: int = 1, generator_loss="non-saturating",
              optimizers: tuple | None = None, lr: float = 2e-4, betas=(0.5, 0.999),
              real_label: float = 1.0, mismatched: bool = False, average: GeneratorAverage | None = None,
              lr_decay_last: int = 0, evaluate: Callable | None = None, checkpoint=None, **fit_kwargs):
    """Train with ``course_lib.train.fit`` and :func:`training_step` (notebook 06).

    ``loader`` yields batches of k*m examples (tensors, or (images, labels) pairs; the
    labels are used only by a conditional GAN). ``real_label`` < 1 turns on one-sided
    label smoothing (:func:`discriminator_loss`); ``mismatched=True`` makes a conditional
    GAN's D matching-aware (:func:`discriminator_step`); ``average``, a :class:`GeneratorAverage`,
    is updated after every generator step. ``lr_decay_last`` = N > 0 lowers both players'
    learning rates linearly over the last N epochs, epoch ``epochs - N + i`` (i = 1..N)
    running at ``(N + 1 - i) / N`` of the rate the optimizers started with (a common
    finishing schedule; measured for notebook 06 in docs/gan_tuning.md). Progress bar, per-epoch history,
    checkpoints (both players and both optimizers) and Ctrl-C come from ``fit``.
    Returns ``(history, (g_optimizer, d_optimizer))``.
    """
    from course_lib.train import fit

    g_opt, d_opt = optimizers if optimizers is not None else make_optimizers(gan, lr, betas)
    if not isinstance(lr_decay_last, int) or not 0 <= lr_decay_last <= epochs:
        raise ValueError(f"lr_decay_last must be an int in [0, epochs={epochs}], got {lr_decay_last!r}")
    base_rates = [[group["lr"] for group in opt.param_groups] for opt in (g_opt, d_opt)]
    done = [0]
    if checkpoint is not None and fit_kwargs.get("resume", True):
        from pathlib import Path
        from course_lib.train import load_checkpoint
        if Path(checkpoint).exists():
            done[0] = load_checkpoint(checkpoint)["epoch"]

    def set_rates():                            # the rates for epoch done[0] + 1
        left = epochs - done[0]
        scale = min(1.0, left / lr_decay_last) if lr_decay_last else 1.0
        for opt, rates in zip((g_opt, d_opt), base_rates):
            for group, rate in zip(opt.param_groups, rates):
                group["lr"] = rate * scale

    def end_of_epoch(model):
        out = evaluate(model) if evaluate is not None else {}
        done[0] += 1
        return out

    rates_for = [-1]

    def step(batch):
        if rates_for[0] != done[0]:             # first batch of an epoch (after fit loaded any checkpoint)
            set_rates()
            rates_for[0] = done[0]
        if isinstance(batch, (list, tuple)):
            real, labels = batch[0], batch[1] if len(batch) > 1 else None
        else:
            real, labels = batch, None
        logs = training_step(gan, real, g_opt, d_opt, k, generator_loss,
                             labels if gan.conditional else None, real_label=real_label,
                             mismatched=mismatched)
        if average is not None:
            average.update(gan.generator)
        return logs

    history = fit(gan, loader, step=step, optimizer=[g_opt, d_opt], epochs=epochs,
                  evaluate=end_of_epoch,
                  checkpoint=checkpoint, **fit_kwargs)
    return history, (g_opt, d_opt)


@torch.no_grad()
def sample(generator: nn.Module, n: int, labels: torch.Tensor | None = None,
           z: torch.Tensor | None = None, batch_size: int = 1000) -> torch.Tensor:
    """n samples from G in eval mode (batch norm uses its running averages) (notebook 06)."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    z = _noise(generator, n, device) if z is None else z.to(device)
    out = []
    for i in range(0, len(z), batch_size):
        y = None if labels is None else labels[i:i + batch_size].to(device)
        out.append(_call(generator, z[i:i + batch_size], y))
    generator.train(was_training)
    return torch.cat(out)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] (tanh) -> [0, 1], for pictures and for ``course_lib.metrics`` (notebook 06)."""
    return (images.clamp(-1, 1) + 1) / 2
