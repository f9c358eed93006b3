r"""Pictures and explorers for autoregressive image models (notebook 03; ipywidgets 7 and 8).

* :func:`receptive_field_figure`: which input pixels one output pixel sees, and its blind spot;
* :class:`SamplingStepper`: step through the sampling of one digit pixel by pixel and see
  $p(x_i \mid x_{<i})$ for the next pixel, the uniform number drawn and the pixel it gives.
* :class:`CompletionExplorer`: hide part of a digit and watch the model complete it.

Like :mod:`course_lib.widgets`, only ``interact``, ``Dropdown`` and ``IntSlider`` are used,
and every explorer has an ``update`` method returning the figure, so tests can call it.
"""
from __future__ import annotations

from typing import Mapping

import torch

from course_lib.models.pixelcnn import complete, sample
from course_lib.viz import CourseFigure

__all__ = ["receptive_field_figure", "SamplingStepper", "CompletionExplorer", "occlusion_mask"]

OCCLUSIONS = ("bottom rows", "right columns", "centre square")


def receptive_field_figure(fields: Mapping[str, torch.Tensor], pixel: tuple[int, int],
                           spots: Mapping[str, torch.Tensor] | None = None) -> CourseFigure:
    """One panel per gradient picture (H, W): blue = seen, orange = blind spot, red x = the pixel."""
    import numpy as np

    fig = CourseFigure(figsize=(3.3 * len(fields), 3.5))
    for i, (title, field) in enumerate(fields.items()):
        picture = np.ones((*field.shape, 3))                       # white: not seen
        picture[(field != 0).numpy()] = (0.12, 0.47, 0.71)         # blue: seen
        if spots is not None and title in spots:
            picture[spots[title].numpy()] = (1.0, 0.5, 0.05)       # orange: blind spot
        ax = fig.add_subplot(1, len(fields), i + 1)
        ax.imshow(picture, interpolation="nearest")
        ax.plot(pixel[1], pixel[0], "x", color="red")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def occlusion_mask(kind: str, amount: int, size: int = 28) -> torch.Tensor:
    """The pixels we *keep*, (1, size, size) bool: hide the bottom / right ``amount`` rows /
    columns, or a centred square of side ``amount`` (notebook 03)."""
    if kind not in OCCLUSIONS:
        raise ValueError(f"kind must be one of {OCCLUSIONS}, got {kind!r}")
    if not isinstance(amount, int) or not 0 <= amount <= size:
        raise ValueError(f"amount must be an int in 0..{size}, got {amount!r}")
    known = torch.ones(1, size, size, dtype=torch.bool)
    if kind == "bottom rows" and amount:
        known[:, size - amount:, :] = False
    elif kind == "right columns" and amount:
        known[:, :, size - amount:] = False
    elif kind == "centre square" and amount:
        start = (size - amount) // 2
        known[:, start:start + amount, start:start + amount] = False
    return known


class SamplingStepper:
    """Watch a Bernoulli model draw one digit, pixel by pixel, in raster order."""

    def __init__(self, model, seed: int = 0, shape=(1, 28, 28)):
        if getattr(model, "levels", 0) is not None:
            raise ValueError("the stepper shows Bernoulli models (levels=None)")
        self.model, self.seed, self.shape = model, seed, tuple(shape)
        self.final = sample(model, 1, self.shape, seed=seed).cpu()       # (1, 1, H, W), for pictures
        generator = torch.Generator().manual_seed(seed)
        self.uniforms = torch.rand((1, *self.shape), generator=generator, dtype=torch.float64)
        self.last: dict = {}

    def numbers(self, step: int) -> dict:
        """Before pixel ``step`` (0-based, raster order) is drawn: the canvas, p(on), u, the pixel."""
        height, width = self.shape[1:]
        if not 0 <= step < height * width:
            raise ValueError(f"step must be in 0..{height * width - 1}, got {step}")
        r, c = divmod(step, width)
        # pixels never change once drawn, so the canvas after `step` pixels is the finished
        # sample with every later pixel still 0 (what sample(..., stop_after=step) returns)
        later = torch.arange(height * width).reshape(1, 1, height, width) >= step
        canvas = self.final.masked_fill(later, 0.0)
        with torch.no_grad():
            self.model.eval()
            device = next(self.model.parameters()).device
            p_on = torch.sigmoid(self.model(canvas.to(device))[0, 0, r, c]).item()
        u = self.uniforms[0, 0, r, c].item()
        return {"step": step, "row": r, "column": c, "canvas": canvas[0, 0], "p_on": p_on, "u": u,
                "pixel": int(u < p_on), "final": self.final[0, 0]}

    def update(self, step: int = 0) -> CourseFigure:
        info = self.last = self.numbers(step)
        fig = CourseFigure(figsize=(9, 3))
        ax = fig.add_subplot(1, 3, 1)
        shown = info["canvas"].cpu().numpy().copy()
        ax.imshow(shown, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.add_patch(_square(info["row"], info["column"]))
        ax.set_title(f"after {step} of {shown.size} pixels", fontsize=9)
        ax.set_axis_off()
        ax = fig.add_subplot(1, 3, 2)
        ax.bar([0, 1], [1 - info["p_on"], info["p_on"]], color=["0.6", "tab:blue"])
        ax.axhline(info["u"], color="tab:red", lw=1.5, ls="--")
        ax.set_xticks([0, 1], ["off (0)", "on (1)"])
        ax.set_ylim(0, 1)
        ax.set_title(f"pixel (row {info['row']}, col {info['column']}): p(on) = {info['p_on']:.3f}\n"
                     f"u = {info['u']:.3f} (red) -> drawn {info['pixel']}", fontsize=9)
        ax = fig.add_subplot(1, 3, 3)
        ax.imshow(info["final"].cpu().numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title("the finished sample", fontsize=9)
        ax.set_axis_off()
        fig.tight_layout()
        return fig

    def controls(self) -> dict:
        import ipywidgets as widgets

        height, width = self.shape[1:]
        return {"step": widgets.IntSlider(value=0, min=0, max=height * width - 1, step=1,
                                          description="pixel", continuous_update=False)}

    def show(self):
        from ipywidgets import interact

        return interact(self.update, **self.controls())


def _square(r: int, c: int):
    from matplotlib.patches import Rectangle

    return Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="tab:red", lw=1.5)


class CompletionExplorer:
    """Hide part of a digit; the model fills the hidden pixels ``n`` times (different seeds)."""

    def __init__(self, model, images: Mapping[str, torch.Tensor], n: int = 4):
        if not images:
            raise ValueError("give at least one image")
        for name, image in images.items():
            if tuple(image.shape) != (1, 28, 28):
                raise ValueError(f"image {name!r} must have shape (1, 28, 28), got {tuple(image.shape)}")
        self.model, self.images, self.n = model, dict(images), n
        self.last: dict = {}

    def numbers(self, name: str, kind: str = "bottom rows", amount: int = 14, seed: int = 0) -> dict:
        if name not in self.images:
            raise ValueError(f"unknown image {name!r}; choose one of {list(self.images)}")
        known = occlusion_mask(kind, amount)
        image = self.images[name]
        batch = image[None].expand(self.n, *image.shape).clone()
        completions = complete(self.model, batch, known, seed=seed).cpu()
        return {"image": image[0], "known": known[0], "completions": completions[:, 0]}

    def update(self, name: str, kind: str = "bottom rows", amount: int = 14, seed: int = 0):
        info = self.last = self.numbers(name, kind, amount, seed)
        panels = 2 + self.n
        fig = CourseFigure(figsize=(1.7 * panels, 2.1))
        occluded = info["image"].float().clone()
        occluded[~info["known"]] = 0.5                         # grey = hidden
        for k, (picture, title) in enumerate(
                [(info["image"].float(), "original"), (occluded, "what the model sees")]
                + [(c.float(), f"completion {i + 1}") for i, c in enumerate(info["completions"])]):
            ax = fig.add_subplot(1, panels, k + 1)
            ax.imshow(picture.cpu().numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(title, fontsize=8)
            ax.set_axis_off()
        fig.tight_layout()
        return fig

    def controls(self) -> dict:
        import ipywidgets as widgets

        return {"name": widgets.Dropdown(options=list(self.images), description="digit"),
                "kind": widgets.Dropdown(options=list(OCCLUSIONS), description="hide"),
                "amount": widgets.IntSlider(value=14, min=0, max=28, step=1, description="how much",
                                            continuous_update=False),
                "seed": widgets.IntSlider(value=0, min=0, max=9, step=1, description="seed",
                                          continuous_update=False)}

    def show(self):
        from ipywidgets import interact

        return interact(self.update, **self.controls())
