"""Mutation testing (mutmut) of the modules whose failure silently corrupts teaching or grading.

A mutant is a copy of a module with one small deliberate bug (``<`` for ``<=``, a constant
changed, a call's argument dropped). A test suite that passes on a mutant did not notice the
bug. The score of a module is the share of its mutants that some test kills; every survivor
is either killed by a new test or explained as equivalent in docs/mutation.md.

Each target below is run in a scratch copy of the repository (``build/mutation/<target>``)
whose pyproject.toml points mutmut at that one module and at the few fast test files that
cover it: mutmut runs those tests once per mutant (only the tests that call the mutated
function), one mutant at a time (``--max-children 1``) unless MUTATION_JOBS says otherwise.

    python benchmarks/mutation.py                 # every target
    python benchmarks/mutation.py probability     # some of them
    python benchmarks/mutation.py --list          # the targets, their tests

The settings shared by every target are ``[tool.mutmut]`` in pyproject.toml. Results go to
``build/mutation/scores.json`` (per target: killed, survived, ..., score, survivors' names),
merged with earlier runs so that targets can be run one chunk at a time, and a table is
printed. ``make mutation`` runs this; it is not part of ``make test`` (it takes minutes).
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "mutation"

# target -> (module file, test files, mutant-name patterns or None for the whole module, why)
TARGETS: dict[str, tuple[str, list[str], list[str] | None, str]] = {
    "probability": ("course_lib/probability.py",
                    ["tests/test_probability.py", "tests/test_properties.py"], None,
                    "A0's references: a wrong logsumexp or KL grades every student wrong"),
    "likelihood": ("course_lib/likelihood.py",
                   ["tests/test_probability.py", "tests/test_properties.py",
                    "tests/test_likelihood.py"], None,
                   "bits/dim and the binary-image validation every density model reports with"),
    "data-binarisation": ("course_lib/data.py",
                          ["tests/test_data.py", "tests/test_properties.py"],
                          ["course_lib.data.x_binarize__mutmut_*",
                           "course_lib.data.x__check_unit_images__mutmut_*"],
                          "binarize and its input check only (the rest of data.py is loading)"),
    "metrics-helpers": ("course_lib/metrics.py",
                        ["tests/test_metrics.py", "-k", "classifier_score_follows or frechet or "
                         "count_modes or reject_bad or found_by_mutation"],
                        [f"course_lib.metrics.x_{name}__mutmut_*" for name in (
                            "_as_images", "_sqrtm_psd", "frechet_distance", "count_modes",
                            "classifier_score")],
                        "the pure helpers (FID's matrix square root, mode counting, the score, "
                        "input checks), with the tests that need no trained classifier"),
    "guard": ("course_lib/grading/guard.py",
              ["tests/test_guard.py", "tests/test_grading_mutants.py"], None,
              "the grading kernel's restore/verify: a mutant that misses a patch lets a "
              "patched check pass"),
    "checks": ("course_lib/checks.py",
               ["tests/test_checks.py", "tests/test_checks_mutants.py"],
               [f"course_lib.checks.x_{name}__mutmut_*" for name in (
                   "_as_tensor", "_clone_args", "_unchanged", "_call", "_same", "_close", "_constant",
                   "check_function", "call", "check_close", "check_property", "check_shape",
                   "check_dtype", "check_gradient_flow", "_as_tensor_keep_grad", "check_causal",
                   "check_frequencies")],
               "the parts that decide pass or fail (every check cell of every assignment "
               "compares through them) and the messages they raise; the generic diagnosis is left out"),
    # The grading package without a kernel (running a submission takes seconds per mutant):
    # what the grader decides and writes around the runs. docs/mutation.md lists what is left out.
    "grade-offline": ("course_lib/grading/grade.py",
                      ["tests/test_grade_offline.py", "tests/test_cli.py"],
                      [f"course_lib.grading.grade.x_{name}__mutmut_*" for name in (
                          "check_arguments", "find_submissions", "points_csv", "feedback_markdown",
                          "_result_from_json", "grade_folder", "_sha256", "_error_text", "_describe",
                          "_guard_cell", "exercise_of_cells", "checks_by_exercise", "build_graded_notebook",
                          "kernel_environment", "_kernelspec_dir")]
                      + ["course_lib.grading.grade.x\u01c1Limits\u01c1*", "course_lib.grading.grade.x\u01c1Result\u01c1*"],
                      "command-line limits, the graded notebook's assembly (guard, wrapped checks, "
                      "tokens), the kernel's environment, points.csv, feedback, stored results, re-runs"),
    "submissions": ("course_lib/grading/submissions.py",
                    ["tests/test_grade_offline.py", "tests/test_cli.py"], None,
                    "which of a student's cells are graded: matching by grade id or function, size "
                    "limits, the screen's refusals, rejection of files of another assignment"),
    "screen": ("course_lib/grading/screen.py",
               ["tests/test_screen.py", "tests/test_grade_offline.py"], None,
               "the static screen of solution cells: a refusal costs an honest student an exercise, "
               "a miss opens a route around the run-time defences"),
    # Publishing: the student's notebook is built from the solution, and the release withholds
    # the answers. A fault here ships a solution or a hidden test, or a notebook that is wrong.
    "authoring": ("course_lib/grading/authoring.py",
                  ["tests/test_authoring.py", "tests/test_authoring_tags.py"], None,
                  "the student notebook built from a solution: stubs and their hints, hidden tests "
                  "removed, raises-exception tags, the metadata nbgrader reads, the points"),
    "release": ("course_lib/grading/release.py",
                ["tests/test_release.py", "-k", "not makefile and not make_release and not collect_without"],
                None,
                "what `make release` ships: solutions, corpus and hidden tests withheld, a leak "
                "refused, the destination checked (the Makefile and collection tests are left out)"),
}


# Copied next to the tests: the grading targets' tests load an assignment (A0) from
# solutions/; authoring's compare a rebuild with the committed assignments/.
COPIED = ("solutions", "assignments")


def scratch_pyproject(module: str, tests: list[str], work: Path) -> str:
    """The repository's pyproject.toml with [tool.mutmut] narrowed to one module and its tests."""
    text = (ROOT / "pyproject.toml").read_text()
    shared = tomllib.loads(text).get("tool", {}).get("mutmut", {})
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    settings = dict(shared, source_paths=["course_lib"], only_mutate=[module],
                    also_copy=list(dict.fromkeys(shared.get("also_copy", []) + list(COPIED))),
                    pytest_add_cli_args_test_selection=[
                        t for t in tests if not t.startswith("tests/") or (work / t).exists()])
    lines = ["[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return text.rstrip() + "\n\n" + "\n".join(lines) + "\n"


def prepare(target: str, baseline: str | None = None) -> Path:
    """A scratch copy of course_lib, tests and conftest.py: the working tree's, or those of
    the git commit ``baseline`` (to score the tests as they were before a change)."""
    module, tests, _, _ = TARGETS[target]
    work = OUT / (target if baseline is None else f"{target}@{baseline}")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if baseline is None:
        shutil.copytree(ROOT / "course_lib", work / "course_lib",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "tests", work / "tests",
                        ignore=shutil.ignore_patterns("__pycache__", "corpus"))
        shutil.copy2(ROOT / "conftest.py", work / "conftest.py")
        for folder in COPIED:
            shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(["git", "archive", baseline, "course_lib", "tests", "conftest.py", *COPIED],
                                 cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(work), "--exclude=tests/corpus"], input=archive, check=True)
    if not any((work / t).exists() for t in tests if t.startswith("tests/")):
        # with no test file mutmut would run the whole suite (kernels and all) once per mutant
        raise SystemExit(f"{target}: none of {tests} exists in {baseline or 'the working tree'}")
    (work / "pyproject.toml").write_text(scratch_pyproject(module, tests, work))
    return work


def results(work: Path, module: str, patterns: list[str] | None) -> dict:
    """Count mutmut's verdicts for the module (and the selected functions) from its .meta file."""
    meta = json.loads((work / "mutants" / (module + ".meta")).read_text())
    codes = meta["exit_code_by_key"]
    if patterns:
        codes = {k: v for k, v in codes.items() if any(fnmatch.fnmatch(k, p) for p in patterns)}
    verdict = {1: "killed", 3: "killed", 0: "survived", None: "not checked", 33: "no tests",
               5: "no tests", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout",
               255: "timeout", -9: "killed", -11: "killed"}
    counts: dict[str, int] = {}
    survivors = []
    for name, code in sorted(codes.items()):
        kind = verdict.get(code, "suspicious")
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("survived", "no tests", "suspicious"):
            survivors.append(name)
    checked = len(codes) - counts.get("not checked", 0)
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    return {"module": module, "mutants": len(codes), **counts,
            "score": round(100 * caught / checked, 1) if checked else None,
            "survivors": survivors}


def run(target: str, jobs: int, baseline: str | None = None) -> dict:
    module, _, patterns, _ = TARGETS[target]
    work = prepare(target, baseline)
    env = dict(os.environ, COURSE_PROFILE="fast")
    env.pop("PYTHONPATH", None)  # the mutants must shadow course_lib, not another checkout
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs),
                    *(patterns or [])], cwd=work, env=env, check=False)
    result = results(work, module, patterns)
    result["seconds"] = round(time.perf_counter() - start)
    return result


def report(baseline: str) -> str:
    """Markdown: per target, mutants, survivors and score before (``baseline``) and now."""
    paths = OUT / f"scores-{baseline}.json", OUT / "scores.json"
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"no scores yet in {missing}: run `benchmarks/mutation.py --baseline {baseline}` "
                         "and `benchmarks/mutation.py` first")
    before, after = (json.loads(p.read_text()) for p in paths)
    rows = ["| target | mutants | survivors before | score before | survivors after | score after |",
            "|---|---:|---:|---:|---:|---:|"]
    for name in TARGETS:
        b, a = before.get(name), after.get(name)
        if not (a or b):
            continue
        cell = (lambda s, key: "-" if s is None else (len(s["survivors"]) if key == "n" else f"{s['score']}%"))
        rows.append(f"| {name} | {(a or b)['mutants']} | {cell(b, 'n')} | {cell(b, 's')} | "
                    f"{cell(a, 'n')} | {cell(a, 's')} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help=f"some of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--list", action="store_true", help="list the targets and their tests")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "1")))
    parser.add_argument("--report", metavar="REF", help="print a Markdown table: the scores of "
                        "scores-REF.json (before) and scores.json (after)")
    parser.add_argument("--baseline", metavar="REF", help="score the tests of git commit REF instead "
                        "of the working tree's (results in scores-REF.json)")
    args = parser.parse_args(argv)
    if args.report:
        print(report(args.report))
        return 0
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {unknown}: expected some of {list(TARGETS)}")
    if args.list:
        for name, (module, tests, patterns, why) in TARGETS.items():
            print(f"{name:18} {module}  <- {' '.join(tests)}\n{'':18} {why}")
        return 0
    scores_path = OUT / ("scores.json" if args.baseline is None else f"scores-{args.baseline}.json")
    scores = json.loads(scores_path.read_text()) if scores_path.exists() else {}
    for target in args.targets or list(TARGETS):
        scores[target] = run(target, args.jobs, args.baseline)
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = scores_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(scores, indent=1) + "\n")
        os.replace(tmp, scores_path)
    print(f"\n{'target':18} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} {'score':>6}")
    for name, s in scores.items():
        print(f"{name:18} {s['mutants']:7} {s.get('killed', 0):6} {s.get('timeout', 0):7} "
              f"{len(s['survivors']):8} {s['score']!s:>5}%")
    for name, s in scores.items():
        if s["survivors"]:
            print(f"\n{name}: surviving mutants (mutmut show NAME in build/mutation/{name}):")
            print("  " + "\n  ".join(s["survivors"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
