"""Checks for lessons 04 and 05: the LSTM cell, its sequence, their backward passes, the gradient highway.

B batch, n_x input features, n_h hidden units, T time steps. Params W_f, W_i, W_c, W_o (n_h, n_h + n_x)
act on [h_prev, x_t]; b_* are (n_h,). The oracle is torch.nn.LSTMCell on our params (through
gatelab.interop.torch_step) for the forward, and torch.autograd through it, in float64, for the backward.
A learner's cache is theirs to design: backward checks build it with the learner's own forward.
"""

import torch

from gatelab import dynamics, interop
from gatelab.checks.core import (
    CheckFailed,
    describe,
    expect_grads,
    no_autograd,
    on_random_cases,
    passed,
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


def autograd_lstm_grads(x, h0, c0, params, dh_seq, dc_last):
    """Gradients of sum(dh_seq ⊙ h_seq) + sum(dc_last ⊙ c_T) by torch.autograd through nn.LSTMCell.

    Returns dx (B, T, n_x), dh0, dc0 (B, n_h) and dW_* (n_h, n_h + n_x), db_* (n_h,).
    """
    inputs = with_leaves({"x": x, "h0": h0, "c0": c0})
    leaves = with_leaves(params)
    h, c, loss = inputs["h0"], inputs["c0"], 0
    for t in range(x.shape[1]):
        h, c = interop.torch_step("lstm", leaves, inputs["x"][:, t], h, c)
        loss = loss + (dh_seq[:, t] * h).sum()
    loss = loss + (dc_last * c).sum()
    names = [*inputs, *leaves]
    grads = torch.autograd.grad(loss, [*inputs.values(), *leaves.values()])
    return {f"d{name}": grad.detach() for name, grad in zip(names, grads, strict=True)}


def autograd_cell_grads(x_t, h_prev, c_prev, params, dh_next, dc_next):
    """dx_t, dh_prev, dc_prev and dW_*, db_* of sum(dh_next ⊙ h_next) + sum(dc_next ⊙ c_next), by autograd."""
    grads = autograd_lstm_grads(x_t[:, None], h_prev, c_prev, params, dh_next[:, None], dc_next)
    renamed = {"dx": "dx_t", "dh0": "dh_prev", "dc0": "dc_prev"}
    out = {renamed.get(k, k): v for k, v in grads.items()}
    out["dx_t"] = out["dx_t"][:, 0]
    return {k: out[k] for k in CELL_DIMS}


def autograd_dcT_dc0(x, h0, c0, params):
    """(B, n_h, n_h): the Jacobian ∂c_T/∂c_0 of each batch element, J[b, k, j] = ∂c_T[b, k]/∂c_0[b, j]."""
    c0 = c0.detach().clone().requires_grad_(True)
    h, c = h0, c0
    for t in range(x.shape[1]):
        h, c = interop.torch_step("lstm", params, x[:, t], h, c)
    rows = [torch.autograd.grad(c[:, k].sum(), c0, retain_graph=True)[0] for k in range(c.shape[1])]
    return torch.stack(rows, dim=1).detach()


# Mistakes the oracle can recognise: params rewritten so that torch computes what the mistake computes.
def _swap(params, a, b):
    out = dict(params)
    out[f"W_{a}"], out[f"W_{b}"] = params[f"W_{b}"], params[f"W_{a}"]
    out[f"b_{a}"], out[f"b_{b}"] = params[f"b_{b}"], params[f"b_{a}"]
    return out


def forward_mistake(x_t, h_prev, c_prev, params, h_next, c_next):
    """A hint naming the mistake that explains a wrong (h_next, c_next), or '' when none is recognised."""
    n_x = x_t.shape[1]
    suspects = [
        (
            "you concatenated [x_t, h_prev]; the course's order is [h_prev, x_t] (cat([h_prev, x_t], dim=1))",
            x_first(params, n_x),
        ),
        (
            "you swapped the forget and input gates (f uses W_f, b_f; i uses W_i, b_i)",
            _swap(params, "f", "i"),
        ),
        (
            "you swapped the forget and output gates (f uses W_f, b_f; o uses W_o, b_o)",
            _swap(params, "f", "o"),
        ),
        (
            "you swapped the input and output gates (i uses W_i, b_i; o uses W_o, b_o)",
            _swap(params, "i", "o"),
        ),
    ]
    for message, wrong_params in suspects:
        with torch.no_grad():
            h, c = interop.torch_step("lstm", wrong_params, x_t, h_prev, c_prev)
        if tensor_problem("h", h_next, h) is None and tensor_problem("c", c_next, c) is None:
            return message
    if tensor_problem("c", c_next, torch_lstm_states(x_t[:, None], h_prev, c_prev, params)[1][:, 0]) is None:
        return "c_next is right, so look at the output gate: h_next = o ⊙ tanh(c_next)"
    return ""


def fail_with_hint(problem, hint):
    """Raise CheckFailed with problem, followed by the hint when there is one."""
    raise CheckFailed(f"{problem}\nhint: {hint}" if hint else problem)


def expect_cell_outputs(out, x_t, h_prev, c_prev, params, fn_name="lstm_cell_forward"):
    """Raise CheckFailed unless out's h_next and c_next are what nn.LSTMCell computes; hint at the mistake."""
    h_seq, c_seq = torch_lstm_states(x_t[:, None], h_prev, c_prev, params)
    for name, expected in (("c_next", c_seq[:, 0]), ("h_next", h_seq[:, 0])):
        problem = tensor_problem(name, out[name], expected, "(B, n_h)")
        if problem:
            hint = forward_mistake(x_t, h_prev, c_prev, params, out["h_next"], out["c_next"])
            fail_with_hint(f"{fn_name}: {problem}", hint)


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
    for name, expected in (("h_seq", h_seq), ("c_seq", c_seq)):
        got = out[name]
        problem = tensor_problem(name, got, expected, "(B, T, n_h)")
        if not problem:
            continue
        hint = ""
        if isinstance(got, torch.Tensor) and got.shape == (T, B, n_h) and (B, T) != (T, B):
            hint = "stack the states along dim=1: the course is batch first, (B, T, n_h)"
        elif isinstance(got, torch.Tensor) and got.shape == expected.shape and T > 1:
            first_ok = tensor_problem(name, got[:, :1], expected[:, :1]) is None
            if first_ok:
                hint = (
                    "step 1 is right and later steps are not: feed each step's h_next and c_next to the next "
                    "step as h_prev and c_prev"
                )
        fail_with_hint(f"{fn_name}: {problem}", hint)
    caches = out["caches"]
    if not isinstance(caches, (list, tuple)) or len(caches) != T:
        raise CheckFailed(f"{fn_name}: caches should be a list of the T = {T} cell caches; got {describe(caches)}")


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


def expect_grads_grouped(got, expected, dims, hints, fn_name):
    """expect_grads, with the hints that read the same merged into one line naming every gradient they serve."""
    try:
        expect_grads(got, expected, dims, hints, fn_name=fn_name)
    except CheckFailed as error:
        lines, by_hint = [], {}
        for line in str(error).splitlines():
            name, sep, hint = line.removeprefix("hint for ").partition(": ")
            if line.startswith("hint for ") and sep:
                by_hint.setdefault(hint, []).append(name)
            else:
                lines.append(line)
        lines += [f"hint for {', '.join(names)}: {hint}" for hint, names in by_hint.items()]
        raise CheckFailed("\n".join(lines)) from None


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
    expect_grads_grouped(out["grads"], expected, CELL_DIMS, CELL_HINTS, fn_name="lstm_cell_backward")
    passed(f"lstm_cell_backward matches torch.autograd (all 11 gradients) for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def cell_backward_random_cases(lstm_cell_backward, lstm_cell_forward):
    """cell_backward_matches_autograd at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(cell_backward_matches_autograd, lstm_cell_backward, lstm_cell_forward)


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
    expect_grads_grouped(out["grads"], expected, SEQ_DIMS, SEQ_HINTS, fn_name="lstm_backward")
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
        hint = ""
        got = out["J"]
        if isinstance(got, torch.Tensor) and got.shape == (B, n_h) and n_h > 1:
            hint = "return the whole Jacobian, J[b, k, j] = ∂c_T[b, k]/∂c_0[b, j], not only its diagonal"
        elif isinstance(got, torch.Tensor) and got.shape == expected.shape and n_h > 1:
            if tensor_problem("J", got.transpose(1, 2), expected) is None:
                hint = "rows and columns are swapped: row k is the dc0 that dc_last = e_k sends back"
        fail_with_hint(f"dcT_dc0: {problem}", hint)
    kind = "gates reading h_prev" if recurrent else "gates ignoring h_prev: the forget gates' product"
    passed(f"dcT_dc0 matches torch.autograd for B={B}, n_h={n_h}, T={T}, {dtype} ({kind})")


def dcT_dc0_random_cases(dcT_dc0, lstm_forward):
    """dcT_dc0_matches_autograd at random sizes (B = 1 and T = 1 included), with recurrent weights and without."""
    for recurrent in (True, False):
        on_random_cases(dcT_dc0_matches_autograd, dcT_dc0, lstm_forward, sequence=True, recurrent=recurrent)
