"""Where and how the course runs: device, seeds, the run profile, Colab, threads.

Taught in notebook 00 (welcome); every notebook calls :func:`setup` in its first
cells.

The run profile
---------------
``full`` (the default) is what students see. ``fast`` is for CI and the tests: it
shrinks data sizes and epochs so that every line of every notebook runs in seconds.
The profile changes *sizes*, never code paths::

    profile = runtime.current_profile()
    epochs = profile.choose(full=10, fast=1)

It is read from the environment variable ``COURSE_PROFILE``.
"""
from __future__ import annotations

import json
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

PROFILE_ENV = "COURSE_PROFILE"
REPORT_ENV = "COURSE_REPORT_FILE"
PROFILES = ("full", "fast")

# The range the course is tested on. Outside it we warn, never fail: Colab moves on.
TESTED_PYTHON = ((3, 10), (3, 13))
TESTED_TORCH = ((2, 2), (2, 14))


@dataclass(frozen=True)
class Profile:
    """The run profile: ``full`` for students, ``fast`` for CI and tests."""

    name: str

    def __post_init__(self):
        if self.name not in PROFILES:
            raise ValueError(f"unknown profile {self.name!r}: expected one of {PROFILES}")

    @property
    def fast(self) -> bool:
        return self.name == "fast"

    def choose(self, *, full, fast):
        """The value for this profile: ``profile.choose(full=20, fast=1)``."""
        return fast if self.fast else full


def current_profile() -> Profile:
    """The profile named by ``$COURSE_PROFILE`` (``full`` when unset or empty)."""
    name = os.environ.get(PROFILE_ENV, "").strip().lower() or "full"
    if name not in PROFILES:
        raise ValueError(
            f"{PROFILE_ENV}={name!r} is not a profile: expected one of {PROFILES} "
            f"(unset it for the default, 'full')"
        )
    return Profile(name)


def choose_device(prefer: str | None = None) -> torch.device:
    """The fastest device here: cuda, then Apple's mps, then cpu.

    ``prefer`` forces one (``"cpu"`` is handy to compare speed); asking for a
    device that is not available is an error rather than a silent fallback.
    """
    if prefer is not None:
        try:
            device = torch.device(prefer)
        except (RuntimeError, TypeError):
            device = None
        if device is None or device.type not in ("cpu", "cuda", "mps"):
            raise ValueError(f"unknown device {prefer!r}: expected 'cpu', 'cuda' or 'mps'")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was requested but no CUDA GPU is available here")
        if device.type == "mps" and not _mps_available():
            raise ValueError("device 'mps' was requested but Apple's MPS is not available here")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (on every device)."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


THREADS_ENV = "COURSE_CPU_THREADS"
MAX_THREADS = 8
# Measured, not assumed (docs/cpu_tuning.md, benchmarks/cpu_tuning.py): on a quiet 2-core
# CPU every course model trained 1.0-1.95x faster with 2 intra-op threads than with 1; on
# a loaded one (another process on a core) 2 threads were up to 50x slower. So each
# process takes the cores it may use, shared out among processes known to run beside it.
SHARERS_ENV = "PYTEST_XDIST_WORKER_COUNT"  # pytest-xdist sets it in every worker (and its kernels)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def default_cpu_threads() -> int:
    """The thread count :func:`set_cpu_threads` uses when given none.

    ``$COURSE_CPU_THREADS`` if set; else the cores we may use (at most ``MAX_THREADS``),
    divided among the processes that share them: under pytest-xdist the workers (their
    notebook kernels inherit the variable), and the grader's ``-j`` kernels get
    ``$COURSE_CPU_THREADS`` from it. At least 1.
    """
    text = os.environ.get(THREADS_ENV, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{THREADS_ENV}={text!r}: expected a positive whole number of threads")
        return int(text)
    sharers = os.environ.get(SHARERS_ENV, "").strip()
    sharers = int(sharers) if sharers.isdigit() and int(sharers) > 0 else 1
    return max(1, min(usable_cores(), MAX_THREADS) // sharers)


def set_cpu_threads(n: int | None = None) -> int:
    """Set PyTorch's intra-op threads: ``n``, else :func:`default_cpu_threads`.

    PyTorch starts one thread per core it sees, sometimes more than a container grants, and
    does not know about the other processes the course runs beside it (docs/cpu_tuning.md).
    """
    if n is None:
        n = default_cpu_threads()
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive int, got {n!r}")
    torch.set_num_threads(n)
    return n


@dataclass(frozen=True)
class Setup:
    """What :func:`setup` decided; notebooks keep it as ``env``."""

    device: torch.device
    profile: Profile
    seed: int
    threads: int
    colab: bool

    def __str__(self):
        return (f"device={self.device.type}  profile={self.profile.name}  seed={self.seed}  "
                f"threads={self.threads}  colab={self.colab}")


def setup(seed: int = 0, device: str | None = None, quiet: bool = False) -> Setup:
    """The one call every notebook makes: threads, seed, device and profile."""
    threads = set_cpu_threads()
    seed_everything(seed)
    env = Setup(device=choose_device(device), profile=current_profile(), seed=seed,
                threads=threads, colab=in_colab())
    global _LAST_SETUP
    _LAST_SETUP = env
    if not quiet:
        print(env)
    return env


def _version_tuple(version: str) -> tuple[int, int]:
    major, minor = version.split("+")[0].split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def environment_report() -> list[str]:
    """Describe this environment; warn (never fail) outside the tested range.

    Returns the warnings so that a test, or a curious student, can inspect them.
    """
    py = sys.version_info[:2]
    torch_v = _version_tuple(torch.__version__)
    rows = [
        ("python", sys.version.split()[0]),
        ("torch", torch.__version__),
        ("device", choose_device().type),
        ("profile", current_profile().name),
        ("colab", str(in_colab())),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    warnings = []
    if not TESTED_PYTHON[0] <= py <= TESTED_PYTHON[1]:
        warnings.append(f"Python {py[0]}.{py[1]} is outside the tested range "
                        f"{TESTED_PYTHON[0]}..{TESTED_PYTHON[1]}: things may still work.")
    if not TESTED_TORCH[0] <= torch_v <= TESTED_TORCH[1]:
        warnings.append(f"torch {torch.__version__} is outside the tested range "
                        f"{TESTED_TORCH[0]}..{TESTED_TORCH[1]}: things may still work.")
    for w in warnings:
        print("WARNING:", w)
    if not warnings:
        print("All versions are in the tested range.")
    return warnings


def _plain(value):
    """A figure as JSON-ready Python: a number, a string, or a list of numbers."""
    if hasattr(value, "tolist"):  # a tensor or NumPy array (a 0-d one gives a number)
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value if isinstance(value, bool) else str(value)
    return value


def report(name: str, value, unit: str = "") -> None:
    """Print one of a notebook's key figures, and record it for the course run.

    When ``python -m course_lib.grading.execute`` runs the notebooks (``make course``,
    ``make bench``) it sets ``$COURSE_REPORT_FILE``; each figure lands there with the
    device, threads, profile and seed of the last :func:`setup`, so the summary table
    and the benchmark quote the notebook's own number, never a retyped one. ``value``
    may be a number, a string, or a 1-D sequence (a class histogram).
    """
    value = _plain(value)
    if isinstance(value, float):
        shown = f"{value:.4g}"
    elif isinstance(value, list):
        shown = "[" + ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in value) + "]"
    else:
        shown = str(value)
    # Printed as a labelled result ("[figure]" read as if a picture were missing).
    print(f"[key result] {name} = {shown}{(' ' + unit) if unit else ''}")
    path = os.environ.get(REPORT_ENV)
    if path:
        record = {"name": name, "value": shown, "unit": unit}
        if isinstance(value, (int, float, list)) and not isinstance(value, bool):
            record["number"] = value
        record.update(_run_context())
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


_LAST_SETUP: "Setup | None" = None


def current_device() -> torch.device:
    """The device the last :func:`setup` chose (the notebook's ``env.device``), else :func:`choose_device`'s.

    Checks make their reference models here, so that they run where the student's code runs.
    """
    return _LAST_SETUP.device if _LAST_SETUP is not None else choose_device()


def synchronize(device: torch.device | str | None = None) -> None:
    """Wait until the work queued on ``device`` (default :func:`current_device`) has finished.

    A GPU runs asynchronously: a PyTorch call on cuda or mps returns as soon as its kernels
    are queued, so a clock read right after it times the launch, not the work. Timings call
    this before each clock read; on the CPU (and on ``meta``) the work is already done and it
    does nothing.
    """
    device = current_device() if device is None else torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _run_context() -> dict:
    """Where a figure was measured: the last :func:`setup`'s choices, else what is current."""
    env = _LAST_SETUP
    return {"device": env.device.type if env else choose_device().type,
            "threads": torch.get_num_threads(),
            "profile": env.profile.name if env else current_profile().name,
            "seed": env.seed if env else None}


def cache_dir() -> Path:
    """Where the course keeps downloaded and converted data (``$COURSE_DATA_DIR``)."""
    root = os.environ.get("COURSE_DATA_DIR")
    path = Path(root) if root else Path.home() / ".cache" / "course_lib"
    path.mkdir(parents=True, exist_ok=True)
    return path
