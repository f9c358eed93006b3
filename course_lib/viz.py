"""Pictures: image grids, training curves, 2-D latent maps.

Taught in notebook 00 (welcome); used by every notebook.

Each function draws one matplotlib figure and returns it. In Jupyter the figure
appears below the cell when the call is the cell's last line (or with ``display(fig)``);
it is not registered with pyplot, so it never shows twice and never piles up in memory.
Elsewhere (tests, scripts) nothing is displayed and you can ``fig.savefig(...)`` it.
"""
from __future__ import annotations

from typing import Sequence

import io

import numpy as np
import torch
from matplotlib.figure import Figure
from torchvision.utils import make_grid

__all__ = ["image_grid", "show_images", "plot_history", "latent_scatter"]


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) images in [0, 1] -> one (H', W', C) or (H', W') array to ``imshow``."""
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() == 3:  # (N, H, W): add the channel axis
        images = images.unsqueeze(1)
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError("expected images of shape (N, 1 or 3, H, W) or (N, H, W), "
                         f"got {tuple(images.shape)}")
    if len(images) == 0:
        raise ValueError("no images to show")
    grid = make_grid(images.clamp(0, 1), nrow=nrow, padding=padding, pad_value=1.0)
    grid = grid.permute(1, 2, 0).numpy()
    return grid[..., 0] if images.shape[1] == 1 else grid


class CourseFigure(Figure):
    """A matplotlib Figure that Jupyter shows as a PNG, whatever the plotting backend."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()


def _new_figure(width: float, height: float) -> Figure:
    return CourseFigure(figsize=(width, height))


def show_images(images: torch.Tensor, nrow: int = 8, title: str | None = None,
                labels: Sequence | None = None, scale: float = 0.9) -> Figure:
    """A grid of images (grey or RGB, values in [0, 1]); optional title and per-image labels."""
    images = torch.as_tensor(images)
    grid = image_grid(images, nrow=nrow)
    n = len(images)
    rows = -(-n // nrow)
    cols = min(n, nrow)
    fig = _new_figure(max(2.0, cols * scale), max(1.5, rows * scale + (0.4 if title else 0)))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    if labels is not None:
        if len(labels) != n:
            raise ValueError(f"got {len(labels)} labels for {n} images")
        h, w = images.shape[-2:]
        for i, label in enumerate(labels):
            r, c = divmod(i, nrow)
            ax.text(2 + c * (w + 2) + 1, 2 + r * (h + 2) + 1, str(label), color="tab:red",
                    fontsize=8, va="top", ha="left")
    fig.tight_layout()
    return fig


def plot_history(history, keys: Sequence[str] | None = None, title: str | None = None,
                 logy: bool = False) -> Figure:
    """Per-epoch curves from a :class:`course_lib.train.History` (or a list of dicts)."""
    records = getattr(history, "records", history)
    if not records:
        raise ValueError("the history is empty: train for at least one epoch first")
    if keys is None:
        keys = [k for k in records[0] if k not in ("epoch", "seconds")]
    fig = _new_figure(6, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    for key in keys:
        points = [(r.get("epoch", i + 1), r[key]) for i, r in enumerate(records) if key in r]
        if not points:
            raise ValueError(f"no epoch logged {key!r}")
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker="o", label=key)
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def latent_scatter(z, labels=None, title: str | None = None, max_points: int = 5000) -> Figure:
    """A 2-D map of codes ``z`` (N, 2), coloured by ``labels`` (e.g. the digit)."""
    z = torch.as_tensor(z).detach().float().cpu().numpy()
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"latent_scatter expects z of shape (N, 2), got {z.shape}: "
                         "reduce to 2-D first (e.g. PCA) or pick two dimensions")
    if labels is not None:
        labels = torch.as_tensor(labels).cpu().numpy()
        if len(labels) != len(z):
            raise ValueError(f"got {len(labels)} labels for {len(z)} points")
    z, labels = z[:max_points], (labels[:max_points] if labels is not None else None)
    fig = _new_figure(5.5, 5)
    ax = fig.add_subplot(1, 1, 1)
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10" if labels is not None else None,
                        s=6, alpha=0.7)
    if labels is not None:
        fig.colorbar(points, ax=ax, ticks=np.unique(labels))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
