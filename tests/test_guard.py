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
