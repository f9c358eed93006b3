# The course's commands. On a fresh machine each creates the environment (.venv) first.
#   make course              run every lecture notebook (full profile) -> build/
#   make course PROFILE=fast the same, CI-sized
#   make test                the whole test suite (unit tests + every notebook, fast profile)
#   make lab                 open the notebooks in JupyterLab
#   make bench               the course benchmark (full profile, ~40 min, whole machine) ->
#                            build/benchmark.json and build/benchmark.md; PROFILE=fast: ~5 min
#   make mutation            mutation testing of the modules grading relies on (minutes; not in make test)
#   make assignments         build the student notebooks in assignments/ from solutions/
#   make grade ASSIGNMENT=A0_probability_toolkit SUBMISSIONS=submissions [JOBS=2]
#                            grade a folder of submitted notebooks -> grades/<assignment>/
#   make release DEST=folder write the student-facing course (no solutions/, no hidden tests)
#   make which-python        say which Python creates .venv
# PYTHON: the first of these that exists and is >= 3.10 (or set PYTHON=...). python3.11
# comes first because requirements/pinned.txt is tested with it: the pinned torch 2.14.1 is
# at hand (in pip's cache or a local wheel folder) for 3.11 only, so another version would
# download several GB of torch again.
PYTHON_CANDIDATES := python3.11 python3.13 python3.12 python3.10 python3
PYTHON  ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV    ?= .venv
PROFILE ?= full
JOBS    ?= 2
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: env course test lab bench assignments grade release which-python clean mutation

which-python:
	@test -n "$(PYTHON)" || { echo "no Python >= 3.10 found (tried $(PYTHON_CANDIDATES)); set PYTHON=..."; exit 2; }
	@echo "using $(PYTHON) ($$($(PYTHON) --version 2>&1))"

$(STAMP): pyproject.toml requirements/pinned.txt requirements/ipywidgets7.txt
	@test -x $(PY) || $(MAKE) --no-print-directory which-python PYTHON="$(PYTHON)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23.2"
	$(PY) -m pip install --quiet -r requirements/pinned.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip install --quiet --no-deps --upgrade --target $(VENV)/compat/ipywidgets7 \
		-r requirements/ipywidgets7.txt
	@touch $(STAMP)

env: $(STAMP)

course: $(STAMP)
	COURSE_PROFILE=$(PROFILE) $(PY) -m course_lib.grading.execute notebooks --out build

# Two test files at a time (pytest-xdist; --dist loadfile keeps a notebook's cells in one
# kernel). TEST_JOBS=1 runs them one after another.
TEST_JOBS ?= 2
test: $(STAMP)
	$(PY) -m pytest $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile) $(PYTEST_ARGS)

lab: $(STAMP)
	@$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install --quiet "jupyterlab>=4"
	$(PY) -m jupyter lab notebooks

assignments: $(STAMP)
	$(PY) -m course_lib.grading.authoring build

grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" || \
		{ echo "usage: make grade ASSIGNMENT=A0_probability_toolkit SUBMISSIONS=folder [JOBS=2]"; exit 2; }
	$(PY) -m course_lib.grading.grade $(ASSIGNMENT) $(SUBMISSIONS) --out grades/$(ASSIGNMENT) -j $(JOBS)

# Standard library only: no environment needed to copy files.
release:
	@test -n "$(DEST)" || { echo "usage: make release DEST=folder (a new or empty folder outside the course)"; exit 2; }
	@test -n "$(PYTHON)" || { echo "no Python >= 3.10 found; set PYTHON=..."; exit 2; }
	$(PYTHON) course_lib/grading/release.py $(DEST)

bench: $(STAMP)
	$(PY) benchmarks/bench.py --profile $(PROFILE) --out build

# One mutant at a time (MUTATION_JOBS=2 to use two cores); TARGETS=probability limits it.
mutation: $(STAMP)
	MUTATION_JOBS=$${MUTATION_JOBS:-1} $(PY) benchmarks/mutation.py $(TARGETS)

clean:
	rm -rf build .pytest_cache
