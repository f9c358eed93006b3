"""pytest set-up for the whole repository (unit tests and notebooks alike).

The test suite always runs in the ``fast`` profile unless the caller sets
COURSE_PROFILE: nbval's kernels inherit this environment.
"""
import os

os.environ.setdefault("COURSE_PROFILE", "fast")
