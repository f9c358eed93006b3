"""The sampling stepper and the completion explorer of notebook 03 (course_lib.pixel_widgets)."""
import pytest
import torch

from course_lib.models.pixelcnn import GatedPixelCNN, PixelCNN, fit_by_maximum_likelihood, sample
from course_lib.pixel_widgets import CompletionExplorer, SamplingStepper, occlusion_mask
from course_lib import train


def _model():
    torch.manual_seed(0)
    return GatedPixelCNN(channels=6, layers=2)


def test_stepper_replays_the_sample_pixel_by_pixel():
    model = _model()
    stepper = SamplingStepper(model, seed=2)
    assert torch.equal(stepper.final, sample(model, 1, seed=2))
    for step in (0, 1, 27, 28, 300, 783):
        info = stepper.numbers(step)
        r, c = divmod(step, 28)
        assert info["pixel"] == int(stepper.final[0, 0, r, c].item())    # the drawn pixel
        assert info["canvas"].flatten()[step:].sum() == 0                  # nothing drawn yet
        assert torch.equal(info["canvas"].flatten()[:step], stepper.final.flatten()[:step])
        assert torch.equal(sample(model, 1, seed=2, stop_after=step)[0, 0], info["canvas"])
    assert stepper.update(5) is not None and stepper.last["step"] == 5
    with pytest.raises(ValueError, match="step"):
        stepper.numbers(784)
    with pytest.raises(ValueError, match="Bernoulli"):
        SamplingStepper(GatedPixelCNN(channels=4, layers=1, levels=4))


def test_occlusion_masks():
    assert occlusion_mask("bottom rows", 14)[0, 14:].sum() == 0
    assert occlusion_mask("bottom rows", 14)[0, :14].all()
    assert occlusion_mask("right columns", 3)[0, :, 25:].sum() == 0
    square = occlusion_mask("centre square", 10)
    assert (~square).sum() == 100 and not square[0, 14, 14]
    assert occlusion_mask("bottom rows", 0).all()
    with pytest.raises(ValueError, match="kind"):
        occlusion_mask("top", 3)
    with pytest.raises(ValueError, match="amount"):
        occlusion_mask("bottom rows", 29)


def test_completion_explorer_keeps_what_is_known():
    torch.manual_seed(1)
    images = {"a": (torch.rand(1, 28, 28) < 0.3).float()}
    explorer = CompletionExplorer(_model(), images, n=3)
    explorer.update("a", "right columns", 10, seed=1)
    info = explorer.last
    assert info["completions"].shape == (3, 28, 28)
    assert torch.equal(info["completions"][:, :, :18], images["a"][:, :, :18].expand(3, 28, 18))
    assert set(explorer.controls()) == {"name", "kind", "amount", "seed"}
    with pytest.raises(ValueError, match="unknown image"):
        explorer.numbers("b")
    with pytest.raises(ValueError, match=r"\(1, 28, 28\)"):
        CompletionExplorer(_model(), {"x": torch.zeros(28, 28)})


def test_fit_by_maximum_likelihood_learns_logs_and_resumes(tmp_path):
    torch.manual_seed(0)
    base = (torch.rand(1, 1, 8, 8) < 0.5).float()
    images = (base + (torch.rand(64, 1, 8, 8) < 0.05).float()) % 2      # one pattern, some noise
    model = PixelCNN(channels=8, layers=1)
    path = train.checkpoint_path("tiny", {"epochs": 3}, tmp_path)
    history = fit_by_maximum_likelihood(model, images, images[:16], epochs=3, lr=1e-2, batch_size=16,
                                        warmup=2, checkpoint=path, progress=False, verbose=False)
    assert len(history) == 3 and history["test nats"][-1] < history["test nats"][0]
    assert history.last["test bits/dim"] == pytest.approx(history.last["test nats"] / (64 * 0.6931471805599453))
    again = PixelCNN(channels=8, layers=1)
    resumed = fit_by_maximum_likelihood(again, images, images[:16], epochs=3, lr=1e-2, batch_size=16,
                                        warmup=2, checkpoint=path, progress=False, verbose=False)
    assert resumed.records == history.records
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), again.parameters()))


def test_receptive_field_figure_draws_one_panel_per_field():
    from course_lib.models.pixelcnn import blind_spot, receptive_field
    from course_lib.pixel_widgets import receptive_field_figure

    field = receptive_field(PixelCNN(channels=4, layers=2), (8, 8), (1, 16, 16))
    fig = receptive_field_figure({"a": field, "b": field}, (8, 8), {"a": blind_spot(field, (8, 8))})
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "a"


def test_train_or_load_reuses_a_checkpoint_keyed_by_settings_and_retrains_on_request(tmp_path):
    from course_lib.models.pixelcnn import train_or_load

    torch.manual_seed(0)
    images = (torch.rand(32, 1, 8, 8) < 0.3).float()

    def run(channels=6, lr=1e-2, settings=None, retrain=False, warmup=100):
        torch.manual_seed(1)
        model = PixelCNN(channels=channels, layers=1)
        history, path = train_or_load("tiny", model, images, images[:8], epochs=2, lr=lr,
                                      batch_size=16, warmup=warmup, settings=settings or {"data": "a"},
                                      retrain=retrain, directory=tmp_path, progress=False,
                                      verbose=False)
        return model, history, path

    first, history, path = run()
    stamp = path.stat().st_mtime_ns
    loaded, again, same_path = run()                                     # unchanged: reload
    assert same_path == path and path.stat().st_mtime_ns == stamp       # nothing written
    assert again.records == history.records
    assert all(torch.equal(p, q) for p, q in zip(first.parameters(), loaded.parameters()))
    for changed in (dict(channels=7), dict(lr=2e-2), dict(settings={"data": "b"}), dict(warmup=3)):
        assert run(**changed)[2] != path                                  # another key: trains
    forced, forced_history, forced_path = run(retrain=True)              # the switch
    assert forced_path == path and path.stat().st_mtime_ns != stamp
    assert len(forced_history) == 2
    with pytest.raises(ValueError, match="config"):
        train_or_load("x", torch.nn.Conv2d(1, 1, 1), images, images, epochs=1, lr=1e-3,
                      batch_size=8, directory=tmp_path)
