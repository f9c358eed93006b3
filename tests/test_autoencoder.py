"""course_lib.models.autoencoder: shapes, training lowers the loss, the helpers' promises."""
import pytest
import torch

from course_lib.models import autoencoder as A


def _digits_like(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    # two kinds of images: a vertical bar and a horizontal bar, with noise
    x = torch.zeros(n, 1, 28, 28)
    x[: n // 2, 0, 4:24, 12:16] = 1
    x[n // 2:, 0, 12:16, 4:24] = 1
    x = (x + 0.1 * torch.rand(x.shape, generator=g)).clamp(0, 1)
    labels = torch.cat([torch.zeros(n // 2), torch.ones(n - n // 2)]).long()
    return x, labels


@pytest.mark.parametrize("make", [A.Autoencoder, A.ConvAutoencoder, A.DenoisingAutoencoder])
def test_shapes(make):
    model = make(latent=8)
    x = torch.rand(5, 1, 28, 28)
    assert model.encode(x).shape == (5, 8)
    assert model(x).shape == (5, 784)
    r = model.reconstruct(x)
    assert r.shape == (5, 1, 28, 28) and r.min() >= 0 and r.max() <= 1


@pytest.mark.parametrize("make", [A.Autoencoder, A.ConvAutoencoder, A.DenoisingAutoencoder])
def test_runs_on_the_meta_device(make):
    model = make(latent=8).to("meta")
    out = model(torch.empty(3, 1, 28, 28, device="meta"))
    assert out.shape == (3, 784) and out.device.type == "meta"


def test_training_lowers_the_loss_and_the_reconstruction_error():
    torch.manual_seed(0)
    x, _ = _digits_like()
    model = A.Autoencoder(latent=4, hidden=32)
    before = A.reconstruction_error(model, x).mean()
    results = A.error_against_latent_size(x, x, [2], epochs=1, progress=False)
    assert set(results) == {2}
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    model.train()
    for _ in range(150):
        loss = A.reconstruction_loss(model, (x, None))
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    after = A.reconstruction_error(model, x).mean()
    assert after < 0.25 * before


def test_reconstruction_loss_is_bce_summed_per_image_averaged_over_the_batch():
    model = A.Autoencoder(latent=3, hidden=5)
    x = torch.rand(4, 784)
    logits = model(x)
    per_image = -(x * torch.log(torch.sigmoid(logits)) + (1 - x) * torch.log(1 - torch.sigmoid(logits))).sum(1)
    torch.testing.assert_close(A.reconstruction_loss(model, x), per_image.mean(), rtol=1e-4, atol=1e-3)


def test_reconstruction_error_is_mean_squared_error_per_image():
    class Constant(A.Autoencoder):
        def reconstruct(self, x):
            return torch.full((len(x), 1, 28, 28), 0.5)
    model = Constant(latent=2)
    x = torch.zeros(3, 1, 28, 28)
    x[1] = 1.0
    torch.testing.assert_close(A.reconstruction_error(model, x), torch.full((3,), 0.25))


def test_denoising_corrupts_only_in_training_mode():
    torch.manual_seed(0)
    model = A.DenoisingAutoencoder(latent=4, noise_std=0.5)
    x = torch.rand(2, 784)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))
    g = torch.Generator().manual_seed(1)
    noisy = A.corrupt(torch.full((1000,), 0.5), 0.1, generator=g)
    assert abs(noisy.std().item() - 0.1) < 0.01 and noisy.min() >= 0 and noisy.max() <= 1
    assert torch.equal(A.corrupt(x, 0.0), x)


def test_few_labels_and_probe():
    x, labels = _digits_like(40)
    idx = A.few_labels(labels, per_class=3, seed=0)
    assert len(idx) == 6 and torch.bincount(labels[idx]).tolist() == [3, 3]
    assert not torch.equal(idx, A.few_labels(labels, per_class=3, seed=1))
    acc = A.probe_accuracy(x[idx], labels[idx], x, labels)
    assert acc == 1.0  # two bars are linearly separable
    shuffled = labels[torch.randperm(40, generator=torch.Generator().manual_seed(0))]
    assert A.probe_accuracy(x[idx], labels[idx], x, shuffled) < 0.8


def test_encode_dataset_takes_the_mean_of_a_vae():
    from course_lib.models.vae import VAE
    model = VAE()
    x = torch.rand(5, 784)
    torch.testing.assert_close(A.encode_dataset(model, x, batch_size=2), model.encode(x)[0])
    ae = A.Autoencoder(latent=6)
    assert A.encode_dataset(ae, x).shape == (5, 6)


def test_outlier_threshold_is_a_percentile_of_training_errors():
    errors = torch.arange(101).float()
    assert A.outlier_threshold(errors, 99) == pytest.approx(99.0)
    assert A.outlier_threshold(errors, 50) == pytest.approx(50.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="latent"):
        A.Autoencoder(latent=0)
    with pytest.raises(ValueError, match="784"):
        A.Autoencoder().encode(torch.zeros(2, 100))
    with pytest.raises(ValueError, match=r"\(N, 32\)"):
        A.Autoencoder().decode(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="noise_std"):
        A.DenoisingAutoencoder(noise_std=-1)
    with pytest.raises(ValueError, match="percentile"):
        A.outlier_threshold(torch.zeros(3), 100)
    with pytest.raises(ValueError, match="only"):
        A.few_labels(torch.tensor([0, 0, 1]), per_class=2)
