"""Lesson 01's explorer (gatelab.widgets.rnn: vanishing_gradient) without a browser: its call, its constants,
its numbers against autograd, its verdicts.
What every explorer shares is tested in tests/test_widgets_front.py; tests/test_explorers_browser.py runs
its module (vanishing.js) in Chromium.
"""

import math

import pytest
import torch

from gatelab import dynamics, widgets

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SETTINGS = dynamics.VANISHING_SETTINGS


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
