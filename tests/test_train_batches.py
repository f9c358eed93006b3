"""train.TensorBatches: every example once per epoch, reshuffled, reproducible by seed."""
import pytest
import torch

from course_lib import train


def test_every_example_once_per_epoch_and_reshuffled():
    x = torch.arange(10).float()
    y = torch.arange(10) * 2
    batches = train.TensorBatches(x, y, batch_size=4)
    assert len(batches) == 3
    torch.manual_seed(0)
    first = list(batches)
    assert [len(b[0]) for b in first] == [4, 4, 2]
    seen = torch.cat([b[0] for b in first])
    assert sorted(seen.tolist()) == list(range(10))
    for bx, by in first:
        assert torch.equal(by, (bx * 2).long())
    second = torch.cat([b[0] for b in batches])
    assert not torch.equal(seen, second)


def test_same_seed_same_order_and_single_tensor_batches_are_tensors():
    x = torch.arange(7).float()
    torch.manual_seed(3)
    a = [b.clone() for b in train.TensorBatches(x, batch_size=3)]
    torch.manual_seed(3)
    b = list(train.TensorBatches(x, batch_size=3))
    assert all(isinstance(t, torch.Tensor) for t in a)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert len(train.TensorBatches(x, batch_size=3, drop_last=True)) == 2
    assert torch.equal(torch.cat(list(train.TensorBatches(x, batch_size=3, shuffle=False))), x)


def test_fit_trains_on_tensor_batches():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train.fit(model, train.TensorBatches(x, y, batch_size=16),
                        lambda m, b: ((m(b[0]).squeeze(1) - b[1]) ** 2).mean(), opt, epochs=5,
                        progress=False, verbose=False)
    assert history["loss"][-1] < 0.1 * history["loss"][0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="same length"):
        train.TensorBatches(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        train.TensorBatches(torch.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="tensors"):
        train.TensorBatches()
