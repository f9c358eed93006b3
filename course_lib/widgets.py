r"""Interactive explorers (ipywidgets 7 and 8; no browser needed to build or update them).

Taught in notebook 01: the *outlier explorer* puts side by side what a discriminative
model says about an input, $p(y \mid x)$, and what a density model says, $\log p(x)$,
while you pick the input and corrupt it more and more. Notebook 05: the *latent editor*
encodes an image, lets you move each coordinate of its code with a slider and decodes
the edited code.

Only ``interact``, ``Dropdown``, ``FloatSlider``, ``IntSlider``, ``Output`` and ``Layout`` are used,
which behave the same in ipywidgets 7 (Colab) and 8. Every explorer has an ``update``
method that returns the figure, so tests (and curious students) can call it directly.
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch

from course_lib.viz import CourseFigure, draw_probability_bars

__all__ = ["flip_pixels", "OutlierExplorer", "LatentEditor"]


def flip_pixels(image: torch.Tensor, level: float, seed: int = 0) -> torch.Tensor:
    """Corrupt a binary image: flip every pixel independently with probability ``level``."""
    if not 0 <= level <= 1:
        raise ValueError(f"level must be a probability in [0, 1], got {level}")
    generator = torch.Generator().manual_seed(seed)
    flips = (torch.rand(image.shape, generator=generator) < level).to(image.dtype)
    return (image + flips) % 2


class OutlierExplorer:
    r"""Pick an input and a corruption level; see $p(y \mid x)$ beside $\log p(x)$.

    ``inputs`` maps a name to one binary image (1, 28, 28). ``classify(x)`` returns
    p(y | x) for a batch (N, 10) from the discriminative model; ``log_density(x)`` the
    density model's log p(x) (N,); ``bayes(x)`` (optional) p(y | x) from the
    conditional generative model. ``threshold`` is the rejection threshold and
    ``reference`` the training log-likelihoods drawn as a histogram behind it.
    """

    def __init__(self, inputs: Mapping[str, torch.Tensor], classify: Callable, log_density: Callable,
                 threshold: float, reference: torch.Tensor, bayes: Callable | None = None,
                 max_level: float = 0.5):
        if not inputs:
            raise ValueError("give at least one input image")
        for name, image in inputs.items():
            if tuple(image.shape) != (1, 28, 28):
                raise ValueError(f"input {name!r} must have shape (1, 28, 28), got {tuple(image.shape)}")
        self.inputs = dict(inputs)
        self.classify, self.log_density, self.bayes = classify, log_density, bayes
        self.threshold = float(threshold)
        self.reference = torch.as_tensor(reference, dtype=torch.float64).flatten()
        self.max_level = max_level
        self.last: dict = {}

    def numbers(self, name: str, level: float = 0.0) -> dict:
        """What the models say about input ``name`` with a fraction ``level`` of its pixels flipped."""
        if name not in self.inputs:
            raise ValueError(f"unknown input {name!r}; choose one of {list(self.inputs)}")
        x = flip_pixels(self.inputs[name], level)[None]                 # (1, 1, 28, 28)
        out = {"name": name, "level": level, "image": x[0, 0],
               "classifier": torch.as_tensor(self.classify(x))[0].double(),
               "log_p": float(torch.as_tensor(self.log_density(x)).flatten()[0])}
        if self.bayes is not None:
            out["bayes"] = torch.as_tensor(self.bayes(x))[0].double()
        out["rejected"] = out["log_p"] < self.threshold
        return out

    def update(self, name: str, level: float = 0.0) -> CourseFigure:
        """Draw the input, the p(y | x) bars and log p(x) against the training histogram."""
        info = self.last = self.numbers(name, level)
        panels = 4 if self.bayes is not None else 3
        fig = CourseFigure(figsize=(3.0 * panels + 1.0, 2.9))   # + room for the legend
        ax = fig.add_subplot(1, panels, 1)
        ax.imshow(info["image"].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{name}\n{level:.0%} of pixels flipped", fontsize=9)
        ax.set_axis_off()
        draw_probability_bars(fig.add_subplot(1, panels, 2), info["classifier"],
                              "discriminative p(y | x)")
        if self.bayes is not None:
            draw_probability_bars(fig.add_subplot(1, panels, 3), info["bayes"],
                                  "generative p(y | x) by Bayes", color="tab:green")
        ax = fig.add_subplot(1, panels, panels)
        low = min(self.reference.min().item(), info["log_p"], self.threshold) - 20
        high = max(self.reference.max().item(), info["log_p"]) + 20
        ax.hist(self.reference.numpy(), bins=40, color="0.7", label="training digits")
        ax.axvline(self.threshold, color="tab:red", ls="--", lw=1, label="threshold")
        ax.axvline(info["log_p"], color="black", lw=2, label="this input")
        ax.set_xlim(low, high)
        ax.set_yticks([])
        verdict = "REJECTED" if info["rejected"] else "accepted"
        ax.set_title(f"log p(x) = {info['log_p']:.0f} nats: {verdict}", fontsize=9,
                     color="tab:red" if info["rejected"] else "black")
        # Outside the axes, right of the plot: inside it hid "this input" near an edge.
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  frameon=False)
        fig.tight_layout()
        return fig

    def controls(self) -> dict:
        """The widgets ``show`` uses (a Dropdown and a FloatSlider), built without displaying."""
        import ipywidgets as widgets

        wide = widgets.Layout(width="480px")         # the default slider track is ~124 px
        return {"name": widgets.Dropdown(options=list(self.inputs), description="input",
                                         layout=wide),
                "level": widgets.FloatSlider(value=0.0, min=0.0, max=self.max_level, step=0.02,
                                             description="flip", continuous_update=False,
                                             readout_format=".0%", layout=wide)}

    def show(self):
        """Display the controls; the figure is redrawn whenever one of them changes."""
        from ipywidgets import interact

        return interact(self.update, **self.controls())


class LatentEditor:
    r"""Encode an image, shift each latent coordinate with its own slider, decode (notebook 05).

    ``encode(x)`` maps images (N, 1, 28, 28) to codes (N, J) (a VAE's posterior means);
    ``decode(z)`` maps codes (N, J) to images (N, 1, 28, 28) in [0, 1]. ``images`` maps a
    name to one image (1, 28, 28). Slider j adds its value to coordinate j of the chosen
    image's code, so every slider at 0 shows the plain reconstruction. ``limit`` is the
    slider range (+-limit; the prior's standard deviation is 1).
    """

    def __init__(self, encode: Callable, decode: Callable, images: Mapping[str, torch.Tensor],
                 latent: int, limit: float = 3.0):
        if not images:
            raise ValueError("give at least one image")
        for name, image in images.items():
            if tuple(image.shape) != (1, 28, 28):
                raise ValueError(f"image {name!r} must have shape (1, 28, 28), got {tuple(image.shape)}")
        if not isinstance(latent, int) or latent < 1:
            raise ValueError(f"latent must be a positive int, got {latent!r}")
        self.encode, self.decode = encode, decode
        self.images, self.latent, self.limit = dict(images), latent, float(limit)
        self.last: dict = {}

    def _offsets(self, shifts: Mapping[str, float]) -> torch.Tensor:
        unknown = set(shifts) - {f"z{j}" for j in range(self.latent)}
        if unknown:
            raise ValueError(f"unknown latent coordinates {sorted(unknown)}: use z0 .. z{self.latent - 1}")
        return torch.tensor([float(shifts.get(f"z{j}", 0.0)) for j in range(self.latent)])

    @torch.no_grad()
    def numbers(self, name: str, **shifts: float) -> dict:
        """The image, its code, the edited code and both decodings, for input ``name``."""
        if name not in self.images:
            raise ValueError(f"unknown image {name!r}; choose one of {list(self.images)}")
        x = self.images[name][None]                                          # (1, 1, 28, 28)
        code = torch.as_tensor(self.encode(x)).reshape(1, self.latent).float()  # (1, J)
        edited = code + self._offsets(shifts)
        return {"name": name, "image": x[0, 0], "code": code[0], "edited code": edited[0],
                "reconstruction": torch.as_tensor(self.decode(code)).reshape(28, 28),
                "edited": torch.as_tensor(self.decode(edited)).reshape(28, 28)}

    def update(self, name: str, **shifts: float) -> CourseFigure:
        """Draw the input, its reconstruction and the decoding of the edited code."""
        info = self.last = self.numbers(name, **shifts)
        fig = CourseFigure(figsize=(7.5, 2.7))
        moved = [f"z{j}{v:+.1f}" for j, v in enumerate(self._offsets(shifts).tolist()) if v]
        for i, (key, title) in enumerate([("image", f"input: {name}"), ("reconstruction", "decode(code)"),
                                           ("edited", "decode(edited code)\n" + (", ".join(moved[:4])
                                                                                  or "no change"))]):
            ax = fig.add_subplot(1, 3, i + 1)
            ax.imshow(info[key].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_title(title, fontsize=9)
            ax.set_axis_off()
        fig.tight_layout()
        return fig

    def controls(self) -> dict:
        """A Dropdown for the image and one FloatSlider per latent coordinate, not displayed."""
        import ipywidgets as widgets

        controls = {"name": widgets.Dropdown(options=list(self.images), description="image")}
        for j in range(self.latent):
            controls[f"z{j}"] = widgets.FloatSlider(value=0.0, min=-self.limit, max=self.limit, step=0.25,
                                                    description=f"z{j}", continuous_update=False)
        return controls

    def show(self):
        """Display the controls; the figure is redrawn whenever one of them changes."""
        from ipywidgets import interact

        return interact(self.update, **self.controls())
