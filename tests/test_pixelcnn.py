"""Tests of PixelCNN, gated PixelCNN and the Row LSTM (course_lib.models.pixelcnn, notebook 03)."""
import math

import pytest
import torch

from course_lib.likelihood import bits_per_dim
from course_lib.models.pixelcnn import (GatedPixelCNN, MaskedConv2d, PixelCNN, RowLSTM, blind_spot,
                                        bits_per_dim_of, causal_mask, complete, nll_per_image,
                                        receptive_field, sample, uniform_logits)


def _raster_index(h, w):
    return torch.arange(h * w).reshape(h, w)


def _small(cls, levels=None, layers=2, channels=6):
    torch.manual_seed(0)
    if cls is RowLSTM:
        return RowLSTM(channels=channels, hidden=5, layers=layers, levels=levels)
    return cls(channels=channels, layers=layers, levels=levels)


MODELS = [PixelCNN, GatedPixelCNN, RowLSTM]


# --- the mask -----------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 3, 5, 7])
@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_causal_mask_keeps_exactly_the_past(k, mask_type):
    mask = causal_mask(k, mask_type, in_channels=2, out_channels=3)
    assert mask.shape == (3, 2, k, k) and mask.dtype == torch.float32
    order = _raster_index(k, k)
    centre = order[k // 2, k // 2]
    expected = (order < centre) if mask_type == "A" else (order <= centre)
    assert torch.equal(mask, expected.float().expand(3, 2, k, k))


def test_causal_mask_3x3_by_hand():
    assert causal_mask(3, "A")[0, 0].tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert causal_mask(3, "B")[0, 0].tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]


@pytest.mark.parametrize("args, message", [
    ((4, "A"), "odd"), ((0, "A"), "odd"), ((3.0, "A"), "odd"), ((3, "C"), "mask_type"),
    ((3, "a"), "mask_type"), ((3, "A", 0), "in_channels"), ((3, "B", 1, -2), "out_channels")])
def test_causal_mask_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        causal_mask(*args)


@pytest.mark.parametrize("k", [1, 3, 5, 7])
@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_masked_conv_is_causal_by_gradients(k, mask_type):
    torch.manual_seed(k)
    conv = MaskedConv2d(2, 3, k, mask_type).double()
    assert conv.padding == (k // 2, k // 2) and "mask" in dict(conv.named_buffers())
    h = w = 9
    order = _raster_index(h, w)
    for r, c in [(0, 0), (4, 4), (8, 2), (3, 8)]:
        x = torch.randn(1, 2, h, w, dtype=torch.float64, requires_grad=True)
        conv(x)[0, :, r, c].sum().backward()
        seen = x.grad[0].abs().sum(0) != 0
        i = order[r, c]
        forbidden = order >= i if mask_type == "A" else order > i
        assert not seen[forbidden].any()
        if mask_type == "B":
            assert seen[r, c]                      # the centre is used by type B
        rows = torch.arange(h)[:, None]
        cols = torch.arange(w)[None, :]
        window = ((rows - r).abs() <= k // 2) & ((cols - c).abs() <= k // 2)
        assert torch.equal(seen, window & ~forbidden)   # and every allowed pixel is used


def test_masked_conv_uses_the_masked_weight_and_rejects_even_kernels():
    conv = MaskedConv2d(1, 1, 3, "A", bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    x = torch.ones(1, 1, 3, 3)
    assert conv(x)[0, 0, 1, 1].item() == 4.0                # 3 above + 1 left
    with pytest.raises(ValueError, match="odd"):
        MaskedConv2d(1, 1, 4, "B")
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2d(1, 1, 3, "C")


# --- the likelihood -------------------------------------------------------------------------

def test_nll_bernoulli_sums_over_pixels():
    torch.manual_seed(0)
    logits = torch.randn(4, 1, 5, 6)
    x = (torch.rand(4, 1, 5, 6) < 0.5).float()
    p = torch.sigmoid(logits)
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)
    got = nll_per_image(logits, x)
    assert got.shape == (4,)
    assert torch.allclose(got, expected, atol=1e-4)


def test_nll_softmax_sums_over_pixels():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 1, 4, 4)
    x = torch.randint(0, 5, (3, 1, 4, 4))
    logp = torch.log_softmax(logits, dim=1)
    expected = -logp.gather(1, x[:, None]).flatten(1).sum(1)
    assert torch.allclose(nll_per_image(logits, x, levels=5), expected, atol=1e-5)


@pytest.mark.parametrize("levels", [None, 2, 4, 16])
def test_uniform_model_costs_exactly_one_bit_or_log2_k(levels):
    torch.manual_seed(0)
    if levels is None:
        x = (torch.rand(7, 1, 28, 28) < 0.3).float()
    else:
        x = torch.randint(0, levels, (7, 1, 28, 28))
    nats = nll_per_image(uniform_logits(x, levels), x, levels=levels)
    expected = 1.0 if levels is None else math.log2(levels)
    assert bits_per_dim(-nats, 784) == pytest.approx(expected, rel=1e-6)
    assert bits_per_dim_of(nats) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("levels", [None, 4])
def test_a_model_with_a_zero_head_is_the_uniform_model(cls, levels):
    model = _small(cls, levels)
    with torch.no_grad():
        model.head[-1].weight.zero_()
        model.head[-1].bias.zero_()
    x = torch.zeros(2, 1, 8, 8) if levels is None else torch.randint(0, 4, (2, 1, 8, 8))
    assert bits_per_dim(-model.nll(x).detach(), 64) == pytest.approx(1.0 if levels is None else 2.0, rel=1e-6)


@pytest.mark.parametrize("logits, x, levels, message", [
    (torch.zeros(2, 1, 4, 4), torch.full((2, 1, 4, 4), 0.5), None, "binary"),
    (torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4, dtype=torch.long), None, "float"),
    (torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 5), None, "shape"),
    (torch.zeros(2, 2, 4, 4), torch.zeros(2, 2, 4, 4), None, r"\(N, 1, H, W\)"),
    (torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4), 4, "levels=4"),
    (torch.zeros(2, 4, 1, 4, 4), torch.full((2, 1, 4, 4), 4), None, r"0\.\.3"),
    (torch.zeros(2, 4, 1, 4, 4), torch.full((2, 1, 4, 4), -1), None, r"0\.\.3"),
    (torch.zeros(2, 4, 1, 4, 4), torch.zeros(2, 1, 4, 4), None, "integer"),
    (torch.zeros(2, 4, 1, 4, 4), torch.zeros(2, 1, 4, 4, dtype=torch.long), 8, "K=4"),
    (torch.zeros(2, 4, 1, 4, 4), torch.zeros(3, 1, 4, 4, dtype=torch.long), None, "shape"),
    (torch.zeros(2, 4, 4), torch.zeros(2, 4, 4), None, "logits must be"),
])
def test_nll_rejects_bad_inputs(logits, x, levels, message):
    with pytest.raises(ValueError, match=message):
        nll_per_image(logits, x, levels=levels)


@pytest.mark.parametrize("cls", MODELS)
def test_models_reject_bad_inputs(cls):
    binary, four = _small(cls), _small(cls, levels=4)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        binary(torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match="float"):
        binary(torch.zeros(2, 1, 8, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="integer"):
        four(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="binary"):
        binary.nll(torch.full((2, 1, 8, 8), 0.5))
    with pytest.raises(ValueError, match=r"0\.\.3"):
        four.nll(torch.full((2, 1, 8, 8), 7))
    with pytest.raises(ValueError, match="levels"):
        cls(levels=1)


# --- causality and the blind spot -------------------------------------------------------------

@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("levels", [None, 3])
@pytest.mark.parametrize("layers", [1, 3])
def test_every_model_is_causal(cls, levels, layers):
    model = _small(cls, levels, layers, channels=16)   # enough units that some ReLU is on
    h = w = 12
    order = _raster_index(h, w)
    for r, c in [(0, 0), (0, 5), (6, 6), (11, 11), (5, 0)]:
        field = receptive_field(model, (r, c), (1, h, w))
        assert not (field[order >= order[r, c]] != 0).any()
        if (r, c) != (0, 0):
            assert (field != 0).any()               # it does see something of the past


def test_plain_pixelcnn_has_a_blind_spot_and_the_gated_one_has_none():
    shape, pixel = (1, 24, 24), (16, 12)
    for layers in (2, 4):
        plain = receptive_field(PixelCNN(channels=4, layers=layers), pixel, shape)
        gated = receptive_field(GatedPixelCNN(channels=4, layers=layers), pixel, shape)
        assert blind_spot(plain, pixel).sum() > 0
        assert blind_spot(gated, pixel).sum() == 0
        # the gated stack sees every past pixel of a rectangle: rows above and left in the row
        seen = gated != 0
        assert seen[pixel[0] - 1].sum() > 0 and seen[pixel[0], :pixel[1]].any()
    # the spot sits above and to the right of the pixel
    spot = blind_spot(receptive_field(PixelCNN(channels=4, layers=3), pixel, shape), pixel)
    rows, cols = torch.nonzero(spot, as_tuple=True)
    assert (rows < pixel[0]).all() and (cols > pixel[1]).all()


def test_blind_spot_of_a_picture_by_hand():
    field = torch.tensor([[0., 1., 1., 0., 1.], [0., 1., 1., 0., 0.], [0., 0., 0., 0., 0.]])
    assert blind_spot(field, (1, 3)).tolist() == [[False, False, False, True, False],
                                                  [False, False, False, False, False],
                                                  [False, False, False, False, False]]


# --- sampling ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("levels", [None, 4])
def test_fast_and_naive_samplers_give_identical_samples(cls, levels):
    model = _small(cls, levels).double()
    a = sample(model, 3, (1, 10, 9), seed=3, method="naive")
    b = sample(model, 3, (1, 10, 9), seed=3, method="fast")
    c = sample(model, 3, (1, 10, 9), seed=4, method="fast")
    assert torch.equal(a, b)
    assert not torch.equal(b, c)
    assert a.shape == (3, 1, 10, 9)
    if levels is None:
        assert a.dtype == torch.float32 and set(a.unique().tolist()) <= {0.0, 1.0}
    else:
        assert a.dtype == torch.long and 0 <= a.min() and a.max() <= 3


def test_sampler_draws_from_the_model_conditionals():
    """A model whose logits are constant: every pixel is Bernoulli(sigmoid(b))."""
    model = PixelCNN(channels=2, layers=1)
    with torch.no_grad():
        model.head[-1].weight.zero_()
        model.head[-1].bias.fill_(math.log(0.2 / 0.8))
    x = sample(model, 64, (1, 8, 8), seed=0)
    assert abs(x.mean().item() - 0.2) < 0.03
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(sample(model, 64, (1, 8, 8), generator=generator), x)


def test_sampler_feeds_samples_back():
    """A model that copies its left neighbour makes constant rows only if samples are fed back."""
    class CopyLeft(PixelCNN):
        def forward_float(self, inp):
            left = torch.nn.functional.pad(inp, (1, 0))[..., :-1]
            return 40 * (left - 0.5)          # column 0 sees padding: p = sigmoid(-20) ~ 0
    model = CopyLeft(channels=2, layers=1)
    x = sample(model, 8, (1, 5, 6), seed=1, method="naive")
    assert torch.equal(x, x[..., :1].expand_as(x))
    assert torch.equal(sample(model, 8, (1, 5, 6), seed=1, method="fast"), x)


def test_stop_after_leaves_later_pixels_empty():
    model = _small(GatedPixelCNN)
    full = sample(model, 2, (1, 6, 6), seed=0)
    part = sample(model, 2, (1, 6, 6), seed=0, stop_after=10)
    flat_full, flat_part = full.flatten(1), part.flatten(1)
    assert torch.equal(flat_part[:, :10], flat_full[:, :10]) and (flat_part[:, 10:] == 0).all()


@pytest.mark.parametrize("cls", MODELS)
def test_complete_keeps_known_pixels_and_matches_across_methods(cls):
    model = _small(cls).double()
    torch.manual_seed(0)
    images = (torch.rand(3, 1, 8, 8) < 0.5).float()
    known = torch.ones(1, 8, 8, dtype=torch.bool)
    known[:, 4:, :] = False                                    # the bottom half is hidden
    a = complete(model, images, known, seed=2, method="naive")
    b = complete(model, images, known, seed=2, method="fast")
    assert torch.equal(a, b)
    assert torch.equal(a[:, :, :4], images[:, :, :4])
    assert not torch.equal(a, images)


def test_sample_and_complete_reject_bad_arguments():
    model = _small(PixelCNN)
    for kwargs, message in [({"n": 0}, "positive"), ({"n": 2, "shape": (3, 8, 8)}, "one channel"),
                            ({"n": 2, "method": "slow"}, "naive")]:
        with pytest.raises(ValueError, match=message):
            sample(model, **kwargs)
    images = torch.zeros(2, 1, 8, 8)
    with pytest.raises(ValueError, match="bool"):
        complete(model, images, torch.ones(8, 8))
    with pytest.raises(ValueError, match="broadcast"):
        complete(model, images, torch.ones(3, 8, 8, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        complete(model, torch.zeros(8, 8), torch.ones(8, 8, dtype=torch.bool))


# --- the meta device ----------------------------------------------------------------------------

@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("levels", [None, 5])
def test_every_model_runs_on_the_meta_device(cls, levels):
    with torch.device("meta"):
        model = cls(levels=levels)
    assert all(p.device.type == "meta" for p in model.parameters())
    assert all(b.device.type == "meta" for b in model.buffers())
    if levels is None:
        x = torch.empty(4, 1, 28, 28, device="meta")
        expected = (4, 1, 28, 28)
    else:
        x = torch.empty(4, 1, 28, 28, dtype=torch.long, device="meta")
        expected = (4, levels, 1, 28, 28)
    logits = model(x)
    assert logits.device.type == "meta" and tuple(logits.shape) == expected
    nll = nll_per_image(logits, x, levels=levels)
    assert nll.device.type == "meta" and tuple(nll.shape) == (4,)
    assert model.row_logits(x, 5, model.begin_row(x, 5)).shape[-1] == 28
    conv = MaskedConv2d(3, 4, 5, "B", ).to("meta")
    assert conv(torch.empty(2, 3, 9, 9, device="meta")).shape == (2, 4, 9, 9)


def test_naive_sampler_accepts_any_network():
    """A plain nn.Module (no course interface) samples with method='naive' as a Bernoulli model."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(MaskedConv2d(1, 4, 3, "A"), torch.nn.ReLU(), MaskedConv2d(4, 1, 3, "B"))
    a = sample(net, 2, (1, 6, 6), seed=0, method="naive")
    assert a.shape == (2, 1, 6, 6) and set(a.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="naive"):
        sample(net, 2, (1, 6, 6), method="fast")


def test_gated_without_vertical_residual_is_causal_blind_spot_free_and_samples_the_same_fast():
    torch.manual_seed(0)
    model = GatedPixelCNN(channels=12, layers=3, vertical_residual=False)
    h = w = 12
    order = _raster_index(h, w)
    for pixel in [(0, 5), (6, 6), (11, 11)]:
        field = receptive_field(model, pixel, (1, h, w))
        assert not (field[order >= order[pixel]] != 0).any() and (field != 0).any()
        assert blind_spot(field, pixel).sum() == 0
    model = model.double()
    assert torch.equal(sample(model, 2, (1, 9, 8), seed=1, method="naive"),
                       sample(model, 2, (1, 9, 8), seed=1, method="fast"))


def test_the_vertical_residual_changes_the_network_and_its_checkpoint_key():
    torch.manual_seed(0)
    x = (torch.rand(2, 1, 8, 8) < 0.5).float()
    outputs, configs = [], []
    for residual in (True, False):
        torch.manual_seed(1)
        model = GatedPixelCNN(channels=6, layers=3, vertical_residual=residual)
        outputs.append(model(x))
        configs.append(model.config)
    assert not torch.equal(outputs[0], outputs[1]) and configs[0] != configs[1]


# --- the learning-rate schedule -------------------------------------------------------------

def test_scheduled_lr_warms_up_linearly_then_decays_as_a_cosine_to_zero():
    from course_lib.models.pixelcnn import scheduled_lr

    lr, total, warmup = 5e-3, 1000, 100
    rates = [scheduled_lr(step, total, lr, warmup) for step in range(total)]
    assert rates[0] == pytest.approx(lr / warmup) and rates[warmup - 1] == pytest.approx(lr)
    assert all(b > a for a, b in zip(rates[:warmup - 1], rates[1:warmup]))      # rises
    assert all(b < a for a, b in zip(rates[warmup:-1], rates[warmup + 1:]))     # then only falls
    assert rates[total // 2] == pytest.approx(lr / 2)                           # cos(pi/2) = 0
    assert rates[-1] < lr * 1e-4 and scheduled_lr(total, total, lr, warmup) == 0.0
    assert scheduled_lr(5 * total, total, lr, warmup) == 0.0                    # never negative
    assert scheduled_lr(0, total, lr, warmup=0) == pytest.approx(lr)            # no warm-up
    for bad in (dict(step=-1), dict(step=1.5), dict(total_steps=0), dict(warmup=-3)):
        args = dict(step=0, total_steps=10, lr=lr, warmup=2) | bad
        with pytest.raises(ValueError, match=next(iter(bad))):
            scheduled_lr(**args)


def test_fit_by_maximum_likelihood_follows_the_schedule_to_the_last_step(monkeypatch):
    """The optimiser's learning rate at every update is scheduled_lr of its step count."""
    from course_lib.models import pixelcnn as pc

    torch.manual_seed(0)
    images = (torch.rand(48, 1, 6, 6) < 0.3).float()
    model = PixelCNN(channels=4, layers=1)
    used = []
    step = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        used.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    pc.fit_by_maximum_likelihood(model, images, images[:8], epochs=2, lr=1e-2, batch_size=16,
                                 warmup=2, progress=False, verbose=False)
    assert used == pytest.approx([pc.scheduled_lr(i, 6, 1e-2, 2) for i in range(6)])
    assert used[-1] < used[2] / 5                                         # decayed at the end


@pytest.mark.parametrize("kernel_size, layers", [(5, 3), (7, 6)])
def test_wide_gated_kernels_are_causal_see_exactly_rows_above_and_sample_the_same_fast(kernel_size,
                                                                                       layers):
    """Notebook 03's gated network uses 7-wide kernels: every rule must hold for them too."""
    torch.manual_seed(0)
    model = GatedPixelCNN(channels=6, layers=layers, kernel_size=kernel_size)
    assert model.rows_above == 4 + (layers - 1) * (kernel_size // 2)   # 7x7 first layer: 4 rows
    h, w = model.rows_above + 4, 2 * model.rows_above + 3
    order = _raster_index(h, w)
    pixel = (h - 2, w // 2)
    field = receptive_field(model, pixel, (1, h, w))
    seen_rows = torch.nonzero(field.sum(1) != 0).flatten()
    assert not (field[order >= order[pixel]] != 0).any()                 # causal
    assert blind_spot(field, pixel).sum() == 0                           # no blind spot
    assert seen_rows.min().item() == pixel[0] - model.rows_above         # reaches exactly that far
    model = model.double()
    assert torch.equal(sample(model, 2, (1, h, 9), seed=2, method="naive"),
                       sample(model, 2, (1, h, 9), seed=2, method="fast"))
