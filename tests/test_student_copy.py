"""Does the learners' copy of the course hold everything `make lab` needs and nothing of the solutions,
and do its Makefile's targets work?"""

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest
from playwright.sync_api import expect

from autograde.student_copy import make_student_copy
from tests.browser import TOKEN, free_port, require_chromium, wait_for_server
from tests.course import MARKERS, SOLUTION_NOTEBOOKS, read, secret_lines

NEWS = "@jupyterlab/apputils-extension:announcements"  # JupyterLab's "Jupyter news" pop-up


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    return make_student_copy(tmp_path_factory.mktemp("student") / "gates")


def test_the_copy_has_the_lessons_the_package_and_the_environment(copy):
    for name in ("README.md", "Makefile", "requirements.txt", "environment.yml", "pyproject.toml"):
        assert (copy / name).is_file(), name
    assert (copy / "src" / "gatelab" / "__init__.py").is_file()
    assert sorted(p.name for p in (copy / "lessons").iterdir()) == sorted({p.parent.name for p in SOLUTION_NOTEBOOKS})
    assert "make lab" in (copy / "README.md").read_text()


def test_the_copy_has_no_solutions_tests_or_grading_workspace(copy):
    for name in ("solutions", "tests", "autograde", "nbgrader_config.py", ".git"):
        assert not (copy / name).exists(), name


def test_the_copy_has_nothing_of_the_instructors_or_the_developers(copy):
    for name in ("deploy", "requirements-dev.txt", "bench", "lab.mk", "AUTHORING.md", ".ci"):
        assert not (copy / name).exists(), name
    assert not list(copy.rglob("roster*")), "no class roster"
    assert "-dev" not in (copy / "Makefile").read_text()


@pytest.fixture(scope="module")
def installed_copy(tmp_path_factory):
    """A student copy after its own `make setup` (a real install, as a learner's first `make lab` does)."""
    copy = make_student_copy(tmp_path_factory.mktemp("student-make") / "gates")
    subprocess.run(["make", "setup"], cwd=copy, env=learner_env(), check=True, capture_output=True, timeout=900)
    return copy


def learner_env(**extra):
    """The environment of a learner's shell: the base Python as python3, no test venv on PATH."""
    return dict(os.environ, PYTHON=sys.executable.replace(sys.prefix, sys.base_prefix), **extra)


def makefile_targets(makefile):
    """The targets a Makefile declares .PHONY (the ones a learner can run)."""
    return set(re.search(r"^\.PHONY:(.*)$", makefile.read_text(), re.M).group(1).split())


def test_the_copys_makefile_has_only_the_learners_targets(copy):
    assert makefile_targets(copy / "Makefile") == {"setup", "lab"}


@pytest.mark.slow
def test_make_setup_installs_what_learners_use_and_only_that(installed_copy):
    python = installed_copy / ".venv" / "bin" / "python"
    check = "import gatelab, torch, nbgrader; print(torch.__version__)"
    version = subprocess.run([python, "-c", check], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "2.13.0+cpu"
    listing = subprocess.run([python, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True)
    names = {package["name"].lower() for package in json.loads(listing.stdout)}
    assert {"torch", "jupyterlab", "nbgrader", "ipywidgets", "gatelab"} <= names
    for tool in ("pytest", "ruff", "playwright", "jupyterhub", "psycopg", "nvidia", "triton"):
        assert not [name for name in names if name.startswith(tool)], f"a learner's environment has no {tool}"


@pytest.mark.slow
def test_make_lab_serves_the_first_lesson_with_no_news_pop_up(installed_copy, request):
    """The copy's `make lab`: the page's config turns JupyterLab's news off, and Chromium shows none; widget state
    is saved with the notebook."""
    require_chromium()
    copy, port = installed_copy, free_port()
    config = copy / ".test-jupyter-config"  # no user-level Jupyter settings of this machine
    config.mkdir()
    env = learner_env(JUPYTER_TOKEN=TOKEN, JUPYTER_CONFIG_DIR=str(config), BROWSER="true")
    with open(copy / "lab.log", "w") as log:
        lab = subprocess.Popen(["make", "lab", f"PORT={port}"], cwd=copy, env=env, stdout=log, stderr=log,
                               start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, lab)
        lesson = f"{url}/lab/tree/lessons/00-start-here/00-start-here.ipynb?token={TOKEN}"
        with urllib.request.urlopen(lesson, timeout=30) as response:
            html = response.read().decode()
        page_config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', html, re.S).group(1))
        assert NEWS in page_config["disabledExtensions"], page_config["disabledExtensions"]
        # a saved lesson keeps its explorers' state (jupyter-lab-settings/), so it reopens with them live
        widgets = f"{url}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin?token={TOKEN}"
        with urllib.request.urlopen(widgets, timeout=30) as response:
            schema = json.loads(response.read())["schema"]  # an override is the setting's default
            assert schema["properties"]["saveState"]["default"] is True
        page = request.getfixturevalue("browser").new_page(viewport={"width": 1280, "height": 800})
        page.goto(lesson)
        expect(page.get_by_role("heading", name="00 · Start here").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(3000)  # when enabled, the pop-up shows within a second of the page's start
        assert page.get_by_text("Jupyter news").count() == 0
        page.close()
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)


def text_lines(path):
    """The stripped lines of a text file; of a notebook, the lines of its cells' sources."""
    if path.suffix == ".ipynb":
        return {line.strip() for cell in read(path).cells for line in cell.source.splitlines()}
    return {line.strip() for line in path.read_text(errors="replace").splitlines()}


def leaks(folder):
    """{file: solution or hidden-test lines (or markers) it contains} for every text file under folder."""
    secrets = set().union(*(secret_lines(read(p)) for p in SOLUTION_NOTEBOOKS)) | set(MARKERS)
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {".ipynb", ".py", ".md", ".txt", ".yml", ".toml", ".svg", ""}:
            lines = text_lines(path)
            hits = secrets & lines | {m for m in MARKERS if any(line.startswith(m) for line in lines)}
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def test_no_file_of_the_copy_contains_a_solution_or_a_hidden_test(copy):
    assert leaks(copy) == {}


def test_a_leaked_solution_would_be_found(tmp_path):
    leaked = tmp_path / "leaked.ipynb"
    leaked.write_text(SOLUTION_NOTEBOOKS[-1].read_text())
    assert leaks(tmp_path)


def test_an_existing_destination_is_refused(copy):
    with pytest.raises(SystemExit, match="exists already"):
        make_student_copy(copy)
