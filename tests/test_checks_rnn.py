"""Do lesson 00's and 01's checks pass right answers and explain typical mistakes?"""

import pytest
import torch

from gatelab import checks
from gatelab.checks import CheckFailed, ForbiddenCall


def rnn_cell_forward(x_t, h_prev, params):
    h_next = torch.tanh(torch.cat([h_prev, x_t], dim=1) @ params["W_h"].T + params["b_h"])
    return h_next, (x_t, h_prev, h_next, params)


def dhT_dh0(h_seq, W_h):
    B, T, n_h = h_seq.shape
    J = torch.eye(n_h, dtype=h_seq.dtype).expand(B, n_h, n_h)
    for t in range(T):
        J = ((1 - h_seq[:, t] ** 2)[:, :, None] * W_h[:, :n_h]) @ J
    return J


def gate(h_prev, x_t, W, b):
    return torch.sigmoid(torch.cat([h_prev, x_t], dim=1) @ W.T + b)


def test_right_answers_pass_every_visible_and_hidden_check(capsys):
    checks.rnn.cell_forward_shapes(rnn_cell_forward)
    checks.rnn.cell_forward_random_cases(rnn_cell_forward)
    checks.rnn.dhT_dh0_random_cases(dhT_dh0)
    checks.start.gate_random_cases(gate)
    assert "✓ rnn_cell_forward matches torch.nn.RNNCell" in capsys.readouterr().out


def test_the_wrong_concatenation_order_is_caught_with_the_error():
    def swapped(x_t, h_prev, params):
        return torch.tanh(torch.cat([x_t, h_prev], dim=1) @ params["W_h"].T + params["b_h"]), None

    with pytest.raises(CheckFailed, match=r"h_next: max error .* at \[") as info:
        checks.rnn.cell_forward_matches_torch(swapped)
    assert str(info.value).splitlines()[1] == (
        "this is what [x_t, h_prev] order gives: the course concatenates [h_prev, x_t], h_prev first [rnn.concat-order]"
    )
    assert info.value.diagnosis == "rnn.concat-order"


def test_a_square_rnn_shape_mistake_is_caught():
    def transposed(x_t, h_prev, params):
        return rnn_cell_forward(x_t, h_prev, params)[0].T, None

    with pytest.raises(CheckFailed, match=r"expected shape \(B, n_h\) = \(4, 3\), got \(3, 4\)"):
        checks.rnn.cell_forward_shapes(transposed)


def test_float32_is_checked_in_the_hidden_cases():
    def always_double(x_t, h_prev, params):
        return rnn_cell_forward(x_t.double(), h_prev.double(), {k: v.double() for k, v in params.items()})

    with pytest.raises(CheckFailed, match="expected dtype torch.float32, got torch.float64"):
        checks.rnn.cell_forward_random_cases(always_double)


def test_calling_torchs_own_cell_is_refused():
    def borrowed(x_t, h_prev, params):
        from gatelab import interop

        return interop.rnn_params_to_torch(params)(x_t, h_prev), None

    with pytest.raises(ForbiddenCall, match="borrowed called RNNCell.forward"):
        checks.rnn.cell_forward_matches_torch(borrowed)


def test_autograd_inside_the_jacobian_exercise_is_refused():
    def with_autograd(h_seq, W_h):
        return torch.autograd.functional.jacobian(lambda h: h, h_seq[:, 0])

    with pytest.raises(ForbiddenCall, match="with_autograd called"):
        checks.rnn.dhT_dh0_matches_autograd(with_autograd)


def test_a_jacobian_multiplied_in_the_wrong_order_is_caught():
    def wrong_order(h_seq, W_h):
        B, T, n_h = h_seq.shape
        J = torch.eye(n_h, dtype=h_seq.dtype).expand(B, n_h, n_h)
        for t in range(T):
            J = J @ ((1 - h_seq[:, t] ** 2)[:, :, None] * W_h[:, :n_h])
        return J

    with pytest.raises(CheckFailed, match=r"∂h_T/∂h_0: max error"):
        checks.rnn.dhT_dh0_matches_autograd(wrong_order)


def test_a_gate_without_its_bias_is_caught():
    with pytest.raises(CheckFailed, match="gate: max error"):
        checks.start.gate_matches_torch(lambda h, x, W, b: torch.sigmoid(torch.cat([h, x], 1) @ W.T))
