"""Do the converters between our params dicts and torch's cells round-trip exactly and compute the same function?"""

import pytest
import torch
from torch import nn

from gatelab import interop

B, D, H = 3, 4, 5


def reference_step(kind, params, x, h, c=None):
    """The course's equations (COURSE.md §3) written out, independent of interop, for comparison."""
    hx = torch.cat([h, x], dim=1)

    def lin(g, inp=hx):
        return inp @ params[f"W_{g}"].T + params[f"b_{g}"]

    if kind == "rnn":
        return torch.tanh(lin("h"))
    if kind == "lstm":
        f, i, o = (torch.sigmoid(lin(g)) for g in "fio")
        c_next = f * c + i * torch.tanh(lin("c"))
        return o * torch.tanh(c_next), c_next
    # torch's reset-after GRU in our layout and update direction (gru_params_to_torch)
    z, r = torch.sigmoid(lin("z")), torch.sigmoid(lin("r"))
    W_hh, W_hx = interop.split_hx(params["W_h"], H)
    n = torch.tanh(x @ W_hx.T + params["b_h"] + r * (h @ W_hh.T + params.get("b_hn", 0)))
    return z * n + (1 - z) * h


CELLS = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}


def convert(kind, direction):
    return getattr(interop, f"{kind}_params_{direction}_torch")


def state(kind, g):
    h = torch.randn(B, H, dtype=torch.float64, generator=g)
    return (h, torch.randn(B, H, dtype=torch.float64, generator=g)) if kind == "lstm" else h


@pytest.mark.parametrize("kind", CELLS)
def test_torch_cell_to_params_and_back_is_the_identity(kind, rng):
    torch.manual_seed(0)
    cell = CELLS[kind](D, H, dtype=torch.float64)
    params = convert(kind, "from")(cell)
    again = convert(kind, "from")(convert(kind, "to")(params))
    assert sorted(again) == sorted(params)
    for key in params:
        assert torch.equal(again[key], params[key]), key


@pytest.mark.parametrize("kind", CELLS)
def test_params_from_a_torch_cell_compute_what_the_cell_computes(kind, rng):
    torch.manual_seed(1)
    cell = CELLS[kind](D, H, dtype=torch.float64)
    params = convert(kind, "from")(cell)
    x, s = torch.randn(B, D, dtype=torch.float64, generator=rng), state(kind, rng)
    ours = reference_step(kind, params, x, *(s if kind == "lstm" else (s,)))
    theirs = cell(x, s)
    for a, b in zip(ours if kind == "lstm" else [ours], theirs if kind == "lstm" else [theirs], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", CELLS)
def test_torch_step_equals_the_course_equations_and_is_differentiable(kind, rng):
    params = {k: v.requires_grad_() for k, v in interop.random_params(kind, D, H, generator=rng).items()}
    x, s = torch.randn(B, D, dtype=torch.float64, generator=rng), state(kind, rng)
    args = s if kind == "lstm" else (s,)
    out = interop.torch_step(kind, params, x, *args)
    ref = reference_step(kind, params, x, *args)
    for a, b in zip(out if kind == "lstm" else [out], ref if kind == "lstm" else [ref], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)
    (out[0] if kind == "lstm" else out).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for k, p in params.items()), (
        "autograd reaches every weight"
    )


def test_gru_bias_inside_the_reset_round_trips(rng):
    params = interop.random_params("gru", D, H, generator=rng)
    params["b_hn"] = torch.randn(H, dtype=torch.float64, generator=rng)
    cell = interop.gru_params_to_torch(params)
    x, h = torch.randn(B, D, dtype=torch.float64, generator=rng), state("gru", rng)
    torch.testing.assert_close(cell(x, h), reference_step("gru", params, x, h), rtol=0, atol=1e-14)
    back = interop.gru_params_from_torch(cell)
    assert all(torch.equal(back[k], params[k]) for k in params)


def test_update_gate_direction_is_relabelled_not_copied(rng):
    """torch's z weights the old state; ours takes the candidate: W_z must be negated on the way."""
    params = interop.random_params("gru", D, H, generator=rng)
    cell = interop.gru_params_to_torch(params)
    torch_z_rows = torch.cat([cell.weight_hh, cell.weight_ih], dim=1)[H : 2 * H]
    assert torch.equal(torch_z_rows, -params["W_z"])


def test_random_params_have_the_course_shapes(rng):
    params = interop.random_params("lstm", n_x=4, n_h=3, generator=rng)
    assert sorted(params) == ["W_c", "W_f", "W_i", "W_o", "b_c", "b_f", "b_i", "b_o"]
    assert params["W_f"].shape == (3, 7) and params["b_f"].shape == (3,)


def test_a_relu_rnn_cell_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="tanh"):
        interop.rnn_params_from_torch(nn.RNNCell(2, 3, nonlinearity="relu"))
