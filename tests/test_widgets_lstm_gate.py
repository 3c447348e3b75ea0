"""Tests for lesson 04's gate explorer (gatelab.widgets.lstm_gate) without a browser: its synced state, bad input,
the numbers Python holds as the reference, and the page it shows with no kernel.

tests/test_explorers_browser.py runs its ES module in Chromium and compares what the page computes with these.
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


def test_sliders_are_the_settings_of_dynamics():
    """Are the sliders, their ranges, steps and start values those of dynamics.LSTM_GATE_SETTINGS, all synced?"""
    e = widgets.lstm_gate_explorer()
    assert list(e.sliders) == list(dynamics.LSTM_GATE_SETTINGS)
    for name, s in dynamics.LSTM_GATE_SETTINGS.items():
        slider = e.sliders[name]
        assert (slider.min, slider.max, slider.step, slider.value) == (s.lo, s.hi, s.step, s.value)
        assert e.trait_metadata(name, "sync")
    state = e.get_state()
    assert {name: state[name] for name in e.sliders} == e.values()
    assert [(d["name"], d["label"], d["min"], d["max"], d["step"]) for d in state["_settings"]] == [
        (name, s.label, s.lo, s.hi, s.step) for name, s in dynamics.LSTM_GATE_SETTINGS.items()
    ]
    assert "gl-explorer" in e._dom_classes


def test_numbers_follow_the_sliders():
    """Moving sliders from Python: do values() and numbers() follow, equal to the cell computed with torch?"""
    e = widgets.lstm_gate_explorer()
    moves = {"w_fx": 1.0, "w_fh": 2.0, "b_f": -0.5, "w_ix": -1.0, "w_ih": 0.5, "b_i": 1.0, "x": 0.8}
    moves |= {"h_prev": 0.3, "c_prev": -1.2, "c_tilde": 0.7}
    for name, value in moves.items():
        e.sliders[name].value = value
    assert e.values() == moves
    a_f, a_i = 1.0 * 0.8 + 2.0 * 0.3 - 0.5, -1.0 * 0.8 + 0.5 * 0.3 + 1.0
    f, i = torch.sigmoid(torch.tensor([a_f, a_i], dtype=torch.float64)).tolist()
    expected = {"a_f": a_f, "f": f, "a_i": a_i, "i": i, "f_c_prev": f * -1.2, "i_c_tilde": i * 0.7}
    expected["c"] = f * -1.2 + i * 0.7
    assert e.numbers() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("value", [99, -99.5, math.inf, -math.inf, 4.95])
def test_a_value_out_of_range_is_clamped_as_ipywidgets_does(value):
    e = widgets.lstm_gate_explorer()
    reference = ipywidgets.FloatSlider(min=-5.0, max=5.0, step=0.1)
    e.sliders["b_f"].value = reference.value = value
    assert e.b_f == e.sliders["b_f"].value == reference.value
    assert e.numbers() == dynamics.lstm_gate_step(**e.values())


@pytest.mark.parametrize("bad", [math.nan, "0.5", None, True, [1.0], torch.tensor([1.0, 2.0])])
def test_nan_or_a_wrong_type_is_refused_naming_the_slider(bad):
    """Does a bad value give a TraitError that names the slider, and leave the value as it was?"""
    e = widgets.lstm_gate_explorer()
    with pytest.raises(TraitError, match=r"slider 'c_prev' needs a number"):
        e.sliders["c_prev"].value = bad
    with pytest.raises(TraitError, match=r"slider 'c_prev'"):
        e.set_state({"c_prev": bad})  # what the page would send
    assert e.c_prev == dynamics.LSTM_GATE_SETTINGS["c_prev"].value


def test_start_values():
    """Does a start value set its slider, one beyond the range widen it, and an unknown name raise?"""
    e = widgets.lstm_gate_explorer(b_f=7.5, x=-0.25)
    assert (e.b_f, e.x) == (7.5, -0.25) and e.sliders["b_f"].max == 7.5
    assert e.get_state()["_settings"][2]["max"] == 7.5
    with pytest.raises(KeyError, match="w_fx"):
        widgets.lstm_gate_explorer(W_f=1.0)
    with pytest.raises(TraitError, match="slider 'b_i'"):
        widgets.lstm_gate_explorer(b_i=math.nan)


def test_numbers_are_the_reference_model():
    """Does numbers() return dynamics.lstm_gate_step's numbers, which follow the cell's equations?"""
    g = torch.Generator().manual_seed(1)
    for _ in range(20):
        values = {
            n: s.lo + (s.hi - s.lo) * torch.rand(1, generator=g).item() for n, s in dynamics.LSTM_GATE_SETTINGS.items()
        }
        q = widgets.lstm_gate_explorer(**values).numbers()
        assert q["f"] == pytest.approx(1 / (1 + math.exp(-q["a_f"])), rel=1e-14)
        assert q["c"] == pytest.approx(q["f"] * values["c_prev"] + q["i"] * values["c_tilde"], abs=1e-14)


def test_the_display_is_the_live_view_and_the_same_explorer_for_pages_without_a_kernel():
    """Does the display carry the widget view and, as text/html, the module, the CSS and the state, inline?"""
    e = widgets.lstm_gate_explorer()
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
    assert json.loads(source) == es_module(HERE / "lstm_gate.js")
    assert "export function mount(" in json.loads(source) and not re.search(r"^import ", json.loads(source), re.M)
    fixed = {"_explorer": "LSTMGateExplorer", "_settings": e._settings, "_constants": {}}
    assert json.loads(state) == fixed | e.values()
    assert json.loads(state)["b_f"] == 3.2
    assert soup.find(id=json.loads(element)) is not None
    assert soup.find("style").string == CSS.read_text()
    assert "</script" not in script.string.lower()
    assert soup.find("figcaption").get_text() == LIVE_CAPTION
    # the hardened grader keeps 100 000 characters of a cell's output: the explorer must leave room
    assert len(page) < 40_000
