"""Checks for lesson 00: one gate, the building block of every cell in the course.

B batch, n_x input features, n_h hidden units. The oracle is torch.nn.Linear followed by torch.sigmoid.
"""

import torch
from torch import nn

from gatelab import interop
from gatelab.checks.core import expect_close, passed, run_learner

GATE_ARGS = ("h_prev", "x_t", "W", "b")


def gate_case(B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Seeded h_prev (B, n_h), x_t (B, n_x), W (n_h, n_h + n_x) and b (n_h,)."""
    g = torch.Generator().manual_seed(seed)
    h_prev = torch.randn(B, n_h, dtype=dtype, generator=g)
    x_t = torch.randn(B, n_x, dtype=dtype, generator=g)
    params = interop.random_params("rnn", n_x, n_h, dtype, g, scale=1.0)
    return h_prev, x_t, params["W_h"], params["b_h"]


def torch_gate(h_prev, x_t, W, b):
    """sigmoid of an nn.Linear holding W and b, applied to [h_prev, x_t]: the oracle, (B, n_h)."""
    linear = nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype)
    with torch.no_grad():
        linear.weight.copy_(W)
        linear.bias.copy_(b)
        return torch.sigmoid(linear(torch.cat([h_prev, x_t], dim=1)))


def gate_matches_torch(gate, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does gate(h_prev, x_t, W, b) compute sigmoid(W [h_prev, x_t] + b) for a batch, shape (B, n_h)?"""
    args = gate_case(B, n_x, n_h, dtype, seed)
    out = run_learner(gate, args, GATE_ARGS, ("g",))
    expect_close("gate", out["g"], torch_gate(*args), "(B, n_h)")
    passed(f"gate matches sigmoid(nn.Linear) for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def gate_random_cases(gate):
    """gate_matches_torch at other sizes, B = 1 and float32 included."""
    for seed, (B, n_x, n_h) in enumerate([(1, 2, 1), (7, 3, 6), (2, 9, 4)]):
        for dtype in (torch.float64, torch.float32):
            gate_matches_torch(gate, B, n_x, n_h, dtype, seed)
