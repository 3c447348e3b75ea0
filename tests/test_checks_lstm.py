"""Do the LSTM checks pass a correct learner and fail typical mistakes with the right message?

The correct implementations live here, in the test, never in gatelab; each mistake is a small variant.
"""

import pytest
import torch

from gatelab.checks import lstm as checks
from gatelab.checks.core import CheckFailed, ForbiddenCall

GATES = ("f", "i", "c", "o")


def cell_forward(x_t, h_prev, c_prev, params, order="hx", swap=(), tanh_out=True, inplace=False):
    """The LSTM cell; order, swap, tanh_out and inplace switch on the mistakes the checks should catch."""
    hx = torch.cat([h_prev, x_t] if order == "hx" else [x_t, h_prev], dim=1)
    names = {g: g for g in GATES}
    for a, b in swap:
        names[a], names[b] = names[b], names[a]
    pre = {g: hx @ params[f"W_{names[g]}"].T + params[f"b_{names[g]}"] for g in GATES}
    f, i, o = (torch.sigmoid(pre[g]) for g in "fio")
    c_tilde = torch.tanh(pre["c"])
    if inplace:
        c_prev.mul_(1.0)
        c_prev.add_(0.5)
    c_next = f * c_prev + i * c_tilde
    h_next = o * torch.tanh(c_next) if tanh_out else o * c_next
    cache = {
        "hx": hx,
        "c_prev": c_prev,
        "f": f,
        "i": i,
        "c_tilde": c_tilde,
        "o": o,
        "c_next": c_next,
        "params": params,
    }
    return h_next, c_next, cache


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    return cell_forward(x_t, h_prev, c_prev, params)


def forward(x, h0, c0, params, carry=True, stack_dim=1):
    h, c, hs, cs, caches = h0, c0, [], [], []
    for t in range(x.shape[1]):
        h_next, c_next, cache = lstm_cell_forward(x[:, t], h, c, params)
        if carry:
            h, c = h_next, c_next
        hs.append(h_next)
        cs.append(c_next)
        caches.append(cache)
    return torch.stack(hs, dim=stack_dim), torch.stack(cs, dim=stack_dim), caches


def lstm_forward(x, h0, c0, params):
    return forward(x, h0, c0, params)


def cell_backward(dh_next, dc_next, cache, forget_path=True, tanh_out=True, batch_sum=True, inplace=False):
    """The LSTM cell's backward; the keyword arguments switch on mistakes."""
    f, i, o, c_tilde, c_prev, c_next = (cache[k] for k in ("f", "i", "o", "c_tilde", "c_prev", "c_next"))
    params, hx = cache["params"], cache["hx"]
    n_h = f.shape[1]
    tanh_c = torch.tanh(c_next)
    do = dh_next * tanh_c if tanh_out else dh_next * c_next
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    if inplace:
        dc_next.zero_()
    da = {
        "f": dc * c_prev * f * (1 - f),
        "i": dc * c_tilde * i * (1 - i),
        "c": dc * i * (1 - c_tilde**2),
        "o": do * o * (1 - o),
    }
    dhx = sum(da[g] @ params[f"W_{g}"] for g in GATES)
    grads = {"dx_t": dhx[:, n_h:], "dh_prev": dhx[:, :n_h], "dc_prev": dc * f if forget_path else dc}
    for g in GATES:
        grads[f"dW_{g}"] = da[g].T @ hx
        grads[f"db_{g}"] = da[g].sum(0) if batch_sum else da[g][0]
    return grads


def lstm_cell_backward(dh_next, dc_next, cache):
    return cell_backward(dh_next, dc_next, cache)


def backward(dh_seq, caches, dc_last=None, accumulate=True, use_dc_last=True):
    B, T, n_h = dh_seq.shape
    dh_next = torch.zeros_like(dh_seq[:, 0])
    dc_next = dc_last if dc_last is not None and use_dc_last else torch.zeros_like(dh_next)
    grads, dx = {}, [None] * T
    for t in reversed(range(T)):
        step = lstm_cell_backward(dh_seq[:, t] + dh_next, dc_next, caches[t])
        dx[t], dh_next, dc_next = step["dx_t"], step["dh_prev"], step["dc_prev"]
        for k, v in step.items():
            if k.startswith(("dW", "db")):
                grads[k] = grads[k] + v if k in grads and accumulate else v
    return {"dx": torch.stack(dx, dim=1), "dh0": dh_next, "dc0": dc_next, **grads}


def lstm_backward(dh_seq, caches, dc_last=None):
    return backward(dh_seq, caches, dc_last)


def dcT_dc0(caches, transpose=False, diagonal=False):
    B, n_h = caches[-1]["c_next"].shape
    T = len(caches)
    rows = []
    for k in range(n_h):
        dc_last = torch.zeros(B, n_h, dtype=caches[-1]["c_next"].dtype)
        dc_last[:, k] = 1
        dh_seq = torch.zeros(B, T, n_h, dtype=dc_last.dtype)
        rows.append(lstm_backward(dh_seq, caches, dc_last)["dc0"])
    J = torch.stack(rows, dim=2 if transpose else 1)
    return torch.diagonal(J, dim1=1, dim2=2) if diagonal else J


def fails(check, *args, match, error=CheckFailed):
    """Run a check that must fail, with a message matching the regex match."""
    with pytest.raises(error, match=match):
        check(*args)


# Lesson 04: the forward.


def test_correct_cell_forward_passes_every_check():
    checks.cell_forward_shapes(lstm_cell_forward)
    checks.cell_forward_matches_torch(lstm_cell_forward)
    checks.cell_forward_random_cases(lstm_cell_forward)


@pytest.mark.parametrize(
    ("mistake", "match"),
    [
        ({"swap": [("f", "i")]}, r"swapping the forget and input gates gives: f uses W_f, b_f; i uses W_i, b_i"),
        ({"swap": [("i", "o")]}, "swapping the input and output gates"),
        ({"swap": [("f", "o")]}, "swapping the forget and output gates"),
        ({"order": "xh"}, r"this is what \[x_t, h_prev\] order gives: the course concatenates \[h_prev, x_t\]"),
        ({"tanh_out": False}, r"h_next: max error .*\nthis is what h_next = o ⊙ c_next \(no tanh\) gives"),
        ({"inplace": True}, r"(changed its input c_prev|input c_prev was changed) in place"),
    ],
)
def test_cell_forward_mistakes_are_named(mistake, match):
    def wrong(x_t, h_prev, c_prev, params):
        return cell_forward(x_t, h_prev, c_prev, params, **mistake)

    with pytest.raises(CheckFailed, match=f"(?s){match}"):
        checks.cell_forward_matches_torch(wrong)


def test_cell_forward_transposed_weight_says_where():
    def wrong(x_t, h_prev, c_prev, params):
        hx = torch.cat([h_prev, x_t], dim=1)
        return hx @ params["W_f"], c_prev, None

    fails(checks.cell_forward_matches_torch, wrong, match=r"raised RuntimeError.*\(line \d+: return hx @ params")


def test_cell_forward_bad_returns_are_described():
    fails(checks.cell_forward_shapes, lambda x_t, h, c, p: None, match=r"should return 3 values .*returned None")
    fails(checks.cell_forward_shapes, lambda x_t, h, c, p: (h, c), match=r"returned a tuple of 2 items")
    fails(checks.cell_forward_shapes, lambda x_t, h, c, p: (h.T, c, {}), match=r"h_next: expected shape")


def test_cell_forward_unimplemented_fails():
    def stub(x_t, h_prev, c_prev, params):
        raise NotImplementedError()

    fails(checks.cell_forward_shapes, stub, match="not implemented yet")
    fails(checks.cell_forward_random_cases, stub, match="not implemented yet")


def test_cell_forward_calling_torch_lstm_is_refused():
    def cheat(x_t, h_prev, c_prev, params):
        cell = torch.nn.LSTMCell(x_t.shape[1], h_prev.shape[1], dtype=x_t.dtype)
        h, c = cell(x_t, (h_prev, c_prev))
        return h, c, None

    def vf_cheat(x_t, h_prev, c_prev, params):
        W = torch.zeros(4 * h_prev.shape[1], x_t.shape[1], dtype=x_t.dtype)
        U = torch.zeros(4 * h_prev.shape[1], h_prev.shape[1], dtype=x_t.dtype)
        h, c = torch._VF.lstm_cell(x_t, (h_prev, c_prev), W, U)
        return h, c, None

    fails(checks.cell_forward_random_cases, cheat, match="LSTMCell.forward", error=ForbiddenCall)
    fails(checks.cell_forward_matches_torch, vf_cheat, match="lstm_cell", error=ForbiddenCall)


def test_correct_forward_passes_every_check():
    checks.forward_matches_torch(lstm_forward)
    checks.forward_random_cases(lstm_forward)


def test_forward_mistakes_are_named():
    fails(
        checks.forward_matches_torch,
        lambda x, h0, c0, p: forward(x, h0, c0, p, carry=False),
        match="(?s)this is what starting every step from h0 and c0 gives: feed each step's h_next and c_next",
    )
    fails(
        checks.forward_matches_torch,
        lambda x, h0, c0, p: forward(x, h0, c0, p, stack_dim=0),
        match="(?s)expected shape.*batch first",
    )
    fails(
        checks.forward_matches_torch,
        lambda x, h0, c0, p: (*forward(x, h0, c0, p)[:2], None),
        match="caches should be a list of the T = 6 cell caches",
    )


# Lesson 05: the backward.


def test_correct_cell_backward_passes_every_check():
    checks.cell_backward_matches_autograd(lstm_cell_backward, lstm_cell_forward)
    checks.cell_backward_random_cases(lstm_cell_backward, lstm_cell_forward)


@pytest.mark.parametrize(
    ("mistake", "match"),
    [
        (
            {"forget_path": False},
            r"dc_prev: max error .*right: dx_t, dh_prev, dW_f.*hint for dc_prev: along the cell",
        ),
        ({"tanh_out": False}, r"dW_o: max error .*hint for dW_o: h_next = o ⊙ tanh"),
        ({"batch_sum": False}, r"db_f: .*hint for db_f: sum .* over the batch"),
        ({"inplace": True}, r"(changed its input dc_next|input dc_next was changed) in place"),
    ],
)
def test_cell_backward_mistakes_are_named(mistake, match):
    def wrong(dh_next, dc_next, cache):
        return cell_backward(dh_next, dc_next, cache, **mistake)

    with pytest.raises(CheckFailed, match=f"(?s){match}"):
        checks.cell_backward_matches_autograd(wrong, lstm_cell_forward)


def test_cell_backward_refuses_autograd_and_bad_returns():
    def cheat(dh_next, dc_next, cache):
        torch.autograd.grad(cache["c_next"].sum(), cache["c_prev"])

    fails(checks.cell_backward_matches_autograd, cheat, lstm_cell_forward, match="autograd", error=ForbiddenCall)
    fails(
        checks.cell_backward_matches_autograd,
        lambda dh, dc, cache: None,
        lstm_cell_forward,
        match="should return a dict with keys",
    )

    def missing(dh_next, dc_next, cache):
        grads = lstm_cell_backward(dh_next, dc_next, cache)
        del grads["dc_prev"]
        return grads

    fails(checks.cell_backward_matches_autograd, missing, lstm_cell_forward, match="missing: dc_prev")


def test_cell_backward_needs_a_right_forward():
    def wrong_forward(x_t, h_prev, c_prev, params):
        return cell_forward(x_t, h_prev, c_prev, params, swap=[("f", "i")])

    fails(
        checks.cell_backward_matches_autograd,
        lstm_cell_backward,
        wrong_forward,
        match="(?s)your lstm_cell_forward \\(from lesson 04\\) must be right first.*\\[lstm.f-i-swapped\\]",
    )

    def stub(*args):
        raise NotImplementedError()

    fails(checks.cell_backward_matches_autograd, stub, lstm_cell_forward, match="stub is not implemented yet")
    fails(
        checks.cell_backward_matches_autograd,
        lstm_cell_backward,
        stub,
        match="(?s)must be right first.*stub is not implemented yet",
    )


def test_correct_backward_passes_every_check():
    checks.backward_matches_autograd(lstm_backward, lstm_forward)
    checks.backward_random_cases(lstm_backward, lstm_forward)


def test_backward_mistakes_are_named():
    fails(
        checks.backward_matches_autograd,
        lambda dh, caches, dc=None: backward(dh, caches, dc, accumulate=False),
        lstm_forward,
        match="(?s)right: dx, dh0, dc0\nhint for dW_f, db_f, dW_i, db_i, dW_c, db_c, dW_o, db_o: the same W_g and b_g",
    )
    fails(
        checks.backward_matches_autograd,
        lambda dh, caches, dc=None: backward(dh, caches, dc, use_dc_last=False),
        lstm_forward,
        match="(?s)dc0: max error.*hint for dc0: walk",
    )

    def two_args_only(dh_seq, caches):
        return lstm_backward(dh_seq, caches)

    fails(checks.backward_matches_autograd, two_args_only, lstm_forward, match="raised TypeError")
    checks.backward_matches_autograd(two_args_only, lstm_forward, dc_last=False)


def test_correct_dcT_dc0_passes_and_mistakes_are_named():
    checks.dcT_dc0_matches_autograd(dcT_dc0, lstm_forward)
    checks.dcT_dc0_random_cases(dcT_dc0, lstm_forward)
    fails(
        checks.dcT_dc0_matches_autograd,
        lambda caches: dcT_dc0(caches, diagonal=True),
        lstm_forward,
        match="not only its diagonal",
    )
    fails(
        checks.dcT_dc0_matches_autograd,
        lambda caches: dcT_dc0(caches, transpose=True),
        lstm_forward,
        match="rows and columns are swapped",
    )

    def cheat(caches):
        torch.autograd.grad(caches[-1]["c_next"].sum(), caches[0]["c_prev"])

    fails(checks.dcT_dc0_matches_autograd, cheat, lstm_forward, match="autograd", error=ForbiddenCall)


def test_highway_case_without_recurrence_is_the_forget_product():
    """With the weights on h_prev at 0, is autograd's ∂c_T/∂c_0 the diagonal product of the forget gates?"""
    x, h0, c0, params = checks.highway_case(2, 3, 4, 7, torch.float64, 0, recurrent=False)
    forgets = [torch.sigmoid(x[:, t] @ params["W_f"][:, 4:].T + params["b_f"]) for t in range(7)]
    expected = torch.diag_embed(torch.stack(forgets).prod(0))
    torch.testing.assert_close(checks.autograd_dcT_dc0(x, h0, c0, params), expected, rtol=0, atol=1e-12)


# Lesson 04: the memory puzzle.
SOLVED = {"f_noun": -4.0, "f_verb": 0.0, "b_f": 4.0, "i_noun": 8.0, "b_i": -4.0, "c_number": 3.0, "b_o": 2.0}


def test_memory_puzzle_accepts_a_solution_and_fills_unmoved_sliders():
    checks.memory_puzzle_solved(SOLVED)
    checks.memory_puzzle_solved({k: v for k, v in SOLVED.items() if k != "f_noun"})


def test_memory_puzzle_refuses_the_start_and_a_leaking_memory():
    fails(checks.memory_puzzle_solved, {}, match="not solved yet: .*c = ")
    fails(checks.memory_puzzle_solved, SOLVED | {"b_f": 0.0}, match="not solved yet: .*the cell forgets")
    fails(checks.memory_puzzle_solved, SOLVED | {"b_o": -6.0}, match="not solved yet: .*output gate")


def test_memory_puzzle_describes_bad_answers():
    fails(checks.memory_puzzle_solved, None, match="should be a dict of slider values, got None")
    fails(checks.memory_puzzle_solved, SOLVED | {"o_verb": 3.0}, match=r"unknown slider name\(s\) \['o_verb'\]")
    fails(checks.memory_puzzle_solved, SOLVED | {"b_f": "4"}, match="b_f are not")
