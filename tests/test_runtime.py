"""course_lib.runtime: profile, device, seeding, environment report, figures."""
import json

import numpy as np
import pytest
import torch

from course_lib import runtime


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv(runtime.PROFILE_ENV, raising=False)
    assert runtime.current_profile().name == "full"
    monkeypatch.setenv(runtime.PROFILE_ENV, "")
    assert runtime.current_profile().name == "full"


def test_profile_fast_changes_sizes_only(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "FAST ")
    profile = runtime.current_profile()
    assert profile.fast and profile.choose(full=20, fast=1) == 1
    assert runtime.Profile("full").choose(full=20, fast=1) == 20


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV, "quick")
    with pytest.raises(ValueError, match="expected one of"):
        runtime.current_profile()
    with pytest.raises(ValueError, match="unknown profile"):
        runtime.Profile("slow")


@pytest.mark.parametrize("cuda, mps, expected", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu"),
])
def test_device_order_is_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    """The expectation is written down, not computed by the code under test."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert runtime.choose_device().type == expected


def test_bad_device_requests_fail(monkeypatch):
    assert runtime.choose_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        runtime.choose_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        runtime.choose_device("cuda")
    with pytest.raises(ValueError, match="MPS is not available"):
        runtime.choose_device("mps")


def test_data_cache_defaults_to_the_home_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert runtime.cache_dir() == tmp_path / ".cache" / "course_lib"
    assert runtime.cache_dir().is_dir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "elsewhere"))
    assert runtime.cache_dir() == tmp_path / "elsewhere"


def test_seed_everything_repeats_every_generator():
    import random

    def draw():
        return random.random(), np.random.rand(), torch.rand(3).tolist()

    runtime.seed_everything(123)
    first = draw()
    runtime.seed_everything(123)
    assert draw() == first
    runtime.seed_everything(124)
    assert draw() != first
    with pytest.raises(ValueError):
        runtime.seed_everything(-1)


def test_setup_returns_what_it_chose(monkeypatch, capsys):
    monkeypatch.setenv(runtime.PROFILE_ENV, "fast")
    env = runtime.setup(seed=7)
    assert env.profile.fast and env.seed == 7 and env.threads >= 1
    assert torch.get_num_threads() == env.threads
    assert "profile=fast" in capsys.readouterr().out


def test_environment_report_warns_outside_tested_range(monkeypatch, capsys):
    assert runtime.environment_report() == []  # this machine is in the tested range
    monkeypatch.setattr(torch, "__version__", "1.13.1+cu117")
    warnings = runtime.environment_report()
    assert len(warnings) == 1 and "torch 1.13.1" in warnings[0]
    assert "WARNING" in capsys.readouterr().out


def test_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert not runtime.in_colab()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20260101")
    assert runtime.in_colab()


def test_report_prints_and_records(tmp_path, monkeypatch, capsys):
    record = tmp_path / "figures.jsonl"
    monkeypatch.setenv(runtime.REPORT_ENV, str(record))
    runtime.report("test accuracy", 0.981234, unit="")
    runtime.report("epoch time", torch.tensor(1.5), unit="s")
    out = capsys.readouterr().out
    assert "[key result] test accuracy = 0.9812" in out and "[key result] epoch time = 1.5 s" in out
    assert "[figure]" not in out          # read in a browser as if a picture were missing
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert [{k: r[k] for k in ("name", "value", "unit", "number")} for r in rows] == [
        {"name": "test accuracy", "value": "0.9812", "unit": "", "number": 0.981234},
        {"name": "epoch time", "value": "1.5", "unit": "s", "number": 1.5}]


def test_report_records_where_it_was_measured(tmp_path, monkeypatch, capsys):
    """Each recorded figure carries the device, threads, profile and seed of the last setup()."""
    record = tmp_path / "figures.jsonl"
    monkeypatch.setenv(runtime.REPORT_ENV, str(record))
    monkeypatch.setenv(runtime.PROFILE_ENV, "fast")
    threads = torch.get_num_threads()
    try:
        env = runtime.setup(seed=7, device="cpu", quiet=True)
        runtime.report("class histogram", torch.tensor([0.25, 0.75]))
        runtime.report("profile", "fast")
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "[key result] class histogram = [0.25, 0.75]" in out
    histogram, text = [json.loads(line) for line in record.read_text().splitlines()]
    assert histogram["number"] == [0.25, 0.75] and "number" not in text
    assert {k: histogram[k] for k in ("device", "profile", "seed")} == {
        "device": "cpu", "profile": "fast", "seed": 7}
    assert histogram["threads"] == env.threads


def test_default_threads_follow_the_measurement_and_the_override(monkeypatch):
    """All usable cores (at most 8), shared among pytest-xdist workers; at least 1;
    $COURSE_CPU_THREADS wins; bad values are refused (docs/cpu_tuning.md)."""
    monkeypatch.delenv(runtime.THREADS_ENV, raising=False)
    monkeypatch.delenv(runtime.SHARERS_ENV, raising=False)
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert runtime.usable_cores() == 2
    assert runtime.default_cpu_threads() == 2
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert runtime.default_cpu_threads() == 1  # pinned to one core (taskset): one thread
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert runtime.default_cpu_threads() == 8
    monkeypatch.setenv(runtime.SHARERS_ENV, "2")
    assert runtime.default_cpu_threads() == 4  # two workers share the 8
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert runtime.default_cpu_threads() == 1
    monkeypatch.setenv(runtime.SHARERS_ENV, "3")
    assert runtime.default_cpu_threads() == 1  # more workers than cores: still one thread
    for junk in ("", "0", "many"):
        monkeypatch.setenv(runtime.SHARERS_ENV, junk)
        assert runtime.default_cpu_threads() == 2  # not a worker count: ignored
    monkeypatch.setenv(runtime.THREADS_ENV, "3")
    assert runtime.default_cpu_threads() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(runtime.THREADS_ENV, bad)
        with pytest.raises(ValueError, match=runtime.THREADS_ENV):
            runtime.default_cpu_threads()
    with pytest.raises(ValueError, match="positive int"):
        runtime.set_cpu_threads(0)


def test_current_device_is_the_last_setups_choice_else_the_fastest(monkeypatch):
    """Checks make their models on the device the student's notebook chose (env.device)."""
    monkeypatch.setattr(runtime, "_LAST_SETUP", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.current_device() == torch.device("cuda")          # no setup yet: the fastest here
    chosen = runtime.Setup(device=torch.device("meta"), profile=runtime.Profile("fast"), seed=0,
                           threads=1, colab=False)
    monkeypatch.setattr(runtime, "_LAST_SETUP", chosen)
    assert runtime.current_device() == torch.device("meta")          # the notebook's choice wins


def test_synchronize_waits_for_the_gpu_and_does_nothing_on_the_cpu(monkeypatch):
    """Timings on a GPU must wait for the queued kernels; cpu and meta have nothing to wait for."""
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: waited.append(("cuda", device)))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: waited.append(("mps", None)))
    runtime.synchronize("cpu")
    runtime.synchronize(torch.device("meta"))
    assert waited == []
    runtime.synchronize("cuda:1")
    runtime.synchronize("mps")
    assert waited == [("cuda", torch.device("cuda:1")), ("mps", None)]
    chosen = runtime.Setup(device=torch.device("cuda"), profile=runtime.Profile("fast"), seed=0,
                           threads=1, colab=False)
    monkeypatch.setattr(runtime, "_LAST_SETUP", chosen)
    runtime.synchronize()                                            # default: the notebook's device
    assert waited[-1] == ("cuda", torch.device("cuda"))
