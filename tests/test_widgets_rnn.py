"""Tests for lesson 01's explorer (gatelab.widgets.rnn: vanishing_gradient) without a browser: its synced state,
bad input, the numbers Python holds as the reference, and the page it shows with no kernel.

tests/test_explorers_browser.py runs its ES module (vanishing.js) in Chromium and compares what the page computes
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
SETTINGS = dynamics.VANISHING_SETTINGS


def test_sliders_are_the_settings_of_dynamics():
    """Are the sliders, their ranges, steps and start values those of dynamics.VANISHING_SETTINGS, all synced?"""
    e = widgets.vanishing_gradient()
    assert isinstance(e, widgets.VanishingGradientExplorer)
    assert list(e.sliders) == list(SETTINGS) == ["w", "scale", "T"]
    for name, s in SETTINGS.items():
        slider = e.sliders[name]
        assert (slider.min, slider.max, slider.step, slider.value) == (s.lo, s.hi, s.step, s.value)
        assert e.trait_metadata(name, "sync")
    assert e.values() == {"w": 0.9, "scale": 0.5, "T": 40} and isinstance(e.T, int)
    state = e.get_state()
    assert {name: state[name] for name in e.sliders} == e.values()
    assert [(d["name"], d["label"], d["min"], d["max"], d["step"]) for d in state["_settings"]] == [
        (name, s.label, s.lo, s.hi, s.step) for name, s in SETTINGS.items()
    ]
    assert "gl-explorer" in e._dom_classes


def test_the_call_is_the_one_of_the_lessons():
    """Does vanishing_gradient(w, scale, T) start its sliders there, positionally too?"""
    assert widgets.vanishing_gradient(2.0, 0.0, 5).values() == {"w": 2.0, "scale": 0.0, "T": 5}


def test_the_constants_are_the_input_sequence_at_scale_one():
    """Is _constants the fixed input at scale 1 (the view multiplies it by scale, as one_unit_rnn_inputs does)?"""
    k = widgets.vanishing_gradient().get_state()["_constants"]
    assert k["x"] == dynamics.one_unit_rnn_inputs(100, 1.0).tolist()
    for scale in (0.0, 0.35, 1.7):
        assert torch.equal(scale * torch.tensor(k["x"], dtype=torch.float64), dynamics.one_unit_rnn_inputs(100, scale))
    assert (k["h0"], k["floor"], k["vanished"], k["exploded"]) == (0.5, 1e-300, 1e-3, 1e3)


def test_numbers_follow_the_sliders():
    """Moving sliders from Python: do values() and numbers() follow, equal to the RNN's gradients from autograd?"""
    e = widgets.vanishing_gradient()
    for name, value in {"w": 1.5, "scale": 0.25, "T": 12}.items():
        e.sliders[name].value = value
    assert e.values() == {"w": 1.5, "scale": 0.25, "T": 12}
    q = e.numbers()
    assert q == dynamics.vanishing_numbers(w=1.5, scale=0.25, T=12)
    _, dh = dynamics.one_unit_rnn_gradients(1.5, dynamics.one_unit_rnn_inputs(100, 0.25))
    assert q["tanh"] == pytest.approx([math.log10(v) for v in dh.tolist()], abs=1e-12)
    assert q["tanh_T"] == pytest.approx(math.log10(dh[11].item()), abs=1e-12)
    assert q["linear"][:3] == pytest.approx([math.log10(1.5), 2 * math.log10(1.5), 3 * math.log10(1.5)])


def test_the_verdict_follows_the_sliders():
    """Survives one step, vanishes over 100; explodes where inputs keep h_t near 0 with w > 1."""
    e = widgets.vanishing_gradient(w=0.9, scale=0.5, T=1)
    assert e.numbers()["verdict"] == "survives"
    e.sliders["T"].value = 100
    assert e.numbers()["verdict"] == "vanished"
    e = widgets.vanishing_gradient(w=1.75, scale=0.3, T=18)
    assert e.numbers()["verdict"] == "exploded" and e.numbers()["tanh_T"] > 3


def test_the_integer_slider_refuses_a_fraction():
    """Is T a whole number: 2.5 refused with a TraitError naming the slider, 7.0 taken as 7?"""
    e = widgets.vanishing_gradient()
    with pytest.raises(TraitError, match=r"slider 'T' needs a whole number, not 2\.5"):
        e.sliders["T"].value = 2.5
    with pytest.raises(TraitError, match=r"slider 'T' needs a whole number"):
        e.set_state({"T": 2.5})  # what the page would send
    with pytest.raises(TraitError, match=r"slider 'T' needs a whole number"):
        widgets.vanishing_gradient(T=2.5)
    assert e.T == 40
    e.sliders["T"].value = 7.0
    assert e.T == 7 and isinstance(e.T, int)


@pytest.mark.parametrize("value", [99, -99.5, math.inf, -math.inf, 2.96])
def test_a_value_out_of_range_is_clamped_as_ipywidgets_does(value):
    e = widgets.vanishing_gradient()
    reference = ipywidgets.FloatSlider(min=0.0, max=3.0, step=0.05)
    e.sliders["w"].value = reference.value = value
    assert e.w == e.sliders["w"].value == reference.value
    assert e.numbers() == dynamics.vanishing_numbers(**e.values())


@pytest.mark.parametrize("value", [500, -3, 0, 100])
def test_a_length_out_of_range_is_clamped_as_ipywidgets_does(value):
    e = widgets.vanishing_gradient()
    reference = ipywidgets.IntSlider(min=1, max=100, step=1)
    e.sliders["T"].value = reference.value = value
    assert e.T == reference.value
    assert e.numbers() == dynamics.vanishing_numbers(**e.values())


@pytest.mark.parametrize("bad", [math.nan, "0.5", None, True, [1.0], torch.tensor([1.0, 2.0])])
def test_nan_or_a_wrong_type_is_refused_naming_the_slider(bad):
    """Does a bad value give a TraitError that names the slider, and leave the value as it was?"""
    e = widgets.vanishing_gradient()
    with pytest.raises(TraitError, match=r"slider 'scale' needs a number"):
        e.sliders["scale"].value = bad
    with pytest.raises(TraitError, match=r"slider 'scale'"):
        e.set_state({"scale": bad})
    assert e.scale == SETTINGS["scale"].value


def test_start_values():
    """Does a start value beyond the range widen it, and an unknown name raise?"""
    e = widgets.vanishing_gradient(w=3.5)
    assert e.w == 3.5 and e.sliders["w"].max == 3.5
    with pytest.raises(TypeError):
        widgets.vanishing_gradient(W=1.0)
    with pytest.raises(KeyError, match="scale"):
        widgets.VanishingGradientExplorer(W=1.0)


def test_the_display_is_the_live_view_and_the_same_explorer_for_pages_without_a_kernel():
    """Does the display carry the widget view and, as text/html, the module (curves.js inlined), the state, inline?"""
    e = widgets.vanishing_gradient()
    e.sliders["w"].value = 1.25
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
    assert source == es_module(HERE / "vanishing.js")
    assert "export function mount(" in source and "export function curvePanel(" in source
    assert not re.search(r"^import ", source, re.M) and source.count("export default") == 1
    fixed = {"_explorer": "VanishingGradientExplorer", "_settings": e._settings, "_constants": e.constants()}
    assert json.loads(state) == fixed | e.values()
    assert json.loads(state)["w"] == 1.25
    assert soup.find(id=json.loads(element)) is not None
    assert soup.find("style").string == CSS.read_text()
    assert "</script" not in script.string.lower()
    assert soup.find("figcaption").get_text() == LIVE_CAPTION
    assert len(page) < 40_000  # the hardened grader keeps 100 000 characters of a cell's output


def test_a_saved_state_rebuilds_the_explorer():
    """Does a notebook's saved widget state name this explorer, so that it is rebuilt at its values?"""
    from gatelab.widgets.front import explorer_from_state

    e = widgets.vanishing_gradient(T=12)
    again = explorer_from_state(e.get_state())
    assert isinstance(again, widgets.VanishingGradientExplorer) and again.values() == e.values()
