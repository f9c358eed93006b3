"""``python -m course_lib.grading ...`` grades a folder of submissions (see :mod:`.grade`)."""
from course_lib.grading.grade import main

raise SystemExit(main())
