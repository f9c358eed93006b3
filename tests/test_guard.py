"""course_lib.grading.guard: patches are undone before a check and caught during one."""
import sys
import types

import pytest

from course_lib.grading import guard as grading_guard


@pytest.fixture
def fake_module():
    module = types.ModuleType("fake_checks_module")
    module.compare = lambda a, b: a == b
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def test_restore_undoes_replaced_added_and_deleted_names(fake_module):
    original = fake_module.compare
    restore, verify = grading_guard.install([fake_module.__name__], modules=(), classes=())
    fake_module.compare = lambda a, b: True
    fake_module.extra = 1
    restore()
    assert fake_module.compare is original and not hasattr(fake_module, "extra")
    del fake_module.compare
    restore()
    assert fake_module.compare is original
    verify()  # nothing changed since the restore


def test_verify_fails_a_check_during_which_something_changed(fake_module):
    restore, verify = grading_guard.install([fake_module.__name__], modules=(), classes=())
    fake_module.compare = lambda a, b: True
    with pytest.raises(AssertionError, match=r"fake_checks_module.compare \(replaced\)"):
        verify()
    verify()  # verify restored it


def test_new_submodules_are_not_tampering(fake_module):
    restore, verify = grading_guard.install([fake_module.__name__], modules=(), classes=())
    fake_module.sub = types.ModuleType("fake_checks_module.sub")
    verify()


def test_classes_are_guarded_too():
    import torch

    restore, verify = grading_guard.install([], modules=(), classes=("torch.Tensor",))
    torch.Tensor.all = lambda self, *args, **kwargs: torch.tensor(True)
    try:
        with pytest.raises(AssertionError, match=r"torch.Tensor.all \(added\)"):
            verify()
        assert bool(torch.tensor([False]).all()) is False
    finally:
        if "all" in vars(torch.Tensor):
            del torch.Tensor.all


def test_special_methods_of_classes_are_guarded_too():
    """nn.Module.__call__ replaced would make every layer (the reference's too) return anything."""
    import torch

    restore, verify = grading_guard.install([], modules=(), classes=("torch.nn.Module",), packages=())
    original = torch.nn.Module.__call__
    torch.nn.Module.__call__ = lambda self, *args, **kwargs: torch.zeros(())
    try:
        with pytest.raises(AssertionError, match=r"torch.nn.Module.__call__ \(replaced\)"):
            verify()
        assert torch.nn.Module.__call__ is original
    finally:
        torch.nn.Module.__call__ = original


def test_layer_modules_are_guarded():
    """torch.nn.modules.conv's `F` is what Conv2d.forward calls: patching it is caught."""
    import torch.nn.modules.conv as conv

    restore, verify = grading_guard.install([], modules=(), classes=())
    original = conv.F
    conv.F = types.SimpleNamespace(conv2d=lambda *args, **kwargs: None)
    try:
        with pytest.raises(AssertionError, match=r"torch.nn.modules.conv.F \(replaced\)"):
            verify()
        assert conv.F is original
    finally:
        conv.F = original


def test_check_cells_see_the_instructor_s_names_and_the_real_builtins(capsys):
    import builtins

    namespace = {"target": 4.0, "__builtins__": builtins}
    restore, verify = grading_guard.install([], modules=(), classes=(), packages=())
    check, keep = grading_guard.isolate_checks(namespace, restore, verify)
    namespace["target"], namespace["abs"] = 0.0, lambda value: 0.0  # a solution cell's top level
    with pytest.raises(AssertionError, match="square"):
        check("assert abs(-target) == 4.0, 'square'\nassert abs(-1) == 0, 'square'", "TOKEN-1")
    assert "TOKEN-1" not in capsys.readouterr().out
    namespace["target"] = 5.0
    keep(["target"])  # an instructor's cell bound it again
    check("assert abs(-target) == 5.0\nresult = 2 * target", "TOKEN-2")
    assert capsys.readouterr().out == "TOKEN-2\n"
    assert namespace["result"] == 10.0  # names a check binds are there for later cells
    assert namespace["abs"](-3) == 0.0  # the student's own name is untouched


def test_a_helper_one_check_cell_defines_serves_the_later_checks(capsys):
    """A3's check cells define private helpers (``_distribution``) that later checks call;
    a solution cell that rebinds the name in between does not reach those checks."""
    import builtins

    namespace = {"__builtins__": builtins}
    restore, verify = grading_guard.install([], modules=(), classes=(), packages=())
    check, keep = grading_guard.isolate_checks(namespace, restore, verify)
    check("def _double(v):\n    return 2 * v\nassert _double(2) == 4", "T1")
    namespace["_double"] = lambda v: 4  # a later solution cell's top level
    check("assert _double(3) == 6, 'the instructor helper'", "T2")
    assert capsys.readouterr().out == "T1\nT2\n"
