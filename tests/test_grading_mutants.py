"""course_lib.grading.guard, the cases mutation testing found untested (docs/mutation.md).

Each test pins one promise of the guard that a one-token change to guard.py broke without
any other test noticing: what counts as the same object, which names are tracked, what
restore puts back, and what a check cell's namespace holds.
"""
import builtins
import sys
import types

import pytest

from course_lib.grading import guard


@pytest.fixture
def fake_module():
    module = types.ModuleType("fake_guarded_module")
    module.compare = lambda a, b: a == b
    module.other = 1
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


class _Holder:
    def method(self):
        return 1


def test_same_means_identical_or_the_same_function_bound_to_the_same_object():
    a, b = _Holder(), _Holder()
    assert guard._same(a.method, a.method)                # a bound method re-created: the same
    assert not guard._same(a.method, b.method)            # bound to another object
    assert not guard._same(a.method, _Holder.method)      # a plain function is not a bound method
    assert guard._same(len, len) and not guard._same(len, abs)
    other = types.MethodType(lambda self: 2, a)
    assert not guard._same(a.method, other)               # another function, same object


def test_private_names_of_modules_are_not_tracked_but_those_of_classes_are(fake_module):
    restore, verify = guard.install([fake_module.__name__], modules=(), classes=(), packages=())
    fake_module._cache = {}                                # a module's private state may change
    verify()
    assert fake_module._cache == {}

    class Guarded:
        _private = 1
    module = types.ModuleType("fake_guarded_classes")
    module.Guarded = Guarded
    sys.modules[module.__name__] = module
    try:
        restore, verify = guard.install([], modules=(), classes=(f"{module.__name__}.Guarded",),
                                        packages=())
        Guarded._private = 2
        with pytest.raises(AssertionError, match=r"Guarded._private \(replaced\)"):
            verify()
        assert Guarded._private == 1
    finally:
        del sys.modules[module.__name__]


def test_a_module_that_cannot_be_imported_is_skipped(fake_module):
    restore, verify = guard.install(["no_such_module_for_the_guard", fake_module.__name__],
                                    modules=(), classes=(), packages=())
    fake_module.compare = None
    with pytest.raises(AssertionError, match="fake_guarded_module.compare"):
        verify()


def test_modules_not_imported_yet_are_not_imported_by_install():
    name = "fake_never_imported_module"
    assert name not in sys.modules
    restore, verify = guard.install([], modules=(name, "math"), classes=(f"{name}.Thing",), packages=())
    assert name not in sys.modules
    verify()


def test_packages_cover_every_imported_submodule_not_already_listed(fake_module):
    prefix = fake_module.__name__ + "."
    sub = types.ModuleType(prefix + "layers")
    sub.F = "the functional module"
    sys.modules[sub.__name__] = sub
    try:
        restore, verify = guard.install([], modules=(), classes=(), packages=(prefix,))
        sub.F = "patched"
        with pytest.raises(AssertionError, match=r"fake_guarded_module.layers.F \(replaced\)"):
            verify()
        assert sub.F == "the functional module"
        fake_module.compare = None                 # the package itself is not under the prefix
        verify()
    finally:
        del sys.modules[sub.__name__]


def test_restore_removes_added_names_but_keeps_added_submodules(fake_module):
    restore, verify = guard.install([fake_module.__name__], modules=(), classes=(), packages=())
    fake_module.added = 3
    fake_module.sub = types.ModuleType("fake_guarded_module.sub")
    original = fake_module.compare
    fake_module.compare = None
    del fake_module.other
    restore()
    assert not hasattr(fake_module, "added") and isinstance(fake_module.sub, types.ModuleType)
    assert fake_module.compare is original and fake_module.other == 1
    verify()


def test_verify_names_what_changed_added_and_deleted_at_most_five(fake_module):
    restore, verify = guard.install([fake_module.__name__], modules=(), classes=(), packages=())
    del fake_module.other
    fake_module.added = 1
    with pytest.raises(AssertionError) as caught:
        verify()
    message = str(caught.value)
    assert message.startswith("this check does not count: while it ran, your code changed ")
    assert "fake_guarded_module.other (deleted)" in message
    assert "fake_guarded_module.added (added)" in message
    assert message.endswith("Solutions must not modify torch, Python's builtins or the course's modules.")
    for i in range(7):
        setattr(fake_module, f"extra{i}", i)
    with pytest.raises(AssertionError) as caught:
        verify()
    assert str(caught.value).count("(added)") == 5


def test_a_check_cell_that_fails_restores_and_prints_no_token(fake_module, capsys):
    restore, verify = guard.install([fake_module.__name__], modules=(), classes=(), packages=())
    namespace = {"__builtins__": builtins, "fake": fake_module}
    check, keep = guard.isolate_checks(namespace, restore, verify)
    original = fake_module.compare
    fake_module.compare = None                            # patched by a solution cell
    with pytest.raises(ZeroDivisionError):
        check("assert fake.compare is not None\nfake.compare = 0\n1 / 0", "TOKEN")
    assert fake_module.compare is original                # restored before and after the cell
    assert capsys.readouterr().out == ""
    with pytest.raises(AssertionError, match=r"fake_guarded_module.compare \(replaced\)"):
        check("fake.compare = 1", "TOKEN")
    assert capsys.readouterr().out == ""


def test_names_a_check_binds_come_back_but_not_dunders_or_underscore(capsys):
    namespace = {"__builtins__": builtins, "kept": 1}
    restore, verify = guard.install([], modules=(), classes=(), packages=())
    check, keep = guard.isolate_checks(namespace, restore, verify)
    check("__hidden__ = 1\n_ = 2\nnew = kept + 1\nkept = 5", "T")
    assert "__hidden__" not in namespace and "_" not in namespace
    assert namespace["new"] == 2 and namespace["kept"] == 5
    namespace["kept"] = 0                      # a solution cell rebinds it: the check's value stays
    check("assert kept == 5, kept", "T2")
    assert capsys.readouterr().out == "T\nT2\n"


def test_keep_records_only_names_that_exist_and_builtin_names_the_instructor_bound(capsys):
    namespace = {"__builtins__": builtins}
    restore, verify = guard.install([], modules=(), classes=(), packages=())
    check, keep = guard.isolate_checks(namespace, restore, verify)
    namespace["max"] = lambda *args: "instructor's max"   # an instructor's cell shadows a builtin
    keep(["max", "missing"])
    assert "missing" not in namespace
    check("assert max(1, 2) == \"instructor's max\"\nassert 'missing' not in dir()", "T")
    namespace["min"] = lambda *args: "student's min"      # a student's shadowing is left out
    check("assert min(1, 2) == 1", "T2")
    assert capsys.readouterr().out == "T\nT2\n"


def test_second_round_found_by_mutation_testing(fake_module, capsys, monkeypatch):
    import traceback

    fake_module._state = 1                     # a private name that exists at install time
    restore, verify = guard.install([fake_module.__name__], modules=(), classes=(), packages=())
    del fake_module._state                     # private module state is the module's own business
    verify()
    fake_module.added = 1
    del fake_module.other
    with pytest.raises(AssertionError, match=r"fake_guarded_module.added \(added\), "
                                             r"fake_guarded_module.other \(deleted\)\. Solutions"):
        verify()

    printed = []
    monkeypatch.setattr(builtins, "print", lambda *args, **kwargs: printed.append((args, kwargs)))
    namespace = {"__builtins__": {**vars(builtins), "abs": lambda v: 0},   # a tampered builtins dict
                 "target": 4.0, "_helper": 1}
    check, keep = guard.isolate_checks(namespace, restore, verify)
    monkeypatch.undo()
    assert printed == []
    namespace["target"] = 0.0                  # a solution cell rebinds an instructor's name ...
    namespace["_helper"] = 2                   # ... and a private one, which is not the instructor's
    namespace["student_function"] = lambda: 3  # a student's function, defined after the set-up
    check("assert abs(-2) == 2 and target == 4.0 and _helper == 2 and student_function() == 3", "T")
    try:
        check("assert False, 'where'", "T2")
    except AssertionError as err:
        assert traceback.extract_tb(err.__traceback__)[-1].filename == "<check cell>"
    else:
        raise AssertionError("the failing check passed")
    assert capsys.readouterr().out == ""       # the token went through the print bound at set-up
    # ... which was the recorder: it printed "T" with flush=True, so the grader sees it at once
    assert printed == [(("T",), {"flush": True})]
