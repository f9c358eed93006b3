r"""A small discriminative classifier of digits: it learns $p(y \mid x)$ and nothing else.

Taught in notebook 01 (supervised learning; the discriminative model that cannot
reject an unreasonable input).

A softmax over the 10 labels always sums to 1: whatever the input, the model must
spread all of its probability over the digits.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["digit_classifier", "cross_entropy_loss", "predict_proba", "confusion_matrix"]


def digit_classifier(hidden: int = 256, classes: int = 10, pixels: int = 784) -> nn.Module:
    """A two-layer perceptron: (N, 1, 28, 28) images -> (N, classes) logits."""
    return nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU(),
                         nn.Dropout(0.2), nn.Linear(hidden, classes))


def cross_entropy_loss(model: nn.Module, batch) -> torch.Tensor:
    r"""$-\log p(y \mid x)$ averaged over the batch: the loss ``train.fit`` minimises."""
    images, labels = batch
    return nn.functional.cross_entropy(model(images), labels)


@torch.no_grad()
def predict_proba(model: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    r"""$p(y \mid x)$ for every image: (N, classes) on the CPU, rows sum to 1."""
    model.eval()
    device = next(model.parameters()).device
    outputs = [torch.softmax(model(images[i:i + batch_size].to(device)), dim=1).cpu()
               for i in range(0, len(images), batch_size)]
    return torch.cat(outputs)


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, classes: int = 10) -> torch.Tensor:
    """counts[i, j] = how many images of true class i were predicted as j: (classes, classes)."""
    labels = torch.as_tensor(labels).long().cpu()
    predictions = torch.as_tensor(predictions).long().cpu()
    if labels.shape != predictions.shape or labels.dim() != 1:
        raise ValueError(f"labels and predictions must be 1-D and the same length, got "
                         f"{tuple(labels.shape)} and {tuple(predictions.shape)}")
    return torch.bincount(labels * classes + predictions, minlength=classes * classes).reshape(classes, classes)
