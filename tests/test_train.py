"""course_lib.train: the loop, history, resume, NaN, Ctrl-C, atomic checkpoints."""
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_lib import train


def make_problem(seed=0):
    """A small regression with a shuffled loader and dropout: resume must replay both RNGs."""
    torch.manual_seed(seed)
    x = torch.randn(96, 5)
    y = x @ torch.randn(5, 1) + 0.1 * torch.randn(96, 1)
    torch.manual_seed(seed + 1)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    return model, optimizer, loader


def mse(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def test_fit_learns_and_keeps_one_record_per_epoch():
    model, optimizer, loader = make_problem()
    history = train.fit(model, loader, mse, optimizer, epochs=4, progress=False, verbose=False,
                        evaluate=lambda m: {"weight norm": sum(p.norm() for p in m.parameters())})
    assert [r["epoch"] for r in history.records] == [1, 2, 3, 4]
    assert history["loss"][-1] < history["loss"][0]
    assert len(history["weight norm"]) == 4 and history.last["seconds"] > 0
    # evaluate() runs after each epoch's updates: the last record is today's model
    final_norm = float(sum(p.detach().norm() for p in model.parameters()))
    assert float(history["weight norm"][-1]) == pytest.approx(final_norm)
    assert len(set(map(float, history["weight norm"]))) == 4   # the weights moved each epoch
    assert not history.interrupted
    with pytest.raises(KeyError, match="logged"):
        history["kl"]


def test_dict_losses_log_every_term():
    model, optimizer, loader = make_problem()

    def loss_with_terms(model, batch):
        loss = mse(model, batch)
        return {"loss": loss, "half": loss / 2}
    history = train.fit(model, loader, loss_with_terms, optimizer, epochs=1, progress=False,
                        verbose=False)
    assert history["half"][0] == pytest.approx(history["loss"][0] / 2)


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(tmp_path):
    torch.manual_seed(100)
    model, optimizer, loader = make_problem()
    straight = train.fit(model, loader, mse, optimizer, epochs=3, progress=False, verbose=False)
    expected = [p.detach().clone() for p in model.parameters()]

    ckpt = tmp_path / "run.pt"
    torch.manual_seed(100)
    model, optimizer, loader = make_problem()
    train.fit(model, loader, mse, optimizer, epochs=1, checkpoint=ckpt, progress=False,
              verbose=False)
    # A new session: fresh objects (same data), another global RNG state, the checkpoint.
    model, optimizer, loader = make_problem()
    torch.manual_seed(999)
    resumed = train.fit(model, loader, mse, optimizer, epochs=3, checkpoint=ckpt,
                        progress=False, verbose=False)
    for got, want in zip(model.parameters(), expected):
        assert torch.equal(got, want)
    assert [r["loss"] for r in resumed.records] == [r["loss"] for r in straight.records]


def test_resume_of_a_finished_run_trains_nothing(tmp_path):
    ckpt = tmp_path / "run.pt"
    model, optimizer, loader = make_problem()
    train.fit(model, loader, mse, optimizer, epochs=2, checkpoint=ckpt, progress=False,
              verbose=False)
    before = [p.detach().clone() for p in model.parameters()]
    history = train.fit(model, loader, mse, optimizer, epochs=2, checkpoint=ckpt,
                        progress=False, verbose=False)
    assert len(history) == 2
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), before))


def test_nan_loss_stops_before_the_bad_update():
    model, optimizer, loader = make_problem()
    calls = {"n": 0}

    def loss_that_explodes(model, batch):
        calls["n"] += 1
        loss = mse(model, batch)
        return loss * float("nan") if calls["n"] == 8 else loss
    weights = {}

    def remember(model):
        weights["after epoch 1"] = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(train.TrainingDiverged, match="epoch 2, batch 2.*not finite") as err:
        train.fit(model, loader, loss_that_explodes, optimizer, epochs=3, progress=False,
                  verbose=False, evaluate=remember)
    assert len(err.value.history) == 1          # the completed epoch is kept
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_inf_loss_also_stops():
    model, optimizer, loader = make_problem()
    with pytest.raises(train.TrainingDiverged, match="inf"):
        train.fit(model, loader, lambda m, b: mse(m, b) + float("inf"), optimizer,
                  epochs=1, progress=False, verbose=False)


def test_keyboard_interrupt_keeps_model_and_history(capsys):
    model, optimizer, loader = make_problem()
    calls = {"n": 0}

    def interrupted_loss(model, batch):
        calls["n"] += 1
        if calls["n"] == 15:  # in the middle of epoch 3
            raise KeyboardInterrupt
        return mse(model, batch)
    history = train.fit(model, loader, interrupted_loss, optimizer, epochs=5, progress=False,
                        verbose=False)
    assert history.interrupted and len(history) == 2
    assert "Interrupted after 2 complete epoch(s)" in capsys.readouterr().out
    assert not model.training  # left in eval mode, ready to use


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    ckpt = tmp_path / "run.pt"
    model, optimizer, loader = make_problem()
    train.fit(model, loader, mse, optimizer, epochs=1, checkpoint=ckpt, progress=False,
              verbose=False)
    good = ckpt.read_bytes()
    real_save = torch.save

    def crash_half_way(obj, fh, *args, **kwargs):
        real_save(obj, fh, *args, **kwargs)
        fh.truncate(100)       # a half-written file...
        raise OSError("disk full")  # ...and then the crash
    monkeypatch.setattr(torch, "save", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        train.fit(model, loader, mse, optimizer, epochs=2, checkpoint=ckpt, progress=False,
                  verbose=False)
    assert ckpt.read_bytes() == good                          # the old checkpoint survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]  # no temp files left
    assert train.load_checkpoint(ckpt)["epoch"] == 1


def test_load_checkpoint_rejects_other_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        train.load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable course checkpoint"):
        train.load_checkpoint(junk)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a course checkpoint"):
        train.load_checkpoint(tmp_path / "other.pt")


def test_step_api_for_models_with_their_own_updates():
    """GANs alternate two optimisers: they pass `step` and log what they like."""
    model, optimizer, loader = make_problem()

    def step(batch):
        loss = mse(model, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach(), "extra": 1.0}
    history = train.fit(model, loader, step=step, optimizer=optimizer, epochs=2,
                        progress=False, verbose=False)
    assert history["extra"] == [1.0, 1.0]


@pytest.mark.parametrize("kwargs, error, message", [
    ({}, ValueError, "exactly one of loss_fn"),
    ({"loss_fn": mse}, ValueError, "needs an optimizer"),
    ({"loss_fn": mse, "optimizer": "opt", "epochs": -1}, ValueError, "epochs must be"),
])
def test_bad_arguments(kwargs, error, message):
    model, _, loader = make_problem()
    with pytest.raises(error, match=message):
        train.fit(model, loader, **kwargs)


def test_non_scalar_loss_is_a_clear_error():
    model, optimizer, loader = make_problem()
    with pytest.raises(ValueError, match="expected a scalar.*forget .mean"):
        train.fit(model, loader, lambda m, b: (m(b[0]) - b[1]) ** 2, optimizer, epochs=1,
                  progress=False, verbose=False)


def test_progress_bar_and_epoch_lines(capsys):
    model, optimizer, loader = make_problem()
    train.fit(model, loader, mse, optimizer, epochs=2, desc="demo")
    captured = capsys.readouterr()
    assert "epoch 2/2  loss" in captured.out
    assert "demo" in captured.err  # tqdm writes the bar to stderr


def test_checkpoint_path_is_keyed_by_name_and_settings(tmp_path):
    a = train.checkpoint_path("gated", {"channels": 64, "lr": 1e-3}, tmp_path)
    assert a.parent == tmp_path and a.name.startswith("gated-") and a.suffix == ".pt"
    assert train.checkpoint_path("gated", {"lr": 1e-3, "channels": 64}, tmp_path) == a  # order
    assert train.checkpoint_path("gated", {"channels": 32, "lr": 1e-3}, tmp_path) != a  # a setting
    assert train.checkpoint_path("plain", {"channels": 64, "lr": 1e-3}, tmp_path) != a  # the model
    with pytest.raises(ValueError, match="JSON"):
        train.checkpoint_path("gated", {"device": torch.device("cpu")}, tmp_path)
    with pytest.raises(ValueError, match="name"):
        train.checkpoint_path("a/b", {}, tmp_path)


def test_keyed_checkpoint_reused_and_resume_false_retrains(tmp_path):
    model, optimizer, loader = make_problem()
    path = train.checkpoint_path("mlp", {"epochs": 2}, tmp_path)
    first = train.fit(model, loader, mse, optimizer, epochs=2, checkpoint=path, progress=False,
                      verbose=False)
    model2, optimizer2, loader2 = make_problem(seed=5)
    again = train.fit(model2, loader2, mse, optimizer2, epochs=2, checkpoint=path, progress=False,
                      verbose=False)
    assert again.records == first.records                               # nothing retrained
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters()))
    model3, optimizer3, loader3 = make_problem(seed=5)
    fresh = train.fit(model3, loader3, mse, optimizer3, epochs=2, checkpoint=path, resume=False,
                      progress=False, verbose=False)
    assert fresh.records[0]["loss"] != first.records[0]["loss"]          # trained again
