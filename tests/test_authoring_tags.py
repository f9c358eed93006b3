"""The builder tags every stub-dependent cell of a student notebook `raises-exception` (nbval).

conftest.py then fails any tagged cell of assignments/ that runs without an error, so the
analysis here must find exactly the cells that fail: these tests pin its rules on a small
notebook; the nbval run of assignments/ checks them on the real ones.
"""
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
