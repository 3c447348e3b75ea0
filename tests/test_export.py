"""Does `python -m autograde.export` make a lesson one page that needs no Jupyter and no network, with each of
its explorers live at the values the notebook was saved with?

Each released lesson with explorers is run as Run All runs it (nbclient, which saves the widget state in the
notebook as JupyterLab does), then exported by the real command. tests/test_export_browser.py opens such pages
in Chromium, and saves a lesson from JupyterLab itself.
"""

import json
import re
import subprocess
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup

from autograde.feedback import WIDGET_STATE, LiveExplorers
from gatelab import widgets
from gatelab.widgets.front import explorer_from_state
from tests.course import LESSON_NOTEBOOKS, ROOT, WIDGET_VIEW, execute, explorer_cells, read

EXPLORER_LESSONS = [p for p in LESSON_NOTEBOOKS if explorer_cells(read(p))]
STATE = re.compile(r"\s*const source = .*?, state = (.*?), element = document.getElementById\(")


def saved_explorers(nb):
    """The saved widget state of each explorer the notebook's outputs show, in their order."""
    saved = nb.metadata["widgets"][WIDGET_STATE]["state"]
    views = [
        out.data[WIDGET_VIEW]["model_id"]
        for c in nb.cells
        for out in c.get("outputs", [])
        if WIDGET_VIEW in out.get("data", {})
    ]
    return [saved[model]["state"] for model in views if saved[model]["state"].get("_explorer")]


def saved_copy(nb, folder, lesson):
    """nb, run from the released lesson at path lesson, saved in folder under the lesson's folder and name."""
    path = folder / lesson.parent.name / lesson.name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def run_export(notebook, out):
    """The real command: notebook (in a folder named as its released lesson's) exported to out, its figure links
    from the lesson's folder; returns out."""
    command = [sys.executable, "-m", "autograde.export", str(notebook), "--out", str(out)]
    command += ["--links-from", str(ROOT / "lessons" / notebook.parent.name)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


def page_states(page):
    """The state each explorer on the page starts from, in page order."""
    soup = BeautifulSoup(page, "html.parser")
    return [json.loads(STATE.match(s.string).group(1)) for s in soup.find_all("script") if STATE.match(s.string or "")]


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPLORER_LESSONS, ids=lambda p: p.stem)
def test_the_exported_lesson_has_every_explorer_at_its_saved_values_and_loads_nothing(path, tmp_path):
    nb, _ = execute(path)
    saved = saved_explorers(nb)
    assert saved, "Run All saved no explorer's state"
    page = run_export(saved_copy(nb, tmp_path, path), tmp_path / "page.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    fetched = [tag["src"][:60] for tag in soup.find_all(src=True) if not tag["src"].startswith("data:")]
    assert not fetched, "the page loads a script or an image from a file or the web"
    assert not [link["href"] for link in soup.find_all("link") if link.get("href", "").startswith(("http", "//"))]
    assert WIDGET_STATE not in page and WIDGET_VIEW not in page  # the state is in the explorers, not beside them
    states = page_states(page)
    assert [s["_explorer"] for s in states] == [s["_explorer"] for s in saved]
    for state, model in zip(states, saved, strict=True):
        explorer = explorer_from_state(model)
        assert {name: state[name] for name in explorer.SETTINGS} == {name: model[name] for name in explorer.SETTINGS}
        assert state["_constants"] == explorer.constants()


def lesson_with_a_moved_explorer():
    """A notebook showing lesson 04's gate explorer with b_f moved after display, saved with its widget state."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import gatelab as gl\ne = gl.widgets.lstm_gate_explorer()\ne"),
                nbformat.v4.new_code_cell("e.sliders['b_f'].value = 3.3")]  # fmt: skip
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return nb


def test_an_explorer_starts_at_the_values_saved_not_those_it_was_displayed_with():
    nb = lesson_with_a_moved_explorer()
    (output,) = nb.cells[0].outputs
    assert "3.3" not in output.data["text/html"].split("state = ")[1][:2000]  # displayed at b_f = 0.5
    nb, _ = LiveExplorers().preprocess(nb, {})
    (state,) = page_states(nb.cells[0].outputs[0].data["text/html"])
    assert state["b_f"] == 3.3 and state["_explorer"] == "LSTMGateExplorer"
    assert "widgets" not in nb.metadata and WIDGET_VIEW not in nb.cells[0].outputs[0].data


@pytest.mark.parametrize(
    "state",
    [
        {"_explorer": "LSTMGateExplorer", "b_f": "not a number"},
        {"_explorer": "LSTMGateExplorer", "b_f": float("nan")},
        {"_explorer": "FloatSlider", "value": 1.0},
        {"_explorer": "os.system"},
        {"value": 1.0},
    ],
)
def test_a_saved_state_no_explorer_takes_keeps_the_displayed_page(state):
    """A widget that is no explorer, or a state tampered with, rebuilds nothing: the output keeps its own HTML."""
    assert explorer_from_state(state) is None
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"m1": {"state": state}}}}
    shown = nbformat.v4.new_output("display_data", {WIDGET_VIEW: {"model_id": "m1"}, "text/html": "<figure/>"})
    nb.cells = [nbformat.v4.new_code_cell(outputs=[shown])]
    nb, _ = LiveExplorers().preprocess(nb, {})
    assert nb.cells[0].outputs[0].data == {"text/html": "<figure/>"}


def test_an_explorer_rebuilt_from_its_state_is_the_installed_one():
    """The module and data come from gatelab, never from the saved state (which a notebook could alter)."""
    e = widgets.lstm_gate_explorer(b_f=2.0)
    state = e.get_state() | {"_esm": "alert('not ours')", "_constants": {"x": 1}}
    rebuilt = explorer_from_state(state)
    assert rebuilt.values() == e.values() and str(rebuilt._esm) == str(e._esm) and rebuilt._constants == {}
