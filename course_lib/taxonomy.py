r"""The taxonomy of generative models: the tree of the lecture, and the course's comparison table.

Taught in notebook 02 (taxonomy); the later notebooks fill the measured columns of
the table with their own numbers (03 autoregressive, 05 VAE, 06 GAN).

Every generative model learns $p_\text{model}(x) \approx p_\text{data}(x)$ from samples.
The first split is whether the model writes $p_\text{model}(x)$ down:

* **explicit density**: the model *writes* $p_\text{model}(x)$ *down* as a formula;
  whether that formula can be computed splits the branch in two:
  - *tractable*: it can be computed exactly, e.g. by the chain rule
    $p(x) = \prod_i p(x_i \mid x_{<i})$ (fully visible belief nets: NADE, MADE,
    PixelRNN/CNN), a change of variables (normalising flows) or a small sum over
    components (a mixture);
  - *approximate*: it cannot be computed, only approximated: a variational lower bound
    (VAE), or Markov chain Monte Carlo (a Boltzmann machine, whose normalising constant
    sums over every image: training by MCMC gives neither $p(x)$ nor a bound on it);
* **implicit density**: no formula for $p_\text{model}(x)$ at all; you can only *sample*,
  directly (GAN) or by running a Markov chain (generative stochastic network, GSN).
"""
from __future__ import annotations

from dataclasses import dataclass

from course_lib.viz import CourseFigure, markdown_table

__all__ = ["Node", "TREE", "Family", "FAMILIES", "MEASURED_COLUMNS", "comparison_table",
           "taxonomy_figure", "course_nodes", "PLACEHOLDERS"]


@dataclass(frozen=True)
class Node:
    """A box of the taxonomy tree; ``notebook`` is set when the course builds that model."""

    name: str
    parent: str | None
    x: float
    y: float
    notebook: str | None = None


TRACTABLE = "Tractable density:\np(x) computed exactly"
APPROXIMATE = "Approximate density:\np(x) only approximated"

# Positions are hand-placed: the tree reads top to bottom like the lecture's slide.
TREE: tuple[Node, ...] = (
    Node("Generative models", None, 5.4, 4.0),
    Node("Explicit density", "Generative models", 3.4, 3.0),
    Node("Implicit density", "Generative models", 8.75, 3.0),
    Node(TRACTABLE, "Explicit density", 1.8, 2.0),
    Node(APPROXIMATE, "Explicit density", 5.65, 2.0),
    Node("Mixture models:\nmixture of\nBernoullis", TRACTABLE, 0.15, 0.8, notebook="01"),
    Node("Fully visible\nbelief nets: NADE,\nMADE, PixelRNN/CNN", TRACTABLE, 1.8, 0.8,
         notebook="02, 03"),
    Node("Normalising flows:\nNICE, RealNVP,\nGlow", TRACTABLE, 3.45, 0.8),
    Node("Variational:\nVAE", APPROXIMATE, 4.9, 0.8, notebook="05"),
    Node("Markov chain:\nBoltzmann\nmachine", APPROXIMATE, 6.4, 0.8),
    Node("Direct:\nGAN", "Implicit density", 8.0, 0.8, notebook="06"),
    Node("Markov chain:\nGSN", "Implicit density", 9.5, 0.8),
)


def course_nodes() -> dict[str, str]:
    """The boxes of the tree the course builds, and in which notebooks."""
    return {n.name: n.notebook for n in TREE if n.notebook}


def taxonomy_figure(highlight: bool = True, title: str | None = None):
    """The lecture's tree of generative models; the course's notebooks are highlighted."""
    by_name = {n.name: n for n in TREE}
    fig = CourseFigure(figsize=(12, 5.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlim(-0.9, 10.4)
    ax.set_ylim(0.0, 4.5)
    ax.set_axis_off()
    for node in TREE:
        if node.parent:
            parent = by_name[node.parent]
            ax.annotate("", xy=(node.x, node.y + 0.22), xytext=(parent.x, parent.y - 0.18),
                        arrowprops=dict(arrowstyle="-|>", color="0.4", lw=1))
    for node in TREE:
        ours = highlight and node.notebook is not None
        ax.text(node.x, node.y, node.name, ha="center", va="center", fontsize=9,
                fontweight="bold" if node.parent is None or ours else "normal",
                bbox=dict(boxstyle="round,pad=0.35", lw=1.5 if ours else 0.8,
                          fc="#ffe9a8" if ours else "white", ec="#c77c00" if ours else "0.3"))
        if ours:
            ax.text(node.x, node.y - 0.42, f"notebook {node.notebook}", ha="center", va="top",
                    fontsize=8, color="#a05a00", style="italic")
    ax.text(2.75, 3.0, "$p_{model}(x)$ is written down", ha="right", va="center", fontsize=8, color="0.35")
    ax.text(8.15, 3.0, "no formula: you can only sample", ha="right", va="center", fontsize=8, color="0.35")
    if highlight:
        ax.text(10.3, 0.02, "highlighted: built in this course", ha="right", fontsize=8,
                color="#a05a00")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class Family:
    """One family the course builds, with the lecture's verdict on it."""

    name: str
    notebook: str
    density: str          # where it sits in the tree
    exact_likelihood: str
    sampling: str
    latent_code: str
    sample_quality: str


FAMILIES: tuple[Family, ...] = (
    Family("mixture of Bernoullis", "01", "explicit, tractable",
           "yes", "one parallel step", "yes: the component k", "blurry prototypes plus pixel noise"),
    Family("autoregressive (PixelCNN)", "03", "explicit, tractable",
           "yes, by the chain rule", "slow: one pixel at a time (D steps)", "no",
           "good, sharp"),
    Family("variational autoencoder", "05", "explicit, approximate",
           "no: a lower bound (ELBO)", "fast: one decoder pass", "yes: z from the encoder",
           "blurrier than PixelCNN and GAN samples"),
    Family("GAN", "06", "implicit, direct",
           "no", "fast: one generator pass", "z, but no encoder to infer it",
           "sharpest; can drop modes"),
)

MEASURED_COLUMNS = ("test NLL (bits/dim)", "time to sample 16 digits", "sample quality (FD)")

# Cells whose placeholder is not "filled in notebook NN".
PLACEHOLDERS = {
    ("GAN", "test NLL (bits/dim)"): "n/a: no likelihood",
    ("mixture of Bernoullis", "sample quality (FD)"): "with the FD of notebook 06",
}


def comparison_table(measured: dict[tuple[str, str], str] | None = None) -> str:
    """The comparison of the course's families as a markdown table (no pandas needed).

    ``measured`` maps (family name, column) to a number as text; every measured cell
    not given says which notebook will fill it, e.g. "filled in notebook 03".
    """
    measured = dict(measured or {})
    names = {f.name for f in FAMILIES}
    for family, column in measured:
        if family not in names:
            raise ValueError(f"unknown family {family!r}; known: {sorted(names)}")
        if column not in MEASURED_COLUMNS:
            raise ValueError(f"unknown measured column {column!r}; known: {MEASURED_COLUMNS}")
    header = ["family", "notebook", "density", "exact likelihood?", "sampling cost",
              "latent code?", "sample quality (lecture)", *MEASURED_COLUMNS]
    rows = []
    for f in FAMILIES:
        cells = [f.name, f.notebook, f.density, f.exact_likelihood, f.sampling, f.latent_code,
                 f.sample_quality]
        for column in MEASURED_COLUMNS:
            default = PLACEHOLDERS.get((f.name, column), f"filled in notebook {f.notebook}")
            cells.append(measured.get((f.name, column), default))
        rows.append(cells)
    return markdown_table(header, rows)
