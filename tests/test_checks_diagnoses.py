"""Does every graded forward check name the learner's likely mistake, by a stable id, and pass any correct answer?

Each mistake is written here as a learner would write it (never computed by gatelab); each correct
implementation is written differently from the lessons' (einsum, W split into its h and x parts, one fused
product for all gates) and must pass every check.
"""

import pytest
import torch

from gatelab.checks import core, gru, lstm, rnn, variants
from gatelab.checks.core import CheckFailed


def diagnosed(check, fn, mistake_id):
    """Run check(fn), which must fail naming mistake_id in its message and in CheckFailed.diagnosis."""
    with pytest.raises(CheckFailed) as info:
        check(fn)
    message = str(info.value)
    assert info.value.diagnosis == mistake_id, message
    assert f"[{mistake_id}]" in message and "\nthis is what " in message, message
    return message


def mm(a, W):
    """a @ W.T, written with einsum."""
    return torch.einsum("bk,hk->bh", a, W)


# ---------------------------------------------------------------- the core mechanism


def test_a_mistake_line_says_what_was_done_and_what_the_course_does():
    mistake = core.Mistake("rnn.concat-order", "[x_t, h_prev] order", "the course concatenates [h_prev, x_t]", None)
    assert mistake.line() == (
        "this is what [x_t, h_prev] order gives: the course concatenates [h_prev, x_t] [rnn.concat-order]"
    )
    assert core.diagnoses(f"h_next: max error 1.33 at [1, 0]\n{mistake.line()}") == ["rnn.concat-order"]


def test_no_diagnosis_without_a_recognised_mistake():
    error = CheckFailed(
        "h_next: max error 0.3 at [2, 0.5] (allowed: 1e-09 + 1e-09·|value|); 1 of 12 entries are off [h_prev, x_t]"
    )
    assert error.diagnosis is None and error.diagnoses == []


def test_a_mistake_that_cannot_be_computed_on_these_shapes_is_skipped():
    def impossible(x):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    right = core.Mistake("t.right", "this", "that", lambda x: {"y": x})
    assert (
        core.recognise({"y": torch.ones(2)}, [core.Mistake("t.bad", "a", "b", impossible), right], torch.ones(2))
        is right
    )


def test_a_close_but_not_equal_answer_is_told_so():
    expected = torch.linspace(-3, 3, 12, dtype=torch.float64).reshape(4, 3)
    got = expected + 2e-6 * expected.abs().clamp(min=1)
    problem = core.tensor_problem("h_next", got, expected, "(B, n_h)")
    assert problem.startswith(
        "h_next: max error 6e-06 at [0, 0] (allowed: 1e-09 + 1e-09·|value|); 12 of 12 entries are off; "
    )
    assert problem.endswith(
        "; your values are within 6e-06 of the right ones: are you computing in float32, or rounding somewhere? "
        "[core.float32-or-rounding]"
    )
    assert "within" not in core.tensor_problem("h_next", expected + 1e-3, expected)
    assert core.tensor_problem("h", expected.float() + 1e-3, expected.float()).endswith("entries are off")


# ---------------------------------------------------------------- rnn_cell_forward


def rnn_cell(x_t, h_prev, params, mistake=None):
    """The vanilla RNN cell with W_h split into its h and x parts, or one mistake."""
    n_h = h_prev.shape[1]
    W_hh, W_hx, b = params["W_h"][:, :n_h], params["W_h"][:, n_h:], params["b_h"]
    if mistake == "concat-order":
        a = torch.cat([x_t, h_prev], dim=1) @ params["W_h"].T + b
    elif mistake == "transposed-weight":
        a = h_prev @ W_hh + x_t @ W_hx.T + b
    else:
        a = h_prev @ W_hh.T + x_t @ W_hx.T + (0 if mistake == "missing-bias" else b)
    out = {"sigmoid-for-tanh": torch.sigmoid, "missing-tanh": lambda v: v}.get(mistake, torch.tanh)(a)
    return out, None


@pytest.mark.parametrize(
    "mistake", ["concat-order", "sigmoid-for-tanh", "missing-bias", "missing-tanh", "transposed-weight"]
)
def test_rnn_cell_mistakes_are_named(mistake):
    def learner(x_t, h_prev, params):
        return rnn_cell(x_t, h_prev, params, mistake)

    diagnosed(rnn.cell_forward_matches_torch, learner, f"rnn.{mistake}")
    diagnosed(rnn.cell_forward_random_cases, learner, f"rnn.{mistake}")


def test_rnn_cells_written_differently_pass():
    def einsum(x_t, h_prev, params):
        return torch.tanh(mm(torch.cat([h_prev, x_t], 1), params["W_h"]) + params["b_h"]), None

    for fn in (einsum, rnn_cell):
        rnn.cell_forward_matches_torch(fn)
        rnn.cell_forward_random_cases(fn)


def test_rounding_is_told_it_is_close():
    def rounded(x_t, h_prev, params):
        return torch.round(rnn_cell(x_t, h_prev, params)[0], decimals=5), None

    with pytest.raises(CheckFailed) as info:
        rnn.cell_forward_matches_torch(rounded)
    assert "your values are within 4.5e-06 of the right ones: are you computing in float32" in str(info.value)
    assert info.value.diagnosis == core.CLOSE_ID


# ---------------------------------------------------------------- gru_cell_forward, gru_forward


def gru_cell(x_t, h_prev, params, mistake=None):
    """The course's GRU with one fused product for both gates, W_h split into parts, or one mistake."""
    n_h = h_prev.shape[1]
    b = {g: 0 * params[f"b_{g}"] if mistake == "missing-bias" else params[f"b_{g}"] for g in "zrh"}
    hx = torch.cat([x_t, h_prev] if mistake == "concat-order" else [h_prev, x_t], dim=1)
    W_h = params["W_h"]
    if mistake == "concat-order":  # the learner's [x_t, h_prev] order everywhere, candidate included
        W_h = torch.cat([W_h[:, n_h:], W_h[:, :n_h]], 1)
    gate, candidate = torch.sigmoid, torch.tanh
    if mistake == "sigmoid-tanh-swapped":
        gate, candidate = torch.tanh, torch.sigmoid
    if mistake == "sigmoid-candidate":
        candidate = torch.sigmoid
    z_r = gate(hx @ torch.cat([params["W_z"], params["W_r"]]).T + torch.cat([b["z"], b["r"]]))
    z, r = z_r[:, :n_h], z_r[:, n_h:]
    if mistake == "z-r-swapped":
        z, r = r, z
    s = h_prev if mistake == "reset-left-out" else r * h_prev
    if mistake == "concat-order":
        pre = torch.cat([x_t, s], 1) @ params["W_h"].T
    else:
        pre = s @ W_h[:, :n_h].T + x_t @ W_h[:, n_h:].T
    if mistake == "reset-after":
        pre = x_t @ W_h[:, n_h:].T + r * (h_prev @ W_h[:, :n_h].T)
    h_tilde = candidate(pre + b["h"])
    if mistake == "z-swapped":
        return z * h_prev + (1 - z) * h_tilde, None
    return h_prev + z * (h_tilde - h_prev), None


GRU_CELL_MISTAKES = [
    "z-swapped",
    "z-r-swapped",
    "reset-left-out",
    "reset-after",
    "concat-order",
    "sigmoid-candidate",
    "sigmoid-tanh-swapped",
    "missing-bias",
]


def gru_sequence(x, h0, params, cell=gru_cell, mistake=None):
    h = torch.zeros_like(h0) if mistake == "h0-ignored" else h0
    states, caches = [], []
    for t in range(x.shape[1]):
        h_next, cache = cell(x[:, t], h, params)
        states.append(h if mistake == "states-shifted" else h_next)
        caches.append(cache)
        h = h0 if mistake == "h-not-carried" else h_next
    return torch.stack(states, dim=1), caches


@pytest.mark.parametrize("mistake", GRU_CELL_MISTAKES)
def test_gru_cell_mistakes_are_named_in_the_cell_and_in_the_sequence(mistake):
    def cell(x_t, h_prev, params):
        return gru_cell(x_t, h_prev, params, mistake)

    diagnosed(gru.cell_forward_values, cell, f"gru.{mistake}")
    diagnosed(gru.cell_forward_random_cases, cell, f"gru.{mistake}")
    diagnosed(gru.forward_values, lambda x, h0, p: gru_sequence(x, h0, p, cell), f"gru.{mistake}")


@pytest.mark.parametrize("mistake", ["h0-ignored", "h-not-carried", "states-shifted"])
def test_gru_sequence_mistakes_are_named(mistake):
    def learner(x, h0, params):
        return gru_sequence(x, h0, params, mistake=mistake)

    diagnosed(gru.forward_values, learner, f"gru.{mistake}")
    diagnosed(gru.forward_random_cases, learner, f"gru.{mistake}")


def reset_after_cell(x_t, h_prev, params, mistake=None):
    """torch's reset-after GRU in einsum, or one mistake."""
    n_h = h_prev.shape[1]
    hx = torch.cat([h_prev, x_t], dim=1)
    z = torch.sigmoid(mm(hx, params["W_z"]) + params["b_z"])
    r = torch.sigmoid(mm(hx, params["W_r"]) + params["b_r"])
    W_hh, W_hx, b_hn = params["W_h"][:, :n_h], params["W_h"][:, n_h:], params["b_hn"]
    if mistake == "reset-before":
        n = torch.tanh(mm(r * h_prev, W_hh) + mm(x_t, W_hx) + params["b_h"])
    elif mistake == "b_hn-outside":
        n = torch.tanh(mm(x_t, W_hx) + params["b_h"] + b_hn + r * mm(h_prev, W_hh))
    else:
        b_hn = 0 * b_hn if mistake == "b_hn-left-out" else b_hn
        n = torch.tanh(mm(x_t, W_hx) + params["b_h"] + r * (mm(h_prev, W_hh) + b_hn))
    if mistake == "z-swapped":
        return (1 - z) * n + z * h_prev, None
    return z * n + (1 - z) * h_prev, None


@pytest.mark.parametrize("mistake", ["reset-before", "b_hn-outside", "b_hn-left-out", "z-swapped"])
def test_reset_after_mistakes_are_named(mistake):
    def learner(x_t, h_prev, params):
        return reset_after_cell(x_t, h_prev, params, mistake)

    diagnosed(gru.reset_after_values, learner, f"gru.ra-{mistake}")
    diagnosed(gru.reset_after_random_cases, learner, f"gru.ra-{mistake}")


def test_grus_written_differently_pass():
    def einsum_cell(x_t, h_prev, params):
        hx = torch.cat([h_prev, x_t], 1)
        z = torch.sigmoid(mm(hx, params["W_z"]) + params["b_z"])
        r = torch.sigmoid(mm(hx, params["W_r"]) + params["b_r"])
        h_tilde = torch.tanh(mm(torch.cat([r * h_prev, x_t], 1), params["W_h"]) + params["b_h"])
        return torch.lerp(h_prev, h_tilde, z), None

    for cell in (gru_cell, einsum_cell):
        gru.cell_forward_values(cell)
        gru.cell_forward_random_cases(cell)
        gru.forward_random_cases(lambda x, h0, p, cell=cell: gru_sequence(x, h0, p, cell))
    gru.reset_after_values(reset_after_cell)
    gru.reset_after_random_cases(reset_after_cell)


# ---------------------------------------------------------------- lstm_cell_forward, lstm_forward


def lstm_cell(x_t, h_prev, c_prev, params, mistake=None):
    """The LSTM with one fused product for the four gates (weights stacked f, i, c, o), or one mistake."""
    n_h = h_prev.shape[1]
    order = {"f-i-swapped": "ifco", "f-o-swapped": "oicf", "i-o-swapped": "foci"}.get(mistake, "fico")
    W = torch.cat([params[f"W_{g}"] for g in order])
    b = torch.cat([params[f"b_{g}"] for g in order])
    if mistake == "missing-bias":
        b = 0 * b
    hx = torch.cat([x_t, h_prev] if mistake == "concat-order" else [h_prev, x_t], dim=1)
    a = hx @ W.T + b
    f, i, o = (torch.sigmoid(a[:, k * n_h : (k + 1) * n_h]) for k in (0, 1, 3))
    c_tilde = (torch.sigmoid if mistake == "sigmoid-candidate" else torch.tanh)(a[:, 2 * n_h : 3 * n_h])
    c_next = f * c_prev + i * c_tilde
    if mistake == "no-output-gate":
        o = torch.ones_like(o)
    squashed = {"no-tanh-on-c": c_next, "c-prev-for-c-next": torch.tanh(c_prev)}.get(mistake, torch.tanh(c_next))
    return o * squashed, c_next, None


LSTM_CELL_MISTAKES = [
    "concat-order",
    "f-i-swapped",
    "f-o-swapped",
    "i-o-swapped",
    "no-output-gate",
    "no-tanh-on-c",
    "c-prev-for-c-next",
    "sigmoid-candidate",
    "missing-bias",
]


def lstm_sequence(x, h0, c0, params, cell=lstm_cell, mistake=None):
    zeros = mistake == "h0-c0-ignored"
    h, c = (torch.zeros_like(h0), torch.zeros_like(c0)) if zeros else (h0, c0)
    hs, cs, caches = [], [], []
    for t in range(x.shape[1]):
        h_next, c_next, cache = cell(x[:, t], h, c, params)
        hs.append(h if mistake == "states-shifted" else h_next)
        cs.append(c if mistake == "states-shifted" else c_next)
        caches.append(cache)
        h = h0 if mistake in ("h-not-carried", "states-not-carried") else h_next
        c = c0 if mistake in ("c-not-carried", "states-not-carried") else c_next
    return torch.stack(hs, dim=1), torch.stack(cs, dim=1), caches


@pytest.mark.parametrize("mistake", LSTM_CELL_MISTAKES)
def test_lstm_cell_mistakes_are_named_in_the_cell_and_in_the_sequence(mistake):
    def cell(x_t, h_prev, c_prev, params):
        return lstm_cell(x_t, h_prev, c_prev, params, mistake)

    diagnosed(lstm.cell_forward_matches_torch, cell, f"lstm.{mistake}")
    diagnosed(lstm.cell_forward_random_cases, cell, f"lstm.{mistake}")
    diagnosed(lstm.forward_matches_torch, lambda x, h0, c0, p: lstm_sequence(x, h0, c0, p, cell), f"lstm.{mistake}")


@pytest.mark.parametrize(
    "mistake", ["c-not-carried", "h-not-carried", "states-not-carried", "h0-c0-ignored", "states-shifted"]
)
def test_lstm_sequence_mistakes_are_named(mistake):
    def learner(x, h0, c0, params):
        return lstm_sequence(x, h0, c0, params, mistake=mistake)

    diagnosed(lstm.forward_matches_torch, learner, f"lstm.{mistake}")
    diagnosed(lstm.forward_random_cases, learner, f"lstm.{mistake}")


def test_lstms_written_differently_pass():
    def split_cell(x_t, h_prev, c_prev, params):
        n_h = h_prev.shape[1]

        def gate(g, squash=torch.sigmoid):
            W = params[f"W_{g}"]
            return squash(mm(h_prev, W[:, :n_h]) + mm(x_t, W[:, n_h:]) + params[f"b_{g}"])

        c_next = gate("f") * c_prev + gate("i") * gate("c", torch.tanh)
        return gate("o") * torch.tanh(c_next), c_next, None

    for cell in (lstm_cell, split_cell):
        lstm.cell_forward_matches_torch(cell)
        lstm.cell_forward_random_cases(cell)
        lstm.forward_random_cases(lambda x, h0, c0, p, cell=cell: lstm_sequence(x, h0, c0, p, cell))


def test_an_lstm_computed_in_float32_passes_or_is_told_it_is_close():
    """float32's rounding is often inside the float64 tolerance; where it is not, the learner is told why."""

    def in_float32(x_t, h_prev, c_prev, params):
        h, c, _ = lstm_cell(x_t.float(), h_prev.float(), c_prev.float(), {k: v.float() for k, v in params.items()})
        return h.to(x_t.dtype), c.to(x_t.dtype), None

    verdicts = []
    for B, n_x, n_h, _, seed in core.RANDOM_CASES:
        try:
            lstm.cell_forward_matches_torch(in_float32, B, n_x, n_h, torch.float64, seed)
            verdicts.append("passed")
        except CheckFailed as error:
            verdicts.append(error.diagnosis)
    assert set(verdicts) <= {"passed", core.CLOSE_ID} and core.CLOSE_ID in verdicts, verdicts


# ---------------------------------------------------------------- cifg_cell_forward


def cifg_cell(x_t, h_prev, c_prev, params, mistake=None):
    """The CIFG cell with one fused product for f, c_tilde and o, or one mistake."""
    n_h = h_prev.shape[1]
    W = torch.cat([params["W_f"], params["W_c"], params["W_o"]])
    b = torch.cat([params["b_f"], params["b_c"], params["b_o"]])
    hx = torch.cat([x_t, h_prev] if mistake == "concat-order" else [h_prev, x_t], dim=1)
    a = mm(hx, W) + b
    f, c_tilde, o = torch.sigmoid(a[:, :n_h]), torch.tanh(a[:, n_h : 2 * n_h]), torch.sigmoid(a[:, 2 * n_h :])
    i = {"i-is-f": f, "i-is-one": torch.ones_like(f)}.get(mistake, 1 - f)
    if mistake == "f-swapped":
        f, i = 1 - f, f
    c_next = f * c_prev + i * c_tilde
    return o * torch.tanh(c_next), c_next, None


@pytest.mark.parametrize("mistake", ["i-is-f", "i-is-one", "f-swapped", "concat-order"])
def test_cifg_mistakes_are_named(mistake):
    def learner(x_t, h_prev, c_prev, params):
        return cifg_cell(x_t, h_prev, c_prev, params, mistake)

    diagnosed(variants.cifg_cell_matches_torch, learner, f"cifg.{mistake}")
    diagnosed(variants.cifg_cell_random_cases, learner, f"cifg.{mistake}")


def test_a_fused_cifg_cell_passes():
    variants.cifg_cell_matches_torch(cifg_cell)
    variants.cifg_cell_random_cases(cifg_cell)


CATALOGUES = {
    "rnn_cell_forward": rnn.CELL_MISTAKES,
    "gru_cell_forward": gru.CELL_MISTAKES,
    "gru_forward": gru.SEQUENCE_MISTAKES,
    "gru_cell_forward_reset_after": gru.RESET_AFTER_MISTAKES,
    "lstm_cell_forward": lstm.CELL_MISTAKES,
    "lstm_forward": lstm.SEQ_MISTAKES,
    "cifg_cell_forward": variants.MISTAKES,
}


@pytest.mark.parametrize("fn_name", CATALOGUES)
def test_every_diagnosis_id_is_unique_and_readable_back_from_its_line(fn_name):
    ids = [m.id for m in CATALOGUES[fn_name]]
    assert len(set(ids)) == len(ids), ids
    for mistake in CATALOGUES[fn_name]:
        assert core.diagnoses(mistake.line()) == [mistake.id]
