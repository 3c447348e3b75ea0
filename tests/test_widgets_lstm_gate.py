"""Lesson 04's gate explorer (gatelab.widgets.lstm_gate) without a browser: its numbers, against torch.
What every explorer shares is tested in tests/test_widgets_front.py; tests/test_explorers_browser.py runs
it in Chromium.
"""

import math

import pytest
import torch

from gatelab import dynamics, widgets

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


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
