"""Pictures: image grids, training curves, 2-D latent maps, and the figures of lectures 1-2.

Taught in notebook 00 (welcome); used by every notebook. The confusion matrix, the
log-likelihood strips, the probability bars and the framed tiles of tiny images are
taught in notebooks 01 and 02.

Each function draws one matplotlib figure and returns it. In Jupyter the figure
appears below the cell when the call is the cell's last line (or with ``display(fig)``);
it is not registered with pyplot, so it never shows twice and never piles up in memory.
Elsewhere (tests, scripts) nothing is displayed and you can ``fig.savefig(...)`` it.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import io

import numpy as np
import torch
from matplotlib.figure import Figure
from torchvision.utils import make_grid

__all__ = ["image_grid", "show_images", "plot_history", "latent_scatter", "confusion_matrix_figure",
           "log_likelihood_strips", "draw_probability_bars", "image_tiles", "markdown_table", "records_table"]


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


def latent_scatter(z, labels=None, title: str | None = None, max_points: int = 5000,
                   axis_labels: Sequence[str] = ("z[0]", "z[1]")) -> Figure:
    """A 2-D map of codes ``z`` (N, 2), coloured by ``labels`` (e.g. the digit).

    ``axis_labels`` say what the two axes are (e.g. the principal components, or the
    t-SNE coordinates, which have no meaning beyond "near" and "far").
    """
    if len(axis_labels) != 2:
        raise ValueError(f"axis_labels must be two strings, got {axis_labels!r}")
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
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def confusion_matrix_figure(counts, title: str | None = None, class_names: Sequence | None = None):
    """counts[i, j] = images of class i predicted as j, drawn as a heat map with the numbers."""
    counts = torch.as_tensor(counts).cpu().numpy()
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"counts must be a square matrix, got shape {counts.shape}")
    n = counts.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(n))]
    fig = CourseFigure(figsize=(5.2, 4.6))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(counts, cmap="Blues")
    for i in range(n):
        for j in range(n):
            if counts[i, j]:
                ax.text(j, i, int(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    fig.colorbar(image, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def log_likelihood_strips(groups: Mapping[str, torch.Tensor], threshold: float | None = None,
                          title: str | None = None, xlabel: str = "log p(x)  [nats]"):
    """One row of dots per kind of input at its log p(x); a dashed line at the threshold."""
    if not groups:
        raise ValueError("give at least one group of log-likelihoods")
    fig = CourseFigure(figsize=(8, 0.45 * len(groups) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    rng = np.random.default_rng(0)
    names = list(groups)
    for row, name in enumerate(names):
        values = torch.as_tensor(groups[name]).detach().cpu().double().flatten().numpy()
        jitter = rng.uniform(-0.18, 0.18, size=len(values))
        ax.scatter(values, row + jitter, s=8, alpha=0.5)
    if threshold is not None:
        ax.axvline(threshold, color="tab:red", ls="--", lw=1.2)
        ax.text(threshold, len(names) - 0.4, " reject  |  accept ", color="tab:red",
                ha="center", va="bottom", fontsize=8,
                bbox=dict(fc="white", ec="none", alpha=0.8))
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(-0.6, len(names) - 0.1)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def draw_probability_bars(ax, probabilities, title: str = "p(y | x)", color: str = "tab:blue"):
    """Bars of a distribution over the 10 digits on ``ax`` (the tallest one darker)."""
    probabilities = torch.as_tensor(probabilities, dtype=torch.float64).flatten().numpy()
    colors = [color] * len(probabilities)
    best = int(probabilities.argmax())
    bars = ax.bar(range(len(probabilities)), probabilities, color=colors, alpha=0.55)
    bars[best].set_alpha(1.0)
    ax.set_ylim(0, 1.05)
    ax.set_xticks(range(len(probabilities)))
    ax.set_title(f"{title}\nmax {probabilities[best]:.2f} at {best}", fontsize=9)
    return ax


def image_tiles(images, ncols: int = 16, labels: Sequence | None = None, title: str | None = None,
                tile: float = 0.7):
    """Small images (e.g. 3x3 binary ones), each in its own framed box, with optional labels.

    ``viz.show_images`` pads tiles with white, which merges with the white pixels of
    images this small; here every image gets a grey frame instead (notebook 02).
    """
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.dim() != 3 or len(images) == 0:
        raise ValueError(f"expected (N, H, W) or (N, 1, H, W) images, got {tuple(images.shape)}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    n = len(images)
    cols = min(ncols, n)
    rows = -(-n // cols)
    height = tile * rows + (0.25 * rows if labels is not None else 0) + (0.35 if title else 0)
    fig = CourseFigure(figsize=(max(2.0, tile * cols), max(1.0, height)))
    for i, image in enumerate(images):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor("0.6")
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=8, pad=2)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], align: str | None = None) -> str:
    """A markdown table (for ``IPython.display.Markdown``, summaries and feedback files).

    Cells are shown with ``str``; a ``|`` or a line break inside a cell is escaped so that
    it cannot break the table. ``align`` has one letter per column, ``l`` or ``r``.
    """
    align = align or "l" * len(header)
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"align must be {len(header)} letters 'l' or 'r', got {align!r}")

    def line(cells) -> str:
        cells = [str(c).replace("|", "\\|").replace("\n", " ") for c in cells]
        return "| " + " | ".join(cells) + " |"

    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row has {len(row)} cells, the header {len(header)}: {list(row)}")
    rule = "|" + "".join("---:|" if a == "r" else "---|" for a in align)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def records_table(records: Sequence[Mapping], formats: Mapping[str, str] | None = None,
                  align: str | None = None) -> str:
    """A markdown table of records (dicts with the same keys), one row each.

    ``formats`` maps a column to a format spec, e.g. ``{"rejected": ".0%"}``; other
    floats get 3 significant digits, everything else ``str`` (notebook 01's table of
    unreasonable inputs).
    """
    if not records:
        raise ValueError("no records to show")
    header = list(records[0])
    formats = dict(formats or {})
    unknown = set(formats) - set(header)
    if unknown:
        raise ValueError(f"formats for unknown columns {sorted(unknown)}; columns: {header}")
    rows = []
    for record in records:
        if list(record) != header:
            raise ValueError(f"every record needs the columns {header}, got {list(record)}")
        rows.append([format(v, formats[k]) if k in formats
                     else (f"{v:.3g}" if isinstance(v, float) else v) for k, v in record.items()])
    return markdown_table(header, rows, align)
