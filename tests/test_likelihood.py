"""course_lib.likelihood: the units every density model reports in, and its input check."""
import math

import pytest
import torch

from course_lib import likelihood


def test_as_binary_vectors_flattens_binary_images_to_float64_rows():
    x = torch.tensor([[[[0.0, 1.0], [1.0, 1.0]]], [[[0.0, 0.0], [1.0, 0.0]]]], requires_grad=True)
    flat = likelihood.as_binary_vectors(x, dim=4)
    assert flat.shape == (2, 4) and flat.dtype == torch.float64 and not flat.requires_grad
    assert flat.tolist() == [[0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0]]


@pytest.mark.parametrize("bad, message", [
    ([[0.0, 1.0]], "x must be a torch.Tensor of binary images, got list"),
    (torch.tensor([[0, 1]]), "x must be a float tensor of 0s and 1s, got dtype torch.int64"),
    (torch.tensor([0.0, 1.0]), r"x must have shape \(N, D\) or \(N, 1, H, W\), got \(2,\)"),
    (torch.tensor([[0.0, 0.5]]), "x must hold only 0s and 1s: binarise grey images first"),
    (torch.tensor([[1.0, 2.0]]), "x must hold only 0s and 1s"),
    (torch.tensor([[0.0, -1.0]]), "x must hold only 0s and 1s"),
])
def test_as_binary_vectors_refuses_what_is_not_binary_images(bad, message):
    with pytest.raises(ValueError, match=message):
        likelihood.as_binary_vectors(bad)


def test_as_binary_vectors_names_the_argument_and_the_expected_size():
    with pytest.raises(ValueError, match="images has 3 pixels per image, the model expects 4"):
        likelihood.as_binary_vectors(torch.zeros(2, 3), dim=4, what="images")
    with pytest.raises(ValueError, match=r"^images must hold only 0s and 1s: binarise grey images first "
                                         r"\(data\.binarize\)$"):
        likelihood.as_binary_vectors(torch.full((1, 2), 0.5), what="images")
    with pytest.raises(ValueError, match=r"^images must be a float tensor of 0s and 1s, got dtype torch.int64 "
                                         r"\(use data\.binarize\(images\) to get binary float images\)$"):
        likelihood.as_binary_vectors(torch.tensor([[0, 1]]), what="images")


def test_bits_per_dim_of_a_fair_coin_is_one_and_averages_over_images():
    coin = torch.tensor([784 * math.log(0.5)] * 3, dtype=torch.float32)
    assert likelihood.bits_per_dim(coin, 784) == pytest.approx(1.0, rel=1e-7)
    assert isinstance(likelihood.bits_per_dim(coin, 784), float)
    mixed = torch.tensor([-1.0, -3.0], dtype=torch.float64)      # mean 2 nats
    # float32 inputs are averaged in float64: a float32 mean would round 4194304.75 to 4194304
    wide = torch.tensor([-16777216.0, -1.0, -1.0, -1.0], dtype=torch.float32)
    assert likelihood.bits_per_dim(wide, 1) == pytest.approx(4194304.75 / math.log(2), rel=1e-12)
    assert likelihood.bits_per_dim(mixed, 2) == pytest.approx(1 / math.log(2), rel=1e-12)


def test_nats_to_bits_per_dim_refuses_a_dimension_that_is_not_positive():
    assert likelihood.nats_to_bits_per_dim(2 * math.log(2), 2) == pytest.approx(1.0, rel=1e-12)
    for dim in (0, -3):
        with pytest.raises(ValueError, match=f"dim must be the number of pixels per image \\(> 0\\), got {dim}"):
            likelihood.nats_to_bits_per_dim(1.0, dim)
    assert likelihood.nats_to_bits_per_dim(1.0, 1) == pytest.approx(1 / math.log(2))


def test_as_binary_vectors_refuses_an_empty_batch_with_a_clear_error():
    with pytest.raises(ValueError, match="holds no images"):
        likelihood.as_binary_vectors(torch.zeros(0, 3))
