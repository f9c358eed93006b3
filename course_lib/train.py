"""One small training loop for every notebook: progress bar, history, checkpoints, resume.

Taught in notebook 00 (welcome); used by every notebook that trains a model.

    history = fit(model, loader, loss_fn, optimizer, epochs=5)

``loss_fn(model, batch)`` returns the scalar loss, or a dict with a ``"loss"`` entry and
any other scalars to log (a VAE logs its reconstruction and KL terms). Models that are
not trained by one loss and one optimiser (GANs alternate two) pass ``step(batch)``
instead, which does its own updates and returns the dict of numbers to log.

What the loop promises:

* a tqdm progress bar with the running loss, and one history record per epoch;
* ``evaluate(model)`` after each epoch, its numbers added to that epoch's record;
* ``checkpoint=path``: saved after every epoch, atomically (a crash while saving
  never corrupts the previous file); calling ``fit`` again with the same path resumes
  where it stopped and ends with exactly the weights an uninterrupted run would have;
* a NaN or infinite loss stops training *before* the bad update, with a clear error;
* Ctrl-C (KeyboardInterrupt) stops cleanly: the model keeps its weights and the
  history its completed epochs.

:func:`checkpoint_path` names a checkpoint after the model *and its settings*, so that a
notebook run again with the same settings reuses the trained weights, a changed setting
trains afresh, and ``fit(..., resume=False)`` is the switch that forces retraining::

    path = checkpoint_path("gated_pixelcnn", {"channels": 64, "lr": 1e-3, "epochs": 8})
    history = fit(model, loader, loss_fn, optimizer, epochs=8, checkpoint=path,
                  resume=not RETRAIN)
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

from course_lib.files import atomic_writer

CHECKPOINT_FORMAT = 1


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; ``history`` holds the epochs completed before."""

    def __init__(self, message: str, history: "History"):
        super().__init__(message)
        self.history = history


@dataclass
class History:
    """One record (a dict of numbers) per completed epoch."""

    records: list[dict] = field(default_factory=list)
    interrupted: bool = False

    def __len__(self):
        return len(self.records)

    def __getitem__(self, key: str) -> list[float]:
        """``history["loss"]``: that number for every epoch that logged it."""
        if not any(key in r for r in self.records):
            known = sorted({k for r in self.records for k in r})
            raise KeyError(f"no epoch logged {key!r}; logged: {known}")
        return [r[key] for r in self.records if key in r]

    @property
    def last(self) -> dict:
        return self.records[-1] if self.records else {}


# --- checkpoints ----------------------------------------------------------------------

def save_checkpoint(path: str | os.PathLike, state: Mapping) -> None:
    """``torch.save`` that never leaves a half-written file where ``path`` was.

    See :mod:`course_lib.files`: a temporary file, flushed, then renamed over ``path``.
    """
    with atomic_writer(path) as fh:
        torch.save(dict(state), fh)


def checkpoint_path(name: str, config: Mapping, directory: str | os.PathLike | None = None) -> Path:
    """``<directory>/<name>-<key>.pt``: the key is a hash of ``config`` (notebooks 03-06).

    ``config`` holds every setting that changes the trained weights (model sizes, learning
    rate, batch size, epochs, data source and size, seeds, profile): JSON-like values, key
    order irrelevant. ``directory`` defaults to ``<course cache>/checkpoints``.
    """
    if not isinstance(name, str) or not name or any(ch in name for ch in "/\\ "):
        raise ValueError(f"name must be a non-empty string without '/', '\\' or spaces, got {name!r}")
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict of settings, got {type(config).__name__}")
    try:
        text = json.dumps(dict(config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"config must hold only JSON values (numbers, strings, lists, dicts, "
                         f"None): {err}") from err
    key = hashlib.sha256(f"{name}\n{text}".encode()).hexdigest()[:12]
    if directory is None:
        from course_lib.runtime import cache_dir
        directory = cache_dir() / "checkpoints"
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}-{key}.pt"


def load_checkpoint(path: str | os.PathLike) -> dict:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:
        raise ValueError(f"{path} is not a readable course checkpoint ({err})") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a course checkpoint (format {CHECKPOINT_FORMAT} expected)")
    return state


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_list(optimizer) -> list:
    if optimizer is None:
        return []
    if isinstance(optimizer, torch.optim.Optimizer):
        return [optimizer]
    if isinstance(optimizer, Mapping):
        return list(optimizer.values())
    return list(optimizer)


# --- the loop -------------------------------------------------------------------------

def to_device(batch, device):
    """Move a tensor, or a tuple / list / dict of tensors, to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, Mapping):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _as_numbers(out, where: str) -> dict[str, torch.Tensor]:
    if isinstance(out, torch.Tensor) or isinstance(out, (int, float)):
        out = {"loss": out}
    if not isinstance(out, Mapping) or not out:
        raise TypeError(f"{where} must return a scalar loss or a dict of scalars, got {type(out).__name__}")
    numbers = {}
    for key, value in out.items():
        value = torch.as_tensor(value)
        if value.numel() != 1:
            raise ValueError(f"{where} returned {key!r} with shape {tuple(value.shape)}: "
                             "expected a scalar (did you forget .mean() or .sum()?)")
        numbers[key] = value.reshape(())
    return numbers


def fit(model: torch.nn.Module, loader, loss_fn: Callable | None = None, optimizer=None,
        epochs: int = 1, *, step: Callable | None = None, evaluate: Callable | None = None,
        checkpoint: str | os.PathLike | None = None, resume: bool = True,
        device: torch.device | str | None = None, grad_clip: float | None = None,
        progress: bool = True, desc: str = "training", verbose: bool = True) -> History:
    """Train ``model`` for ``epochs`` passes over ``loader``; return the :class:`History`.

    Give either ``loss_fn`` and ``optimizer`` (the usual case) or ``step``.
    """
    if (step is None) == (loss_fn is None):
        raise ValueError("give exactly one of loss_fn (with optimizer) or step")
    if loss_fn is not None and optimizer is None:
        raise ValueError("loss_fn needs an optimizer")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    device = torch.device(device)
    model.to(device)
    optimizers = _as_list(optimizer)
    history = History()
    start_epoch = 0

    if checkpoint is not None and resume and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint)
        model.load_state_dict(state["model"])
        if len(state["optimizers"]) != len(optimizers):
            raise ValueError(f"{checkpoint} holds {len(state['optimizers'])} optimizer states, "
                             f"this run has {len(optimizers)}")
        for opt, opt_state in zip(optimizers, state["optimizers"]):
            opt.load_state_dict(opt_state)
        history = History(records=list(state["history"]))
        start_epoch = state["epoch"]
        _set_rng_state(state["rng"])
        if verbose:
            print(f"Resumed from {checkpoint} after epoch {start_epoch}.")

    def default_step(batch):
        out = _as_numbers(loss_fn(model, batch), "loss_fn")
        loss = out["loss"]
        if not torch.isfinite(loss):
            return out  # checked below, before any update
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        for opt in optimizers:
            opt.step()
        return out

    n_batches = len(loader)
    bar = tqdm(total=(epochs - start_epoch) * n_batches, desc=desc, disable=not progress,
               dynamic_ncols=True, mininterval=0.5)
    try:
        for epoch in range(start_epoch, epochs):
            model.train()
            started = time.perf_counter()
            sums: dict[str, float] = {}
            seen = 0
            for i, batch in enumerate(loader):
                batch = to_device(batch, device)
                out = _as_numbers(step(batch) if step is not None else default_step(batch),
                                  "step" if step is not None else "loss_fn")
                bad = {k: v.item() for k, v in out.items() if not math.isfinite(v.item())}
                if bad:
                    raise TrainingDiverged(
                        f"training stopped at epoch {epoch + 1}, batch {i + 1}: {bad} is not finite. "
                        + ("The model keeps the weights from before this batch. " if step is None else "")
                        + "Usual causes: a learning rate that is too high, log(0) or a division "
                        "by zero in the loss.",
                        history)
                for key, value in out.items():
                    sums[key] = sums.get(key, 0.0) + value.item()
                seen += 1
                bar.update(1)
                bar.set_postfix({k: f"{v / seen:.4g}" for k, v in sums.items()}, refresh=False)
            record = {"epoch": epoch + 1, **{k: v / max(seen, 1) for k, v in sums.items()}}
            if evaluate is not None:
                model.eval()
                with torch.no_grad():
                    extra = evaluate(model) or {}
                record.update({k: float(v) for k, v in extra.items()})
            record["seconds"] = time.perf_counter() - started
            history.records.append(record)
            if verbose:
                shown = "  ".join(f"{k} {v:.4g}" for k, v in record.items()
                                  if k not in ("epoch", "seconds"))
                bar.write(f"epoch {epoch + 1}/{epochs}  {shown}  ({record['seconds']:.1f} s)")
            if checkpoint is not None:
                save_checkpoint(checkpoint, {
                    "format": CHECKPOINT_FORMAT, "epoch": epoch + 1,
                    "model": model.state_dict(),
                    "optimizers": [opt.state_dict() for opt in optimizers],
                    "history": history.records, "rng": _rng_state()})
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"\nInterrupted after {len(history)} complete epoch(s): the model keeps its "
              "current weights and `history` the completed epochs."
              + (f" Run again to resume from {checkpoint}." if checkpoint else ""))
    finally:
        bar.close()
        model.eval()
    return history


# --- mini-batches from tensors in memory ---------------------------------------------------

class TensorBatches:
    """Mini-batches of tensors already in memory, reshuffled every epoch: a light DataLoader.

    ``fit(model, TensorBatches(images, batch_size=128), ...)`` trains exactly like a
    shuffled ``DataLoader`` over a ``TensorDataset``, without its per-item overhead: on a
    CPU a 784-400-20 VAE epoch costs about a third as much (notebooks 04 and 05). Shuffling
    draws from torch's global generator, so ``runtime.setup(seed)`` fixes it and a resumed
    ``fit`` continues the same sequence. One tensor gives batches that are tensors; several
    give tuples (images, labels).
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int = 128, shuffle: bool = True,
                 drop_last: bool = False):
        if not tensors or not all(isinstance(t, torch.Tensor) for t in tensors):
            raise ValueError("give one or more tensors with the examples along dim 0")
        if len({len(t) for t in tensors}) != 1:
            raise ValueError(f"all tensors need the same length, got {[len(t) for t in tensors]}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.tensors, self.batch_size = tensors, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last

    def __len__(self) -> int:
        n = len(self.tensors[0])
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.tensors[0])
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        for i in range(len(self)):
            index = order[i * self.batch_size:(i + 1) * self.batch_size]
            batch = tuple(t[index] for t in self.tensors)
            yield batch[0] if len(batch) == 1 else batch
