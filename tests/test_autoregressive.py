"""Tests of the exact tabular chain-rule model (course_lib.models.autoregressive, notebook 02)."""
import math

import pytest
import torch

from course_lib.models.autoregressive import (TabularChainRule, all_binary_images, downsample_binary,
                                              empirical_probabilities, image_codes)


def _tiny_data(n=300, d=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = (torch.rand(n, 1, generator=g) < 0.5).float()
    flips = (torch.rand(n, d, generator=g) < 0.2).float()
    return (base + flips) % 2                                    # correlated pixels


def test_all_images_and_codes_round_trip():
    images = all_binary_images(9)
    assert images.shape == (512, 9)
    assert torch.equal(image_codes(images), torch.arange(512))


@pytest.mark.parametrize("smoothing", [0.0, 1.0])
@pytest.mark.parametrize("context_size", [None, 0, 1, 3])
def test_probabilities_of_all_512_images_sum_to_one(smoothing, context_size):
    model = TabularChainRule(9, context_size=context_size, smoothing=smoothing).fit(_tiny_data())
    assert model.probabilities_of_all_images().sum().item() == pytest.approx(1.0, abs=1e-12)


def test_full_table_has_511_parameters_and_unsmoothed_equals_empirical():
    x = _tiny_data()
    model = TabularChainRule(9, smoothing=0.0).fit(x)
    assert model.n_parameters == 2 ** 9 - 1
    assert torch.allclose(model.probabilities_of_all_images(), empirical_probabilities(x), atol=1e-12)


def test_order_does_not_matter_with_full_context_but_does_with_a_short_one():
    x = _tiny_data(seed=3)
    x[:, 4] = x[:, 0]                                            # a long-range dependency
    orders = [list(range(9)), [0, 3, 6, 1, 4, 7, 2, 5, 8], [8, 0, 2, 3, 7, 1, 4, 5, 6]]
    full = [TabularChainRule(9, order, smoothing=0.0).fit(x).log_prob(x).sum().item() for order in orders]
    assert max(full) - min(full) < 1e-8
    short = [TabularChainRule(9, order, context_size=1, smoothing=0.0).fit(x).log_prob(x).sum().item()
             for order in orders]
    assert max(short) - min(short) > 1.0


def test_uniform_table_costs_one_bit_per_pixel():
    model = TabularChainRule(9, smoothing=1.0)                   # no data: every entry is 1/2
    x = _tiny_data(n=20)
    assert (-model.log_prob(x) / (9 * math.log(2))).tolist() == pytest.approx([1.0] * 20)


def test_sampling_follows_the_model():
    x = _tiny_data(n=500)
    model = TabularChainRule(9, order=[4, 0, 1, 2, 3, 5, 6, 7, 8], smoothing=1.0).fit(x)
    samples = model.sample(200_000, seed=0)
    assert samples.shape == (200_000, 9)
    assert torch.equal(model.sample(100, seed=1), model.sample(100, seed=1))
    # total variation between sample frequencies and the model: sampling noise ~ 0.015 here
    tv = 0.5 * (empirical_probabilities(samples) - model.probabilities_of_all_images()).abs().sum()
    assert tv < 0.03


def test_downsample_binary_and_bad_inputs():
    images = torch.zeros(2, 1, 28, 28)
    images[:, :, :10, :10] = 1
    small = downsample_binary(images, 3)
    assert small.shape == (2, 1, 3, 3) and small[0, 0, 0, 0] == 1 and small[0, 0, 2, 2] == 0
    with pytest.raises(ValueError, match="permutation"):
        TabularChainRule(3, order=[0, 0, 1])
    with pytest.raises(ValueError, match="expects 9"):
        TabularChainRule(9).fit(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="0s and 1s"):
        TabularChainRule(4).fit(torch.full((3, 4), 0.5))
    with pytest.raises(ValueError, match="shape"):
        downsample_binary(torch.zeros(28, 28))
