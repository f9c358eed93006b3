"""The course's models as the lecture notebooks train them, one training step each.

Shared by benchmarks/bench.py (training throughput) and benchmarks/cpu_tuning.py (threads,
batch size, channels_last, torch.compile). Sizes and batch sizes are the notebooks' full
profile (notebook 01 classifier, 03 PixelCNNs and Row LSTM, 04 autoencoder, 05 VAE,
06 DCGAN and conditional GAN). Inputs are random digits of the right kind (0/1 for the
likelihood models, [0, 1] grey levels, [-1, 1] for the GANs): throughput does not depend
on the pixel values.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from course_lib import runtime
from course_lib.models import autoencoder as ae
from course_lib.models import classifier as clf
from course_lib.models import gan as G
from course_lib.models import pixelcnn as pc
from course_lib.models import vae as V


@dataclass
class Workload:
    """One model's training step: ``step(batch)`` runs forward, loss, backward and the update."""

    name: str
    model: torch.nn.Module
    step: Callable[[int], None]
    batch_size: int


def _optimizer_step(model, loss_of: Callable[[torch.Tensor], torch.Tensor], make_batch, lr=1e-3):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(batch_size: int) -> None:
        x = make_batch(batch_size)
        optimizer.zero_grad(set_to_none=True)
        loss_of(x).backward()
        optimizer.step()
    return step


def _images(device, kind: str, memory_format=torch.contiguous_format):
    def make(n: int):
        grey = torch.rand(n, 1, 28, 28, device=device)
        x = {"binary": (grey > 0.5).float(), "grey": grey, "signed": grey * 2 - 1}[kind]
        return x.contiguous(memory_format=memory_format)
    return make


MODELS = ("classifier", "pixelcnn_plain", "pixelcnn_gated", "pixelrnn", "autoencoder", "vae",
          "dcgan", "conditional_gan")
# The networks notebooks 03 and 06 train in the full profile. tests/test_bench.py reads the
# notebooks' sources and fails if these drift from them (they did once: the tuning page
# measured a 32-wide gated stack while the notebook trained a 28-wide one).
AUTOREGRESSIVE = {
    "pixelcnn_plain": (pc.PixelCNN, dict(channels=40, layers=6)),
    "pixelcnn_gated": (pc.GatedPixelCNN, dict(channels=16, layers=6, kernel_size=7)),
    "pixelrnn": (pc.RowLSTM, dict(channels=32, hidden=32, layers=2)),
}
AUTOREGRESSIVE_BATCH = 32
GAN_CHANNELS, GAN_BATCH = 32, 32


def autoregressive(name: str) -> torch.nn.Module:
    """One of notebook 03's three networks at its full-profile size (fresh weights)."""
    cls, sizes = AUTOREGRESSIVE[name]
    return cls(**sizes)


def workload(name: str, device: torch.device | str = "cpu", *, channels_last: bool = False,
             compile: bool = False) -> Workload:
    """The training step of one of :data:`MODELS` on ``device``.

    ``channels_last`` stores the convolutional models' weights and inputs as NHWC;
    ``compile`` wraps the model in ``torch.compile`` (the first steps then compile).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: expected one of {MODELS}")
    device = torch.device(device)
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    labels = lambda n: torch.randint(0, 10, (n,), device=device)  # noqa: E731
    if name in ("dcgan", "conditional_gan"):
        if name == "dcgan":
            gan = G.GAN(G.DCGANGenerator(latent_dim=64, channels=GAN_CHANNELS),
                        G.DCGANDiscriminator(channels=GAN_CHANNELS, minibatch_std=True))
        else:
            gan = G.GAN(G.ConditionalDCGANGenerator(64, GAN_CHANNELS), G.ConditionalDCGANDiscriminator(GAN_CHANNELS))
        gan = gan.to(device=device, memory_format=fmt)
        if compile:
            gan.generator = torch.compile(gan.generator)
            gan.discriminator = torch.compile(gan.discriminator)
        g_opt, d_opt = G.make_optimizers(gan)
        make = _images(device, "signed", fmt)

        def gan_step(batch_size: int) -> None:
            y = labels(batch_size) if name == "conditional_gan" else None
            G.training_step(gan, make(batch_size), g_opt, d_opt, labels=y)
        return Workload(name, gan, gan_step, GAN_BATCH)

    batch_size, kind = 64, "grey"
    if name == "classifier":
        model = clf.digit_classifier(hidden=256)
        loss = lambda m, x: F.cross_entropy(m(x), labels(len(x)))  # noqa: E731
    elif name in AUTOREGRESSIVE:
        model, kind, batch_size = autoregressive(name), "binary", AUTOREGRESSIVE_BATCH
        loss = lambda m, x: m.nll(x).mean()  # noqa: E731
    elif name == "autoencoder":
        model = ae.Autoencoder(latent=32)
        loss = ae.reconstruction_loss
    else:  # vae
        model, batch_size = V.VAE(), 32
        loss = lambda m, x: V.vae_loss(m, x)["loss"]  # noqa: E731
    model = model.to(device=device, memory_format=fmt)
    if name in ("pixelcnn_plain", "pixelcnn_gated", "pixelrnn"):
        # nll() calls the model itself; compile the module in place so that it does too.
        if compile:
            model.compile()
        run = model
    else:
        run = torch.compile(model) if compile else model
    step = _optimizer_step(model, lambda x: loss(run, x), _images(device, kind, fmt))
    return Workload(name, model, step, batch_size)


def throughput(work: Workload, seconds: float, batch_size: int | None = None,
               warmup: int = 2) -> dict:
    """Images per second of ``work`` over a window of about ``seconds`` (after ``warmup`` steps)."""
    batch_size = batch_size or work.batch_size
    device = next(work.model.parameters()).device
    for _ in range(warmup):
        work.step(batch_size)
    runtime.synchronize(device)            # on a GPU, steps return before their work is done
    steps, started = 0, time.perf_counter()
    while True:
        work.step(batch_size)
        steps += 1
        runtime.synchronize(device)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            break
    return {"images_per_second": steps * batch_size / elapsed, "steps": steps,
            "batch_size": batch_size, "seconds": elapsed}
