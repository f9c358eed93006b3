# The course's commands. On a fresh machine each creates the environment (.venv) first.
#   make course              run every lecture notebook (full profile) -> build/
#   make course PROFILE=fast the same, CI-sized
#   make test                the whole test suite (unit tests + every notebook, fast profile)
#   make lab                 open the notebooks in JupyterLab
#   make bench               print the speed figures the issues set targets for
#   make assignments         build the student notebooks in assignments/ from solutions/
#   make grade ASSIGNMENT=A0_probability_toolkit SUBMISSIONS=submissions [JOBS=2]
#                            grade a folder of submitted notebooks -> grades/<assignment>/
PYTHON  ?= python3.11
VENV    ?= .venv
PROFILE ?= full
JOBS    ?= 2
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: env course test lab bench assignments grade clean

$(STAMP): pyproject.toml requirements/pinned.txt requirements/ipywidgets7.txt
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

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lab: $(STAMP)
	@$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install --quiet "jupyterlab>=4"
	$(PY) -m jupyter lab notebooks

assignments: $(STAMP)
	$(PY) -m course_lib.grading.authoring build

grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" || \
		{ echo "usage: make grade ASSIGNMENT=A0_probability_toolkit SUBMISSIONS=folder [JOBS=2]"; exit 2; }
	$(PY) -m course_lib.grading.grade $(ASSIGNMENT) $(SUBMISSIONS) --out grades/$(ASSIGNMENT) -j $(JOBS)

bench: $(STAMP)
	$(PY) benchmarks/foundation.py
	$(PY) benchmarks/grading.py

clean:
	rm -rf build .pytest_cache
