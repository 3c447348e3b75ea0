# Gates for learners: `make lab` sets up .venv (when it is missing or older than the pins) and starts
# JupyterLab on the first lesson. This file is the student copy's whole Makefile; the course's Makefile
# includes it and adds the instructors' and developers' targets.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
# nbgrader runs alembic as a program: the venv's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
PORT ?= 8888
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: setup lab

## setup: create .venv with what the lessons need: PyTorch (CPU build), JupyterLab, nbgrader, gatelab
setup: $(VENV)/.installed

# PyTorch first and alone, from its CPU index on Linux (requirements-torch.txt); then the rest, whose
# torch==2.13.0 the CPU build satisfies. Then the course's Jupyter settings, at the environment's level
# (jupyter-config/: no "Jupyter news" pop-up over the lessons; jupyter-lab-settings/: a saved lesson keeps its
# explorers' state, so it reopens with them live).
$(VENV)/.installed: requirements-torch.txt requirements.txt pyproject.toml jupyter-config/labconfig/page_config.d/gates.json \
		jupyter-lab-settings/overrides.d/gates.json
	@echo "Setting up $(VENV): PyTorch (CPU build) and the course's stack; a few minutes the first time."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --no-deps -r requirements-torch.txt 2> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	$(PIP_INSTALL) -r requirements.txt -e . 2>> $(VENV)/pip.log || (cat $(VENV)/pip.log; exit 1)
	$(BIN)/python -c "import gatelab, torch, nbgrader"
	cp -R jupyter-config/. $(VENV)/etc/jupyter/
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp -R jupyter-lab-settings/. $(VENV)/share/jupyter/lab/settings/
	touch $@

## lab: set up, then start JupyterLab on the first lesson (learners start here)
# The server's root is this folder, so lessons can show the figures in assets/.
# Jupyter refuses to run as root (a container's default user) unless told --allow-root.
lab: setup
	$(BIN)/jupyter lab --port=$(PORT) --LabApp.default_url=/lab/tree/lessons/00-start-here/00-start-here.ipynb \
		$(if $(filter 0,$(shell id -u)),--allow-root)
