r"""Watching a GAN learn: the 1-D playground widget and the ring-of-Gaussians pictures.

Taught in notebook 06. A toy GAN is trained once with :func:`train_toy_gan`, which keeps
*snapshots* along the way; the widgets then only draw them, so moving a slider is
instant (ipywidgets 7 and 8, no browser needed to build or update them).

* :class:`GANPlayground` (1-D): $p_\text{data}$, a histogram of $p_g$, the trained
  $D(x)$ and the optimal $D^*(x) = p_\text{data}/(p_\text{data} + p_g)$ at any step.
* :func:`ring_figure` (2-D): the generator's samples on the 8-Gaussian ring over training.
"""
from __future__ import annotations

from typing import Sequence

import torch

from course_lib.viz import CourseFigure

__all__ = ["train_toy_gan", "GANPlayground", "ring_figure"]


def train_toy_gan(gan, target, *, epochs: int, n_data: int = 4096, batch_size: int = 128, k: int = 1,
                  generator_loss="non-saturating", lr: float = 1e-3, grid: torch.Tensor | None = None,
                  n_samples: int = 2000, seed: int = 0, progress: bool = True, optimizers: tuple | None = None):
    """Train an MLP GAN on samples of ``target`` (a ``data.GaussianMixture``) with ``train_gan``.

    After every epoch a snapshot is kept: ``{"epoch", "samples" (n_samples, D), "d_grid"}``
    where ``d_grid`` is D(x) on ``grid`` (1-D only). Returns ``(history, snapshots)``;
    snapshot 0 is the pair as given. ``optimizers`` = (for G, for D); Adam(lr) by default
    (notebook 06).
    """
    from course_lib.models.gan import sample, train_gan

    real = target.sample(n_data, seed=seed)
    loader = torch.utils.data.DataLoader(real, batch_size=batch_size * k, shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(seed))
    snapshots = []
    fixed_z = torch.randn(n_samples, gan.generator.latent_dim, generator=torch.Generator().manual_seed(seed + 1))

    def snapshot(model):
        shot = {"epoch": len(snapshots), "samples": sample(model.generator, n_samples, z=fixed_z)}
        if grid is not None:
            with torch.no_grad():
                shot["d_grid"] = torch.sigmoid(model.discriminator(grid.float()))
        snapshots.append(shot)
        return {}

    gan.eval()
    snapshot(gan)
    history, _ = train_gan(gan, loader, epochs, k=k, generator_loss=generator_loss, lr=lr, optimizers=optimizers,
                           betas=(0.5, 0.999), evaluate=snapshot, progress=progress, verbose=False)
    return history, snapshots


class GANPlayground:
    r"""A slider over training: $p_\text{data}$, $p_g$, $D(x)$ and $D^*(x)$ in 1-D (notebook 06).

    ``snapshots`` come from :func:`train_toy_gan` (with a ``grid``), ``target`` is the
    data distribution (``.prob(x)``), ``grid`` the x values where D was evaluated.
    $p_g$ is estimated by a histogram of the generator's samples on the grid's bins.
    """

    def __init__(self, snapshots: Sequence[dict], target, grid: torch.Tensor):
        if not snapshots or any("d_grid" not in s for s in snapshots):
            raise ValueError("give snapshots from train_toy_gan(..., grid=grid)")
        self.snapshots, self.target = list(snapshots), target
        self.grid = torch.as_tensor(grid, dtype=torch.float64)
        step = self.grid[1] - self.grid[0]
        self.edges = torch.cat([self.grid - step / 2, self.grid[-1:] + step / 2])
        self.last: dict = {}

    def numbers(self, index: int) -> dict:
        """p_data, the histogram of p_g, D and D* on the grid at snapshot ``index``; their JSD."""
        from course_lib.theory.gan import discretize, jensen_shannon, optimal_discriminator

        if not 0 <= index < len(self.snapshots):
            raise ValueError(f"index must lie in [0, {len(self.snapshots) - 1}]")
        shot = self.snapshots[index]
        samples = shot["samples"].double().flatten()
        width = (self.edges[1] - self.edges[0]).item()
        counts = torch.histogram(samples.clamp(self.edges[0], self.edges[-1]), self.edges).hist
        p_g = counts / counts.sum()                                  # probability per bin
        p_data = discretize(self.target.prob, self.edges)
        d_star = optimal_discriminator(p_data, p_g)
        d = shot["d_grid"].double()
        both = (p_data + p_g) > 1e-3                                   # where D matters at all
        return {"epoch": shot["epoch"], "p_data": p_data / width, "p_g": p_g / width, "d": d, "d_star": d_star,
                "jsd": jensen_shannon(p_data, p_g).item(),
                "max_gap": (d - d_star)[both].abs().max().item() if both.any() else 0.0}

    def update(self, index: int = 0) -> CourseFigure:
        info = self.last = self.numbers(index)
        x = self.grid.numpy()
        fig = CourseFigure(figsize=(8, 3.4))
        ax = fig.add_subplot(1, 1, 1)
        ax.fill_between(x, info["p_data"].numpy(), color="tab:blue", alpha=0.3, label="p_data")
        ax.step(x, info["p_g"].numpy(), where="mid", color="tab:green", label="p_g (histogram)")
        ax.set_ylabel("density")
        ax.set_xlabel("x")
        right = ax.twinx()
        right.plot(x, info["d"].numpy(), color="tab:red", label="D(x)")
        right.plot(x, info["d_star"].numpy(), color="black", ls="--", label="D*(x) = p_data / (p_data + p_g)")
        right.set_ylim(-0.02, 1.02)
        right.set_ylabel("D")
        handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize=7, loc="upper left")
        ax.set_title(f"epoch {info['epoch']}: JSD(p_data, p_g) = {info['jsd']:.3f} nats "
                     f"(log 2 = 0.693 means no overlap)", fontsize=9)
        fig.tight_layout()
        return fig

    def controls(self) -> dict:
        import ipywidgets as widgets

        return {"index": widgets.IntSlider(value=len(self.snapshots) - 1, min=0, max=len(self.snapshots) - 1,
                                           step=1, description="epoch", continuous_update=False)}

    def show(self):
        from ipywidgets import interact

        return interact(self.update, **self.controls())


def ring_figure(snapshots: Sequence[dict], centers: torch.Tensor, covered: Sequence[int] | None = None,
                real: torch.Tensor | None = None, columns: int = 4) -> CourseFigure:
    """The generator's 2-D samples at a few snapshots, the ring's centers as crosses (notebook 06)."""
    if not snapshots:
        raise ValueError("no snapshots to draw")
    panels = len(snapshots) + (real is not None)
    rows = -(-panels // columns)
    fig = CourseFigure(figsize=(2.6 * min(panels, columns), 2.6 * rows))
    c = torch.as_tensor(centers).double().numpy()
    items = ([("real data", real)] if real is not None else []) + [
        (f"epoch {s['epoch']}" + (f": {covered[i]} modes" if covered is not None else ""), s["samples"])
        for i, s in enumerate(snapshots)]
    for i, (title, points) in enumerate(items):
        ax = fig.add_subplot(rows, min(panels, columns), i + 1)
        p = points.detach().double().numpy()
        ax.scatter(p[:, 0], p[:, 1], s=2, alpha=0.4, color="tab:green" if i or real is None else "tab:blue")
        ax.scatter(c[:, 0], c[:, 1], marker="x", color="black", s=30)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
