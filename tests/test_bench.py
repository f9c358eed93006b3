"""The course benchmark (benchmarks/bench.py, `make bench`) runs end to end: every stage, one cut.

To stay cheap inside the test suite this runs every stage of the pipeline on a small cut
of the fast profile: one notebook (00, the shortest), a 0.2 s throughput window per model,
one 8x8 image per sampler, one A0 submission graded at -j 1. The whole fast benchmark (all
seven notebooks, -j 1 and -j 2) is measured separately (`make bench PROFILE=fast`, about
5 minutes with the machine to itself). Figures are printed, never asserted against times:
only that each one is there, well formed, and carries where it was measured.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def test_benchmark_runs_every_stage_and_records_where_each_figure_was_measured(tmp_path):
    out = tmp_path / "bench"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--profile", "fast", "--notebooks", "00_welcome",
         "--window", "0.2", "--samples", "1", "--sample-side", "8", "--submissions", "1", "--jobs", "1", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=600)
    print(done.stdout[-6000:])
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "benchmark.json").read_text())
    markdown = (out / "benchmark.md").read_text()
    assert not list(out.glob(".*.tmp"))  # written atomically: no temporary file left behind
    assert not (out / "benchmark.partial.json").exists()  # the figures so far: removed once complete

    assert result["profile"] == "fast" and result["seed"] == 0
    assert {"torch", "numpy", "python"} <= set(result["environment"]["versions"])
    (notebook,) = result["notebooks"]
    assert notebook["notebook"] == "00_welcome" and notebook["status"] == "ok" and notebook["seconds"] > 0
    assert notebook["figures"], "notebook 00 reports figures with runtime.report"
    for figure in notebook["figures"]:
        assert figure["profile"] == "fast" and figure["device"] == result["device"]
        assert figure["threads"] >= 1 and figure["seed"] == 0 and figure["versions"]["torch"]
    import course_models  # benchmarks/course_models.py

    assert [t["model"] for t in result["training"]] == list(course_models.MODELS)
    for row in result["training"]:
        assert row["images_per_second"] > 0 and row["steps"] >= 1 and row["versions"]
    assert {s["model"] for s in result["sampling"]} == {"pixelcnn_plain", "pixelcnn_gated", "pixelrnn"}
    for row in result["sampling"]:
        assert row["naive_seconds"] > 0 and row["fast_seconds"] > 0
        assert row["identical"], f"{row['model']}: naive and fast sampling differ"
    for heading in ("Notebooks: wall time", "Training throughput", "naive vs fast"):
        assert heading in markdown
    if (ROOT / "solutions").is_dir():  # the student release (make release) has nothing to grade
        (grading,) = result["grading"]
        assert grading["jobs"] == 1 and grading["graded"] == 1 and grading["exit_code"] == 0
        assert "Grading throughput" in markdown


def test_a_benchmark_stopped_late_keeps_every_figure_measured_so_far(tmp_path, monkeypatch):
    """A 40-minute run stopped in its third stage (a hang, Ctrl-C) still leaves its notebooks and training."""
    import bench
    import foundation

    saved = []

    def notebooks(names, profile, timeout, fresh_cache, on_row=lambda rows: None):
        rows = []
        for name in names:
            rows.append({"notebook": name, "status": "ok", "seconds": 1.0, "error": "", "figures": [],
                         "fresh_cache": fresh_cache})
            on_row(rows)
            saved.append(json.loads((tmp_path / "benchmark.partial.json").read_text())["notebooks"])
        return rows

    def sampling(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(foundation, "offline_load_seconds", lambda: (0.5, 0.1))
    monkeypatch.setattr(bench, "run_notebooks", notebooks)
    monkeypatch.setattr(bench, "run_training", lambda device, window, profile: [{"model": "m", "images_per_second": 9}])
    monkeypatch.setattr(bench, "run_sampling", sampling)
    try:
        bench.main(["--profile", "fast", "--notebooks", "00_welcome", "01_supervised_unsupervised",
                    "--out", str(tmp_path)])
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the patched sampling stage should have stopped the run")
    assert [len(rows) for rows in saved] == [1, 2]          # saved after each notebook, not only at the end
    partial = json.loads((tmp_path / "benchmark.partial.json").read_text())
    assert [n["notebook"] for n in partial["notebooks"]] == ["00_welcome", "01_supervised_unsupervised"]
    assert partial["training"] == [{"model": "m", "images_per_second": 9}] and "sampling" not in partial
    assert partial["profile"] == "fast" and partial["data"]["offline_load_cold_seconds"] == 0.5
    assert not (tmp_path / "benchmark.json").exists()      # the complete result is only written complete


def test_benchmark_rejects_an_unknown_notebook(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--notebooks", "99_nothing",
                           "--out", str(tmp_path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 2 and "no notebook notebooks/99_nothing.ipynb" in done.stderr
    assert not (tmp_path / "benchmark.json").exists()


def test_the_benchmarked_networks_are_the_ones_the_notebooks_train():
    """benchmarks/course_models.py times notebook 03's and 06's full-profile networks: read
    from the notebooks' own sources, so that a retuned notebook cannot leave the throughput
    and sampling figures (and docs/cpu_tuning.md) measuring other networks."""
    import re

    import course_models

    nb03 = (ROOT / "notebooks" / "03_autoregressive.py").read_text()
    nb06 = (ROOT / "notebooks" / "06_gans.py").read_text()

    def found(pattern, text, what):
        match = re.search(pattern, text)
        assert match, f"{what} not found as expected: update this test and benchmarks/course_models.py together"
        return {k: int(v) for k, v in match.groupdict().items()}

    gated = found(r"gated = pc\.GatedPixelCNN\(kernel_size=(?P<kernel_size>\d+), \*\*profile\.choose\("
                  r"full=dict\(channels=(?P<channels>\d+), layers=(?P<layers>\d+)\)", nb03, "notebook 03's gated network")
    plain = found(r"plain = pc\.PixelCNN\(\*\*profile\.choose\(full=dict\(channels=(?P<channels>\d+), "
                  r"layers=(?P<layers>\d+)\)", nb03, "notebook 03's plain network")
    rnn = found(r"rnn = pc\.RowLSTM\(\*\*profile\.choose\(full=dict\(channels=(?P<channels>\d+), "
                r"hidden=(?P<hidden>\d+), layers=(?P<layers>\d+)\)", nb03, "notebook 03's Row LSTM")
    assert {name: sizes for name, (_, sizes) in course_models.AUTOREGRESSIVE.items()} == {
        "pixelcnn_plain": plain, "pixelcnn_gated": gated, "pixelrnn": rnn}
    batches = set(re.findall(r'"(?:gated_pixelcnn|plain_pixelcnn|row_lstm)",.*?batch_size=(\d+)\)', nb03, re.S))
    assert batches == {str(course_models.AUTOREGRESSIVE_BATCH)}, batches

    gan = found(r'settings = \{"channels": (?P<channels>\d+), "batch_size": (?P<batch>\d+)', nb06,
                "notebook 06's settings")
    assert (gan["channels"], gan["batch"]) == (course_models.GAN_CHANNELS, course_models.GAN_BATCH)
    assert "DCGANDiscriminator(channels=settings[\"channels\"], minibatch_std=True)" in nb06
    dcgan = course_models.workload("dcgan")
    assert dcgan.batch_size == course_models.GAN_BATCH and dcgan.model.discriminator.minibatch_std


def test_throughput_waits_for_the_device_before_every_clock_read(monkeypatch):
    """On a GPU a training step returns once its kernels are queued: every clock read that ends
    a timed window must come after runtime.synchronize, or the figure is the launch rate."""
    import torch

    import course_models
    from course_lib import runtime

    events = []
    model = torch.nn.Linear(2, 1)
    work = course_models.Workload("probe", model, lambda batch: events.append("step"), 4)
    real_clock = course_models.time.perf_counter
    monkeypatch.setattr(course_models.time, "perf_counter", lambda: events.append("clock") or real_clock())
    monkeypatch.setattr(runtime, "synchronize", lambda device=None: events.append(("sync", torch.device(device).type)))
    result = course_models.throughput(work, seconds=0.01, warmup=2)
    assert result["steps"] >= 1 and events.count("step") == result["steps"] + 2
    assert ("sync", "cpu") in events                  # the model's own device
    for i, event in enumerate(events):
        if event == "clock":
            since_last_step = events[:i][::-1]
            before = since_last_step[:since_last_step.index("step")] if "step" in since_last_step else since_last_step
            assert ("sync", "cpu") in before, f"a clock read with no synchronize after the last step: {events[:i + 1]}"


def test_every_timing_in_a_notebook_waits_for_the_device():
    """A notebook's `... time.perf_counter() - started` comes right after runtime.synchronize
    (or after a line that says why its work runs on the CPU and needs none)."""
    lines_without = []
    for source in sorted((ROOT / "notebooks").glob("*.py")):
        lines = source.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "perf_counter() -" in line and not any("runtime.synchronize" in previous
                                                       for previous in lines[max(0, number - 2):number]):
                lines_without.append(f"{source.name}:{number + 1}: {line.strip()}")
    assert not lines_without, "timings read before the device finished:\n" + "\n".join(lines_without)
