"""Tests for lesson 05's explorer (gatelab.widgets.highway: gradient_highway) without a browser: its synced state,
bad input, the numbers Python holds as the reference, and the page it shows with no kernel.

tests/test_explorers_browser.py runs its ES module (highway.js) in Chromium and compares what the page computes
with these.
"""

import json
import math
import re

import ipywidgets
import pytest
import torch
from bs4 import BeautifulSoup
from traitlets import TraitError

from gatelab import dynamics, widgets
from gatelab.widgets.front import CSS, HERE, LIVE_CAPTION, es_module

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SETTINGS = dynamics.HIGHWAY_SETTINGS


def test_sliders_are_the_settings_of_dynamics():
    """Are the sliders, their ranges, steps and start values those of dynamics.HIGHWAY_SETTINGS, all synced?"""
    e = widgets.gradient_highway()
    assert isinstance(e, widgets.GradientHighwayExplorer)
    assert list(e.sliders) == list(SETTINGS) == ["b_f", "T", "w"]
    for name, s in SETTINGS.items():
        slider = e.sliders[name]
        assert (slider.min, slider.max, slider.step, slider.value) == (s.lo, s.hi, s.step, s.value)
        assert e.trait_metadata(name, "sync")
    assert e.values() == {"b_f": 1.0, "T": 40, "w": 0.9} and isinstance(e.T, int)
    state = e.get_state()
    assert {name: state[name] for name in e.sliders} == e.values()
    assert [(d["name"], d["label"], d["min"], d["max"], d["step"]) for d in state["_settings"]] == [
        (name, s.label, s.lo, s.hi, s.step) for name, s in SETTINGS.items()
    ]
    assert "gl-explorer" in e._dom_classes


def test_the_call_is_the_one_of_the_lessons():
    assert widgets.gradient_highway(2.0, 25, 1.1).values() == {"b_f": 2.0, "T": 25, "w": 1.1}


def test_the_constants_are_the_inputs_weights_and_start_states():
    k = widgets.gradient_highway().get_state()["_constants"]
    assert k["x"] == dynamics.one_unit_rnn_inputs(100, 0.5).tolist() == dynamics.highway_inputs().tolist()
    assert k["weights"] == {g: list(w) for g, w in dynamics.HIGHWAY_WEIGHTS.items()}
    assert (k["c0"], k["h0"], k["rnn_h0"]) == (0.5, 0.0, 0.5)
    assert (k["floor"], k["vanished"], k["exploded"]) == (1e-300, 1e-3, 1e3)


def test_numbers_follow_the_sliders():
    """Moving sliders from Python: do numbers() follow, equal to the models' gradients from autograd?"""
    e = widgets.gradient_highway()
    for name, value in {"b_f": 2.0, "w": 1.1, "T": 25}.items():
        e.sliders[name].value = value
    assert e.values() == {"b_f": 2.0, "T": 25, "w": 1.1}
    q = e.numbers()
    assert q == dynamics.highway_numbers(b_f=2.0, T=25, w=1.1)
    x = dynamics.one_unit_rnn_inputs(100, 0.5)
    f, dc = dynamics.one_unit_lstm_cell_gradients(2.0, x)
    _, dh = dynamics.one_unit_rnn_gradients(1.1, x)
    assert q["cell"] == pytest.approx([math.log10(v) for v in dc.tolist()], abs=1e-12)
    assert q["product"] == pytest.approx(q["cell"], abs=1e-12)
    assert q["rnn"] == pytest.approx([math.log10(v) for v in dh.tolist()], abs=1e-12)
    assert q["cell_T"] == q["cell"][24] and q["mean_f"] == pytest.approx(f[:25].mean().item())


def test_the_forget_bias_raises_the_cell_gradient():
    """Does raising b_f raise ∂c_T/∂c_0 at T (more of the memory is kept), leaving the RNN as it is?"""
    e = widgets.gradient_highway(b_f=0.0, T=40)
    low = e.numbers()
    e.sliders["b_f"].value = 5.0
    high = e.numbers()
    assert high["cell_T"] > low["cell_T"] + 2 and high["mean_f"] > 0.99
    assert (low["cell_verdict"], high["cell_verdict"]) == ("vanished", "survives")
    assert high["rnn"] == low["rnn"]


def test_the_integer_slider_refuses_a_fraction():
    e = widgets.gradient_highway()
    with pytest.raises(TraitError, match=r"slider 'T' needs a whole number, not 2\.5"):
        e.sliders["T"].value = 2.5
    with pytest.raises(TraitError, match=r"slider 'T' needs a whole number"):
        e.set_state({"T": 2.5})  # what the page would send
    with pytest.raises(TraitError, match=r"slider 'T' needs a whole number"):
        widgets.gradient_highway(T=2.5)
    assert e.T == 40


@pytest.mark.parametrize("value", [99, -99.5, math.inf, -math.inf, 7.96])
def test_a_value_out_of_range_is_clamped_as_ipywidgets_does(value):
    e = widgets.gradient_highway()
    reference = ipywidgets.FloatSlider(min=-3.0, max=8.0, step=0.1)
    e.sliders["b_f"].value = reference.value = value
    assert e.b_f == e.sliders["b_f"].value == reference.value
    assert e.numbers() == dynamics.highway_numbers(**e.values())


@pytest.mark.parametrize("value", [500, -3, 0, 100])
def test_a_length_out_of_range_is_clamped_as_ipywidgets_does(value):
    e = widgets.gradient_highway()
    reference = ipywidgets.IntSlider(min=1, max=100, step=1)
    e.sliders["T"].value = reference.value = value
    assert e.T == reference.value
    assert e.numbers() == dynamics.highway_numbers(**e.values())


@pytest.mark.parametrize("bad", [math.nan, "0.5", None, True, [1.0], torch.tensor([1.0, 2.0])])
def test_nan_or_a_wrong_type_is_refused_naming_the_slider(bad):
    e = widgets.gradient_highway()
    with pytest.raises(TraitError, match=r"slider 'b_f' needs a number"):
        e.sliders["b_f"].value = bad
    with pytest.raises(TraitError, match=r"slider 'b_f'"):
        e.set_state({"b_f": bad})
    assert e.b_f == SETTINGS["b_f"].value


def test_start_values():
    e = widgets.gradient_highway(b_f=9.5)
    assert e.b_f == 9.5 and e.sliders["b_f"].max == 9.5
    with pytest.raises(KeyError, match="b_f"):
        widgets.GradientHighwayExplorer(bf=1.0)


def test_the_display_is_the_live_view_and_the_same_explorer_for_pages_without_a_kernel():
    """Does the display carry the widget view and, as text/html, the module (cell.js, curves.js inlined), the state?"""
    e = widgets.gradient_highway()
    e.sliders["b_f"].value = 3.2
    data, _ = e._repr_mimebundle_()
    assert WIDGET_VIEW in data
    page = data["text/html"]
    soup = BeautifulSoup(page, "html.parser")
    (script,) = soup.find_all("script")
    assert script["type"] == "module" and not script.get("src")
    assert not soup.find_all(src=True) and not soup.find_all("link")
    head = r"\s*const source = (.*?), state = (.*?), element = document.getElementById\((.*?)\);"
    source, state, element = re.match(head, script.string).groups()
    source = json.loads(source)
    assert source == es_module(HERE / "highway.js")
    for name in ("mount", "curvePanel", "sigmoid"):  # explorer.js, curves.js, cell.js: each once
        assert source.count(f"export function {name}(") == 1
    assert not re.search(r"^import ", source, re.M) and source.count("export default") == 1
    fixed = {"_explorer": "GradientHighwayExplorer", "_settings": e._settings, "_constants": e.constants()}
    assert json.loads(state) == fixed | e.values()
    assert json.loads(state)["b_f"] == 3.2
    assert soup.find(id=json.loads(element)) is not None
    assert soup.find("style").string == CSS.read_text()
    assert "</script" not in script.string.lower()
    assert soup.find("figcaption").get_text() == LIVE_CAPTION
    assert len(page) < 40_000  # the hardened grader keeps 100 000 characters of a cell's output


def test_a_saved_state_rebuilds_the_explorer():
    """Does a notebook's saved widget state name this explorer, so that it is rebuilt at its values?"""
    from gatelab.widgets.front import explorer_from_state

    e = widgets.gradient_highway(T=12)
    again = explorer_from_state(e.get_state())
    assert isinstance(again, widgets.GradientHighwayExplorer) and again.values() == e.values()
