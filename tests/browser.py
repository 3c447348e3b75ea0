"""JupyterLab on loopback driven through Debian's Chromium: shared by the browser tests and the benchmark."""

import contextlib
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError

from autograde.release import release
from tests.course import ROOT

CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's binary (/usr/bin/chromium is a wrapper script)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "gates-browser-test"


def course_copy(folder):
    """A copy of the course in folder (solutions, lessons, assets, config) with a filled gradebook."""
    for name in ("solutions", "lessons", "assets"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    (folder / "autograde").mkdir()
    release(folder)
    return folder


def require_chromium():
    """Called at the top of a browser test module: skip the module without Debian's chromium, except under
    CI (CI=true), which installs it (.ci/run): there its absence is an error."""
    import pytest

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)")
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True
        )


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


@contextlib.contextmanager
def lab_server(course, config):
    """JupyterLab serving the folder course on a free loopback port, configured in config; yields its URL."""
    # Render every cell: with JupyterLab's windowing, cells scrolled out of view are hidden.
    tracker = config / "user-settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    command = [
        "jupyter", "lab", "--no-browser", f"--port={port}", f"--IdentityProvider.token={TOKEN}",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={course}", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={config / 'user-settings'}", "--allow-root",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with open(config / "server.log", "w") as log:
        server = subprocess.Popen(command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_server(url, server)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def close_sessions(url):
    """Delete every kernel session, so reopening a notebook starts a fresh kernel."""
    for session in api(url, "/api/sessions"):
        api(url, f"/api/sessions/{session['id']}", method="DELETE")


def open_notebook(page, url, relative_path, workspace=None):
    """Open a notebook in JupyterLab and wait until its kernel is ready.

    workspace: open it in a JupyterLab workspace of that name, so that no tab opened before is restored.
    """
    where = f"workspaces/{workspace}/tree" if workspace else "tree"
    page.goto(f"{url}/lab/{where}/{relative_path}?token={TOKEN}")
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=90_000,
    )


# The notebook open in the page, its code cells and a cell's outputs, as the two waits below read them.
CODE_CELLS = """
    const notebook = window.jupyterapp.shell.currentWidget;
    const code = notebook.content.widgets.filter((cell) => cell.model.type === 'code');
    const outputs = (cell) => [...Array(cell.model.outputs.length).keys()].map((i) => cell.model.outputs.get(i));
"""

# Run All has finished on a notebook opened unrun: JupyterLab 4.6 runs the cells one after the other and its
# command's promise resolves before the last has run, so wait until the last code cell has an execution count
# (or an error stopped the run: one in a cell not tagged raises-exception, as the lessons' checks are), no cell
# is running and the kernel is idle.
ALL_CELLS_RUN = f"""() => {{{CODE_CELLS}
    const last = code.filter((cell) => cell.model.sharedModel.getSource().trim()).at(-1);
    const stopped = code.some((cell) => !(cell.model.getMetadata('tags') ?? []).includes('raises-exception')
        && outputs(cell).some((output) => output.type === 'error'));
    return notebook.sessionContext.session.kernel.status === 'idle'
        && code.every((cell) => cell.model.executionState !== 'running')
        && (last === undefined || last.model.executionCount !== null || stopped);
}}"""

# Every widget output of the notebook has drawn its view: ipywidgets' renderer is the output's node and adds the
# view to it when the view has rendered, after its cell has finished. (The node has no data-mime-type to select.)
EXPLORERS_DRAWN = f"""() => {{{CODE_CELLS}
    return code.every((cell) => outputs(cell).every((output, i) =>
        !('application/vnd.jupyter.widget-view+json' in output.data)
        || cell.outputArea.widgets[i]?.node.querySelector('.jp-OutputArea-output')?.childElementCount > 0));
}}"""


def run_all(page):
    """Run every cell, wait for the last to finish and for every explorer it shows to be drawn."""
    page.evaluate("async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(ALL_CELLS_RUN, timeout=90_000)
    page.wait_for_function(EXPLORERS_DRAWN, timeout=30_000)


RUN_IN_KERNEL = """async (code) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({ code, store_history: false });
    let out = "";
    future.onIOPub = (msg) => { if (msg.header.msg_type === "stream") out += msg.content.text; };
    await future.done;
    return out;
}"""


def run_in_kernel(page, code):
    """Run code in the kernel of the notebook open in page (not as a cell); returns what it printed."""
    return page.evaluate(RUN_IN_KERNEL, code)


def kernel_json(page, code, until, timeout=30):
    """What code prints in the notebook's kernel, read as JSON, once until(it) holds (or as last read at the
    timeout). A widget's front end sends its changes one message at a time and holds the next until the kernel
    has handled the last (ipywidgets' throttle), so the kernel may hear of a slider's last moves a moment later."""
    deadline = time.monotonic() + timeout
    while not until(value := json.loads(run_in_kernel(page, code))) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def error_outputs(page):
    """The text of every error or stderr output shown in the notebook."""
    return page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()


# -- the explorers (gatelab.widgets.front) --------------------------------------------------------------------
# Their figure is an SVG whose data-computed attribute holds the numbers the page computed (JSON) and
# data-settings the slider values it computed them from; their sliders are native range inputs.
FIGURE = "svg.gl-figure"


def computed(explorer):
    """(settings, numbers) the explorer's page last computed, as the module wrote them on its figure."""
    figure = explorer.locator(FIGURE)
    return json.loads(figure.get_attribute("data-settings")), json.loads(figure.get_attribute("data-computed"))


def standalone_page(folder, explorer, title="Explorer"):
    """The explorer's text/html display (what a page with no kernel shows) saved as a page in folder; returns its
    file name."""
    data, _ = explorer._repr_mimebundle_()
    page = f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title><body>{data["text/html"]}'
    (folder / "explorer.html").write_text(page, encoding="utf-8")
    return "explorer.html"


def difference(page, reference, where="numbers"):
    """The largest |page − reference| over the numbers of two nested structures (dicts, lists) of one shape; what
    is not a number (words, a verdict) must be equal."""
    if isinstance(reference, dict):
        assert isinstance(page, dict) and page.keys() == reference.keys(), f"{where}: {list(page)} ≠ {list(reference)}"
        return max((difference(page[k], reference[k], f"{where}.{k}") for k in reference), default=0.0)
    if isinstance(reference, list | tuple):
        assert isinstance(page, list) and len(page) == len(reference), f"{where}: {page} ≠ {reference}"
        pairs = enumerate(zip(page, reference, strict=True))
        return max((difference(p, r, f"{where}[{k}]") for k, (p, r) in pairs), default=0.0)
    if isinstance(reference, bool | str) or reference is None:
        assert page == reference, f"{where}: the page has {page!r}, gatelab.dynamics {reference!r}"
        return 0.0
    return abs(page - reference)


def move_range(page, explorer, slider, key=None):
    """Press a key (an arrow by default: left at the maximum) on a range input; wait until the explorer's figure
    shows new numbers; return the ms taken, seen from here."""
    figure = explorer.locator(FIGURE).element_handle()
    before = figure.get_attribute("data-computed")
    key = key or ("ArrowLeft" if slider.input_value() == slider.get_attribute("max") else "ArrowRight")
    slider.focus()
    start = time.perf_counter()
    page.keyboard.press(key)
    try:
        page.wait_for_function("([svg, old]) => svg.dataset.computed !== old", arg=[figure, before], timeout=10_000)
    except TimeoutError as error:
        raise AssertionError(f"slider {slider.get_attribute('data-name')!r} did not redraw its figure") from error
    return 1000 * (time.perf_counter() - start)


# Measured in the page (NOTES.md), from the keydown event to the figure's change on screen, two ways:
# - "painted": a task queued from the first requestAnimationFrame after the figure changed runs once that frame's
#   style, layout and paint are done and handed to the compositor (the frame that shows the change);
# - "next frame": the second requestAnimationFrame, the start of the frame after that one: an upper bound, which
#   adds the wait for the next display frame.
# The figure is an explorer's SVG (its numbers change), or an <img> whose src changes (timed once decoded).
FRAME_PROBE = """(explorer) => {
    const figure = explorer.querySelector("svg.gl-figure, svg.gl-bare, img");
    let keydown;
    document.addEventListener("keydown", (event) => { keydown = event.timeStamp; }, { once: true, capture: true });
    window.glFrame = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
            observer.disconnect();
            const since = (resolve) => () => resolve(performance.now() - keydown);
            const frames = () => requestAnimationFrame(() => resolve(Promise.all([
                new Promise((painted) => setTimeout(since(painted), 0)),
                new Promise((next) => requestAnimationFrame(since(next))),
            ])));
            figure.tagName === "IMG" ? figure.decode().then(frames, frames) : frames();
        });
        observer.observe(figure, { attributes: true, attributeFilter: ["src", "data-computed"] });
    });
}"""


def key_to_frame(page, explorer, control, key):
    """(painted, next frame): ms from pressing key on control (focused first) to the frame showing the explorer's
    figure changed, and to the start of the frame after it (FRAME_PROBE)."""
    control.focus()
    explorer.evaluate(FRAME_PROBE)
    page.keyboard.press(key)
    return tuple(page.evaluate("() => window.glFrame"))


# axe-core, from npm (tests/a11y: `make test` installs it), run on the course's own nodes of a page.
AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # WCAG 2.1 levels A and AA
AXE_RUN = """async ([selector, tags]) => {
    const found = await axe.run(document.querySelectorAll(selector), { runOnly: { type: "tag", values: tags } });
    return { checked: found.passes.length + found.violations.length, violations: found.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    })) };
}"""


def axe_violations(page, selector):
    """axe-core's WCAG 2.1 A/AA violations in the page's nodes matching selector: [{id, impact, help, nodes}]; the
    number of rules it checked there is printed, so a scan that checked nothing shows."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN, [selector, WCAG_AA])
    print(f"axe-core on {selector}: {found['checked']} rules applied, {len(found['violations'])} violated")
    assert found["checked"] > 0, f"axe-core found nothing to check in {selector}"
    return found["violations"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def static_server(folder):
    """folder served as static files (python -m http.server's handler) on a free loopback port, from a thread;
    yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def console_errors(page):
    """The list the page's console errors and uncaught exceptions are added to, from now on."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def loopback_only(context):
    """Abort every request of the browser context that is not for the loopback address (no network); returns the
    list the aborted URLs are added to."""
    aborted = []

    def route(route):
        if route.request.url.startswith(("http://127.0.0.1:", "http://127.0.0.1/")):
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    return aborted
