"""Tests of course_lib.models.classifier (notebook 01)."""
import torch

from course_lib.models.classifier import cross_entropy_loss, digit_classifier, predict_proba


def test_classifier_outputs_a_distribution_over_labels_for_any_input():
    torch.manual_seed(0)
    model = digit_classifier(hidden=16)
    anything = torch.rand(5, 1, 28, 28) * 100                  # not even images in [0, 1]
    probs = predict_proba(model, anything, batch_size=2)
    assert probs.shape == (5, 10)
    assert torch.allclose(probs.sum(1), torch.ones(5))
    assert not model.training


def test_loss_is_log_10_for_a_uniform_classifier():
    model = digit_classifier(hidden=4)
    for p in model.parameters():
        torch.nn.init.zeros_(p)
    loss = cross_entropy_loss(model, (torch.rand(3, 1, 28, 28), torch.tensor([0, 5, 9])))
    assert abs(loss.item() - torch.log(torch.tensor(10.0)).item()) < 1e-6
