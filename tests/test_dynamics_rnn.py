"""Is what the one-unit RNN widget draws the true gradient through time?"""

import json
import math

import pytest
import torch

from gatelab import dynamics


def autograd_dh(w, x, t, h0=0.5):
    h0 = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    h = h0
    for x_t in x[:t]:
        h = torch.tanh(w * h + x_t)
    (grad,) = torch.autograd.grad(h, h0)
    return abs(grad.item())


def test_one_unit_gradients_match_autograd_step_by_step():
    x = dynamics.one_unit_rnn_inputs(30, scale=0.7)
    h, dh = dynamics.one_unit_rnn_gradients(1.3, x)
    assert h.shape == dh.shape == (30,)
    for t in (1, 2, 10, 30):
        assert abs(dh[t - 1].item() - autograd_dh(1.3, x, t)) < 1e-12


def test_a_small_recurrent_weight_makes_the_gradient_vanish():
    x = dynamics.one_unit_rnn_inputs(60, scale=0.5)
    _, dh = dynamics.one_unit_rnn_gradients(0.5, x)
    assert dh[-1] < 0.5**60 and (dh[1:] <= dh[:-1]).all()


def test_inputs_are_seeded_and_scaled():
    assert torch.equal(dynamics.one_unit_rnn_inputs(5, 1.0), dynamics.one_unit_rnn_inputs(5, 1.0))
    assert torch.equal(dynamics.one_unit_rnn_inputs(5, 0.0), torch.zeros(5, dtype=torch.float64))


def test_sigmoid_curve_spans_closed_to_open():
    a, g = dynamics.sigmoid_curve()
    assert g[0] < 0.001 and g[-1] > 0.999 and abs(g[len(g) // 2] - 0.5) < 1e-12


# -- what the gradient explorers show (lessons 01 and 05): dynamics.vanishing_numbers, highway_numbers ------


def test_vanishing_numbers_are_the_gradients_on_a_log_scale():
    """Are the tanh line log10 |∂h_t/∂h_0| (autograd, step by step), the linear one t·log10 |w|, all JSON-able?"""
    q = dynamics.vanishing_numbers(w=1.3, scale=0.7, T=30)
    x = dynamics.one_unit_rnn_inputs(100, 0.7)
    assert len(q["tanh"]) == len(q["linear"]) == 100
    for t in (1, 2, 10, 30):
        assert abs(q["tanh"][t - 1] - math.log10(autograd_dh(1.3, x, t))) < 1e-10
        assert abs(q["linear"][t - 1] - t * math.log10(1.3)) < 1e-12
    assert q["tanh_T"] == q["tanh"][29]
    assert q["verdict"] == dynamics.gradient_verdict(10 ** q["tanh_T"])
    assert json.loads(json.dumps(q)) == q


def test_a_zero_gradient_sits_on_the_floor():
    """w = 0 makes every gradient exactly 0: on the log scale, log10 of the floor (no −inf, no error)."""
    q = dynamics.vanishing_numbers(w=0.0, scale=0.5, T=1)
    assert q["tanh"] == q["linear"] == [math.log10(dynamics.GRADIENT_FLOOR)] * 100 == [-300.0] * 100
    assert q["verdict"] == "vanished"


def test_verdicts_at_the_thresholds():
    assert [dynamics.gradient_verdict(v) for v in (0.0, 9.9e-4, 1e-3, 1.0, -1.0, 1e3, 1.01e3, -2e3)] == [
        "vanished", "vanished", "survives", "survives", "survives", "survives", "exploded", "exploded",
    ]  # fmt: skip


@pytest.mark.parametrize("T", [0, 101, 2.5])
def test_a_length_outside_the_slider_is_refused(T):
    with pytest.raises(ValueError, match="T must be a whole number from 1 to 100"):
        dynamics.vanishing_numbers(w=1.0, scale=0.5, T=T)
    with pytest.raises(ValueError, match="T must be a whole number from 1 to 100"):
        dynamics.highway_numbers(b_f=1.0, T=T, w=1.0)


def test_settings_are_sliders_in_the_course_notation():
    for settings in (dynamics.VANISHING_SETTINGS, dynamics.HIGHWAY_SETTINGS):
        for name, s in settings.items():
            assert s.lo <= s.value <= s.hi and s.label == name and s.about
        assert all(isinstance(v, int) for v in settings["T"][:4]) and settings["T"][:4] == (1, 100, 1, 40)


def test_highway_numbers_are_the_cell_and_the_rnn_gradients():
    """cell: log10 ∂c_t/∂c_0 along the cell, equal to the product of the forget gates; full: through h as well;
    rnn: the tanh RNN's, on the same inputs; at T, the values, the verdicts and the mean forget gate."""
    q = dynamics.highway_numbers(b_f=3.0, T=60, w=0.7)
    x = dynamics.highway_inputs()
    f, dc = dynamics.one_unit_lstm_cell_gradients(3.0, x)
    _, full = dynamics.one_unit_lstm_cell_gradients(3.0, x, through_h=True)
    _, dh = dynamics.one_unit_rnn_gradients(0.7, x)
    assert all(len(q[k]) == 100 for k in ("cell", "product", "full", "rnn"))
    assert q["cell"] == pytest.approx([math.log10(v) for v in dc.tolist()], abs=1e-12)
    assert q["product"] == pytest.approx(q["cell"], abs=1e-12) and q["largest_difference"] <= 1e-15
    assert q["full"] == pytest.approx([math.log10(abs(v)) for v in full.tolist()], abs=1e-12)
    assert q["rnn"] == pytest.approx([math.log10(v) for v in dh.tolist()], abs=1e-12)
    assert (q["cell_T"], q["full_T"], q["rnn_T"]) == (q["cell"][59], q["full"][59], q["rnn"][59])
    assert q["mean_f"] == pytest.approx(f[:60].mean().item(), abs=1e-15) and 0.9 < q["mean_f"] < 1
    assert (q["cell_verdict"], q["rnn_verdict"]) == ("survives", "vanished")
    assert json.loads(json.dumps(q)) == q
