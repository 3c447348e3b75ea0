"""Checks for lesson 01: the vanilla RNN cell and the gradient through time.

B batch, n_x input features, n_h hidden units, T time steps. The oracle is torch.nn.RNNCell (through
gatelab.interop) for the forward and torch.autograd for the gradient.
"""

import torch

from gatelab import interop
from gatelab.checks.core import expect_close, no_autograd, on_random_cases, passed, run_learner

CELL_ARGS = ("x_t", "h_prev", "params")


def rnn_case(B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0):
    """Seeded inputs: x (B, T, n_x), h0 (B, n_h) and params W_h (n_h, n_h + n_x), b_h (n_h,)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, n_x, dtype=dtype, generator=g)
    h0 = torch.randn(B, n_h, dtype=dtype, generator=g).tanh()
    params = interop.random_params("rnn", n_x, n_h, dtype, g, scale=0.8)
    return x, h0, params


def torch_rnn_states(x, h0, params):
    """h_seq (B, T, n_h): the states h_1 … h_T that torch.nn.RNNCell computes."""
    cell = interop.rnn_params_to_torch(params)
    h, states = h0, []
    with torch.no_grad():
        for t in range(x.shape[1]):
            h = cell(x[:, t], h)
            states.append(h)
    return torch.stack(states, dim=1)


def cell_forward_shapes(rnn_cell_forward):
    """Does rnn_cell_forward(x_t, h_prev, params) return (h_next, cache), h_next of shape (B, n_h)?"""
    x, h0, params = rnn_case()
    out = run_learner(rnn_cell_forward, (x[:, 0], h0, params), CELL_ARGS, ("h_next", "cache"))
    expect_close("h_next", out["h_next"], h0, "(B, n_h)", values=False)
    passed("rnn_cell_forward returns (h_next, cache) with h_next of shape (B, n_h)")


def cell_forward_matches_torch(rnn_cell_forward, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does rnn_cell_forward compute what torch.nn.RNNCell computes, at these sizes and dtype?"""
    x, h0, params = rnn_case(B, n_x, n_h, 1, dtype, seed)
    out = run_learner(rnn_cell_forward, (x[:, 0], h0, params), CELL_ARGS, ("h_next", "cache"))
    expected = torch_rnn_states(x, h0, params)[:, 0]
    expect_close("h_next", out["h_next"], expected, "(B, n_h)")
    passed(f"rnn_cell_forward matches torch.nn.RNNCell for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def cell_forward_random_cases(rnn_cell_forward):
    """cell_forward_matches_torch at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(cell_forward_matches_torch, rnn_cell_forward)


def autograd_dhT_dh0(x, h0, params):
    """(B, n_h, n_h): the Jacobian ∂h_T/∂h_0 of each batch element, by torch.autograd."""
    h0 = h0.detach().clone().requires_grad_(True)
    cell = interop.rnn_params_to_torch(params)
    h = h0
    for t in range(x.shape[1]):
        h = cell(x[:, t], h)
    rows = [torch.autograd.grad(h[:, i].sum(), h0, retain_graph=True)[0] for i in range(h.shape[1])]
    return torch.stack(rows, dim=1).detach()


def dhT_dh0_matches_autograd(dhT_dh0, B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0):
    """Does dhT_dh0(h_seq, W_h) give the Jacobian ∂h_T/∂h_0 that torch.autograd gives?"""
    x, h0, params = rnn_case(B, n_x, n_h, T, dtype, seed)
    h_seq = torch_rnn_states(x, h0, params)
    out = run_learner(dhT_dh0, (h_seq, params["W_h"]), ("h_seq", "W_h"), ("J",), guard=no_autograd)
    expect_close("∂h_T/∂h_0", out["J"], autograd_dhT_dh0(x, h0, params), "(B, n_h, n_h)")
    passed(f"dhT_dh0 matches torch.autograd for B={B}, n_h={n_h}, T={T}, {dtype}")


def dhT_dh0_random_cases(dhT_dh0):
    """dhT_dh0_matches_autograd at random sizes (B = 1 and T = 1 included), in float64 and float32."""
    on_random_cases(dhT_dh0_matches_autograd, dhT_dh0, sequence=True)
