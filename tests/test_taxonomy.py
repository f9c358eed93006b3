"""Tests of course_lib.taxonomy (notebook 02)."""
import pytest
from matplotlib.figure import Figure

from course_lib import taxonomy


def test_tree_is_connected_and_has_the_lecture_branches():
    names = {n.name for n in taxonomy.TREE}
    roots = [n for n in taxonomy.TREE if n.parent is None]
    assert len(roots) == 1
    assert all(n.parent in names for n in taxonomy.TREE if n.parent)
    text = " ".join(names)
    for word in ("Explicit density", "Implicit density", "Tractable density", "Approximate density",
                 "VAE", "GAN", "GSN", "Boltzmann", "PixelRNN", "flows"):
        assert word in text


def test_course_notebooks_are_placed_on_the_tree():
    placed = taxonomy.course_nodes()
    assert any("VAE" in k and v == "05" for k, v in placed.items())
    assert any("GAN" in k and v == "06" for k, v in placed.items())
    assert any("PixelRNN" in k and "03" in v for k, v in placed.items())


def test_figure_is_a_course_figure_with_png():
    fig = taxonomy.taxonomy_figure()
    assert isinstance(fig, Figure)
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_table_has_placeholders_and_accepts_measured_numbers():
    table = taxonomy.comparison_table()
    lines = table.splitlines()
    assert len(lines) == 2 + len(taxonomy.FAMILIES)
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "filled in notebook 03" in table and "filled in notebook 05" in table
    filled = taxonomy.comparison_table({("GAN", "sample quality (FD)"): "12.3"})
    assert "12.3" in filled
    with pytest.raises(ValueError, match="unknown family"):
        taxonomy.comparison_table({("flow", "sample quality (FD)"): "1"})
    with pytest.raises(ValueError, match="unknown measured column"):
        taxonomy.comparison_table({("GAN", "speed"): "1"})


def test_explicit_density_means_written_down_not_evaluable():
    """The approximate branch cannot evaluate p(x) (a Boltzmann machine; MCMC gives no bound)."""
    texts = [t.get_text() for t in taxonomy.taxonomy_figure().axes[0].texts]
    assert any("written down" in t for t in texts)
    assert not any("evaluate" in t for t in texts)
    doc = taxonomy.__doc__
    assert "writes" in doc and "(or a bound" not in doc
    boltzmann = next(n for n in taxonomy.TREE if "Boltzmann" in n.name)
    assert "approximated" in boltzmann.parent


def test_vae_is_compared_only_with_families_that_are_sharper():
    vae = next(f for f in taxonomy.FAMILIES if f.name == "variational autoencoder")
    assert "the others" not in vae.sample_quality     # the mixture's samples are blurrier still
