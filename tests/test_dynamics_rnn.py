"""Is what the one-unit RNN widget draws the true gradient through time?"""

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
