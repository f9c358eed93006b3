"""The builder tags every stub-dependent cell of a student notebook `raises-exception` (nbval).

conftest.py then fails any tagged cell of assignments/ that runs without an error, so the
analysis here must find exactly the cells that fail: these tests pin its rules on a small
notebook; the nbval run of assignments/ checks them on the real ones.
"""
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib.grading import authoring


def solution_cell(source, grade_id):
    return new_code_cell(source, metadata={"nbgrader": {
        "solution": True, "grade": False, "locked": False, "grade_id": grade_id, "schema_version": 3}})


def check_cell(source, grade_id):
    return new_code_cell(source, metadata={"nbgrader": {
        "solution": False, "grade": True, "locked": True, "grade_id": grade_id, "points": 1,
        "schema_version": 3}})


STUB = "    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"


def notebook():
    return new_notebook(cells=[
        new_code_cell("import math\nbase = 2", metadata={"tags": ["raises-exception"]}),  # 0 runs
        solution_cell(f'def add_one(x):\n    """Add one."""\n{STUB}', "add_one"),            # 1 defines only
        new_markdown_cell("Now use it."),                                                    # 2
        new_code_cell("def twice(x):\n    return add_one(add_one(x))"),                     # 3 defines only
        new_code_cell("value = twice(base)\nprint(value)"),                                  # 4 fails
        new_code_cell("print(value * 2)"),                                                   # 5 fails: no value
        new_code_cell("value = 3\nprint(value)"),                                            # 6 runs: rebound
        new_code_cell("print(value, math.pi)"),                                              # 7 runs
        check_cell("assert add_one(1) == 2", "check_add_one"),                               # 8 fails
        new_code_cell("%matplotlib inline\nsquares = [k * k for k in range(3)]"),           # 9 runs
        solution_cell("### BEGIN SOLUTION\n# HINT: the answer\nanswer = 42\n### END SOLUTION", "answer"),  # 10 fails
        new_code_cell("print(answer)", metadata={"tags": ["keep-me"]}),                      # 11 fails
        new_code_cell("class Model:\n    def forward(self, x):\n        return add_one(x)"),  # 12 defines
        new_code_cell("model = Model()"),                                                    # 13 runs
        new_code_cell("model.forward(1)"),                                                   # 14 fails
        check_cell("assert twice(0) == 2\n### BEGIN HIDDEN TESTS\nassert model.forward(0) == 1\n"
                   "### END HIDDEN TESTS", "check_twice"),                                   # 15 fails
        check_cell("assert squares == [0, 1, 4]\n### BEGIN HIDDEN TESTS\nassert add_one(0) == 1\n"
                   "### END HIDDEN TESTS", "check_squares"),                                 # 16 runs: hidden
    ])


def test_the_cells_that_fail_in_the_student_copy_are_found():
    # 13 makes an instance of a class whose *method* is stubbed: it runs, but the instance
    # fails when used (14). 16 calls the stub only in its hidden tests, which the student's
    # copy does not have.
    assert authoring.stub_dependent_cells(notebook()) == [4, 5, 8, 10, 11, 14, 15]


def test_the_student_version_carries_the_tags_and_keeps_other_tags():
    nb = notebook()
    student = authoring.student_version(nb, "demo")
    tagged = [i for i, c in enumerate(student.cells) if "raises-exception" in c.metadata.get("tags", [])]
    assert tagged == authoring.stub_dependent_cells(nb)
    assert student.cells[11].metadata["tags"] == ["keep-me", "raises-exception"]
    assert "tags" not in student.cells[0].metadata  # a stale tag goes


def test_a_stub_in_init_fails_the_cell_that_makes_the_instance():
    # Found by mutation testing: a class whose __init__ calls a stub fails where it is
    # instantiated (a stub in another method only where that method is called, see above);
    # a class that rebinds a failing cell's name makes that name safe again.
    nb = new_notebook(cells=[
        solution_cell(f'def add_one(x):\n    """Add one."""\n{STUB}', "add_one"),            # 0 defines only
        new_code_cell("class Net:\n    def __init__(self):\n        self.v = add_one(1)\n"
                      "    def show(self):\n        return 'net'"),                           # 1 defines only
        new_code_cell("net = Net()"),                                                       # 2 fails
        new_code_cell("Layer = add_one(0)"),                                                # 3 fails
        new_code_cell("class Layer:\n    pass"),                                            # 4 rebinds Layer
        new_code_cell("layer = Layer()"),                                                   # 5 runs
    ])
    assert authoring.stub_dependent_cells(nb) == [2, 3]


def raising_cells(nb) -> list[int]:
    """The code cells of the student's copy that raise when run in order (plain Python)."""
    namespace, raised = {}, []
    for index, cell in enumerate(authoring.student_version(nb, "demo").cells):
        if cell.cell_type == "code":
            try:
                exec(cell.source, namespace)
            except Exception:
                raised.append(index)
    return raised


SOLUTION = solution_cell(f'def add_one(x):\n    """Add one."""\n{STUB}', "add_one")


def test_what_a_cell_binds_or_defines_decides_the_later_cells():
    # Found by mutation testing; each case is run as well, so the expectation is what happens.
    nb = new_notebook(cells=[
        SOLUTION,                                                                          # 0 defines only
        new_code_cell("def later():\n    return sooner()\ndef sooner():\n    return add_one(1)"),  # 1 defines
        new_code_cell("later()"),                                                          # 2 fails (a fixed point)
        new_code_cell("Layer = add_one(0)"),                                               # 3 fails
        new_code_cell("def Layer():\n    return 1"),                                       # 4 rebinds Layer
        new_code_cell("Layer()"),                                                          # 5 runs
        new_code_cell("os = add_one(0)"),                                                  # 6 fails
        new_code_cell("import os.path"),                                                   # 7 rebinds os
        new_code_cell("print(os.sep)"),                                                    # 8 runs
        new_code_cell("def g(*, k=add_one(1)):\n    return k"),                            # 9 fails: the default runs
        new_code_cell("@add_one\ndef h():\n    return 1"),                                # 10 fails: the decorator runs
        new_code_cell("def j(*, k, m=1):\n    return add_one"),                           # 11 runs (j only reads it)
        new_code_cell("class Harmless:\n    def show(self):\n        return 'ok'"),       # 12 defines
        new_code_cell("unrelated = 1"),                                                    # 13 runs
        new_code_cell("h2 = Harmless()\nprint(h2.show())"),                               # 14 runs
        new_code_cell("x = 1\n### BEGIN HIDDEN TESTS\nadd_one(1)\n### END HIDDEN TESTS"),   # 15 fails: not a check cell,
        new_code_cell("print(h2.show())"),                                                 # 16 runs  (nothing hidden)
    ])
    assert authoring.stub_dependent_cells(nb) == raising_cells(nb) == [2, 3, 6, 9, 10, 15]


def test_a_stubbed_method_taints_the_instances_not_the_class():
    nb = new_notebook(cells=[
        SOLUTION,                                                                          # 0
        solution_cell('class Model:\n    def __init__(self):\n        self.k = 1\n'
                      '    def forward(self, x):\n        """Apply the model."""\n'
                      '        ### BEGIN SOLUTION\n        return x + self.k\n        ### END SOLUTION',
                      "model"),                                                            # 1 defines
        new_code_cell("value = 2"),                                                        # 2 runs
        new_code_cell("model = Model()"),                                                  # 3 runs
        new_code_cell("other = 3"),                                                        # 4 runs
        new_code_cell("model.forward(1)"),                                                 # 5 fails
        solution_cell("class Config:\n    ### BEGIN SOLUTION\n    # HINT: the width\n    width = 3\n"
                      "    ### END SOLUTION", "config"),                                  # 6 fails: a class body runs
        solution_cell("def k(x):\n    ### BEGIN SOLUTION\n    # HINT: k\n    return x\n    ### END SOLUTION\n"
                      "### BEGIN SOLUTION\n# HINT: call it\nk(1)\n### END SOLUTION", "k"),  # 7 fails: top level
        solution_cell("### BEGIN SOLUTION\ndef f2():\n    # HINT: define f2\n    return 1\n"
                      "### END SOLUTION", "f2"),                                          # 8 fails: the def is the stub
        solution_cell('def k2(x):\n    """K2."""\n    return x\n### BEGIN SOLUTION\n# HINT: the answer\n'
                      "answer = 42\n### END SOLUTION", "answer"),                         # 9 fails: just after a def
    ])
    assert authoring.stub_dependent_cells(nb) == raising_cells(nb) == [5, 6, 7, 8, 9]


def test_magics_and_shell_escapes_are_ignored_by_the_analysis():
    # IPython syntax cannot run under exec; the expectation is stated: the stub call fails
    # whatever the magic or the escape before it, at any indentation.
    nb = new_notebook(cells=[
        SOLUTION,                                                                          # 0
        new_code_cell("x = 1\n%time value = 2\nadd_one(x)"),                               # 1 fails
        new_code_cell("if True:\n    !echo hi\n    add_one(1)"),                          # 2 fails
        new_code_cell("add_one?"),                                                         # 3 not Python: skipped
        new_code_cell("%%time\nprint(1)"),                                                 # 4 runs
        new_code_cell("add_one(2)"),                                                       # 5 fails
    ])
    assert authoring.stub_dependent_cells(nb) == [1, 2, 5]


def test_an_unbalanced_cell_is_named_with_its_notebook():
    nb = new_notebook(cells=[solution_cell('def f():\n    """F."""\n    ### BEGIN SOLUTION\n    return 1', "f")])
    with pytest.raises(ValueError) as err:
        authoring.student_version(nb, "A9")
    assert str(err.value) == "A9, cell 0 (f): '### BEGIN SOLUTION' on line 3 is never closed by '### END SOLUTION'"
    nb = new_notebook(cells=[new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.", metadata={"nbgrader": {
        "solution": True, "grade": False, "locked": False, "grade_id": "why", "schema_version": 3}})])
    with pytest.raises(ValueError) as err:
        authoring.student_version(nb, "A9")
    assert str(err.value) == "A9, cell 0 (why): '### BEGIN SOLUTION' on line 2 is never closed by '### END SOLUTION'"
    nb = new_notebook(cells=[SOLUTION, check_cell("assert add_one(1) == 2\n### END HIDDEN TESTS", "check_f")])
    with pytest.raises(ValueError) as err:
        authoring.stub_dependent_cells(nb, "A9")
    assert str(err.value) == ("A9, cell 1 (check_f): '### END HIDDEN TESTS' on line 2 without a "
                              "'### BEGIN HIDDEN TESTS' before it")


def test_an_unbalanced_cell_without_a_name_or_grade_id_is_still_placed():
    cell = solution_cell('def f():\n    """F."""\n    ### BEGIN SOLUTION\n    return 1', "f")
    del cell.metadata["nbgrader"]["grade_id"]
    with pytest.raises(ValueError) as err:
        authoring.stub_dependent_cells(new_notebook(cells=[new_markdown_cell("A9"), cell]))
    assert str(err.value) == ("notebook, cell 1 (-): '### BEGIN SOLUTION' on line 3 is never closed by "
                              "'### END SOLUTION'")
