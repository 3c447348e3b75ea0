"""Tests for gatelab.checks.gru: is the oracle the course's GRU, and does each check accept a correct
implementation and reject the typical mistakes with the message a learner needs?

The correct implementations below live here, in the test file, never in gatelab.
"""

import types

import pytest
import torch

from gatelab import dynamics, interop
from gatelab.checks import CheckFailed, ForbiddenCall
from gatelab.checks import gru as checks

# ---------------------------------------------------------------- an independent reference


def gru_cell_forward(x_t, h_prev, params):
    """The course's GRU, written from the equations of COURSE.md §3."""
    hx = torch.cat([h_prev, x_t], dim=1)
    z = torch.sigmoid(hx @ params["W_z"].T + params["b_z"])
    r = torch.sigmoid(hx @ params["W_r"].T + params["b_r"])
    h_tilde = torch.tanh(torch.cat([r * h_prev, x_t], dim=1) @ params["W_h"].T + params["b_h"])
    return z * h_tilde + (1 - z) * h_prev, (x_t, h_prev, z, r, h_tilde, params)


def gru_forward(x, h0, params):
    h, states, caches = h0, [], []
    for t in range(x.shape[1]):
        h, cache = gru_cell_forward(x[:, t], h, params)
        states.append(h)
        caches.append(cache)
    return torch.stack(states, dim=1), caches


def gru_cell_forward_reset_after(x_t, h_prev, params):
    n_h = h_prev.shape[1]
    hx = torch.cat([h_prev, x_t], dim=1)
    z = torch.sigmoid(hx @ params["W_z"].T + params["b_z"])
    r = torch.sigmoid(hx @ params["W_r"].T + params["b_r"])
    W_hh, W_hx = params["W_h"][:, :n_h], params["W_h"][:, n_h:]
    n = torch.tanh(x_t @ W_hx.T + params["b_h"] + r * (h_prev @ W_hh.T + params["b_hn"]))
    return z * n + (1 - z) * h_prev, None


def gru_cell_backward(dh_next, cache, concat_for_dW_z=None):
    x_t, h_prev, z, r, h_tilde, params = cache
    n_h = h_prev.shape[1]
    hx = torch.cat([h_prev, x_t], dim=1)
    da_h = dh_next * z * (1 - h_tilde**2)
    ds = da_h @ params["W_h"]
    da_z = dh_next * (h_tilde - h_prev) * z * (1 - z)
    da_r = ds[:, :n_h] * h_prev * r * (1 - r)
    dhx = da_z @ params["W_z"] + da_r @ params["W_r"]
    concat = hx if concat_for_dW_z is None else concat_for_dW_z(h_prev, x_t)
    return {
        "dx_t": ds[:, n_h:] + dhx[:, n_h:],
        "dh_prev": dh_next * (1 - z) + ds[:, :n_h] * r + dhx[:, :n_h],
        "dW_z": da_z.T @ concat,
        "db_z": da_z.sum(0),
        "dW_r": da_r.T @ hx,
        "db_r": da_r.sum(0),
        "dW_h": da_h.T @ torch.cat([r * h_prev, x_t], dim=1),
        "db_h": da_h.sum(0),
    }


def gru_backward(dh_seq, caches, carry=True):
    dh, dx, total = torch.zeros_like(dh_seq[:, 0]), [], {}
    for t in reversed(range(dh_seq.shape[1])):
        grads = gru_cell_backward(dh_seq[:, t] + dh, caches[t])
        dh = grads["dh_prev"] if carry else torch.zeros_like(dh)
        dx.append(grads["dx_t"])
        for name in checks.GRAD_NAMES:
            total[name] = total.get(name, 0) + grads[name]
    return {"dx": torch.stack(dx[::-1], dim=1), "dh0": grads["dh_prev"], **total}


# ---------------------------------------------------------------- the oracle


@pytest.mark.parametrize("B, n_x, n_h", [(4, 5, 3), (1, 1, 1), (2, 3, 7)])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_oracle_is_the_course_gru(B, n_x, n_h, dtype):
    """Does the oracle built from nn.GRUCell compute the reference GRU, gates included?"""
    x, h0, params = checks.gru_case(B, n_x, n_h, 1, dtype, seed=3)
    parts = checks.gru_oracle_parts(x[:, 0], h0, params)
    h_next, (_, _, z, r, h_tilde, _) = gru_cell_forward(x[:, 0], h0, params)
    tol = 1e-12 if dtype == torch.float64 else 1e-6
    for got, want in [(parts["z"], z), (parts["r_h"], r * h0), (parts["h_tilde"], h_tilde), (parts["h_next"], h_next)]:
        assert (got - want).abs().max() < tol


def test_oracle_gradients_are_the_course_gru_gradients():
    """Is autograd through the oracle autograd through the reference, for every input and parameter?"""
    x, h0, params = checks.gru_case(3, 4, 5, 4, seed=4)
    dh_seq = torch.randn(3, 4, 5, dtype=torch.float64)
    by_oracle = checks.autograd_grads(checks.gru_oracle_states, {"dx": x, "dh0": h0}, params, dh_seq)
    by_reference = checks.autograd_grads(lambda *a: gru_forward(*a)[0], {"dx": x, "dh0": h0}, params, dh_seq)
    for name, g in by_reference.items():
        assert (by_oracle[name] - g).abs().max() < 1e-12, name


def test_reset_after_reference_is_torch_grucell():
    """Is the reference reset-after GRU what interop.torch_step (nn.GRUCell) computes?"""
    x, h0, params = checks.gru_case(3, 4, 5, 1, seed=5, reset_after=True)
    expected = interop.torch_step("gru", params, x[:, 0], h0)
    assert (gru_cell_forward_reset_after(x[:, 0], h0, params)[0] - expected).abs().max() < 1e-12


# ---------------------------------------------------------------- correct implementations pass


def test_correct_implementations_pass_every_check():
    checks.cell_forward_shapes(gru_cell_forward)
    checks.cell_forward_values(gru_cell_forward)
    checks.cell_forward_random_cases(gru_cell_forward)
    checks.forward_values(gru_forward)
    checks.forward_random_cases(gru_forward)
    checks.reset_after_values(gru_cell_forward_reset_after)
    checks.reset_after_random_cases(gru_cell_forward_reset_after)
    checks.cell_backward_grads(gru_cell_backward, gru_cell_forward)
    checks.cell_backward_random_cases(gru_cell_backward, gru_cell_forward)
    checks.backward_grads(gru_backward, gru_cell_forward)
    checks.backward_random_cases(gru_backward, gru_cell_forward)


# ---------------------------------------------------------------- forward mistakes


def fails(check, *fns, match):
    """Run check(*fns), expect CheckFailed, return its message after checking it contains match."""
    with pytest.raises(CheckFailed) as info:
        check(*fns)
    assert match in str(info.value), str(info.value)
    return str(info.value)


def gru_variant(update_swapped=False, gates_swapped=False, no_reset=False, xh=False):
    """The reference GRU with one typical mistake switched on."""

    def forward(x_t, h_prev, params):
        cat = (lambda h, x: torch.cat([x, h], dim=1)) if xh else (lambda h, x: torch.cat([h, x], dim=1))
        W_z, b_z, W_r, b_r = (params[k] for k in ("W_z", "b_z", "W_r", "b_r"))
        if gates_swapped:
            W_z, b_z, W_r, b_r = W_r, b_r, W_z, b_z
        z = torch.sigmoid(cat(h_prev, x_t) @ W_z.T + b_z)
        r = torch.sigmoid(cat(h_prev, x_t) @ W_r.T + b_r)
        h_tilde = torch.tanh(cat(h_prev if no_reset else r * h_prev, x_t) @ params["W_h"].T + params["b_h"])
        h_next = z * h_prev + (1 - z) * h_tilde if update_swapped else z * h_tilde + (1 - z) * h_prev
        return h_next, None

    return forward


@pytest.mark.parametrize(
    "mistake, match",
    [
        ({"update_swapped": True}, "z and 1 - z swapped) gives: in this course z = 1 takes the new candidate"),
        ({"gates_swapped": True}, "update gate and the reset gate swapped"),
        ({"no_reset": True}, "reset gate left out"),
        ({"xh": True}, "concatenation in the wrong order"),
    ],
)
def test_forward_mistakes_are_named(mistake, match):
    message = fails(checks.cell_forward_values, gru_variant(**mistake), match=match)
    assert message.startswith("h_next: max error")
    assert message.splitlines()[1].startswith("this is what ") and message.endswith("]")


def test_forward_reset_after_instead_of_before_is_named():
    def reset_after(x, h, p):
        return gru_cell_forward_reset_after(x, h, {**p, "b_hn": 0 * p["b_h"]})

    fails(checks.cell_forward_values, reset_after, match="reset applied after the matrix product")


def test_transposed_weight_is_reported_with_the_line():
    def transposed(x_t, h_prev, params):
        return torch.sigmoid(torch.cat([h_prev, x_t], dim=1) @ params["W_z"] + params["b_z"]), None

    fails(
        checks.cell_forward_values,
        transposed,
        match="transposed raised RuntimeError: mat1 and mat2 shapes cannot be multiplied",
    )


def test_calling_torch_grucell_is_refused():
    def uses_torch(x_t, h_prev, params):
        return interop.gru_params_to_torch(params)(x_t, h_prev), None

    uses_torch.__name__ = "gru_cell_forward"
    with pytest.raises(ForbiddenCall, match="gru_cell_forward called GRUCell.forward"):
        checks.cell_forward_values(uses_torch)


def test_calling_torch_vf_gru_cell_is_refused():
    def uses_vf(x_t, h_prev, params):
        w = interop.gru_torch_weights(params)
        h_next = torch._VF.gru_cell(x_t, h_prev, w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
        return h_next, None

    with pytest.raises(ForbiddenCall, match="gru_cell"):
        checks.reset_after_values(uses_vf)


def test_in_place_change_of_params_is_named():
    def in_place(x_t, h_prev, params):
        out = gru_cell_forward(x_t, h_prev, params)
        params["b_z"].add_(1.0)
        return out

    fails(checks.cell_forward_values, in_place, match="changed its input params['b_z'] in place")


def test_in_place_change_of_h_prev_is_named():
    def in_place(x_t, h_prev, params):
        h_next, cache = gru_cell_forward(x_t, h_prev, params)
        h_prev *= 0
        return h_next, cache

    fails(checks.cell_forward_values, in_place, match="changed its input h_prev in place")


def test_returning_none_or_a_wrong_tuple_is_described():
    fails(checks.cell_forward_shapes, lambda x, h, p: None, match="should return 2 values (h_next, cache)")
    fails(checks.cell_forward_values, lambda x, h, p: (h, h, h), match="it returned a tuple of 3 items")
    fails(checks.forward_values, lambda x, h, p: gru_forward(x, h, p)[0], match="should return 2 values")


def test_not_implemented_is_not_a_pass():
    def stub(*args):
        raise NotImplementedError()

    for check in (
        checks.cell_forward_shapes,
        checks.cell_forward_values,
        checks.cell_forward_random_cases,
        checks.forward_values,
        checks.forward_random_cases,
        checks.reset_after_values,
        checks.reset_after_random_cases,
    ):
        fails(check, stub, match="is not implemented yet")
    for check in (
        checks.cell_backward_grads,
        checks.cell_backward_random_cases,
        checks.backward_grads,
        checks.backward_random_cases,
    ):
        fails(check, stub, gru_cell_forward, match="is not implemented yet")
        fails(
            check, gru_cell_backward if "cell" in check.__name__ else gru_backward, stub, match="is not implemented yet"
        )


def test_sequence_that_restarts_from_h0_names_the_step():
    def restarts(x, h0, params):
        states = [gru_cell_forward(x[:, t], h0, params)[0] for t in range(x.shape[1])]
        return torch.stack(states, dim=1), [None] * x.shape[1]

    message = fails(checks.forward_values, restarts, match="first wrong time step is t = 2 (h_1 is right")
    assert message.endswith(
        "this is what starting every step from h0 gives: each step starts from the previous step's "
        "h_next [gru.h-not-carried]"
    )


def test_sequence_with_time_and_batch_swapped_is_a_shape_error():
    fails(
        checks.forward_values,
        lambda x, h, p: (gru_forward(x, h, p)[0].transpose(0, 1), [None] * 6),
        match="h_seq: expected shape (B, T, n_h) = (4, 6, 3), got (6, 4, 3)",
    )


def test_caches_must_be_one_per_step():
    fails(
        checks.forward_values,
        lambda x, h, p: (gru_forward(x, h, p)[0], None),
        match="caches should be a list of the T = 6 caches",
    )


def test_reset_after_mistakes_are_named():
    fails(
        checks.reset_after_values,
        lambda x, h, p: gru_cell_forward(x, h, p),
        match="reset applied before the matrix product",
    )

    def no_b_hn(x, h, p):
        return gru_cell_forward_reset_after(x, h, {**p, "b_hn": 0 * p["b_hn"]})

    fails(checks.reset_after_values, no_b_hn, match="b_hn left out")


# ---------------------------------------------------------------- backward mistakes


def test_only_dW_z_wrong_is_named_with_the_others_right():
    def wrong_dW_z(dh_next, cache):
        return gru_cell_backward(dh_next, cache, concat_for_dW_z=lambda h, x: torch.cat([x, h], dim=1))

    message = fails(checks.cell_backward_grads, wrong_dW_z, gru_cell_forward, match="dW_z: max error")
    lines = message.splitlines()
    assert lines[1] == "right: dx_t, dh_prev, db_z, dW_r, db_r, dW_h, db_h"
    assert lines[2].startswith("hint for dW_z:")


def test_missing_gradient_key_is_named():
    def missing(dh_next, cache):
        grads = gru_cell_backward(dh_next, cache)
        del grads["db_r"]
        return grads

    fails(checks.cell_backward_grads, missing, gru_cell_forward, match="missing: db_r")


def test_backward_using_autograd_is_refused():
    def with_autograd(dh_next, cache):
        x_t, h_prev, _, _, _, params = cache
        p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        h_next, _ = gru_cell_forward(x_t, h_prev, p)
        h_next.backward(dh_next)
        return gru_cell_backward(dh_next, cache)

    with pytest.raises(ForbiddenCall, match="with_autograd called Tensor.backward"):
        checks.cell_backward_grads(with_autograd, gru_cell_forward)


def test_backward_changing_the_cache_is_named():
    def in_place(dh_next, cache):
        grads = gru_cell_backward(dh_next, cache)
        cache[2].mul_(0.5)
        return grads

    fails(checks.cell_backward_grads, in_place, gru_cell_forward, match="changed its input cache[2] in place")


def test_backward_with_a_wrong_forward_says_fix_the_forward_first():
    fails(
        checks.cell_backward_grads,
        gru_cell_backward,
        gru_variant(no_reset=True),
        match="your gru_cell_forward (from lesson 02) is wrong",
    )
    fails(checks.backward_grads, gru_backward, gru_variant(update_swapped=True), match="at time step t = 1")


def test_bptt_without_the_recurrent_gradient_names_dh0_and_dx():
    message = fails(
        checks.backward_grads, lambda d, c: gru_backward(d, c, carry=False), gru_cell_forward, match="dx: max error"
    )
    assert "dh0: max error" in message
    assert "hint for dh0: the gradient flowing into h_t from step t + 1" in message


def test_backward_returning_a_tuple_is_described():
    fails(
        checks.cell_backward_grads,
        lambda d, c: tuple(gru_cell_backward(d, c).values()),
        gru_cell_forward,
        match="gru_cell_backward should return a dict with keys",
    )


# ---------------------------------------------------------------- the latch puzzle


def test_latch_solution_passes_and_the_widget_default_fails():
    checks.latch_solved(lambda: {"z_noun": 8.0, "b_z": -4.0, "h_number": 3.0})
    start = dynamics.start_values(dynamics.GRU_SENTENCE_SETTINGS)
    fails(checks.latch_solved, lambda: start, match="not latched yet")


def test_latch_settings_of_the_wrong_kind_are_described():
    fails(checks.latch_solved, lambda: None, match="should return a dict slider name -> number")
    fails(checks.latch_solved, lambda: {"z_nouns": 8.0}, match="unknown setting names ['z_nouns']")
    fails(checks.latch_solved, lambda: {"z_noun": torch.tensor(8.0)}, match="these are not: z_noun")
    fails(checks.latch_solved, lambda: {"z_noun": 0.0, "b_z": 5.0, "h_number": 3.0}, match="h = ")


def test_a_sequence_calling_an_unwritten_cell_says_which_function_to_write():
    def cell(x_t, h_prev, params):
        raise NotImplementedError()

    def gru_forward_calling(x, h0, params):
        return cell(x[:, 0], h0, params)

    fails(checks.forward_values, gru_forward_calling, match="comes from gru_cell_forward, which it calls")


# ---------------------------------------------------------------- every check says what it checked


@pytest.mark.parametrize(
    "check, fns",
    [
        (checks.cell_forward_shapes, (gru_cell_forward,)),
        (checks.cell_forward_values, (gru_cell_forward,)),
        (checks.forward_values, (gru_forward,)),
        (checks.reset_after_values, (gru_cell_forward_reset_after,)),
        (checks.cell_backward_grads, (gru_cell_backward, gru_cell_forward)),
        (checks.backward_grads, (gru_backward, gru_cell_forward)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_passing_check_prints_a_tick_and_what_it_checked(check, fns, capsys):
    check(*fns)
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and fns[0].__name__ in out, out


def notebook_with(source):
    """The namespace of a notebook that ran source (its functions' globals, like a learner's), where
    reference_cell and reference_forward are this file's correct GRU and gru_forward is this file's
    gru_forward, calling the notebook's own gru_cell_forward."""
    namespace = {"reference_cell": gru_cell_forward, "reference_forward": gru_forward, "torch": torch}
    namespace["gru_forward"] = types.FunctionType(gru_forward.__code__, namespace, "gru_forward")
    exec(source, namespace)
    return namespace


def test_an_in_place_change_made_by_the_cell_is_blamed_on_the_cell_not_on_the_sequence():
    """Is a correct gru_forward spared when the learner's gru_cell_forward it calls changes h_prev?"""
    notebook = notebook_with(
        "def gru_cell_forward(x_t, h_prev, params):\n"
        "    out = reference_cell(x_t, h_prev.clone(), params)\n"
        "    h_prev.zero_()\n"
        "    return out\n"
    )
    cell = notebook["gru_cell_forward"]
    message = fails(checks.forward_values, notebook["gru_forward"], match="gru_forward's input h0 was changed")
    assert "by gru_cell_forward, which gru_forward calls" in message
    assert notebook["gru_cell_forward"] is cell, "the check puts the learner's function back"


def test_a_sequence_that_changes_its_own_input_is_still_blamed():
    notebook = notebook_with(
        "def gru_forward(x, h0, params):\n    x[:, 0] = 0\n    return reference_forward(x, h0, params)\n"
    )
    message = fails(checks.forward_values, notebook["gru_forward"], match="gru_forward changed its input x in place")
    assert "which gru_forward calls" not in message
