"""Checks for lessons 04 and 05: the LSTM cell, its sequence, the memory puzzle and training's first move on it, the
backward passes, the gradient highway.

B batch, n_x input features, n_h hidden units, T time steps. Params W_f, W_i, W_c, W_o (n_h, n_h + n_x)
act on [h_prev, x_t]; b_* are (n_h,). The oracle is torch.nn.LSTMCell on our params (through
gatelab.interop.torch_step) for the forward, and torch.autograd through it, in float64, for the backward.
A learner's cache is theirs to design: backward checks build it with the learner's own forward.
"""

import dataclasses

import torch
from torch import nn

from gatelab import data, dynamics, interop
from gatelab.checks.core import (
    CheckFailed,
    Mistake,
    chained,
    describe,
    differentiated_as,
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

CELL_ARGS = ("x_t", "h_prev", "c_prev", "params")
CELL_RETURNS = ("h_next", "c_next", "cache")
SEQ_ARGS = ("x", "h0", "c0", "params")
SEQ_RETURNS = ("h_seq", "c_seq", "caches")
GATES = ("f", "i", "c", "o")
PARAM_DIMS = {**{f"dW_{g}": "(n_h, n_h + n_x)" for g in GATES}, **{f"db_{g}": "(n_h,)" for g in GATES}}
CELL_DIMS = {"dx_t": "(B, n_x)", "dh_prev": "(B, n_h)", "dc_prev": "(B, n_h)", **PARAM_DIMS}
SEQ_DIMS = {"dx": "(B, T, n_x)", "dh0": "(B, n_h)", "dc0": "(B, n_h)", **PARAM_DIMS}

CELL_HINTS = {
    "dc_prev": "along the cell path c_next = f ⊙ c_prev + …, so dc_prev = dc ⊙ f, where dc = dc_next + "
    "dh_next ⊙ o ⊙ (1 − tanh²(c_next)) is the total gradient reaching c_next",
    "dW_f": "the forget gate multiplies c_prev: df = dc ⊙ c_prev, then through the sigmoid, ⊙ f ⊙ (1 − f)",
    "dW_i": "the input gate multiplies c_tilde: di = dc ⊙ c_tilde, then ⊙ i ⊙ (1 − i)",
    "dW_c": "c_tilde is a tanh: dc_tilde = dc ⊙ i, then ⊙ (1 − c_tilde²)",
    "dW_o": "h_next = o ⊙ tanh(c_next): do = dh_next ⊙ tanh(c_next), then ⊙ o ⊙ (1 − o)",
    "db_f": "sum the forget gate's pre-activation gradient over the batch (dim 0)",
    "db_i": "sum the input gate's pre-activation gradient over the batch (dim 0)",
    "db_c": "sum the candidate's pre-activation gradient over the batch (dim 0)",
    "db_o": "sum the output gate's pre-activation gradient over the batch (dim 0)",
    "dh_prev": "[h_prev, x_t] feeds all four gates: add the four da_g @ W_g, keep the first n_h columns",
    "dx_t": "[h_prev, x_t] feeds all four gates: add the four da_g @ W_g, keep the last n_x columns",
}
SEQ_HINTS = {
    **{
        f"d{p}_{g}": "the same W_g and b_g serve every step: add up the gradients of all T steps"
        for p in "Wb"
        for g in GATES
    },
    "dx": "dx[:, t] is the dx_t of step t (batch first, shape (B, T, n_x))",
    "dh0": "walk t = T−1 … 0: the dh reaching step t is dh_seq[:, t] + the dh_prev that step t+1 sent back",
    "dc0": "walk t = T−1 … 0, starting from dc = dc_last (zeros when it is None); each step's dc_prev is "
    "the next step's dc_next",
}


def lstm_case(B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0):
    """Seeded inputs: x (B, T, n_x), h0 (B, n_h), c0 (B, n_h) and LSTM params (see the module docstring)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, n_x, dtype=dtype, generator=g)
    h0 = torch.randn(B, n_h, dtype=dtype, generator=g).tanh()
    c0 = torch.randn(B, n_h, dtype=dtype, generator=g)
    params = interop.random_params("lstm", n_x, n_h, dtype, g, scale=0.8)
    return x, h0, c0, params


def upstream(shape_like, seed, scale=1.0):
    """A seeded upstream gradient with the shape and dtype of the tensor shape_like."""
    g = torch.Generator().manual_seed(5000 + seed)
    return scale * torch.randn(shape_like.shape, dtype=shape_like.dtype, generator=g)


def torch_lstm_states(x, h0, c0, params):
    """h_seq, c_seq (B, T, n_h): the states h_1 … h_T and c_1 … c_T that torch.nn.LSTMCell computes."""
    h, c, hs, cs = h0, c0, [], []
    with torch.no_grad():
        for t in range(x.shape[1]):
            h, c = interop.torch_step("lstm", params, x[:, t], h, c)
            hs.append(h)
            cs.append(c)
    return torch.stack(hs, dim=1), torch.stack(cs, dim=1)


def with_leaves(tensors):
    """Detached copies of a dict of tensors that require grad (autograd leaves)."""
    return {k: v.detach().clone().requires_grad_(True) for k, v in tensors.items()}


@torch.enable_grad()
def autograd_lstm_grads(x, h0, c0, params, dh_seq, dc_last, step=None):
    """Gradients of sum(dh_seq ⊙ h_seq) + sum(dc_last ⊙ c_T) by torch.autograd through nn.LSTMCell.

    Returns dx (B, T, n_x), dh0, dc0 (B, n_h) and dW_* (n_h, n_h + n_x), db_* (n_h,). step(t, x_t, h, c, params)
    -> (h, c), when given, replaces nn.LSTMCell (a mistake's twisted step).
    """
    inputs = with_leaves({"x": x, "h0": h0, "c0": c0})
    leaves = with_leaves(params)
    h, c, loss = inputs["h0"], inputs["c0"], 0
    for t in range(x.shape[1]):
        if step:
            h, c = step(t, inputs["x"][:, t], h, c, leaves)
        else:
            h, c = interop.torch_step("lstm", leaves, inputs["x"][:, t], h, c)
        loss = loss + (dh_seq[:, t] * h).sum()
    loss = loss + (dc_last * c).sum()
    names = [*inputs, *leaves]
    grads = torch.autograd.grad(loss, [*inputs.values(), *leaves.values()])
    return {f"d{name}": grad.detach() for name, grad in zip(names, grads, strict=True)}


def autograd_cell_grads(x_t, h_prev, c_prev, params, dh_next, dc_next, step=None):
    """dx_t, dh_prev, dc_prev and dW_*, db_* of sum(dh_next ⊙ h_next) + sum(dc_next ⊙ c_next), by autograd."""
    grads = autograd_lstm_grads(x_t[:, None], h_prev, c_prev, params, dh_next[:, None], dc_next, step)
    renamed = {"dx": "dx_t", "dh0": "dh_prev", "dc0": "dc_prev"}
    out = {renamed.get(k, k): v for k, v in grads.items()}
    out["dx_t"] = out["dx_t"][:, 0]
    return {k: out[k] for k in CELL_DIMS}


@torch.enable_grad()
def autograd_dcT_dc0(x, h0, c0, params, through_h=True, of_h=False):
    """(B, n_h, n_h): the Jacobian ∂c_T/∂c_0 of each batch element, J[b, k, j] = ∂c_T[b, k]/∂c_0[b, j].

    For a mistake: through_h=False holds h constant between steps (c's own path alone); of_h gives ∂h_T/∂c_0.
    """
    c0 = c0.detach().clone().requires_grad_(True)
    h, c = h0, c0
    for t in range(x.shape[1]):
        h, c = interop.torch_step("lstm", params, x[:, t], h if through_h else h.detach(), c)
    out = h if of_h else c
    rows = [torch.autograd.grad(out[:, k].sum(), c0, retain_graph=True)[0] for k in range(c.shape[1])]
    return torch.stack(rows, dim=1).detach()


# Mistakes the oracle can recognise, each computed by nn.LSTMCell on rewritten params.
SATURATE = 1e3  # a pre-activation where sigmoid and tanh are exactly 0 or ±1


def _swap(params, a, b):
    out = dict(params)
    out[f"W_{a}"], out[f"W_{b}"] = params[f"W_{b}"], params[f"W_{a}"]
    out[f"b_{a}"], out[f"b_{b}"] = params[f"b_{b}"], params[f"b_{a}"]
    return out


def _fixed(params, **gates):
    """params with each named gate fixed to sigmoid(±SATURATE) = 1 or 0: W = 0, b = value."""
    out = dict(params)
    for g, value in gates.items():
        out[f"W_{g}"], out[f"b_{g}"] = torch.zeros_like(params[f"W_{g}"]), torch.full_like(params[f"b_{g}"], value)
    return out


def _step(params, x_t, h_prev, c_prev):
    return interop.torch_step("lstm", params, x_t, h_prev, c_prev)


def _output_gate(x_t, h_prev, c_prev, params):
    """o (B, n_h): the cell's h with c_next held at SATURATE (f = 1, i = 0, tanh(c) = 1)."""
    return _step(_fixed(params, f=SATURATE, i=-SATURATE), x_t, h_prev, torch.full_like(c_prev, SATURATE))[0]


def _outputs(step):
    """gives for a Mistake of lstm_cell_forward: step returns (h_next, c_next)."""
    return lambda x_t, h_prev, c_prev, params: dict(
        zip(("h_next", "c_next"), step(x_t, h_prev, c_prev, params), strict=True)
    )


def _with_h(h_of):
    """A step whose c_next is right and whose h_next is h_of(o, c_prev, c_next)."""

    def step(x_t, h_prev, c_prev, params):
        c_next = _step(params, x_t, h_prev, c_prev)[1]
        return h_of(_output_gate(x_t, h_prev, c_prev, params), c_prev, c_next), c_next

    return step


def _sigmoid_candidate(x_t, h_prev, c_prev, params):
    """(h_next, c_next) with c_tilde = sigmoid(a_c) = (tanh(a_c / 2) + 1) / 2."""
    halved = {**params, "W_c": params["W_c"] / 2, "b_c": params["b_c"] / 2}
    c_next = (_step(halved, x_t, h_prev, c_prev)[1] + _step(_fixed(params, c=SATURATE), x_t, h_prev, c_prev)[1]) / 2
    return _output_gate(x_t, h_prev, c_prev, params) * torch.tanh(c_next), c_next


def _swapped_gates(a, b, names):
    return Mistake(
        f"lstm.{a}-{b}-swapped",
        f"swapping the {names[a]} and {names[b]} gates",
        f"{a} uses W_{a}, b_{a}; {b} uses W_{b}, b_{b}",
        _outputs(lambda x_t, h, c, p: _step(_swap(p, a, b), x_t, h, c)),
    )


GATE_NAMES = {"f": "forget", "i": "input", "o": "output"}
CELL_MISTAKES = (
    Mistake(
        "lstm.concat-order",
        "[x_t, h_prev] order",
        "the course concatenates [h_prev, x_t], h_prev first (cat([h_prev, x_t], dim=1))",
        _outputs(lambda x_t, h, c, p: _step(x_first(p, x_t.shape[1]), x_t, h, c)),
    ),
    _swapped_gates("f", "i", GATE_NAMES),
    _swapped_gates("f", "o", GATE_NAMES),
    _swapped_gates("i", "o", GATE_NAMES),
    Mistake(
        "lstm.no-output-gate",
        "h_next = tanh(c_next) (no output gate)",
        "h_next = o ⊙ tanh(c_next)",
        _outputs(lambda x_t, h, c, p: _step(_fixed(p, o=SATURATE), x_t, h, c)),
    ),
    Mistake(
        "lstm.no-tanh-on-c",
        "h_next = o ⊙ c_next (no tanh)",
        "h_next = o ⊙ tanh(c_next)",
        _outputs(_with_h(lambda o, c_prev, c_next: o * c_next)),
    ),
    Mistake(
        "lstm.c-prev-for-c-next",
        "h_next = o ⊙ tanh(c_prev) (the old cell state)",
        "h_next reads the new cell state, o ⊙ tanh(c_next)",
        _outputs(_with_h(lambda o, c_prev, c_next: o * torch.tanh(c_prev))),
    ),
    Mistake(
        "lstm.sigmoid-candidate",
        "a sigmoid on the candidate c_tilde",
        "c_tilde goes through tanh (values in -1 … 1); sigmoids are for the gates f, i, o",
        _outputs(_sigmoid_candidate),
    ),
    Mistake(
        "lstm.missing-bias",
        "leaving out the biases",
        "every gate and the candidate add their own b_f, b_i, b_c, b_o",
        _outputs(lambda x_t, h, c, p: _step({k: 0 * v if k[0] == "b" else v for k, v in p.items()}, x_t, h, c)),
    ),
)


def _chained(step, x, h0, c0, params, carry_h=True, carry_c=True):
    """h_seq, c_seq (B, T, n_h) of step chained over x from h0, c0 (a state not carried stays at its start)."""
    h, c, hs, cs = h0, c0, [], []
    for t in range(x.shape[1]):
        h_next, c_next = step(x[:, t], h, c, params)
        h, c = (h_next if carry_h else h0), (c_next if carry_c else c0)
        hs.append(h_next)
        cs.append(c_next)
    return {"h_seq": torch.stack(hs, dim=1), "c_seq": torch.stack(cs, dim=1)}


def _right_step(x_t, h, c, p):
    return _step(p, x_t, h, c)


def _shifted(x, h0, c0, params):
    states = _chained(_right_step, x, h0, c0, params)
    return {
        name: torch.cat([start[:, None], seq[:, :-1]], dim=1)
        for (name, seq), start in zip(states.items(), (h0, c0), strict=True)
    }


def _every_step(mistake):
    """mistake (of lstm_cell_forward) made at every step of lstm_forward."""

    def step(x_t, h, c, p):
        out = mistake.gives(x_t, h, c, p)
        return out["h_next"], out["c_next"]

    return dataclasses.replace(mistake, gives=lambda x, h0, c0, p: _chained(step, x, h0, c0, p))


SEQ_MISTAKES = (
    Mistake(
        "lstm.c-not-carried",
        "starting every step from c0",
        "feed each step's c_next to the next step as c_prev",
        lambda x, h0, c0, p: _chained(_right_step, x, h0, c0, p, carry_c=False),
    ),
    Mistake(
        "lstm.h-not-carried",
        "starting every step from h0",
        "feed each step's h_next to the next step as h_prev",
        lambda x, h0, c0, p: _chained(_right_step, x, h0, c0, p, carry_h=False),
    ),
    Mistake(
        "lstm.states-not-carried",
        "starting every step from h0 and c0",
        "feed each step's h_next and c_next to the next step as h_prev and c_prev",
        lambda x, h0, c0, p: _chained(_right_step, x, h0, c0, p, carry_h=False, carry_c=False),
    ),
    Mistake(
        "lstm.h0-c0-ignored",
        "starting from zeros instead of h0 and c0",
        "the first step's h_prev and c_prev are the h0 and c0 you are given",
        lambda x, h0, c0, p: _chained(_right_step, x, torch.zeros_like(h0), torch.zeros_like(c0), p),
    ),
    Mistake(
        "lstm.states-shifted",
        "storing each step's h_prev and c_prev (the states before the step)",
        "h_seq[:, t] and c_seq[:, t] are the states after step t: store h_next and c_next",
        _shifted,
    ),
    *(_every_step(m) for m in CELL_MISTAKES),
)


def fail_with_hint(problem, hint):
    """Raise CheckFailed with problem, followed by the hint when there is one."""
    raise CheckFailed(f"{problem}\nhint: {hint}" if hint else problem)


def expect_cell_outputs(out, x_t, h_prev, c_prev, params, fn_name="lstm_cell_forward"):
    """Raise CheckFailed unless out's h_next and c_next are what nn.LSTMCell computes; name the mistake."""
    h_seq, c_seq = torch_lstm_states(x_t[:, None], h_prev, c_prev, params)
    expected = {"c_next": c_seq[:, 0], "h_next": h_seq[:, 0]}

    def hint(name):
        return (
            "hint: c_next is right, so look at the output gate: h_next = o ⊙ tanh(c_next)" if name == "h_next" else ""
        )

    dims = {"c_next": "(B, n_h)", "h_next": "(B, n_h)"}
    inputs = (x_t, h_prev, c_prev, params)
    expect_outputs(out, expected, dims, CELL_MISTAKES, inputs, prefix=f"{fn_name}: ", hint=hint)


def cell_forward_shapes(lstm_cell_forward):
    """Does lstm_cell_forward(x_t, h_prev, c_prev, params) return (h_next, c_next, cache), both (B, n_h)?"""
    x, h0, c0, params = lstm_case()
    out = run_learner(lstm_cell_forward, (x[:, 0], h0, c0, params), CELL_ARGS, CELL_RETURNS)
    for name in ("h_next", "c_next"):
        problem = tensor_problem(name, out[name], h0, "(B, n_h)", values=False)
        if problem:
            raise CheckFailed(problem)
    passed("lstm_cell_forward returns (h_next, c_next, cache), both of shape (B, n_h)")


def cell_forward_matches_torch(lstm_cell_forward, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does lstm_cell_forward compute what torch.nn.LSTMCell computes, at these sizes and dtype?"""
    x, h0, c0, params = lstm_case(B, n_x, n_h, 1, dtype, seed)
    out = run_learner(lstm_cell_forward, (x[:, 0], h0, c0, params), CELL_ARGS, CELL_RETURNS)
    expect_cell_outputs(out, x[:, 0], h0, c0, params)
    passed(f"lstm_cell_forward matches torch.nn.LSTMCell for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def cell_forward_random_cases(lstm_cell_forward):
    """cell_forward_matches_torch at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(cell_forward_matches_torch, lstm_cell_forward)


def expect_seq_outputs(out, x, h0, c0, params, fn_name="lstm_forward"):
    """Raise CheckFailed unless out's h_seq, c_seq match nn.LSTMCell's states and caches has T entries."""
    h_seq, c_seq = torch_lstm_states(x, h0, c0, params)
    B, T, n_h = h_seq.shape
    expected = {"h_seq": h_seq, "c_seq": c_seq}

    def hint(name):
        if T > 1 and tensor_problem(name, out[name][:, :1], expected[name][:, :1]) is None:
            return (
                "hint: step 1 is right and later steps are not: feed each step's h_next and c_next to the next "
                "step as h_prev and c_prev"
            )
        return ""

    for name in ("h_seq", "c_seq"):
        value = out[name]
        if isinstance(value, torch.Tensor) and value.shape == (T, B, n_h) and (B, T) != (T, B):
            problem = tensor_problem(name, value, h_seq, "(B, T, n_h)")
            fail_with_hint(
                f"{fn_name}: {problem}", "stack the states along dim=1: the course is batch first, (B, T, n_h)"
            )
    dims = {"h_seq": "(B, T, n_h)", "c_seq": "(B, T, n_h)"}
    expect_outputs(out, expected, dims, SEQ_MISTAKES, (x, h0, c0, params), prefix=f"{fn_name}: ", hint=hint)
    caches = out["caches"]
    if not isinstance(caches, (list, tuple)) or len(caches) != T:
        raise CheckFailed(f"{fn_name}: caches should be a list of the T = {T} cell caches; got {describe(caches)}")


@chained(lambda T: 2 * T + 1)
def forward_matches_torch(lstm_forward, B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0):
    """Does lstm_forward(x, h0, c0, params) give the states nn.LSTMCell gives, step after step?"""
    x, h0, c0, params = lstm_case(B, n_x, n_h, T, dtype, seed)
    out = run_learner(lstm_forward, (x, h0, c0, params), SEQ_ARGS, SEQ_RETURNS)
    expect_seq_outputs(out, x, h0, c0, params)
    passed(f"lstm_forward matches torch.nn.LSTMCell step after step for B={B}, n_x={n_x}, n_h={n_h}, T={T}, {dtype}")


def forward_random_cases(lstm_forward):
    """forward_matches_torch at random sizes (B = 1 and T = 1 included), in float64 and float32."""
    on_random_cases(forward_matches_torch, lstm_forward, sequence=True)


def memory_puzzle_solved(settings):
    """Does this slider setting make the one-unit LSTM carry the subject's number to the verb?

    settings maps slider names of gl.widgets.lstm_memory_puzzle to numbers; sliders left out keep the
    widget's starting values. The verdict (both "The cat … was full" and "The cats … were full") is
    gatelab.dynamics.lstm_memory_verdict's.
    """
    start = dynamics.start_values(dynamics.LSTM_PUZZLE_SETTINGS)  # the puzzle's sliders and their starting values
    if not isinstance(settings, dict):
        raise CheckFailed(f"the puzzle's answer should be a dict of slider values, got {describe(settings)}")
    unknown = sorted(str(k) for k in settings if k not in start)
    if unknown:
        raise CheckFailed(f"unknown slider name(s) {unknown}; the puzzle's sliders are {', '.join(start)}")
    not_numbers = sorted(k for k, v in settings.items() if isinstance(v, bool) or not isinstance(v, (int, float)))
    if not_numbers:
        raise CheckFailed(f"slider values should be numbers; {', '.join(not_numbers)} are not")
    solved, message = dynamics.lstm_memory_verdict(start | settings)
    if not solved:
        raise CheckFailed(f"not solved yet: {message}")
    passed(message)


PUZZLE_GATE_NAMES = {"f": "the forget gate", "i": "the input gate", "c": "the candidate", "o": "the output gate"}
NO_SHARE = 1e-12  # a token's share of a slider's gradient below this is none (the start's gradients are ≈ 1e-3)


def _token_label(t):
    """Token t of the puzzle's two sentences: "','", or "'cat'/'cats'" where they differ."""
    words = dict.fromkeys(data.SENTENCES[name][t] for name in dynamics.PUZZLE_PAIR)
    return "/".join(map(repr, words))


def _tokens_phrase(ts):
    """Tokens ts of the puzzle's sentences in words: 'ate' (token 5), the 5 tokens from ',' to ',' (tokens 2–6)."""
    if len(ts) > 2 and ts == list(range(ts[0], ts[-1] + 1)):
        return f"the {len(ts)} tokens from {_token_label(ts[0])} to {_token_label(ts[-1])} (tokens {ts[0]}–{ts[-1]})"
    return ", ".join(f"{_token_label(t)} (token {t})" for t in ts)


def _tokens_with_share(per_sentence):
    """The tokens where a share (per sentence: a list per token) is not none in some sentence."""
    return [t for t, token in enumerate(zip(*per_sentence.values(), strict=True)) if max(map(abs, token)) > NO_SHARE]


def _why_it_moves(slider, shares):
    """One clause: what slider multiplies and so which of its gate's pushes its gradient gathers (shares:
    dynamics.lstm_puzzle_shares)."""
    gate = slider[2:] if slider.startswith("b_") else slider.split("_")[0]
    name, what = PUZZLE_GATE_NAMES[gate], slider.split("_", 1)[1]
    multiplies = "1 at every token" if slider.startswith("b_") else "h_prev" if what == "h" else f"the feature {what}"
    summed = [sum(token) for token in zip(*shares[slider].values(), strict=True)]
    gathers = [t for t, share in enumerate(summed) if abs(share) > NO_SHARE]
    pushed = _tokens_with_share(shares[f"b_{gate}"])  # a bias multiplies 1: its shares are the gate's ∂L/∂a_g
    if gathers:
        only = "only " if set(gathers) < set(pushed) else ""
        where = f"{only}at {_tokens_phrase(gathers)}: ∂L/∂{slider} = {sum(summed):+.4f}"
        return f"{slider} multiplies {multiplies}, so it gathers {name}'s push {where}"
    if _tokens_with_share(shares[slider]):
        cancel = "which has opposite signs in the two sentences: their pushes cancel"
        return f"{slider} multiplies {multiplies}, {cancel}, ∂L/∂{slider} = 0"
    return f"{slider} multiplies {multiplies}, which is 0 at {_tokens_phrase(pushed)}, where {name} is pushed"


def first_mover(prediction):
    """Is prediction the slider of the memory puzzle that training's first step moves most, from the sliders' start
    values (gatelab.dynamics.lstm_puzzle_training: the page's Step)? Says which did, and why: a slider moves by
    −lr times its gradient, the sum over the tokens of its gate's ∂L/∂a_g[t] times what it multiplies there
    (dynamics.lstm_puzzle_shares)."""
    sliders = list(dynamics.LSTM_PUZZLE_SETTINGS)
    if not isinstance(prediction, str) or prediction not in sliders:
        got = repr(prediction) if isinstance(prediction, str) else describe(prediction)
        raise CheckFailed(f"expected one of the puzzle's slider names, as a string: {', '.join(sliders)}; got {got}")
    before, after = (record["settings"] for record in dynamics.lstm_puzzle_training(steps=1))
    moved = {s: after[s] - before[s] for s in sliders}
    shares = dynamics.lstm_puzzle_shares(before)
    most = max(sliders, key=lambda s: abs(moved[s]))
    if abs(moved[prediction]) < abs(moved[most]):
        yours = f"by {moved[prediction]:+.4f}" if moved[prediction] else "not at all"
        raise CheckFailed(
            f"training's first step moved {most} most ({moved[most]:+.4f}), {prediction} {yours}. A slider moves in "
            f"proportion to the sum, over the tokens, of its gate's push (−∂L/∂a) times what it multiplies there: "
            f"{_why_it_moves(most, shares)}; {_why_it_moves(prediction, shares)} [lstm.first-mover.{prediction}]"
        )
    runner_up = max((s for s in sliders if s != prediction), key=lambda s: abs(moved[s]))
    passed(
        f"{prediction}: training's first step moved it most ({moved[prediction]:+.4f}; next {runner_up}, "
        f"{moved[runner_up]:+.4f}): {_why_it_moves(prediction, shares)}"
    )


def expect_grads_grouped(got, expected, dims, hints, fn_name, mistakes=(), inputs=()):
    """expect_grads, with the hints that read the same merged into one line naming every gradient they serve
    (a recognised mistake's line stays last)."""
    try:
        expect_grads(got, expected, dims, hints, fn_name=fn_name, mistakes=mistakes, inputs=inputs)
    except CheckFailed as error:
        lines, by_hint = [], {}
        for line in str(error).splitlines():
            name, sep, hint = line.removeprefix("hint for ").partition(": ")
            if line.startswith("hint for ") and sep:
                by_hint.setdefault(hint, []).append(name)
            else:
                lines.append(line)
        grouped = [f"hint for {', '.join(names)}: {hint}" for hint, names in by_hint.items()]
        if lines[-1].startswith("this is what "):
            lines[-1:-1] = grouped
        else:
            lines += grouped
        raise CheckFailed("\n".join(lines)) from None


# The known mistakes of lstm_cell_backward, lstm_backward and dcT_dc0. A cell's mistake is a twisted step: the
# cell with the oracle's gates (each from an nn.LSTMCell) and values, whose autograd gradient is what the
# mistaken backward computes (a path left out is a .detach(), a derivative left out or a route changed is
# differentiated_as); its gives is autograd through it. The shape mistakes change the right gradients; a
# sequence's mistakes walk the right steps the wrong way.


def lstm_gates(x_t, h_prev, c_prev, params):
    """The gates f, i, o and c (the candidate c_tilde), (B, n_h) each, every one read from an nn.LSTMCell with
    the other gates fixed; differentiable in every input."""
    ones, zeros = torch.ones_like(c_prev), torch.zeros_like(c_prev)
    return {
        "f": _step(_fixed(params, i=-SATURATE), x_t, h_prev, ones)[1],  # c_next = f ⊙ 1 + 0
        "i": _step(_fixed(params, c=SATURATE), x_t, h_prev, zeros)[1],  # c_next = 0 + i ⊙ 1
        "c": _step(_fixed(params, i=SATURATE), x_t, h_prev, zeros)[1],  # c_next = 0 + 1 ⊙ c_tilde
        "o": _output_gate(x_t, h_prev, c_prev, params),
    }


def _twisted_step(twist):
    """A step (t, x_t, h_prev, c_prev, params) -> (h_next, c_next): the oracle's values, twist's gradient."""

    def step(t, x_t, h_prev, c_prev, params):
        gates = lstm_gates(x_t, h_prev, c_prev, params)
        hx = torch.cat((h_prev, x_t), 1)
        straight = {"no-sigmoid-derivative": "fio", "no-candidate-tanh-derivative": "c"}.get(twist, "")
        for g in straight:  # the gradient goes straight to the pre-activation: the derivative left out
            gates[g] = differentiated_as(gates[g], nn.functional.linear(hx, params[f"W_{g}"], params[f"b_{g}"]))
        f, i, c_tilde, o = (gates[g] for g in GATES)
        c_next = torch.addcmul(f * c_prev, i, c_tilde)  # f ⊙ c_prev + i ⊙ c_tilde
        if twist == "c-next-for-c-prev":  # df = dc ⊙ c_next
            c_next = differentiated_as(c_next, f * c_next.detach() + f.detach() * c_prev + i * c_tilde)
        if twist == "dc-prev-without-f":  # dc_prev = dc
            c_next = differentiated_as(c_next, f * c_prev.detach() + c_prev + i * c_tilde)
        squashed = torch.tanh(c_next)
        if twist == "no-tanh-derivative-on-c":
            squashed = differentiated_as(squashed, c_next)
        if twist == "dh-not-through-c":
            squashed = squashed.detach()
        return o * squashed, c_next

    return step


def _cell_twist(id_, did, instead):
    """A Mistake of lstm_cell_backward given by autograd through _twisted_step(id_)."""
    step = _twisted_step(id_)
    return Mistake(f"lstm.bw-{id_}", did, instead, lambda *inputs: autograd_cell_grads(*inputs, step=step))


def _cell_changed(id_, did, instead, change):
    """A Mistake of lstm_cell_backward that changes the right gradients: change(grads, alone) gives the changed
    entries; alone holds each example's own gradients (per_example), db_g[b] its da_g[b]."""

    def gives(x_t, h_prev, c_prev, params, dh_next, dc_next):
        grads = autograd_cell_grads(x_t, h_prev, c_prev, params, dh_next, dc_next)
        alone = per_example(
            lambda mask: autograd_cell_grads(x_t, h_prev, c_prev, params, dh_next * mask, dc_next * mask),
            len(x_t),
            x_t.dtype,
        )
        return {**grads, **change(grads, alone)}

    return Mistake(f"lstm.bw-{id_}", did, instead, gives)


def _without_dc_next(x_t, h_prev, c_prev, params, dh_next, dc_next):
    return autograd_cell_grads(x_t, h_prev, c_prev, params, dh_next, torch.zeros_like(dc_next))


CELL_BACKWARD_MISTAKES = (
    _cell_twist(
        "c-next-for-c-prev",
        "df = dc ⊙ c_next (the new cell state)",
        "the forget gate multiplies the old one: df = dc ⊙ c_prev",
    ),
    Mistake(
        "lstm.bw-dc-next-not-added",
        "dc = dh_next ⊙ o ⊙ (1 − tanh²(c_next)) without dc_next",
        "c_next also reaches the next step: dc = dc_next + dh_next ⊙ o ⊙ (1 − tanh²(c_next))",
        _without_dc_next,
    ),
    _cell_twist(
        "dh-not-through-c",
        "dc = dc_next (dh_next's route through c_next left out)",
        "h_next = o ⊙ tanh(c_next): dc = dc_next + dh_next ⊙ o ⊙ (1 − tanh²(c_next))",
    ),
    _cell_twist(
        "no-tanh-derivative-on-c",
        "dc = dc_next + dh_next ⊙ o (tanh's derivative left out)",
        "dc = dc_next + dh_next ⊙ o ⊙ (1 − tanh²(c_next))",
    ),
    _cell_twist(
        "dc-prev-without-f",
        "dc_prev = dc (the forget gate left out)",
        "c_next = f ⊙ c_prev + …, so dc_prev = dc ⊙ f",
    ),
    _cell_twist(
        "no-sigmoid-derivative",
        "leaving out the sigmoid's derivative in the gates",
        "each gate's da_g = dg ⊙ g ⊙ (1 − g), for g = f, i, o",
    ),
    _cell_twist(
        "no-candidate-tanh-derivative",
        "leaving out tanh's derivative in the candidate",
        "da_c = dc_tilde ⊙ (1 − c_tilde²)",
    ),
    _cell_changed(
        "dw-transposed",
        "hx.T @ da (dW transposed)",
        "dW has W's shape (n_h, n_h + n_x): dW_g = da_g.T @ hx",
        lambda grads, alone: {f"dW_{g}": grads[f"dW_{g}"].T for g in GATES},
    ),
    _cell_changed(
        "db-wrong-axis",
        "summing over the hidden axis, da.sum(dim=1)",
        "summed over the wrong axis: db sums over the batch (dim 0), da.sum(dim=0) of shape (n_h,)",
        lambda grads, alone: {f"db_{g}": alone[f"db_{g}"].sum(1) for g in GATES},
    ),
    _cell_changed(
        "db-not-summed",
        "db = da, not summed",
        "db sums da over the batch (dim 0): da.sum(dim=0), of shape (n_h,)",
        lambda grads, alone: {f"db_{g}": alone[f"db_{g}"] for g in GATES},
    ),
)


def _cut_step(carry_h=True, carry_c=True, params_at=None):
    """The oracle's step where h, c are held constant between steps unless carried, and params are held
    constant at every step t where params_at(t) is false."""

    def step(t, x_t, h, c, params):
        h, c = (h if carry_h or t == 0 else h.detach()), (c if carry_c or t == 0 else c.detach())
        if params_at is not None and not params_at(t):
            params = {k: v.detach() for k, v in params.items()}
        return _step(params, x_t, h, c)

    return step


def _sequence_mistake(id_, did, instead, step=None, upstreams=None, change=None):
    """A Mistake of lstm_backward: autograd through step (see _cut_step), with upstreams(dh_seq, dc_last) in
    place of the right ones, its gradients then changed by change(grads)."""

    def gives(x, h0, c0, params, dh_seq, dc_last):
        dh_seq, dc_last = upstreams(dh_seq, dc_last) if upstreams else (dh_seq, dc_last)
        grads = autograd_lstm_grads(x, h0, c0, params, dh_seq, dc_last, step=step)
        return {**grads, **change(grads)} if change else grads

    return Mistake(f"lstm.bptt-{id_}", did, instead, gives)


def _walk(x, h0, c0, params, dh_seq, dc_last, forward=False, carry_dc=True):
    """What a walk of the steps' backwards gives, t = T … 1 (or 1 … T if forward): each gets dh_seq[:, t] + the
    dh_prev of the step walked before it, and that step's dc_prev if carry_dc (else dc_last, never updated)."""
    h_seq, c_seq = torch_lstm_states(x, h0, c0, params)
    h_prevs, c_prevs = torch.cat([h0[:, None], h_seq[:, :-1]], 1), torch.cat([c0[:, None], c_seq[:, :-1]], 1)
    T = x.shape[1]
    dh, dc, dxs, totals = torch.zeros_like(h0), dc_last, [None] * T, dict.fromkeys(PARAM_DIMS, 0)
    for t in range(T) if forward else reversed(range(T)):
        grads = autograd_cell_grads(x[:, t], h_prevs[:, t], c_prevs[:, t], params, dh_seq[:, t] + dh, dc)
        dh, dc = grads["dh_prev"], grads["dc_prev"] if carry_dc else dc
        dxs[t] = grads["dx_t"]
        totals = {name: totals[name] + grads[name] for name in PARAM_DIMS}
    return {"dx": torch.stack(dxs, dim=1), "dh0": dh, "dc0": grads["dc_prev"], **totals}


def _last_output_only(dh_seq, dc_last):
    last = torch.zeros_like(dh_seq)
    last[:, -1] = dh_seq[:, -1]
    return last, dc_last


BACKWARD_MISTAKES = (
    _sequence_mistake(
        "overwritten",
        "dW_*, db_* overwritten at each step (only step t = 1's part is left)",
        "the same W_g and b_g serve every step: add up the T steps' dW_g, db_g",
        step=_cut_step(params_at=lambda t: t == 0),
    ),
    Mistake(
        "lstm.bptt-forward-in-time",
        "walking forward in time, t = 1 … T",
        "backprop walks backward, t = T … 1: step t needs the dh_prev and dc_prev that step t + 1 sends back",
        lambda *inputs: _walk(*inputs, forward=True),
    ),
    Mistake(
        "lstm.bptt-dc-not-carried",
        "dc_next never updated (every step gets dc_last; the dc_prev of step t + 1 dropped)",
        "after each step, dc_next = its dc_prev: the cell state carries gradient back as h does",
        lambda *inputs: _walk(*inputs, carry_dc=False),
    ),
    _sequence_mistake(
        "dh-not-carried",
        "each step's backward fed dh_seq[:, t] alone (the dh_prev of step t + 1 dropped)",
        "the dh reaching step t is dh_seq[:, t] + the dh_prev that step t + 1 sent back",
        step=_cut_step(carry_h=False),
    ),
    _sequence_mistake(
        "dh-seq-forgotten",
        "starting from dh_seq[:, T-1] and passing back only the carried dh",
        "every output sends a gradient: step t's backward gets dh_seq[:, t] + the carried dh",
        upstreams=_last_output_only,
    ),
    _sequence_mistake(
        "dc-last-ignored",
        "starting from dc = 0 when dc_last is given",
        "start the walk from dc = dc_last (zeros only when it is None)",
        upstreams=lambda dh_seq, dc_last: (dh_seq, torch.zeros_like(dc_last)),
    ),
    _sequence_mistake(
        "dx-reversed",
        "dx stacked in the order the backward walked (t = T … 1)",
        "dx[:, t] is step t's dx_t: reverse the list, or fill dx[:, t] at step t",
        change=lambda grads: {"dx": grads["dx"].flip(1)},
    ),
)


def _dcT_mistake(id_, did, instead, J_of):
    """A Mistake of dcT_dc0 whose J is J_of(x, h0, c0, params)."""
    return Mistake(f"lstm.dct-{id_}", did, instead, lambda *inputs: {"J": J_of(*inputs)})


DCT_MISTAKES = (
    _dcT_mistake(
        "transposed",
        "stacking the rows along dim=2",
        "rows and columns are swapped: row k is the dc0 that dc_last = e_k sends back, stacked along dim=1",
        lambda *inputs: autograd_dcT_dc0(*inputs).transpose(1, 2),
    ),
    _dcT_mistake(
        "diagonal-only",
        "keeping only the diagonal",
        "return the whole Jacobian, J[b, k, j] = ∂c_T[b, k]/∂c_0[b, j], not only its diagonal",
        lambda *inputs: torch.diagonal(autograd_dcT_dc0(*inputs), dim1=1, dim2=2),
    ),
    _dcT_mistake(
        "forget-product-only",
        "the forget gates' product alone, diag(f_T ⊙ … ⊙ f_1)",
        "the gates read h_prev, which depends on c_0 too: run lstm_backward, whose dc0 follows every path",
        lambda *inputs: autograd_dcT_dc0(*inputs, through_h=False),
    ),
    _dcT_mistake(
        "dh-seeded",
        "e_k put in dh_seq[:, T-1] instead of dc_last (the rows of ∂h_T/∂c_0)",
        "row k is the dc0 of dc_last = e_k, with dh_seq all zeros",
        lambda *inputs: autograd_dcT_dc0(*inputs, of_h=True),
    ),
    _dcT_mistake(
        "ones-seed",
        "dc_last = ones for every row (each row is the sum of all rows)",
        "row k needs dc_last = e_k: 1 in column k, 0 elsewhere",
        lambda *inputs: autograd_dcT_dc0(*inputs).sum(1, keepdim=True).expand(-1, inputs[2].shape[1], -1),
    ),
)


# Lesson 05: the backward passes. The learner's own forward builds the caches their backward reads.
def learner_forward(forward, args, cell):
    """The cache(s) of the learner's forward on args (lstm_cell_forward if cell, else lstm_forward),
    after making sure its outputs are right: a backward cannot be checked on a wrong cache."""
    if cell:
        name, arg_names, returns, expect = "lstm_cell_forward", CELL_ARGS, CELL_RETURNS, expect_cell_outputs
    else:
        name, arg_names, returns, expect = "lstm_forward", SEQ_ARGS, SEQ_RETURNS, expect_seq_outputs
    try:
        out = run_learner(forward, args, arg_names, returns)
        expect(out, *args)
    except CheckFailed as error:
        raise CheckFailed(f"your {name} (from lesson 04) must be right first — {error}") from None
    return out[returns[-1]]


@chained(lambda: 2)
def cell_backward_matches_autograd(
    lstm_cell_backward, lstm_cell_forward, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0
):
    """Does lstm_cell_backward(dh_next, dc_next, cache) give autograd's eleven gradients? Each is named."""
    x, h0, c0, params = lstm_case(B, n_x, n_h, 1, dtype, seed)
    cache = learner_forward(lstm_cell_forward, (x[:, 0], h0, c0, params), cell=True)
    dh_next, dc_next = upstream(h0, seed), upstream(c0, seed + 1)
    out = run_learner(
        lstm_cell_backward,
        (dh_next, dc_next, cache),
        ("dh_next", "dc_next", "cache"),
        ("grads",),
        guard=no_autograd,
    )
    expected = autograd_cell_grads(x[:, 0], h0, c0, params, dh_next, dc_next)
    mistakes = {"mistakes": CELL_BACKWARD_MISTAKES, "inputs": (x[:, 0], h0, c0, params, dh_next, dc_next)}
    expect_grads_grouped(out["grads"], expected, CELL_DIMS, CELL_HINTS, "lstm_cell_backward", **mistakes)
    passed(f"lstm_cell_backward matches torch.autograd (all 11 gradients) for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def cell_backward_random_cases(lstm_cell_backward, lstm_cell_forward):
    """cell_backward_matches_autograd at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(cell_backward_matches_autograd, lstm_cell_backward, lstm_cell_forward)


@chained(lambda T: 2 * (2 * T + 1))
def backward_matches_autograd(
    lstm_backward, lstm_forward, B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0, dc_last=True
):
    """Does lstm_backward(dh_seq, caches[, dc_last]) give autograd's gradients through all T steps?

    With dc_last=False the check calls lstm_backward(dh_seq, caches): dc_last defaults to None (zeros).
    """
    x, h0, c0, params = lstm_case(B, n_x, n_h, T, dtype, seed)
    caches = learner_forward(lstm_forward, (x, h0, c0, params), cell=False)
    dh_seq = upstream(torch.empty(B, T, n_h, dtype=dtype), seed)
    dc = upstream(c0, seed + 1) if dc_last else torch.zeros_like(c0)
    args, names = (dh_seq, caches, dc), ("dh_seq", "caches", "dc_last")
    if not dc_last:
        args, names = args[:2], names[:2]
    out = run_learner(lstm_backward, args, names, ("grads",), guard=no_autograd)
    expected = autograd_lstm_grads(x, h0, c0, params, dh_seq, dc)
    mistakes = {"mistakes": BACKWARD_MISTAKES, "inputs": (x, h0, c0, params, dh_seq, dc)}
    expect_grads_grouped(out["grads"], expected, SEQ_DIMS, SEQ_HINTS, "lstm_backward", **mistakes)
    with_dc = "with dc_last" if dc_last else "without dc_last"
    passed(f"lstm_backward matches torch.autograd for B={B}, n_x={n_x}, n_h={n_h}, T={T}, {dtype}, {with_dc}")


def backward_random_cases(lstm_backward, lstm_forward):
    """backward_matches_autograd at random sizes (B = 1, T = 1 included), float64 and float32; once without dc_last."""
    on_random_cases(backward_matches_autograd, lstm_backward, lstm_forward, sequence=True)
    backward_matches_autograd(lstm_backward, lstm_forward, B=2, n_x=3, n_h=2, T=5, seed=12, dc_last=False)


def highway_case(B, n_x, n_h, T, dtype, seed, recurrent):
    """lstm_case; when recurrent is False, the weights on h_prev are 0 (the gates then see only x_t)."""
    x, h0, c0, params = lstm_case(B, n_x, n_h, T, dtype, seed)
    if not recurrent:
        params = {
            k: torch.cat([torch.zeros_like(v[:, :n_h]), v[:, n_h:]], 1) if k.startswith("W_") else v
            for k, v in params.items()
        }
    return x, h0, c0, params


@chained(lambda T: 2 * (2 * T + 1))
def dcT_dc0_matches_autograd(
    dcT_dc0, lstm_forward, B=4, n_x=5, n_h=3, T=6, dtype=torch.float64, seed=0, recurrent=True
):
    """Does dcT_dc0(caches) give the Jacobian ∂c_T/∂c_0 (B, n_h, n_h) that torch.autograd gives?

    With recurrent=False the gates ignore h_prev: the Jacobian is then diagonal, the forget gates' product.
    """
    x, h0, c0, params = highway_case(B, n_x, n_h, T, dtype, seed, recurrent)
    caches = learner_forward(lstm_forward, (x, h0, c0, params), cell=False)
    out = run_learner(dcT_dc0, (caches,), ("caches",), ("J",), guard=no_autograd)
    expected = autograd_dcT_dc0(x, h0, c0, params)
    problem = tensor_problem("∂c_T/∂c_0", out["J"], expected, "(B, n_h, n_h)")
    if problem:
        mistake = recognise(out, DCT_MISTAKES, x, h0, c0, params)
        if mistake:
            raise CheckFailed(f"dcT_dc0: {problem}\n{mistake.line()}")
        got = out["J"]
        diagonal = isinstance(got, torch.Tensor) and got.shape == (B, n_h) and n_h > 1
        fail_with_hint(f"dcT_dc0: {problem}", "return the whole Jacobian, not only its diagonal" if diagonal else "")
    kind = "gates reading h_prev" if recurrent else "gates ignoring h_prev: the forget gates' product"
    passed(f"dcT_dc0 matches torch.autograd for B={B}, n_h={n_h}, T={T}, {dtype} ({kind})")


def dcT_dc0_random_cases(dcT_dc0, lstm_forward):
    """dcT_dc0_matches_autograd at random sizes (B = 1 and T = 1 included), with recurrent weights and without."""
    for recurrent in (True, False):
        on_random_cases(dcT_dc0_matches_autograd, dcT_dc0, lstm_forward, sequence=True, recurrent=recurrent)
