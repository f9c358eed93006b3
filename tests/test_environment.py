"""The environment files agree: pyproject ranges, environment.yml, the pinned set, CI."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RANGES = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]
          + PYPROJECT["project"]["optional-dependencies"]["dev"]]


# Colab's runtime (googlecolab/backend-info, pip-freeze.txt; DESIGN.md)
COLAB = {"torch": "2.11.0", "torchvision": "0.26.0", "ipywidgets": "7.7.1",
         "numpy": "2.1.3", "matplotlib": "3.10.0", "scikit-learn": "1.6.1",
         "mlxtend": "0.23.4", "tqdm": "4.67.3", "jupytext": "1.19.5", "ipykernel": "6.17.1"}


def _pinned_requirements() -> list[Requirement]:
    lines = (ROOT / "requirements" / "pinned.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


def _pinned() -> dict[str, str]:
    pins = {}
    for req in _pinned_requirements():
        (spec,) = req.specifier  # exactly one "==" per line
        assert spec.operator == "==", f"{req}: pinned.txt holds exact versions only"
        pins[req.name.lower().replace("_", "-")] = spec.version
    return pins


def test_cuda_only_pins_are_limited_to_linux():
    """A laptop on macOS or Windows must be able to install the pinned set."""
    for req in _pinned_requirements():
        if re.match(r"(nvidia|triton|cuda)", req.name, re.I):
            assert req.marker is not None and "linux" in str(req.marker), f"{req} needs a linux marker"
        else:
            assert req.marker is None, f"{req}: only torch's CUDA libraries are platform-specific"


def test_environment_yml_lists_the_same_packages_and_ranges():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_reqs = {str(Requirement(r)) for r in pip_section if not r.startswith("-e")}
    assert conda_reqs == {str(r) for r in RANGES}
    assert "-e ." in pip_section
    assert "python=3.11" in env["dependencies"]


def test_pinned_set_satisfies_every_range():
    pins = _pinned()
    for req in RANGES:
        name = req.name.lower()
        assert name in pins, f"{name} is missing from requirements/pinned.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"pinned {name}=={pins[name]} is outside pyproject's range {req.specifier}")


def test_ranges_accept_colabs_packages():
    """Installing the course on Colab must not replace its torch (versions: DESIGN.md)."""
    for req in RANGES:
        if req.name in COLAB:
            assert req.specifier.contains(COLAB[req.name]), f"{req} rejects Colab's {req.name}"
    assert PYPROJECT["project"]["requires-python"] == ">=3.10"


def test_the_colab_kernel_stack_for_the_widget_tests_is_colabs():
    """tests/test_ipywidgets7.py runs the notebooks with requirements/ipywidgets7.txt: Colab's versions."""
    lines = (ROOT / "requirements" / "ipywidgets7.txt").read_text().splitlines()
    compat = {}
    for line in lines:
        if line.split("#")[0].strip():
            req = Requirement(line.split("#")[0])
            (spec,) = req.specifier
            assert spec.operator == "==", f"{req}: requirements/ipywidgets7.txt holds exact versions only"
            compat[req.name.lower().replace("_", "-")] = spec.version
    for name in ("ipywidgets", "ipykernel", "tqdm"):
        assert compat.get(name) == COLAB[name], f"{name}: {compat.get(name)} there, Colab has {COLAB[name]}"


def test_the_installed_environment_is_the_pinned_one():
    from importlib.metadata import version
    pins = _pinned()
    for name in ("torch", "torchvision", "numpy", "nbval", "ipywidgets"):
        assert version(name) == pins[name], f"{name}: installed {version(name)}, pinned {pins[name]}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)\s*(?:#.*)?$", readme, flags=re.M)
    assert "make test" in commands and "make course" in commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, flags=re.M)


def test_pytest_with_no_tests_fails_the_command(tmp_path):
    """pytest's exit code 5 (no tests collected) must not pass silently through make."""
    (tmp_path / "Makefile").write_text(f"test:\n\t{sys.executable} -m pytest -p no:cacheprovider -q empty\n")
    (tmp_path / "empty").mkdir()
    done = subprocess.run(["make", "-s", "test"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0


@pytest.mark.parametrize("body, fails", [
    ("def test_ok():\n    assert True\n", False),
    ("def test_broken():\n    assert False\n", True),
    ("", True),                         # no test collected: pytest exits 5
], ids=["passing", "failing", "no-tests"])
def test_the_real_makefile_passes_on_pytests_verdict(tmp_path, body, fails):
    """`make test` itself (not a stand-in Makefile) fails exactly when pytest fails."""
    (tmp_path / "test_probe.py").write_text(body)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    venv = Path(sys.prefix)
    args = f"-c {tmp_path / 'pytest.ini'} --rootdir {tmp_path} -p no:cacheprovider -q {tmp_path}"
    done = subprocess.run(
        # -o: treat the environment as built (never reinstall it from inside a test)
        ["make", "-s", "-C", str(ROOT), "-o", str(venv / ".installed"), "test",
         f"VENV={venv}", f"PY={sys.executable}", f"STAMP={venv / '.installed'}",
         f"PYTEST_ARGS={args}"],
        capture_output=True, text=True, timeout=120)
    assert (done.returncode != 0) == fails, done.stdout + done.stderr
