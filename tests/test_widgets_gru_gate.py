"""Tests for lesson 02's gate explorer (gatelab.widgets.gru_gate) without a browser: its synced state, bad input
and the numbers Python holds as the reference (tests/test_widgets_lstm_gate.py tests what the two explorers share
on the LSTM's; tests/test_explorers_browser.py runs both in Chromium).
"""

import ipywidgets
import pytest
import torch
from bs4 import BeautifulSoup
from traitlets import TraitError

from gatelab import dynamics, widgets
from gatelab.widgets.front import HERE, es_module


def test_sliders_are_the_settings_of_dynamics():
    e = widgets.gru_gate_explorer()
    assert list(e.sliders) == ["w_x", "w_h", "b", "x", "h_prev", "h_tilde"] == list(dynamics.GRU_GATE_SETTINGS)
    for name, s in dynamics.GRU_GATE_SETTINGS.items():
        assert (e.sliders[name].min, e.sliders[name].max, e.sliders[name].step, e.sliders[name].value) == (
            s.lo, s.hi, s.step, s.value,
        )  # fmt: skip
        assert e.trait_metadata(name, "sync")


def test_numbers_follow_the_sliders():
    """Is the gate z = σ(a), and h_next = z·h_tilde + (1 − z)·h_prev, computed with torch?"""
    e = widgets.gru_gate_explorer()
    moves = {"w_x": 1.5, "w_h": -2.0, "b": 0.5, "x": 0.6, "h_prev": -0.4, "h_tilde": 0.9}
    for name, value in moves.items():
        e.sliders[name].value = value
    assert e.values() == moves
    a = 1.5 * 0.6 - 2.0 * -0.4 + 0.5
    z = torch.sigmoid(torch.tensor(a, dtype=torch.float64)).item()
    expected = {"a": a, "z": z, "keep": (1 - z) * -0.4, "write": z * 0.9, "h_next": z * 0.9 + (1 - z) * -0.4}
    assert e.numbers() == pytest.approx(expected, abs=1e-12)


def test_bad_input_is_clamped_or_refused():
    e = widgets.gru_gate_explorer()
    reference = ipywidgets.FloatSlider(min=-1.0, max=1.0, step=0.05)
    e.sliders["h_tilde"].value = reference.value = 7
    assert e.h_tilde == reference.value == 1.0
    with pytest.raises(TraitError, match="slider 'b' needs a number"):
        e.sliders["b"].value = float("nan")


def test_the_display_carries_the_gru_module():
    data, _ = widgets.gru_gate_explorer(b=-3.0)._repr_mimebundle_()
    script = BeautifulSoup(data["text/html"], "html.parser").script.string
    assert '"b": -3.0' in script and "gruGateStep" in script
    assert len(data["text/html"]) < 40_000
    assert "export function gruGateStep" in es_module(HERE / "gru_gate.js")
