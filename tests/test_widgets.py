"""Tests for gatelab.widgets.gates (drawn in the kernel) without a browser: move sliders, read the artists and the
status. The gate explorers, drawn in the browser, have their own: tests/test_widgets_{lstm,gru}_gate.py.

What the artists show is checked against gatelab.dynamics, whose own tests check it against nn.GRUCell /
nn.LSTMCell and autograd.
"""

import pytest

from gatelab import data, dynamics, widgets

GRU_SOLUTION = {"z_noun": 8.0, "b_z": -4.0, "h_number": 3.0}
LSTM_SOLUTION = {"f_verb": 0.0, "b_f": 4.0, "i_noun": 8.0, "b_i": -4.0, "c_number": 3.0, "b_o": 2.0}
BUILDERS = {
    "gru_sentence": widgets.gru_sentence,
    "lstm_memory_puzzle": widgets.lstm_memory_puzzle,
    "gradient_highway": widgets.gradient_highway,
}


def move(explorer, **values):
    """Set sliders like a learner would, one by one (each move redraws)."""
    for name, value in values.items():
        explorer.sliders[name].value = value


def png_changes(explorer, name, value):
    before = bytes(explorer.live.image.value)
    explorer.sliders[name].value = value
    return bytes(explorer.live.image.value) != before


@pytest.mark.parametrize("name", BUILDERS)
def test_widget_builds_with_classes_and_timing(name):
    """Does each widget draw a PNG, give its figure and every slider a CSS class, and time its updates?"""
    explorer = BUILDERS[name]()
    assert bytes(explorer.live.image.value).startswith(b"\x89PNG")
    assert any(c.startswith("gl-") and c.endswith("-figure") for c in explorer.live.image._dom_classes)
    for s in explorer.sliders.values():
        assert any(c.startswith("gl-slider-") for c in s._dom_classes)
    assert explorer.last_update_ms is not None and explorer.last_update_ms > 0
    assert explorer.status.value


def test_gru_sentence_start_is_not_a_solution():
    """Does the GRU reader start unsolved, with lines equal to the model's trace for both sentences?"""
    e = widgets.gru_sentence()
    assert len(e.sliders) <= 8
    assert "✘" in e.status.value
    for name in ("cat", "cats"):
        trace = dynamics.gru_sentence_trace(e.values(), data.SENTENCES[name])
        for series in ("z", "h", "h_tilde"):
            assert list(e.artists[f"{series}_{name}"].get_ydata()) == pytest.approx(trace[series].tolist())


def test_gru_sentence_solution_through_start_and_sliders():
    """Does passing the solution as start values, or moving the sliders to it, show the solved verdict?"""
    assert "✔" in widgets.gru_sentence(**GRU_SOLUTION).status.value
    e = widgets.gru_sentence()
    before = bytes(e.live.image.value)
    move(e, **{k: 0.0 for k in e.sliders} | GRU_SOLUTION)
    assert "✔" in e.status.value and bytes(e.live.image.value) != before
    s, v, _ = data.subject_and_verb(data.SENTENCES["cats"])
    assert (e.artists["h_cats"].get_ydata()[s : v + 1] <= -dynamics.GRU_LATCH_MIN).all()


def test_start_values_beyond_the_slider_range_are_kept():
    """Is a learner's start value outside the usual range kept (not clipped) and used by the verdict?"""
    e = widgets.gru_sentence(z_noun=14.0, b_z=-7.0, h_number=3.0)
    assert e.sliders["z_noun"].value == 14.0 and e.sliders["z_noun"].max >= 14.0
    assert "✔" in e.status.value


def test_gru_sentence_refuses_unknown_start():
    """Does a misspelt start value raise a KeyError that lists the sliders?"""
    with pytest.raises(KeyError, match="z_noun"):
        widgets.gru_sentence(z_nuon=1.0)


def test_lstm_memory_puzzle_start_and_solution():
    """Does the LSTM puzzle start unsolved, and does its documented solution solve it?"""
    e = widgets.lstm_memory_puzzle()
    assert len(e.sliders) <= 10 and {"b_f", "b_i"} <= set(e.sliders)
    assert "✘" in e.status.value
    for name in ("cat", "cats"):
        trace = dynamics.lstm_sentence_trace(e.values(), data.SENTENCES[name])
        for series in ("f", "i", "c", "h"):
            assert list(e.artists[f"{series}_{name}"].get_ydata()) == pytest.approx(trace[series].tolist())
    assert png_changes(e, "b_f", 4.0)
    solved = widgets.lstm_memory_puzzle(**LSTM_SOLUTION)
    assert "✔" in solved.status.value
    with pytest.raises(KeyError):
        widgets.lstm_memory_puzzle(W_f=1.0)


def test_gradient_highway_lines():
    """Is the LSTM line ∏f (from the model), the RNN line the RNN model's, and the T marker on both?"""
    e = widgets.gradient_highway()
    assert set(e.sliders) == {"b_f", "T", "w"}
    move(e, b_f=2.0, w=1.1, T=25)
    x = dynamics.one_unit_rnn_inputs(100, 0.5)
    f, dc = dynamics.one_unit_lstm_cell_gradients(2.0, x)
    _, dh = dynamics.one_unit_rnn_gradients(1.1, x)
    assert list(e.artists["lstm"].get_ydata()) == pytest.approx(dc.tolist(), rel=1e-12)
    assert list(e.artists["product"].get_ydata()) == pytest.approx(f.cumprod(0).tolist(), rel=1e-12)
    assert list(e.artists["rnn"].get_ydata()[:40]) == pytest.approx(dh[:40].tolist(), rel=1e-12)
    assert e.artists["marker_lstm"].get_data() == ([25], [pytest.approx(float(dc[24]))])
    assert "T = 25" in e.status.value
    assert png_changes(e, "T", 60)


def test_gradient_highway_forget_bias_raises_the_line():
    """Does raising b_f raise ∂c_T/∂c_0 at the marker (more of the memory is kept)?"""
    e = widgets.gradient_highway(b_f=0.0, T=40)
    low = e.artists["marker_lstm"].get_ydata()[0]
    e.sliders["b_f"].value = 5.0
    assert e.artists["marker_lstm"].get_ydata()[0] > 100 * low


@pytest.mark.parametrize("name", BUILDERS)
def test_every_slider_step_changes_the_picture(name):
    """From the starting point, does one step of any slider (what a keypress does) change the PNG?"""
    explorer = BUILDERS[name]()
    for slider_name, s in explorer.sliders.items():
        start = s.value
        target = s.value + s.step if s.value + s.step <= s.max else s.value - s.step
        assert png_changes(explorer, slider_name, target), slider_name
        s.value = start
