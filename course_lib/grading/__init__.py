"""The instructor's tools: build assignments from solutions, grade submissions, run the course.

Students do not need anything in here; the reference code of the lectures is one level up.

    python -m course_lib.grading A0_probability_toolkit submissions/ --out grades/A0 -j 2
    python -m course_lib.grading.authoring build     # solutions/ -> assignments/
    python -m course_lib.grading.execute notebooks    # make course
    python course_lib/grading/release.py ../public    # make release DEST=../public

Modules: :mod:`.authoring` (assignments from solutions), :mod:`.grade` (a folder of
submissions -> points and feedback), :mod:`.submissions` (reading one submission),
:mod:`.screen` (static screen of solution cells), :mod:`.guard` (runs in the grading
kernel), :mod:`.sandbox_kernel` (the limited kernel), :mod:`.execute` (``make course``),
:mod:`.release` (``make release``: the course without its solutions), :mod:`.client` (the
nbclient that ``execute`` and ``grade`` run notebooks with: kernel replies cannot be missed).
"""
