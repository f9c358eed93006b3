"""course_lib.viz: every picture is a Figure, drawn without a display."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_lib import train, viz


def test_image_grid_shapes():
    grey = viz.image_grid(torch.rand(10, 1, 28, 28), nrow=5)
    assert grey.shape == (2 + 2 * 30, 2 + 5 * 30)          # padding 2 around each image
    rgb = viz.image_grid(torch.rand(4, 3, 8, 8), nrow=2)
    assert rgb.shape == (22, 22, 3)
    assert viz.image_grid(torch.rand(3, 28, 28)).ndim == 2  # (N, H, W) is accepted too


@pytest.mark.parametrize("bad", [torch.rand(2, 2, 28, 28), torch.rand(28), torch.rand(0, 1, 4, 4)])
def test_image_grid_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match="expected images of shape|no images"):
        viz.image_grid(bad)


def test_show_images_returns_a_figure_that_renders_to_png():
    fig = viz.show_images(torch.rand(12, 1, 28, 28), nrow=6, title="t", labels=list(range(12)))
    assert isinstance(fig, Figure)
    png = fig._repr_png_()                  # what Jupyter displays
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="3 labels for 12 images"):
        viz.show_images(torch.rand(12, 1, 28, 28), labels=[1, 2, 3])


def test_figures_are_not_kept_by_pyplot():
    import matplotlib.pyplot as plt
    before = len(plt.get_fignums())
    viz.show_images(torch.rand(4, 1, 28, 28))
    assert len(plt.get_fignums()) == before  # nothing piles up, nothing shows twice


def test_plot_history_from_history_or_records():
    history = train.History(records=[{"epoch": 1, "loss": 2.0, "acc": 0.5, "seconds": 1.0},
                                     {"epoch": 2, "loss": 1.0, "acc": 0.7, "seconds": 1.0}])
    fig = viz.plot_history(history)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["loss", "acc"]         # "epoch" and "seconds" are not curves
    assert isinstance(viz.plot_history(history.records, keys=["loss"], logy=True), Figure)
    with pytest.raises(ValueError, match="empty"):
        viz.plot_history([])
    with pytest.raises(ValueError, match="no epoch logged 'kl'"):
        viz.plot_history(history, keys=["kl"])


def test_latent_scatter():
    z = np.random.default_rng(0).normal(size=(100, 2))
    fig = viz.latent_scatter(z, labels=np.arange(100) % 10, title="codes")
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # the map and its colour bar
    assert isinstance(viz.latent_scatter(torch.randn(10, 2)), Figure)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        viz.latent_scatter(torch.randn(10, 3))
    with pytest.raises(ValueError, match="5 labels for 10 points"):
        viz.latent_scatter(torch.randn(10, 2), labels=[0] * 5)


def test_markdown_table_escapes_cells_and_aligns():
    table = viz.markdown_table(["input", "p(y|x)", "n"], [["blank\npage", 0.17, 1], ["noise", "1.00", 50]],
                               align="llr")
    assert table.splitlines() == [
        "| input | p(y\\|x) | n |",
        "|---|---|---:|",
        "| blank page | 0.17 | 1 |",
        "| noise | 1.00 | 50 |"]
    with pytest.raises(ValueError, match="a row has 2 cells, the header 3"):
        viz.markdown_table(["a", "b", "c"], [[1, 2]])
    with pytest.raises(ValueError, match="align must be 3 letters"):
        viz.markdown_table(["a", "b", "c"], [], align="lx")


def test_latent_scatter_says_what_its_axes_are():
    fig = viz.latent_scatter(torch.randn(20, 2), axis_labels=("principal component 1", "principal component 2"))
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("principal component 1", "principal component 2")
    with pytest.raises(ValueError, match="two strings"):
        viz.latent_scatter(torch.randn(5, 2), axis_labels=("x",))


def test_records_table_formats_columns():
    records = [{"input": "noise", "n": 50, "rejected": 1.0, "log p": -512.345},
               {"input": "blank page", "n": 1, "rejected": 0.0, "log p": -20.0}]
    table = viz.records_table(records, formats={"rejected": ".0%", "log p": ".0f"})
    lines = table.splitlines()
    assert lines[0] == "| input | n | rejected | log p |"
    assert lines[2] == "| noise | 50 | 100% | -512 |"
    assert lines[3] == "| blank page | 1 | 0% | -20 |"
    assert "| 0.123 |" in viz.records_table([{"a": 0.12345}])
    with pytest.raises(ValueError, match="unknown columns"):
        viz.records_table(records, formats={"speed": ".1f"})
    with pytest.raises(ValueError, match="every record needs"):
        viz.records_table([{"a": 1}, {"b": 2}])
