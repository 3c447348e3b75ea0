"""Checks for lessons 02 and 03: the GRU cell, the GRU over a sequence, and their backward passes.

B batch, n_x input features, n_h hidden units, T time steps. The course's GRU (COURSE.md §3, Ng's
form, reset applied *before* the matrix product) is not a torch cell, so its oracle, gru_oracle_cell,
is assembled from torch.nn.GRUCell calls (see its docstring); torch.autograd through it is the oracle
for the backward passes. The reset-after variant is checked against torch.nn.GRUCell itself
(gatelab.interop.torch_step).
"""

import dataclasses
import functools

import torch
from torch import nn

from gatelab import dynamics, interop
from gatelab.checks.core import (
    CheckFailed,
    Mistake,
    chained,
    describe,
    differentiated_as,
    expect_close,
    expect_grads,
    expect_outputs,
    no_autograd,
    on_random_cases,
    passed,
    per_example,
    recognise,
    run_learner,
    tensor_problem,
    x_first,
)

CELL_ARGS = ("x_t", "h_prev", "params")
GATES = ("z", "r", "h")
GRAD_NAMES = ("dW_z", "db_z", "dW_r", "db_r", "dW_h", "db_h")
SATURATE = 1e3  # a pre-activation where sigmoid is exactly 0 or 1 in float32 and float64


# ---------------------------------------------------------------- the oracle, from torch.nn.GRUCell


@functools.lru_cache(maxsize=64)
def _gru_module(n_in, n_h, dtype):
    """A torch.nn.GRUCell(n_in, n_h); only its forward is used, with weights passed in."""
    return nn.GRUCell(n_in, n_h, dtype=dtype)


def _gru_cell_call(weight_ih, weight_hh, bias_ih, bias_hh, inputs, hidden):
    """torch.nn.GRUCell's output (B, n_h) for these weights (rows r, z, n), differentiable in all."""
    cell = _gru_module(inputs.shape[1], hidden.shape[1], inputs.dtype)
    weights = {"weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih, "bias_hh": bias_hh}
    return torch.func.functional_call(cell, weights, (inputs, hidden))


def torch_gate_times(W, b, inputs, hidden):
    """sigmoid(inputs @ W.T + b) * hidden (B, n_h), computed by an nn.GRUCell. W (n_h, n_in), b (n_h,).

    The cell gets W and b as its update-gate rows and zeros everywhere else: its reset gate is then
    irrelevant, its candidate is tanh(0) = 0, and h' = (1 - z) * 0 + z * hidden.
    """
    zeros_W, zeros_b = torch.zeros_like(W), torch.zeros_like(b)
    weight_hh = torch.zeros(3 * W.shape[0], hidden.shape[1], dtype=W.dtype)
    return _gru_cell_call(
        torch.cat([zeros_W, W, zeros_W]),
        weight_hh,
        torch.cat([zeros_b, b, zeros_b]),
        torch.zeros(3 * b.shape[0], dtype=b.dtype),
        inputs,
        hidden,
    )


def torch_candidate(W_h, b_h, x_t, s):
    """tanh(W_h [s, x_t] + b_h) (B, n_h), computed by an nn.GRUCell. W_h (n_h, n_h + n_x), s (B, n_h).

    The cell's reset rows get a bias of +1e3 (r = 1 exactly) and its update rows -1e3 (z = 0 exactly),
    so it returns its candidate n = tanh(W_in x_t + b_in + 1 * (W_hn s)) with W_hn, W_in = W_h's
    columns acting on s and on x_t.
    """
    n_h = b_h.shape[0]
    W_hs, W_hx = interop.split_hx(W_h, n_h)
    zeros_b = torch.zeros_like(b_h)
    return _gru_cell_call(
        torch.cat([torch.zeros_like(W_hx), torch.zeros_like(W_hx), W_hx]),
        torch.cat([torch.zeros_like(W_hs), torch.zeros_like(W_hs), W_hs]),
        torch.cat([zeros_b + SATURATE, zeros_b - SATURATE, b_h]),
        torch.zeros(3 * n_h, dtype=b_h.dtype),
        x_t,
        s,
    )


def gru_oracle_parts(x_t, h_prev, params):
    """The course's GRU step, piece by piece, from torch.nn.GRUCell calls; differentiable in everything.

    x_t (B, n_x), h_prev (B, n_h), params W_z, W_r, W_h (n_h, n_h + n_x) and b_z, b_r, b_h (n_h,).
    Returns a dict of (B, n_h) tensors: z, r_h (= r * h_prev), h_tilde and h_next. Three GRUCells:
    one with hidden = ones gives the gate z, one with hidden = h_prev gives r * h_prev (see
    torch_gate_times), one fed the hidden state r * h_prev with its own gates saturated gives h_tilde
    (see torch_candidate); torch.lerp(h_prev, h_tilde, z) mixes them.
    """
    inputs = torch.cat((h_prev, x_t), 1)  # the gates' cells read [h_prev, x_t] as their input
    z = torch_gate_times(params["W_z"], params["b_z"], inputs, torch.ones_like(h_prev))
    r_h = torch_gate_times(params["W_r"], params["b_r"], inputs, h_prev)
    h_tilde = torch_candidate(params["W_h"], params["b_h"], x_t, r_h)
    return {"z": z, "r_h": r_h, "h_tilde": h_tilde, "h_next": torch.lerp(h_prev, h_tilde, z)}


def gru_oracle_cell(x_t, h_prev, params):
    """h_next (B, n_h) of the course's GRU (see gru_oracle_parts), differentiable in every input."""
    return gru_oracle_parts(x_t, h_prev, params)["h_next"]


def gru_oracle_states(x, h0, params, step=gru_oracle_cell):
    """h_seq (B, T, n_h): h_1 … h_T from x (B, T, n_x) and h0 (B, n_h), differentiable."""
    h, states = h0, []
    for x_t in x.unbind(dim=1):
        h = step(x_t, h, params)
        states.append(h)
    return torch.stack(states, dim=1)


# ---------------------------------------------------------------- cases


def gru_case(B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0, reset_after=False):
    """Seeded inputs: x (B, T, n_x), h0 (B, n_h), params W_* (n_h, n_h + n_x), b_* (n_h,).

    With reset_after, params also holds b_hn (n_h,), the bias inside the reset of torch's GRU.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, n_x, dtype=dtype, generator=g)
    h0 = torch.randn(B, n_h, dtype=dtype, generator=g).tanh()
    params = interop.random_params("gru", n_x, n_h, dtype, g, scale=0.8)
    if reset_after:
        params["b_hn"] = 0.8 * torch.randn(n_h, dtype=dtype, generator=g)
    return x, h0, params


def _with(params, **changes):
    """A copy of params with some entries replaced."""
    return {**params, **changes}


def _tanh_gate_times(W, b, inputs, hidden):
    """tanh(inputs @ W.T + b) * hidden, from the sigmoid: tanh(a) = 2 sigmoid(2a) - 1."""
    return 2 * torch_gate_times(2 * W, 2 * b, inputs, hidden) - hidden


def _sigmoid_candidate(W_h, b_h, x_t, s):
    """sigmoid(W_h [s, x_t] + b_h), from the tanh candidate: sigmoid(a) = (1 + tanh(a / 2)) / 2."""
    return (1 + torch_candidate(W_h / 2, b_h / 2, x_t, s)) / 2


def _gates_and_candidate_swapped(x_t, h_prev, params):
    """h_next with tanh on the gates z, r and a sigmoid on the candidate."""
    inputs = torch.cat((h_prev, x_t), 1)
    z = _tanh_gate_times(params["W_z"], params["b_z"], inputs, torch.ones_like(h_prev))
    r_h = _tanh_gate_times(params["W_r"], params["b_r"], inputs, h_prev)
    return torch.lerp(h_prev, _sigmoid_candidate(params["W_h"], params["b_h"], x_t, r_h), z)


def _h_next(step):
    """gives for a Mistake of a GRU cell: {"h_next": step(x_t, h_prev, params)}."""
    return lambda x_t, h_prev, params: {"h_next": step(x_t, h_prev, params)}


def _with_parts(combine):
    """A step combine(parts, x_t, h_prev, params) -> h_next, where parts are the oracle's (gru_oracle_parts)."""
    return lambda x_t, h_prev, params: combine(gru_oracle_parts(x_t, h_prev, params), x_t, h_prev, params)


CELL_MISTAKES = (
    Mistake(
        "gru.z-swapped",
        "h_next = z * h_prev + (1 - z) * h_tilde (z and 1 - z swapped)",
        "in this course z = 1 takes the new candidate (Ng's 'set the update gate to 1 at cat')",
        _h_next(_with_parts(lambda parts, x_t, h, p: torch.lerp(parts["h_tilde"], h, parts["z"]))),
    ),
    Mistake(
        "gru.z-r-swapped",
        "the update gate and the reset gate swapped",
        "z uses W_z, b_z and r uses W_r, b_r",
        _h_next(
            lambda x_t, h, p: gru_oracle_cell(x_t, h, _with(p, W_z=p["W_r"], b_z=p["b_r"], W_r=p["W_z"], b_r=p["b_z"]))
        ),
    ),
    Mistake(
        "gru.reset-left-out",
        "the reset gate left out of the candidate",
        "r multiplies h_prev inside it: W_h [r * h_prev, x_t]",
        _h_next(
            _with_parts(lambda parts, x_t, h, p: torch.lerp(h, torch_candidate(p["W_h"], p["b_h"], x_t, h), parts["z"]))
        ),
    ),
    Mistake(
        "gru.reset-after",
        "the reset applied after the matrix product (PyTorch's GRU)",
        "here r multiplies h_prev before W_h",
        _h_next(lambda x_t, h, p: interop.torch_step("gru", p, x_t, h)),
    ),
    Mistake(
        "gru.concat-order",
        "[x_t, h_prev] order (the concatenation in the wrong order)",
        "the course concatenates [h_prev, x_t], h_prev first",
        _h_next(lambda x_t, h, p: gru_oracle_cell(x_t, h, x_first(p, x_t.shape[1]))),
    ),
    Mistake(
        "gru.sigmoid-candidate",
        "a sigmoid on the candidate",
        "h_tilde goes through tanh; sigmoids are for the gates z and r",
        _h_next(
            _with_parts(
                lambda parts, x_t, h, p: torch.lerp(
                    h, _sigmoid_candidate(p["W_h"], p["b_h"], x_t, parts["r_h"]), parts["z"]
                )
            )
        ),
    ),
    Mistake(
        "gru.sigmoid-tanh-swapped",
        "tanh on the gates and a sigmoid on the candidate",
        "z and r are sigmoids (between 0 and 1), h_tilde is a tanh",
        _h_next(_gates_and_candidate_swapped),
    ),
    Mistake(
        "gru.missing-bias",
        "leaving out the biases",
        "each gate and the candidate add their own b_z, b_r, b_h",
        _h_next(lambda x_t, h, p: gru_oracle_cell(x_t, h, _with(p, **{f"b_{g}": 0 * p[f"b_{g}"] for g in GATES}))),
    ),
)


def _every_step(mistake):
    """mistake (of gru_cell_forward) made at every step of gru_forward: gives h_seq (B, T, n_h)."""

    def step(x_t, h_prev, params):
        return mistake.gives(x_t, h_prev, params)["h_next"]

    return dataclasses.replace(mistake, gives=lambda x, h0, p: {"h_seq": gru_oracle_states(x, h0, p, step=step)})


def _shifted(x, h0, params):
    """h_0 … h_{T-1} instead of h_1 … h_T."""
    states = gru_oracle_states(x, h0, params)
    return torch.cat([h0[:, None], states[:, :-1]], dim=1)


SEQUENCE_MISTAKES = (
    Mistake(
        "gru.h0-ignored",
        "starting from zeros instead of h0",
        "the first step's h_prev is the h0 you are given",
        lambda x, h0, p: {"h_seq": gru_oracle_states(x, torch.zeros_like(h0), p)},
    ),
    Mistake(
        "gru.h-not-carried",
        "starting every step from h0",
        "each step starts from the previous step's h_next",
        lambda x, h0, p: {"h_seq": torch.stack([gru_oracle_cell(x_t, h0, p) for x_t in x.unbind(dim=1)], dim=1)},
    ),
    Mistake(
        "gru.states-shifted",
        "storing each step's h_prev (h_0 … h_(T-1))",
        "h_seq[:, t] is the state after step t, h_(t+1): store h_next",
        lambda x, h0, p: {"h_seq": _shifted(x, h0, p)},
    ),
    *(_every_step(m) for m in CELL_MISTAKES),
)


def _torch_gru(p, x_t, h):
    return interop.torch_step("gru", p, x_t, h)


RESET_AFTER_MISTAKES = (
    Mistake(
        "gru.ra-reset-before",
        "the reset applied before the matrix product (the course's GRU)",
        "here r multiplies (W_h[:, :n_h] h_prev + b_hn), after the product",
        _h_next(lambda x_t, h, p: gru_oracle_cell(x_t, h, {k: v for k, v in p.items() if k != "b_hn"})),
    ),
    Mistake(
        "gru.ra-b_hn-outside",
        "b_hn added outside the reset",
        "it sits inside, r * (W_hn h_prev + b_hn)",
        _h_next(lambda x_t, h, p: _torch_gru(_with(p, b_h=p["b_h"] + p["b_hn"], b_hn=0 * p["b_hn"]), x_t, h)),
    ),
    Mistake(
        "gru.ra-b_hn-left-out",
        "b_hn left out",
        "add b_hn to the recurrent product, inside the reset",
        _h_next(lambda x_t, h, p: _torch_gru(_with(p, b_hn=0 * p["b_hn"]), x_t, h)),
    ),
    Mistake(
        "gru.ra-z-swapped",
        "z and 1 - z swapped",
        "keep the course's direction, h_next = z * n + (1 - z) * h_prev",
        _h_next(lambda x_t, h, p: _torch_gru(_with(p, W_z=-p["W_z"], b_z=-p["b_z"]), x_t, h)),
    ),
)


# ---------------------------------------------------------------- lesson 02: forward


def cell_forward_shapes(gru_cell_forward):
    """Does gru_cell_forward(x_t, h_prev, params) return (h_next, cache), h_next of shape (B, n_h)?"""
    x, h0, params = gru_case()
    out = run_learner(gru_cell_forward, (x[:, 0], h0, params), CELL_ARGS, ("h_next", "cache"))
    expect_close("h_next", out["h_next"], h0, "(B, n_h)", values=False)
    passed("gru_cell_forward returns (h_next, cache) with h_next of shape (B, n_h)")


def cell_forward_values(gru_cell_forward, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does gru_cell_forward compute the course's GRU step, at these sizes and dtype?"""
    x, h0, params = gru_case(B, n_x, n_h, 1, dtype, seed)
    out = run_learner(gru_cell_forward, (x[:, 0], h0, params), CELL_ARGS, ("h_next", "cache"))
    with torch.no_grad():
        expected = gru_oracle_cell(x[:, 0], h0, params)
    expect_outputs(out, {"h_next": expected}, {"h_next": "(B, n_h)"}, CELL_MISTAKES, (x[:, 0], h0, params))
    passed(f"gru_cell_forward matches the GRU built from torch.nn.GRUCell for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def cell_forward_random_cases(gru_cell_forward):
    """cell_forward_values at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(cell_forward_values, gru_cell_forward)


@chained(lambda T: 2 * T + 1)
def forward_values(gru_forward, B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0):
    """Does gru_forward(x, h0, params) return h_seq (B, T, n_h) of the course's GRU and T caches?"""
    x, h0, params = gru_case(B, n_x, n_h, T, dtype, seed)
    try:
        out = run_learner(gru_forward, (x, h0, params), ("x", "h0", "params"), ("h_seq", "caches"))
    except CheckFailed as failure:
        if "not implemented yet" not in str(failure):
            raise
        raise type(failure)(
            f"{failure}\n(if gru_forward is written, the NotImplementedError comes from gru_cell_forward, "
            "which it calls: implement that first)"
        ) from None
    with torch.no_grad():
        expected = gru_oracle_states(x, h0, params)
    expect_close("h_seq", out["h_seq"], expected, "(B, T, n_h)", values=False)
    caches = out["caches"]
    if not isinstance(caches, (list, tuple)) or len(caches) != T:
        raise CheckFailed(
            f"caches should be a list of the T = {T} caches of gru_cell_forward, in time order; got {describe(caches)}"
        )
    for t in range(T):
        problem = tensor_problem(f"h_seq[:, {t}]", out["h_seq"][:, t], expected[:, t], "(B, n_h)")
        if problem:
            hint = " (h_1 is right: does each step start from the previous step's h_next?)" if t else ""
            mistake = recognise(out, SEQUENCE_MISTAKES, x, h0, params)
            line = f"\n{mistake.line()}" if mistake else ""
            raise CheckFailed(f"{problem}; the first wrong time step is t = {t + 1}{hint}{line}")
    passed(f"gru_forward matches the GRU step after step for B={B}, n_x={n_x}, n_h={n_h}, T={T}, {dtype}")


def forward_random_cases(gru_forward):
    """forward_values at random sizes (B = 1 and T = 1 included), in float64 and float32."""
    on_random_cases(forward_values, gru_forward, sequence=True)


def reset_after_values(gru_cell_forward_reset_after, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does gru_cell_forward_reset_after compute what torch.nn.GRUCell computes on these params?"""
    x, h0, params = gru_case(B, n_x, n_h, 1, dtype, seed, reset_after=True)
    out = run_learner(gru_cell_forward_reset_after, (x[:, 0], h0, params), CELL_ARGS, ("h_next", "cache"))
    with torch.no_grad():
        expected = interop.torch_step("gru", params, x[:, 0], h0)
    expect_outputs(out, {"h_next": expected}, {"h_next": "(B, n_h)"}, RESET_AFTER_MISTAKES, (x[:, 0], h0, params))
    passed(f"gru_cell_forward_reset_after matches torch.nn.GRUCell for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def reset_after_random_cases(gru_cell_forward_reset_after):
    """reset_after_values at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(reset_after_values, gru_cell_forward_reset_after)


# ---------------------------------------------------------------- lesson 03: backward

GRAD_DIMS = {
    "dx_t": "(B, n_x)",
    "dh_prev": "(B, n_h)",
    "dx": "(B, T, n_x)",
    "dh0": "(B, n_h)",
    **{f"dW_{g}": "(n_h, n_h + n_x)" for g in GATES},
    **{f"db_{g}": "(n_h,)" for g in GATES},
}
GRAD_HINTS = {
    "dW_z": "dW_z is the gradient at z's pre-activation (B, n_h), transposed, times [h_prev, x_t] (B, n_h + n_x)",
    "db_z": "db_z sums the gradient at z's pre-activation over the batch; ∂h_next/∂z = h_tilde - h_prev, "
    "and the sigmoid's derivative is z (1 - z)",
    "dW_r": "dW_r is the gradient at r's pre-activation, transposed, times [h_prev, x_t]",
    "db_r": "r reaches h_next only through h_tilde, via r * h_prev: "
    "its gradient is (the gradient at r * h_prev) * h_prev",
    "dW_h": "the candidate's weights act on [r * h_prev, x_t], not on [h_prev, x_t]",
    "db_h": "∂h_next/∂h_tilde = z, and tanh's derivative is 1 - h_tilde²",
    "dx_t": "x_t reaches h_next by three paths (z, r and the candidate): add them up",
    "dx": "x_t reaches h_next by three paths (z, r and the candidate): add them up",
    "dh_prev": "h_prev reaches h_next by four paths: directly through (1 - z), and through z, r and the candidate",
    "dh0": "the gradient flowing into h_t from step t + 1 must be added to dh_seq[:, t] before step t's backward",
}


def autograd_grads(h_fn, inputs, params, upstream):
    """The gradients of (h_fn(*inputs, params) * upstream).sum() by torch.autograd, in float64.

    inputs is a dict name -> tensor (e.g. {"dx_t": x_t, "dh_prev": h_prev}); returns a dict with those
    names and dW_*, db_* for the GRU's params, each cast back to the inputs' dtype.
    """
    dtype = upstream.dtype
    leaves = {k: v.detach().double().requires_grad_(True) for k, v in inputs.items()}
    p = {k: v.detach().double().requires_grad_(True) for k, v in params.items()}
    out = h_fn(*leaves.values(), p)
    names = [*leaves, *GRAD_NAMES]
    tensors = [*leaves.values(), *(p[name[1:]] for name in GRAD_NAMES)]
    grads = torch.autograd.grad(out, tensors, upstream.double())
    return {name: g.to(dtype) for name, g in zip(names, grads, strict=True)}


# The known mistakes of gru_cell_backward and gru_backward. A cell's mistake is a twisted step: the course's GRU
# step with the oracle's values whose autograd gradient is what the mistaken backward computes (a path left out
# is a .detach(), a derivative left out or a route changed is differentiated_as); its gives is autograd through
# it. The shape mistakes change the right gradients; a sequence's mistakes walk the right steps the wrong way.


def _twisted_gates(x_t, h_prev, params, twist):
    """z and r * h_prev (B, n_h) from nn.GRUCell calls (see gru_oracle_parts), differentiated as twist says."""
    u = torch.cat((h_prev, x_t), 1)  # [h_prev, x_t]
    ones = torch.ones_like(h_prev)
    z = torch_gate_times(params["W_z"], params["b_z"], u, ones)
    r_u = u.detach() if twist == "no-reset-route" else u  # r's pre-activation sends nothing back to u
    r_h = torch_gate_times(params["W_r"], params["b_r"], r_u, h_prev.detach() if twist == "no-r-route" else h_prev)
    if twist == "no-sigmoid-derivative":  # z's and r's gradients go straight to their pre-activations
        z = differentiated_as(z, nn.functional.linear(u, params["W_z"], params["b_z"]))
        r = torch_gate_times(params["W_r"], params["b_r"], u, ones)
        r_h = differentiated_as(r, nn.functional.linear(u, params["W_r"], params["b_r"])) * h_prev
    return z, r_h


def _twisted_step(twist):
    """A GRU step (x_t, h_prev, params) -> h_next (B, n_h): the oracle's values, the gradient of mistake twist."""

    def step(x_t, h_prev, params):
        z, r_h = _twisted_gates(x_t, h_prev, params, twist)
        h_tilde = torch_candidate(params["W_h"], params["b_h"], x_t, r_h)
        if twist == "no-tanh-derivative":
            a_h = nn.functional.linear(torch.cat((r_h, x_t), 1), params["W_h"], params["b_h"])
            h_tilde = differentiated_as(h_tilde, a_h)
        h_next = torch.lerp(h_prev.detach() if twist == "no-direct-path" else h_prev, h_tilde, z)
        if twist == "z-swapped":
            return differentiated_as(h_next, torch.lerp(h_tilde, h_prev, z))
        if twist == "dz-without-h_prev":  # ∂h_next/∂z taken as h_tilde: the - z * h_prev term left out
            return differentiated_as(h_next, z * h_tilde + (1 - z.detach()) * h_prev)
        return h_next

    return step


def _cell_grads(x_t, h_prev, params, dh_next, step=gru_oracle_cell):
    """autograd_grads of one step (dx_t, dh_prev, dW_*, db_*), with torch.autograd on even inside no_grad."""
    with torch.enable_grad():
        return autograd_grads(step, {"dx_t": x_t, "dh_prev": h_prev}, params, dh_next)


def _cell_twist(id_, did, instead):
    """A Mistake of gru_cell_backward given by autograd through _twisted_step(id_)."""
    step = _twisted_step(id_)
    return Mistake(f"gru.bw-{id_}", did, instead, lambda *inputs: _cell_grads(*inputs, step=step))


def _cell_changed(id_, did, instead, change):
    """A Mistake of gru_cell_backward that changes the right gradients: change(grads, alone, x_t, h_prev) gives
    the changed entries; alone holds each example's own gradients (per_example), db_g[b] its da_g[b]."""

    def gives(x_t, h_prev, params, dh_next):
        grads = _cell_grads(x_t, h_prev, params, dh_next)
        alone = per_example(lambda mask: _cell_grads(x_t, h_prev, params, dh_next * mask), len(x_t), x_t.dtype)
        return {**grads, **change(grads, alone, x_t, h_prev)}

    return Mistake(f"gru.bw-{id_}", did, instead, gives)


def _dW_h_on_u(grads, alone, x_t, h_prev):
    """dW_h = da_h.T @ [h_prev, x_t] (B summed), from each example's da_h = its db_h."""
    return {"dW_h": torch.einsum("bh,bk->hk", alone["db_h"], torch.cat((h_prev, x_t), 1))}


CELL_BACKWARD_MISTAKES = (
    _cell_twist(
        "z-swapped",
        "z and 1 - z swapped in the backward",
        "h_next = z * h_tilde + (1 - z) * h_prev: dh_tilde = dh_next * z, the direct dh_prev = dh_next * (1 - z), "
        "dz = dh_next * (h_tilde - h_prev)",
    ),
    _cell_twist(
        "no-direct-path",
        "leaving out h_prev's direct path",
        "h_next = … + (1 - z) * h_prev: dh_prev starts from dh_next * (1 - z)",
    ),
    _cell_twist(
        "dz-without-h_prev",
        "dz = dh_next * h_tilde (the z * h_prev term left out)",
        "h_next = h_prev + z * (h_tilde - h_prev), so dz = dh_next * (h_tilde - h_prev)",
    ),
    _cell_twist(
        "no-reset-route",
        "leaving r's pre-activation out of dh_prev and dx_t",
        "[h_prev, x_t] feeds r too: add da_r @ W_r to da_z @ W_z before splitting it into dh_prev and dx_t",
    ),
    _cell_twist(
        "no-r-route",
        "leaving out the path through r * h_prev into h_prev",
        "the candidate reads r * h_prev: add (its gradient) * r to dh_prev",
    ),
    _cell_twist(
        "no-tanh-derivative",
        "leaving out tanh's derivative in the candidate",
        "da_h = dh_tilde * (1 - h_tilde**2)",
    ),
    _cell_twist(
        "no-sigmoid-derivative",
        "leaving out the sigmoid's derivative in the gates",
        "da_z = dz * z * (1 - z) and da_r = dr * r * (1 - r)",
    ),
    _cell_changed(
        "candidate-on-h_prev",
        "dW_h = da_h.T @ [h_prev, x_t]",
        "the candidate's weights act on [r * h_prev, x_t]: dW_h = da_h.T @ [r * h_prev, x_t]",
        _dW_h_on_u,
    ),
    _cell_changed(
        "dw-transposed",
        "[h_prev, x_t].T @ da (dW transposed)",
        "dW has W's shape (n_h, n_h + n_x): dW = da.T @ [h_prev, x_t]",
        lambda grads, alone, x_t, h_prev: {f"dW_{g}": grads[f"dW_{g}"].T for g in GATES},
    ),
    _cell_changed(
        "db-wrong-axis",
        "summing over the hidden axis, da.sum(dim=1)",
        "summed over the wrong axis: db sums over the batch (dim 0), da.sum(dim=0) of shape (n_h,)",
        lambda grads, alone, x_t, h_prev: {f"db_{g}": alone[f"db_{g}"].sum(1) for g in GATES},
    ),
    _cell_changed(
        "db-not-summed",
        "db = da, not summed",
        "db sums da over the batch (dim 0): da.sum(dim=0), of shape (n_h,)",
        lambda grads, alone, x_t, h_prev: {f"db_{g}": alone[f"db_{g}"] for g in GATES},
    ),
)


def _cut_states(x, h0, params, carry=True, params_at=None):
    """h_seq (B, T, n_h) of the oracle, where h is held constant between steps unless carry, and params are
    held constant at every step t where params_at(t) is false."""
    frozen = {k: v.detach() for k, v in params.items()}
    h, states = h0, []
    for t, x_t in enumerate(x.unbind(dim=1)):
        h_prev = h if carry or t == 0 else h.detach()
        h = gru_oracle_cell(x_t, h_prev, params if params_at is None or params_at(t) else frozen)
        states.append(h)
    return torch.stack(states, dim=1)


def _sequence_grads(x, h0, params, dh_seq, states=gru_oracle_states):
    """autograd_grads through a sequence's states(x, h0, params): dx, dh0, dW_*, db_*."""
    with torch.enable_grad():
        return autograd_grads(states, {"dx": x, "dh0": h0}, params, dh_seq)


def _walked_forward(x, h0, params, dh_seq):
    """What walking t = 1 … T gives: step t's backward gets dh_seq[:, t] + the dh_prev of the step before it."""
    with torch.no_grad():
        h_prevs = [h0, *gru_oracle_states(x, h0, params).unbind(dim=1)][:-1]
    dh, dxs, totals = torch.zeros_like(h0), [], dict.fromkeys(GRAD_NAMES, 0)
    for t, h_prev in enumerate(h_prevs):
        grads = _cell_grads(x[:, t], h_prev, params, dh_seq[:, t] + dh)
        dh, dx_t = grads["dh_prev"], grads["dx_t"]
        dxs.append(dx_t)
        totals = {name: totals[name] + grads[name] for name in GRAD_NAMES}
    return {"dx": torch.stack(dxs, dim=1), "dh0": dh, **totals}


def _last_output_only(x, h0, params, dh_seq):
    """The gradients when only dh_seq[:, T-1] enters (at the last step) and only the carried dh the others."""
    last = torch.zeros_like(dh_seq)
    last[:, -1] = dh_seq[:, -1]
    return _sequence_grads(x, h0, params, last)


def _dx_reversed(x, h0, params, dh_seq):
    """The right gradients with dx's time steps in reverse order."""
    grads = _sequence_grads(x, h0, params, dh_seq)
    return {**grads, "dx": grads["dx"].flip(1)}


def _dx_reversed(x, h0, params, dh_seq):
    """The right gradients with dx's time steps in reverse order."""
    grads = _sequence_grads(x, h0, params, dh_seq)
    return {**grads, "dx": grads["dx"].flip(1)}


BACKWARD_MISTAKES = (
    Mistake(
        "gru.bptt-overwritten",
        "dW_*, db_* overwritten at each step (only step t = 1's part is left)",
        "the same weights serve every step: add up the T steps' dW_*, db_*",
        lambda x, h0, p, dh_seq: _sequence_grads(
            x, h0, p, dh_seq, lambda x, h0, p: _cut_states(x, h0, p, params_at=lambda t: t == 0)
        ),
    ),
    Mistake(
        "gru.bptt-forward-in-time",
        "walking forward in time, t = 1 … T",
        "backprop walks backward, t = T … 1: step t needs the dh that step t + 1 sends back",
        _walked_forward,
    ),
    Mistake(
        "gru.bptt-dh-not-carried",
        "each step's backward fed dh_seq[:, t] alone (the dh_prev of step t + 1 dropped)",
        "the dh reaching h_t is dh_seq[:, t] + the dh_prev that step t + 1 sent back",
        lambda x, h0, p, dh_seq: _sequence_grads(x, h0, p, dh_seq, lambda x, h0, p: _cut_states(x, h0, p, carry=False)),
    ),
    Mistake(
        "gru.bptt-dh_seq-forgotten",
        "starting from dh_seq[:, T-1] and passing back only the carried dh",
        "every output sends a gradient: step t's backward gets dh_seq[:, t] + the carried dh",
        _last_output_only,
    ),
    Mistake(
        "gru.bptt-dx-reversed",
        "dx stacked in the order the backward walked (t = T … 1)",
        "dx[:, t] is step t's dx_t: reverse the list, or fill dx[:, t] at step t",
        _dx_reversed,
    ),
)


def _learner_cell(gru_cell_forward, x_t, h_prev, params, t=None):
    """Run the learner's own gru_cell_forward; refuse to go on if its h_next is wrong."""
    try:
        out = run_learner(gru_cell_forward, (x_t, h_prev, params), CELL_ARGS, ("h_next", "cache"))
    except CheckFailed as failure:
        raise type(failure)(
            f"{failure}\n(the backward tests run your gru_cell_forward from lesson 02 "
            "to make the caches: paste it into this notebook first)"
        ) from None
    with torch.no_grad():
        expected = gru_oracle_cell(x_t, h_prev, params)
    problem = tensor_problem("h_next", out["h_next"], expected, "(B, n_h)")
    if problem:
        at = f" at time step t = {t + 1}" if t is not None else ""
        raise CheckFailed(
            f"your gru_cell_forward (from lesson 02) is wrong{at}, so its cache cannot be "
            f"trusted: {problem}. Fix gru_cell_forward first; the backward was not checked"
        )
    return out


@chained(lambda: 2)
def cell_backward_grads(gru_cell_backward, gru_cell_forward, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does gru_cell_backward(dh_next, cache) give torch.autograd's gradients, gradient by gradient?

    The cache comes from the learner's gru_cell_forward; the backward runs with autograd refused.
    """
    x, h0, params = gru_case(B, n_x, n_h, 1, dtype, seed)
    x_t = x[:, 0]
    cache = _learner_cell(gru_cell_forward, x_t, h0, params)["cache"]
    dh_next = torch.randn(B, n_h, dtype=dtype, generator=torch.Generator().manual_seed(500 + seed))
    args = (dh_next, cache)
    got = run_learner(gru_cell_backward, args, ("dh_next", "cache"), ("grads",), guard=no_autograd)
    expected = autograd_grads(gru_oracle_cell, {"dx_t": x_t, "dh_prev": h0}, params, dh_next)
    mistakes = {"mistakes": CELL_BACKWARD_MISTAKES, "inputs": (x_t, h0, params, dh_next)}
    expect_grads(got["grads"], expected, GRAD_DIMS, GRAD_HINTS, "gru_cell_backward", **mistakes)
    passed(f"gru_cell_backward matches torch.autograd (all 8 gradients) for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def cell_backward_random_cases(gru_cell_backward, gru_cell_forward):
    """cell_backward_grads at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(cell_backward_grads, gru_cell_backward, gru_cell_forward)


@chained(lambda T: 2 * (2 * T + 1))
def backward_grads(gru_backward, gru_cell_forward, B=4, n_x=5, n_h=3, T=5, dtype=torch.float64, seed=0):
    """Does gru_backward(dh_seq, caches) give torch.autograd's gradients through the whole sequence?

    caches is the list of the T caches of the learner's gru_cell_forward, as gru_forward returns it.
    """
    x, h0, params = gru_case(B, n_x, n_h, T, dtype, seed)
    h, caches = h0, []
    for t in range(T):
        out = _learner_cell(gru_cell_forward, x[:, t], h, params, t)
        h = out["h_next"]
        caches.append(out["cache"])
    dh_seq = torch.randn(B, T, n_h, dtype=dtype, generator=torch.Generator().manual_seed(700 + seed))
    got = run_learner(gru_backward, (dh_seq, caches), ("dh_seq", "caches"), ("grads",), guard=no_autograd)
    expected = autograd_grads(gru_oracle_states, {"dx": x, "dh0": h0}, params, dh_seq)
    mistakes = {"mistakes": BACKWARD_MISTAKES, "inputs": (x, h0, params, dh_seq)}
    expect_grads(got["grads"], expected, GRAD_DIMS, GRAD_HINTS, "gru_backward", **mistakes)
    passed(f"gru_backward matches torch.autograd through T={T} steps for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def backward_random_cases(gru_backward, gru_cell_forward):
    """backward_grads at random sizes (B = 1 and T = 1 included), in float64 and float32."""
    on_random_cases(backward_grads, gru_backward, gru_cell_forward, sequence=True)


# ---------------------------------------------------------------- lesson 02: the latch puzzle


def latch_solved(gru_latch_settings):
    """Do the learner's settings make the one-unit GRU latch the subject's number at the noun and hold it?

    gru_latch_settings() returns a dict slider name -> number (the sliders of gl.widgets.gru_sentence);
    the verdict is gatelab.dynamics.gru_latch_verdict on "The cat …" and "The cats …".
    """
    settings = run_learner(gru_latch_settings, (), (), ("settings",))["settings"]
    if not isinstance(settings, dict):
        raise CheckFailed(
            f"gru_latch_settings should return a dict slider name -> number; it returned {describe(settings)}"
        )
    unknown = sorted(set(map(str, settings)) - set(dynamics.setting_names(dynamics.GRU_GATES)))
    if unknown:
        raise CheckFailed(f"unknown setting names {unknown}; use the sliders' names (z_noun, b_z, …)")
    bad = [k for k, v in settings.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
    if bad:
        raise CheckFailed(f"settings should be plain numbers; these are not: {', '.join(bad)}")
    solved, message = dynamics.gru_latch_verdict(settings)
    if not solved:
        raise CheckFailed(f"not latched yet: {message}")
    passed(message)
