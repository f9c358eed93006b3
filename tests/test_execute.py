"""course_lib.grading.execute: the course run writes executed notebooks and a summary table."""
import csv

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.grading import execute


def write_notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_course_run_summarises_figures_and_failures(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    write_notebook(src / "01_good.ipynb",
                   "from course_lib import runtime",
                   "runtime.report('test accuracy', 0.875)\nruntime.report('profile', "
                   "runtime.current_profile().name)\nruntime.report('|sum - 1|', 0)")
    write_notebook(src / "02_bad.ipynb", "1 / 0", "print('never runs')")
    out = tmp_path / "build"
    code = execute.main([str(src), "--out", str(out), "--profile", "fast", "--timeout", "120"])
    assert code == 1  # one notebook failed, so the run fails
    summary = (out / "summary.md").read_text()
    assert "| 01_good.ipynb | ok |" in summary
    assert "test accuracy: 0.875; profile: fast; \\|sum - 1\\|: 0 |" in summary
    assert "| 02_bad.ipynb | failed: ZeroDivisionError" in summary
    assert "1/2 notebooks ran" in summary
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [(r["notebook"], r["figure"], r["value"]) for r in rows] == [
        ("01_good.ipynb", "test accuracy", "0.875"), ("01_good.ipynb", "profile", "fast"),
        ("01_good.ipynb", "|sum - 1|", "0"), ("02_bad.ipynb", "", "")]
    executed = nbformat.read(out / "notebooks" / "02_bad.ipynb", as_version=4)
    assert executed.cells[0].outputs[0].ename == "ZeroDivisionError"  # kept for reading


def test_course_run_rejects_a_missing_path(tmp_path):
    import pytest
    with pytest.raises(SystemExit, match="neither a folder nor"):
        execute.main([str(tmp_path / "nowhere.ipynb")])
    with pytest.raises(SystemExit, match="no notebooks found"):
        execute.main([str(tmp_path)])
