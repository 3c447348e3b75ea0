# Gates: the two commands are `make lab` (learners; lab.mk) and `make test` (everything CI runs).
# Each sets up .venv first if it is missing or older than the pins: `make lab` with what learners need
# (requirements-torch.txt, requirements.txt), `make test` adds the test tools (requirements-dev.txt).
include lab.mk
JOBS ?= 2

.PHONY: setup-dev test lint site bench pictures export release student-copy grade insight bench-grading hub-env bench-hub clean

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-site.txt deploy/requirements.txt
	$(PIP_INSTALL) -r requirements-dev.txt 2>> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	touch $@

# JupyterHub's proxy (configurable-http-proxy, from npm) for the hub tests and bench; learners never need it.
PROXY := deploy/node_modules/.package-lock.json
$(PROXY): deploy/package.json deploy/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix deploy

# axe-core (npm), which the browser tests run on each page they check for accessibility.
AXE := tests/a11y/node_modules/.package-lock.json
$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tests/a11y

## test: set up, lint, and run the whole test suite (what CI runs)
test: setup-dev $(PROXY) $(AXE) lint
	$(BIN)/python -m pytest -n $(JOBS) --durations=15 $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check src tests solutions autograde bench deploy website nbgrader_config.py

## site: the course as a static website, from lessons/ and with no network, in build/site (OUT=folder): Sphinx
## with myst-nb and the book theme (requirements-site.txt); open build/site/index.html or serve the folder
$(VENV)/.installed-site: $(VENV)/.installed requirements-site.txt
	$(PIP_INSTALL) -r requirements-site.txt 2>> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	touch $@

site: $(VENV)/.installed-site
	$(BIN)/python -m website.build $(if $(OUT),--out $(OUT))

## bench: measure the course against COURSE.md §7's budgets; prints and writes bench/results.md
## (python -m bench.bench --browser: the explorers' key press to pixels alone, bench/results-browser.md)
bench: setup-dev
	$(BIN)/python -m bench.bench

## pictures: lesson 04's memory puzzle photographed before, during and after training in the page, into docs/
pictures: setup-dev
	$(BIN)/python -m bench.pictures

## export: NB=<notebook> as one page that needs no Jupyter and no network, its explorers live (OUT=page.html)
export: setup
	@test -n "$(NB)" || (echo "usage: make export NB=lessons/04-lstm-forward/04-lstm-forward.ipynb [OUT=page.html]"; exit 2)
	$(BIN)/python -m autograde.export $(NB) $(if $(OUT),--out $(OUT))

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

## insight: the class report of A=<assignment> from the gradebook and the autograded notebooks: pass rate per cell,
## the mistakes the checks recognised, a row per student (autograde/insight-A.html and .json; OUT=page.html)
insight: setup
	@test -n "$(A)" || (echo "usage: make insight A=01-why-gates [OUT=page.html]"; exit 2)
	$(BIN)/python -m autograde.insight $(A) $(if $(OUT),--out $(OUT))

## bench-grading: time grading N=40 submissions of A=01-why-gates with 1 and with 2 workers
bench-grading: setup
	$(BIN)/python -m bench.grading $(or $(A),01-why-gates) --count $(or $(N),40)

## hub-env: the course environment a JupyterHub gives every user (DEST=/opt/gates PYTHON=a Python 3.11 all users can run)
hub-env:
	@test -n "$(DEST)" || (echo "usage: make hub-env DEST=/opt/gates [PYTHON=/usr/bin/python3.11]"; exit 2)
	deploy/install-env.sh $(DEST) $(PYTHON)

## bench-hub: N=20 students fetching and submitting at once through a real JupyterHub (as root)
bench-hub: setup-dev $(PROXY)
	$(BIN)/python -m bench.hub --students $(or $(N),20)

clean:
	rm -rf autograde/submitted autograde/autograded autograde/feedback autograde/gradebook.db dist build
	rm -f autograde/grading-report-*.json
