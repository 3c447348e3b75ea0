"""Do the lessons work in a real browser? JupyterLab on loopback, driven through Debian's Chromium.

For every source notebook with widgets: open it, run all cells, and for every explorer move each slider
with the keyboard and prove its figure's pixels changed; no error output, no browser console error.
Also nbgrader's Validate on a solved lesson, and the formgrader listing the course's assignments.
Without Chromium these tests skip, except under CI (CI=true), where they must run.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograde.release import release
from tests.course import ROOT, SOLUTION_NOTEBOOKS

CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's binary (/usr/bin/chromium is a wrapper script)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "gates-browser-test"
WIDGET_NOTEBOOKS = [p for p in SOLUTION_NOTEBOOKS if "gl.widgets." in p.read_text()]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)")
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url, path, method="GET"):
    """Call the Jupyter server's REST API; returns the decoded JSON (or None)."""
    request = urllib.request.Request(f"{url}{path}", method=method, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def wait_for_server(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "jupyter lab exited"
        try:
            api(url, "/api/status")
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("jupyter lab did not start")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback over a copy of the course (with its gradebook); yields its URL."""
    course = tmp_path_factory.mktemp("course")
    for name in ("solutions", "lessons", "assets"):
        shutil.copytree(ROOT / name, course / name)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "autograde").mkdir()
    release(course)  # fills the course's gradebook, so the formgrader lists the assignments
    config = tmp_path_factory.mktemp("jupyter-config")
    (config / "labconfig").mkdir()
    announcements = "@jupyterlab/apputils-extension:announcements"
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {announcements: True}}))
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    command = [
        "jupyter", "lab", "--no-browser", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={course}", "--LabApp.expose_app_in_browser=True",
        "--allow-root",
    ]  # fmt: skip
    log = open(course / "server.log", "w")
    server = subprocess.Popen(command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab):
    """A fresh page that records console errors; afterwards, every kernel session is deleted."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    page.close()
    for session in api(lab, "/api/sessions"):
        api(lab, f"/api/sessions/{session['id']}", method="DELETE")


def open_notebook(page, lab, relative_path):
    """Open a notebook in JupyterLab and wait until its kernel is ready."""
    page.goto(f"{lab}/lab/tree/{relative_path}?token={TOKEN}")
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=90_000,
    )


def run_all(page):
    """Run every cell and wait for the last to finish (the command's promise resolves then)."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'", timeout=90_000
    )


def error_outputs(page):
    return page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()


def move_slider_and_wait_for_redraw(page, explorer, handle):
    """Press an arrow key on a slider's handle; wait until the explorer's figure source changes; return its pixels."""
    figure = explorer.locator("img").first
    before = figure.get_attribute("src")
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    handle.focus()
    page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
    figure.element_handle().wait_for_element_state("stable")
    page.wait_for_function("([img, src]) => img.src !== src", arg=[figure.element_handle(), before], timeout=10_000)
    return figure.screenshot()


@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_slider_redraws_its_figure_in_a_real_browser(page, lab, notebook):
    open_notebook(page, lab, notebook.relative_to(ROOT))
    run_all(page)
    explorers = page.locator(".gl-explorer")
    expect(explorers.first).to_be_visible(timeout=30_000)
    assert error_outputs(page) == []
    moved = 0
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        explorer.scroll_into_view_if_needed()
        handles = explorer.locator(".noUi-handle")
        assert handles.count() > 0
        for s in range(handles.count()):
            before = explorer.locator("img").first.screenshot()
            after = move_slider_and_wait_for_redraw(page, explorer, handles.nth(s))
            assert after != before, f"explorer {e}, slider {s}: the figure's pixels did not change"
            moved += 1
    assert moved >= 2
    assert error_outputs(page) == []
    assert page.console_errors == []


def test_nbgrader_validate_passes_a_solved_lesson(page, lab):
    open_notebook(page, lab, "solutions/00-start-here/00-start-here.ipynb")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Success! Your notebook passes all the tests.")).to_be_visible(timeout=90_000)


def test_formgrader_lists_the_course_assignments(page, lab):
    page.goto(f"{lab}/formgrader?token={TOKEN}")
    for name in sorted({p.parent.name for p in SOLUTION_NOTEBOOKS}):
        expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=30_000)
