"""widgets.LatentEditor: encode, edit one coordinate, decode; controls for ipywidgets 7 and 8."""
import pytest
import torch

from course_lib import widgets


def _editor():
    # a linear "VAE": the code is the mean brightness of the top and bottom halves
    def encode(x):
        return torch.stack([x[:, 0, :14].mean((1, 2)), x[:, 0, 14:].mean((1, 2))], 1)

    def decode(z):
        out = torch.zeros(len(z), 1, 28, 28)
        out[:, 0, :14] = z[:, :1, None].clamp(0, 1)
        out[:, 0, 14:] = z[:, 1:, None].clamp(0, 1)
        return out

    images = {"top": torch.zeros(1, 28, 28), "bottom": torch.zeros(1, 28, 28)}
    images["top"][0, :14] = 0.8
    images["bottom"][0, 14:] = 0.6
    return widgets.LatentEditor(encode, decode, images, latent=2, limit=2.0)


def test_sliders_at_zero_show_the_reconstruction_and_a_shift_edits_one_coordinate():
    editor = _editor()
    plain = editor.numbers("top")
    torch.testing.assert_close(plain["code"], torch.tensor([0.8, 0.0]))
    assert torch.equal(plain["edited"], plain["reconstruction"])
    moved = editor.numbers("top", z1=0.5)
    torch.testing.assert_close(moved["edited code"], torch.tensor([0.8, 0.5]))
    assert torch.allclose(moved["edited"][14:], torch.tensor(0.5)) and torch.allclose(moved["edited"][:14], torch.tensor(0.8))


def test_update_draws_three_panels_and_controls_have_a_slider_per_dimension():
    editor = _editor()
    fig = editor.update("bottom", z0=1.0, z1=0.0)
    assert len(fig.axes) == 3 and "z0+1.0" in fig.axes[2].get_title()
    controls = editor.controls()
    assert list(controls) == ["name", "z0", "z1"]
    assert controls["z1"].min == -2.0 and controls["z1"].max == 2.0 and controls["z1"].value == 0.0


def test_show_builds_an_interactive_that_redraws_on_change():
    editor = _editor()
    box = editor.show()
    assert editor.last["name"] == "top"
    box.widget.children[2].value = 1.5          # the z1 slider
    assert editor.last["edited code"][1] == pytest.approx(1.5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        widgets.LatentEditor(lambda x: x, lambda z: z, {"a": torch.zeros(28, 28)}, latent=2)
    with pytest.raises(ValueError, match="latent"):
        widgets.LatentEditor(lambda x: x, lambda z: z, {"a": torch.zeros(1, 28, 28)}, latent=0)
    editor = _editor()
    with pytest.raises(ValueError, match="unknown image"):
        editor.numbers("nope")
    with pytest.raises(ValueError, match="z0 .. z1"):
        editor.numbers("top", z5=1.0)
