# Gates: the two commands are `make lab` (learners) and `make test` (everything CI runs).
# Each sets up .venv first if it is missing or older than the pins.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
# nbgrader runs alembic as a program: the venv's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
PORT ?= 8888
JOBS ?= 2

.PHONY: setup lab instructor test lint release student-copy grade bench-grading clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e . 2>&1 \
		| grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import gatelab, torch, nbgrader"
	touch $@

## lab: set up and start JupyterLab on the lessons (learners start here)
lab: setup
	$(BIN)/jupyter lab --port=$(PORT) --ServerApp.root_dir=lessons \
		--LabApp.default_url=/lab/tree/00-start-here/00-start-here.ipynb

## instructor: JupyterLab at the repository root, with nbgrader's formgrader
instructor: setup
	$(BIN)/jupyter lab --port=$(PORT)

## test: set up, lint, and run the whole test suite (what CI runs)
test: setup lint
	$(BIN)/python -m pytest -n $(JOBS) --durations=15 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests solutions autograde nbgrader_config.py

## release: regenerate lessons/ from solutions/ with nbgrader
release: setup
	$(BIN)/python -m autograde.release

## student-copy: a copy of the course with no solutions and no hidden tests (DEST=…)
student-copy: setup
	$(BIN)/python -m autograde.student_copy $(or $(DEST),dist/gates-student)

## grade: grade every submission of A=<assignment> in parallel, sandboxed (WORKERS=N, default: the cores)
grade: setup
	@test -n "$(A)" || (echo "usage: make grade A=01-why-gates [WORKERS=2]"; exit 2)
	$(BIN)/python -m autograde.grade $(A) $(if $(WORKERS),--workers $(WORKERS))

## bench-grading: time grading N=40 submissions of A=01-why-gates with 1 and with 2 workers
bench-grading: setup
	$(BIN)/python -m autograde.bench_grading $(or $(A),01-why-gates) --count $(or $(N),40)

clean:
	rm -rf autograde/submitted autograde/autograded autograde/feedback autograde/gradebook.db dist
	rm -f autograde/grading-report-*.json
