"""Tests of course_lib.widgets, the lecture-1 figures in course_lib.viz, and course_lib.outliers (notebook 01): no browser needed."""
import pytest
import torch
from matplotlib.figure import Figure

from course_lib import data, outliers, viz
from course_lib.models.classifier import confusion_matrix
from course_lib.widgets import OutlierExplorer, flip_pixels


def _explorer():
    inputs = {"a digit": torch.zeros(1, 28, 28), "noise": outliers.noise_images(1)[0]}
    # a toy density: log p(x) = -(number of ink pixels); a toy classifier: always 0.9 on "3"
    classify = lambda x: torch.full((len(x), 10), 0.1 / 9).index_fill_(1, torch.tensor([3]), 0.9)
    log_density = lambda x: -x.flatten(1).sum(1).double()
    bayes = lambda x: torch.full((len(x), 10), 0.1)
    return OutlierExplorer(inputs, classify, log_density, threshold=-100.0,
                           reference=-torch.arange(50.0), bayes=bayes)


def test_update_draws_a_figure_and_records_the_numbers():
    explorer = _explorer()
    fig = explorer.update("a digit", 0.0)
    assert isinstance(fig, Figure) and fig._repr_png_()[:4] == b"\x89PNG"
    assert explorer.last["log_p"] == 0.0 and not explorer.last["rejected"]
    explorer.update("noise", 0.0)
    assert explorer.last["rejected"]
    assert explorer.last["classifier"].argmax().item() == 3
    explorer.update("a digit", 0.5)                      # flipping pixels adds ink
    assert explorer.last["log_p"] < -200


def test_controls_build_without_a_browser_and_show_runs_headless():
    explorer = _explorer()
    controls = explorer.controls()
    assert controls["name"].options == ("a digit", "noise")
    assert controls["level"].max == 0.5
    # a wide slider track (the default was ~124 px in JupyterLab)
    assert int(controls["level"].layout.width.rstrip("px")) >= 400
    shown = explorer.show()                              # interact() works with no front end
    assert callable(shown)
    with pytest.raises(ValueError, match="unknown input"):
        explorer.update("a cat")


def test_legend_sits_outside_the_plot_in_a_readable_font():
    fig = _explorer().update("a digit", 0.0)
    legend = fig.axes[-1].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["training digits", "threshold", "this input"]
    assert all(t.get_fontsize() >= 9 for t in legend.get_texts())
    fig.canvas.draw()
    legend_box = legend.get_window_extent()
    plot_box = fig.axes[-1].get_window_extent()
    assert legend_box.x0 >= plot_box.x1          # entirely right of the plot: it hides no line


def test_explorer_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(1, 28, 28\)"):
        OutlierExplorer({"x": torch.zeros(28, 28)}, None, None, 0.0, torch.zeros(3))


def test_flip_pixels():
    image = torch.zeros(1, 28, 28)
    assert torch.equal(flip_pixels(image, 0.0), image)
    assert torch.equal(flip_pixels(image, 1.0), torch.ones(1, 28, 28))
    assert 0.2 < flip_pixels(image, 0.3, seed=1).mean().item() < 0.4
    with pytest.raises(ValueError):
        flip_pixels(image, 1.5)


def test_unreasonable_inputs_and_rejection():
    digits = (torch.rand(60, 1, 28, 28) < 0.15).float()
    weird = outliers.unreasonable_inputs(digits, n=10)
    assert all(v.shape[1:] == (1, 28, 28) for v in weird.values())
    assert all(set(v.unique().tolist()) <= {0.0, 1.0} for v in weird.values())
    assert torch.equal(weird["inverted digits"], 1 - digits[:10])
    letters = outliers.letter_images("AX")
    assert letters.shape == (2, 1, 28, 28) and 0.03 < letters.mean() < 0.3
    # letters are binarised like the digits (stochastically), not thresholded
    assert torch.equal(weird["letters"], data.binarize(outliers.letter_images(), seed=2))
    assert not torch.equal(weird["letters"], (outliers.letter_images() > 0.5).float())
    train = torch.arange(100.0)
    assert outliers.rejection_threshold(train, 1.0) == pytest.approx(0.99)
    assert outliers.rejection_rate(torch.tensor([0.5, 50.0]), 0.99) == 0.5
    with pytest.raises(ValueError, match="no strokes"):
        outliers.letter_images("?")
    with pytest.raises(ValueError, match="percentile"):
        outliers.rejection_threshold(train, 101)


def test_confusion_matrix_and_its_figure():
    counts = confusion_matrix(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]), classes=3)
    assert counts.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert isinstance(viz.confusion_matrix_figure(counts), Figure)
    assert isinstance(viz.log_likelihood_strips({"a": torch.zeros(3)}, threshold=-1.0), Figure)
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0]))


def test_image_tiles():
    tiles = (torch.rand(5, 1, 3, 3) < 0.5).float()
    fig = viz.image_tiles(tiles, ncols=4, labels=list("abcde"), title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 5
    with pytest.raises(ValueError, match="labels"):
        viz.image_tiles(tiles, labels=["a"])
