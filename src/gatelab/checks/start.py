"""Checks for lesson 00: one gate, the building block of every cell in the course.

B batch, n_x input features, n_h hidden units. The oracle is torch.nn.Linear followed by torch.sigmoid; a wrong
gate is compared with GATE_MISTAKES, each computed by the same oracle on changed weights.
"""

import torch
from torch import nn

from gatelab import interop
from gatelab.checks.core import expect_outputs, one_output_mistakes, passed, run_learner

GATE_ARGS = ("h_prev", "x_t", "W", "b")


def gate_case(B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Seeded h_prev (B, n_h), x_t (B, n_x), W (n_h, n_h + n_x) and b (n_h,)."""
    g = torch.Generator().manual_seed(seed)
    h_prev = torch.randn(B, n_h, dtype=dtype, generator=g)
    x_t = torch.randn(B, n_x, dtype=dtype, generator=g)
    params = interop.random_params("rnn", n_x, n_h, dtype, g, scale=1.0)
    return h_prev, x_t, params["W_h"], params["b_h"]


def torch_linear(h_prev, x_t, W, b):
    """An nn.Linear holding W and b, applied to [h_prev, x_t]: the pre-activation, (B, n_h)."""
    linear = nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype)
    with torch.no_grad():
        linear.weight.copy_(W)
        linear.bias.copy_(b)
        return linear(torch.cat([h_prev, x_t], dim=1))


def torch_gate(h_prev, x_t, W, b):
    """sigmoid of an nn.Linear holding W and b, applied to [h_prev, x_t]: the oracle, (B, n_h)."""
    return torch.sigmoid(torch_linear(h_prev, x_t, W, b))


def _x_first(W, n_x):
    """W whose [h_prev, x_t] product is the [x_t, h_prev] product of W (the learner's order, in the course's)."""
    return torch.cat([W[:, n_x:], W[:, :n_x]], dim=1)


_gate_mistake = one_output_mistakes("start", "gate")  # the gate computed from (h_prev, x_t, W, b)


GATE_MISTAKES = (
    _gate_mistake(
        "concat-order",
        "[x_t, h_prev] order",
        "the course concatenates [h_prev, x_t], h_prev first: torch.cat([h_prev, x_t], dim=1)",
        lambda h, x, W, b: torch_gate(h, x, _x_first(W, x.shape[1]), b),
    ),
    _gate_mistake(
        "tanh-for-sigmoid",
        "tanh instead of sigmoid",
        "a gate is a sigmoid, between 0 and 1 (tanh is between -1 and 1)",
        lambda h, x, W, b: 2 * torch_gate(h, x, 2 * W, 2 * b) - 1,
    ),
    _gate_mistake(
        "no-sigmoid",
        "leaving out the sigmoid",
        "g = sigmoid(W [h_prev, x_t] + b): the pre-activation goes through torch.sigmoid",
        torch_linear,
    ),
    _gate_mistake(
        "missing-bias",
        "leaving out b",
        "add the bias inside the sigmoid, sigmoid(hx @ W.T + b)",
        lambda h, x, W, b: torch_gate(h, x, W, torch.zeros_like(b)),
    ),
    _gate_mistake(
        "bias-outside-sigmoid",
        "adding b after the sigmoid",
        "the bias goes inside, sigmoid(hx @ W.T + b), so that g stays between 0 and 1",
        lambda h, x, W, b: torch_gate(h, x, W, torch.zeros_like(b)) + b,
    ),
    _gate_mistake(
        "column-form",
        "W @ hx.T (one example per column, as in the equation)",
        "here one example is one row: hx @ W.T, of shape (B, n_h)",
        lambda h, x, W, b: torch_gate(h, x, W, b).T,
    ),
)


def gate_matches_torch(gate, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does gate(h_prev, x_t, W, b) compute sigmoid(W [h_prev, x_t] + b) for a batch, shape (B, n_h)?"""
    args = gate_case(B, n_x, n_h, dtype, seed)
    out = run_learner(gate, args, GATE_ARGS, ("gate",))
    expect_outputs(out, {"gate": torch_gate(*args)}, {"gate": "(B, n_h)"}, GATE_MISTAKES, args)
    passed(f"gate matches sigmoid(nn.Linear) for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def gate_random_cases(gate):
    """gate_matches_torch at other sizes, B = 1 and float32 included."""
    for seed, (B, n_x, n_h) in enumerate([(1, 2, 1), (7, 3, 6), (2, 9, 4)]):
        for dtype in (torch.float64, torch.float32):
            gate_matches_torch(gate, B, n_x, n_h, dtype, seed)
