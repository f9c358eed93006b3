"""course_lib.files: a write either happens whole or not at all."""
import pytest

from course_lib.files import atomic_write_bytes, atomic_write_text, atomic_writer


def test_write_and_replace(tmp_path):
    target = tmp_path / "deep" / "grades.csv"
    atomic_write_text(target, "a,b\n")
    assert target.read_text() == "a,b\n"
    atomic_write_bytes(target, b"c,d\n")
    assert target.read_bytes() == b"c,d\n"
    assert [p.name for p in target.parent.iterdir()] == ["grades.csv"]


def test_a_failure_mid_write_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "feedback.md"
    target.write_text("the old feedback")
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_writer(target, "w") as fh:
            fh.write("half of the new")
            raise RuntimeError("crash")
    assert target.read_text() == "the old feedback"
    assert [p.name for p in tmp_path.iterdir()] == ["feedback.md"]


def test_keyboard_interrupt_is_handled_the_same(tmp_path):
    target = tmp_path / "model.pt"
    with pytest.raises(KeyboardInterrupt):
        with atomic_writer(target) as fh:
            fh.write(b"partial")
            raise KeyboardInterrupt
    assert not target.exists() and not list(tmp_path.iterdir())


def test_only_whole_file_modes(tmp_path):
    with pytest.raises(ValueError, match="mode must be"):
        with atomic_writer(tmp_path / "x", "a"):
            pass


def test_find_notebooks(tmp_path):
    from course_lib.files import find_notebooks
    for name in ("b.ipynb", "a.ipynb", ".hidden.ipynb", "notes.py"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in find_notebooks([tmp_path])] == ["a.ipynb", "b.ipynb"]
    assert find_notebooks([tmp_path / "b.ipynb"]) == [tmp_path / "b.ipynb"]
    with pytest.raises(ValueError, match="neither a folder nor"):
        find_notebooks([tmp_path / "notes.py"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no notebooks found"):
        find_notebooks([tmp_path / "empty"])
