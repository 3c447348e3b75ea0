"""Lesson 05's explorer (gatelab.widgets.highway: gradient_highway) without a browser: its call, its constants,
its numbers against autograd, what the forget bias does.
What every explorer shares is tested in tests/test_widgets_front.py; tests/test_explorers_browser.py runs
its module (highway.js) in Chromium.
"""

import math

import pytest

from gatelab import dynamics, widgets

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SETTINGS = dynamics.HIGHWAY_SETTINGS


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
