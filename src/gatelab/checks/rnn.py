"""Checks for lesson 01: the vanilla RNN cell and the gradient through time.

B batch, n_x input features, n_h hidden units, T time steps. The oracle is torch.nn.RNNCell (through
gatelab.interop) for the forward and torch.autograd for the gradient.
"""

import torch
from torch import nn

from gatelab import interop
from gatelab.checks.core import (
    Mistake,
    chained,
    expect_close,
    expect_outputs,
    no_autograd,
    on_random_cases,
    one_output_mistakes,
    passed,
    run_learner,
    x_first,
)

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


def torch_rnn_step(params, x_t, h_prev, nonlinearity="tanh"):
    """h_next (B, n_h) of a torch.nn.RNNCell with this nonlinearity ('tanh' or 'relu') on our params."""
    cell = nn.RNNCell(x_t.shape[1], h_prev.shape[1], nonlinearity=nonlinearity, dtype=x_t.dtype)
    return torch.func.functional_call(cell, interop.rnn_torch_weights(params), (x_t, h_prev))


def _pre_activation(params, x_t, h_prev):
    """W_h [h_prev, x_t] + b_h (B, n_h), from two ReLU RNNCells: relu(a) - relu(-a) = a."""
    negated = {k: -v for k, v in params.items()}
    return torch_rnn_step(params, x_t, h_prev, "relu") - torch_rnn_step(negated, x_t, h_prev, "relu")


def _h_block_transposed(params):
    """Params whose product is the learner's h_prev @ W_h[:, :n_h] (the square block, untransposed) + x part."""
    W_hh, W_hx = interop.split_hx(params["W_h"], params["b_h"].shape[0])
    return {**params, "W_h": torch.cat([W_hh.T, W_hx], dim=1)}


_cell_mistake = one_output_mistakes("rnn", "h_next")  # h_next computed from (x_t, h_prev, params)


CELL_MISTAKES = (
    _cell_mistake(
        "concat-order",
        "[x_t, h_prev] order",
        "the course concatenates [h_prev, x_t], h_prev first",
        lambda x_t, h, p: torch_rnn_step(x_first(p, x_t.shape[1]), x_t, h),
    ),
    _cell_mistake(
        "sigmoid-for-tanh",
        "sigmoid instead of tanh",
        "the vanilla RNN's h_next = tanh(W_h [h_prev, x_t] + b_h), between -1 and 1",
        lambda x_t, h, p: (1 + torch_rnn_step({k: v / 2 for k, v in p.items()}, x_t, h)) / 2,
    ),
    _cell_mistake(
        "missing-bias",
        "leaving out b_h",
        "add the bias inside the tanh, tanh(W_h [h_prev, x_t] + b_h)",
        lambda x_t, h, p: torch_rnn_step({**p, "b_h": torch.zeros_like(p["b_h"])}, x_t, h),
    ),
    _cell_mistake(
        "missing-tanh",
        "leaving out the tanh",
        "h_next = tanh(W_h [h_prev, x_t] + b_h): the pre-activation goes through tanh",
        lambda x_t, h, p: _pre_activation(p, x_t, h),
    ),
    _cell_mistake(
        "transposed-weight",
        "h_prev @ W_h[:, :n_h] (the square block, not transposed)",
        "every row of W_h is one hidden unit's weights, so multiply by its transpose: [h_prev, x_t] @ W_h.T",
        lambda x_t, h, p: torch_rnn_step(_h_block_transposed(p), x_t, h),
    ),
)


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
    inputs = (x[:, 0], h0, params)
    expect_outputs(out, {"h_next": expected}, {"h_next": "(B, n_h)"}, CELL_MISTAKES, inputs)
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


# The known mistakes of dhT_dh0, each a wrong way of combining the steps' Jacobians, all by torch.autograd at
# the states nn.RNNCell computes: J_t = ∂h_t/∂h_(t-1), A_t = ∂a_t/∂h_(t-1) of the pre-activation
# a_t = W_h [h_(t-1), x_t] + b_h, and d_t = tanh'(a_t).


@torch.enable_grad()
def _batch_jacobian(fn, h):
    """(B, n_h, n_h): the Jacobian of fn(h) (B, n_h) in h (B, n_h), example by example, by autograd."""
    h = h.detach().clone().requires_grad_(True)
    out = fn(h)
    rows = [torch.autograd.grad(out[:, i].sum(), h, retain_graph=True)[0] for i in range(out.shape[1])]
    return torch.stack(rows, dim=1).detach()


@torch.enable_grad()
def _tanh_derivative(a):
    """tanh'(a), by autograd."""
    a = a.detach().clone().requires_grad_(True)
    return torch.autograd.grad(torch.tanh(a).sum(), a)[0]


def _step_pieces(x, h0, params):
    """[(J_t, A_t, d_t) for t = 1 … T] (see above): J_t, A_t (B, n_h, n_h) and d_t (B, n_h)."""
    h_prevs = [h0, *torch_rnn_states(x, h0, params).unbind(dim=1)][:-1]
    pieces = []
    for x_t, h_prev in zip(x.unbind(dim=1), h_prevs, strict=True):
        J = _batch_jacobian(lambda h, x_t=x_t: torch_rnn_step(params, x_t, h), h_prev)
        A = _batch_jacobian(lambda h, x_t=x_t: _pre_activation(params, x_t, h), h_prev)
        pieces.append((J, A, _tanh_derivative(_pre_activation(params, x_t, h_prev))))
    return pieces


def _combined(combine, start="eye"):
    """gives of a Mistake of dhT_dh0: M = start, then M = combine(M, J_t, A_t, d_t) for t = 1 … T."""

    def gives(x, h0, params):
        pieces = _step_pieces(x, h0, params)
        n_h = h0.shape[1]
        M = torch.eye(n_h, dtype=h0.dtype).expand(len(h0), n_h, n_h) if start == "eye" else 0
        for J, A, d in pieces:
            M = combine(M, J, A, d)
        return {"∂h_T/∂h_0": M}

    return gives


DHT_MISTAKES = (
    Mistake(
        "rnn.dht-product-order",
        "multiplying the steps' Jacobians in time order, J_1 J_2 … J_T",
        "the chain rule puts the last step first: ∂h_T/∂h_0 = J_T … J_2 J_1, so J = J_t @ J",
        _combined(lambda M, J, A, d: M @ J),
    ),
    Mistake(
        "rnn.dht-no-tanh-derivative",
        "J_t = W_hh (tanh's derivative left out)",
        "J_t = diag(1 - h_t²) W_hh: each row i of W_hh scaled by 1 - h_t[i]²",
        _combined(lambda M, J, A, d: A @ M),
    ),
    Mistake(
        "rnn.dht-transposed-weight",
        "J_t = diag(1 - h_t²) W_hh.T (the weight transposed)",
        "∂h_t[i]/∂h_(t-1)[j] = (1 - h_t[i]²) W_hh[i, j]: use W_hh itself, W_h[:, :n_h]",
        _combined(lambda M, J, A, d: (d[:, :, None] * A.transpose(1, 2)) @ M),
    ),
    Mistake(
        "rnn.dht-sum-of-steps",
        "adding the steps' Jacobians",
        "the chain rule multiplies them: J = J_t @ J at each step",
        _combined(lambda M, J, A, d: M + J, start="zeros"),
    ),
    Mistake(
        "rnn.dht-elementwise-product",
        "J = J_t * J (elementwise, not a matrix product)",
        "the Jacobians are matrices: J = J_t @ J",
        _combined(lambda M, J, A, d: J * M),
    ),
)


@chained(lambda T: 2 * (2 * T + 1))
def dhT_dh0_matches_autograd(dhT_dh0, B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0):
    """Does dhT_dh0(h_seq, W_h) give the Jacobian ∂h_T/∂h_0 that torch.autograd gives?"""
    x, h0, params = rnn_case(B, n_x, n_h, T, dtype, seed)
    h_seq = torch_rnn_states(x, h0, params)
    out = run_learner(dhT_dh0, (h_seq, params["W_h"]), ("h_seq", "W_h"), ("J",), guard=no_autograd)
    got, expected = {"∂h_T/∂h_0": out["J"]}, {"∂h_T/∂h_0": autograd_dhT_dh0(x, h0, params)}
    expect_outputs(got, expected, {"∂h_T/∂h_0": "(B, n_h, n_h)"}, DHT_MISTAKES, (x, h0, params))
    passed(f"dhT_dh0 matches torch.autograd for B={B}, n_h={n_h}, T={T}, {dtype}")


def dhT_dh0_random_cases(dhT_dh0):
    """dhT_dh0_matches_autograd at random sizes (B = 1 and T = 1 included), in float64 and float32."""
    on_random_cases(dhT_dh0_matches_autograd, dhT_dh0, sequence=True)
