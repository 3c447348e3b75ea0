"""Does every graded backward check name the learner's likely mistake, by a stable id, and pass any correct answer?

Each mistake is written here as a learner would write it (never computed by gatelab), inside a backward that is
otherwise the lessons'; each correct implementation is written differently from the lessons' (einsum, the
weights split into their h and x parts, one fused product for all gates) and must pass the visible and the
hidden (random) checks. The forward functions' catalogues are tested in test_checks_diagnoses.py.
"""

import pytest
import torch

from gatelab.checks import core, gru, lstm, rnn
from tests.test_checks_diagnoses import diagnosed, mm
from tests.test_checks_gru import gru_cell_forward  # the course's GRU step, cache included


def sig_d(s):
    """The sigmoid's derivative from its value s."""
    return s * (1 - s)


def tanh_d(t):
    """tanh's derivative from its value t."""
    return 1 - t**2


# ---------------------------------------------------------------- dhT_dh0


def dhT_dh0(h_seq, W_h, mistake=None):
    """∂h_T/∂h_0 (B, n_h, n_h) of a tanh RNN from its states, or one mistake."""
    B, T, n_h = h_seq.shape
    W_hh = W_h[:, :n_h].T if mistake == "transposed-weight" else W_h[:, :n_h]
    J = torch.zeros(B, n_h, n_h, dtype=h_seq.dtype) if mistake == "sum-of-steps" else torch.eye(n_h).expand(B, n_h, n_h)
    J = J.to(h_seq.dtype)
    for t in range(T):
        J_t = W_hh.expand(B, n_h, n_h) if mistake == "no-tanh-derivative" else tanh_d(h_seq[:, t])[:, :, None] * W_hh
        J = {"product-order": J @ J_t, "sum-of-steps": J + J_t, "elementwise-product": J_t * J}.get(mistake, J_t @ J)
    return J


@pytest.mark.parametrize(
    "mistake", ["product-order", "no-tanh-derivative", "transposed-weight", "sum-of-steps", "elementwise-product"]
)
def test_dhT_dh0_mistakes_are_named(mistake):
    def learner(h_seq, W_h):
        return dhT_dh0(h_seq, W_h, mistake)

    diagnosed(rnn.dhT_dh0_matches_autograd, learner, f"rnn.dht-{mistake}")
    diagnosed(rnn.dhT_dh0_random_cases, learner, f"rnn.dht-{mistake}")


def test_dhT_dh0_written_differently_passes():
    """Backward, one vector-Jacobian product per row: row i of J is dh_0 when dh_T = e_i."""

    def by_rows(h_seq, W_h):
        B, T, n_h = h_seq.shape
        dh = torch.eye(n_h, dtype=h_seq.dtype).expand(B, n_h, n_h)  # [b, i, :]: the gradient of row i
        for t in reversed(range(T)):
            dh = torch.einsum("bij,jk->bik", dh * tanh_d(h_seq[:, t])[:, None, :], W_h[:, :n_h])
        return dh

    for fn in (dhT_dh0, by_rows):
        rnn.dhT_dh0_matches_autograd(fn)
        rnn.dhT_dh0_random_cases(fn)


# ---------------------------------------------------------------- gru_cell_backward, gru_backward


def gru_cell_backward(dh_next, cache, mistake=None):
    """The GRU step's backward, or one mistake in it."""
    x_t, h_prev, z, r, h_tilde, params = cache
    n_h = h_prev.shape[1]
    if mistake == "z-swapped":
        dh_tilde, dz, dh_prev = dh_next * (1 - z), dh_next * (h_prev - h_tilde), dh_next * z
    else:
        dh_tilde = dh_next * z
        dz = dh_next * h_tilde if mistake == "dz-without-h_prev" else dh_next * (h_tilde - h_prev)
        dh_prev = 0 if mistake == "no-direct-path" else dh_next * (1 - z)
    da_h = dh_tilde if mistake == "no-tanh-derivative" else dh_tilde * tanh_d(h_tilde)
    u = torch.cat([h_prev, x_t], dim=1)
    s = u if mistake == "candidate-on-h_prev" else torch.cat([r * h_prev, x_t], dim=1)
    ds = da_h @ params["W_h"]
    d_rh, dx_t = ds[:, :n_h], ds[:, n_h:]
    if mistake != "no-r-route":
        dh_prev = dh_prev + d_rh * r
    dr = d_rh * h_prev
    da_z, da_r = (dz, dr) if mistake == "no-sigmoid-derivative" else (dz * sig_d(z), dr * sig_d(r))
    du = da_z @ params["W_z"] + (0 if mistake == "no-reset-route" else da_r @ params["W_r"])
    grads = {"dx_t": dx_t + du[:, n_h:], "dh_prev": dh_prev + du[:, :n_h]}
    for g, da, inp in (("z", da_z, u), ("r", da_r, u), ("h", da_h, s)):
        grads[f"dW_{g}"] = inp.T @ da if mistake == "dw-transposed" else da.T @ inp
        grads[f"db_{g}"] = {"db-wrong-axis": da.sum(dim=1), "db-not-summed": da}.get(mistake, da.sum(dim=0))
    return grads


GRU_CELL_BACKWARD_MISTAKES = [
    "z-swapped",
    "no-direct-path",
    "dz-without-h_prev",
    "no-reset-route",
    "no-r-route",
    "no-tanh-derivative",
    "no-sigmoid-derivative",
    "candidate-on-h_prev",
    "dw-transposed",
    "db-wrong-axis",
    "db-not-summed",
]


@pytest.mark.parametrize("mistake", GRU_CELL_BACKWARD_MISTAKES)
def test_gru_cell_backward_mistakes_are_named(mistake):
    def learner(dh_next, cache):
        return gru_cell_backward(dh_next, cache, mistake)

    for check in (gru.cell_backward_grads, gru.cell_backward_random_cases):
        diagnosed(lambda fn, check=check: check(fn, gru_cell_forward), learner, f"gru.bw-{mistake}")


def test_shape_mistakes_say_the_shape_then_the_mistake():
    def summed_over_hidden(dh_next, cache):
        return gru_cell_backward(dh_next, cache, "db-wrong-axis")

    message = diagnosed(
        lambda fn: gru.cell_backward_grads(fn, gru_cell_forward), summed_over_hidden, "gru.bw-db-wrong-axis"
    )
    assert "db_z: expected shape (n_h,) = (3,), got (4,)" in message
    assert message.endswith(
        "gives: summed over the wrong axis: db sums over the batch (dim 0), da.sum(dim=0) of shape (n_h,) "
        "[gru.bw-db-wrong-axis]"
    )
    assert message.count("\nthis is what ") == 1


def einsum_gru_cell_backward(dh_next, cache):
    """The GRU step's backward in einsum, with W_z, W_r, W_h split into their h and x parts."""
    x_t, h_prev, z, r, h_tilde, params = cache
    n_h = h_prev.shape[1]
    parts = {g: (params[f"W_{g}"][:, :n_h], params[f"W_{g}"][:, n_h:]) for g in "zrh"}
    da_h = dh_next * z * tanh_d(h_tilde)
    da_z = dh_next * (h_tilde - h_prev) * sig_d(z)
    d_rh = torch.einsum("bh,hk->bk", da_h, parts["h"][0])
    da_r = d_rh * h_prev * sig_d(r)
    das = {"z": da_z, "r": da_r, "h": da_h}
    grads = {"dh_prev": dh_next * (1 - z) + d_rh * r, "dx_t": 0}
    for g, da in das.items():
        h_in = r * h_prev if g == "h" else h_prev
        grads[f"dW_{g}"] = torch.cat([torch.einsum("bh,bk->hk", da, h_in), torch.einsum("bh,bk->hk", da, x_t)], 1)
        grads[f"db_{g}"] = torch.einsum("bh->h", da)
        grads["dx_t"] = grads["dx_t"] + torch.einsum("bh,hk->bk", da, parts[g][1])
        if g != "h":
            grads["dh_prev"] = grads["dh_prev"] + torch.einsum("bh,hk->bk", da, parts[g][0])
    return grads


def gru_backward(dh_seq, caches, cell_backward=gru_cell_backward, mistake=None):
    """Backprop through time over the learner's cell backward, or one mistake in the walk."""
    T = dh_seq.shape[1]
    dh = dh_seq[:, -1] if mistake == "dh_seq-forgotten" else torch.zeros_like(dh_seq[:, 0])
    dxs, totals = [], {}
    for t in range(T) if mistake == "forward-in-time" else reversed(range(T)):
        upstream = dh if mistake == "dh_seq-forgotten" else dh_seq[:, t] + dh
        grads = cell_backward(upstream, caches[t])
        dh = torch.zeros_like(dh) if mistake == "dh-not-carried" else grads["dh_prev"]
        dxs.append(grads["dx_t"])
        for name in ("dW_z", "db_z", "dW_r", "db_r", "dW_h", "db_h"):
            overwrite = name not in totals or mistake == "overwritten"
            totals[name] = grads[name] if overwrite else totals[name] + grads[name]
    if mistake != "forward-in-time" and mistake != "dx-reversed":
        dxs = dxs[::-1]
    return {"dx": torch.stack(dxs, dim=1), "dh0": grads["dh_prev"] if mistake == "dh-not-carried" else dh, **totals}


@pytest.mark.parametrize(
    "mistake", ["overwritten", "forward-in-time", "dh-not-carried", "dh_seq-forgotten", "dx-reversed"]
)
def test_gru_backward_mistakes_are_named(mistake):
    def learner(dh_seq, caches):
        return gru_backward(dh_seq, caches, mistake=mistake)

    for check in (gru.backward_grads, gru.backward_random_cases):
        diagnosed(lambda fn, check=check: check(fn, gru_cell_forward), learner, f"gru.bptt-{mistake}")


def test_gru_backwards_written_differently_pass():
    gru.cell_backward_grads(einsum_gru_cell_backward, gru_cell_forward)
    gru.cell_backward_random_cases(einsum_gru_cell_backward, gru_cell_forward)

    def learner(dh_seq, caches):
        return gru_backward(dh_seq, caches, einsum_gru_cell_backward)

    gru.backward_grads(learner, gru_cell_forward)
    gru.backward_random_cases(learner, gru_cell_forward)


# ---------------------------------------------------------------- lstm_cell_backward, lstm_backward, dcT_dc0

GATES = ("f", "i", "c", "o")


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    """Lesson 04's LSTM step; its cache is lesson 05's dict."""
    hx = torch.cat([h_prev, x_t], dim=1)
    f, i, o = (torch.sigmoid(hx @ params[f"W_{g}"].T + params[f"b_{g}"]) for g in "fio")
    c_tilde = torch.tanh(hx @ params["W_c"].T + params["b_c"])
    c_next = f * c_prev + i * c_tilde
    h_next = o * torch.tanh(c_next)
    cache = {"hx": hx, "c_prev": c_prev, "f": f, "i": i, "c_tilde": c_tilde, "o": o, "c_next": c_next}
    return h_next, c_next, {**cache, "params": params}


def lstm_forward(x, h0, c0, params):
    h, c, hs, cs, caches = h0, c0, [], [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_cell_forward(x[:, t], h, c, params)
        hs.append(h)
        cs.append(c)
        caches.append(cache)
    return torch.stack(hs, dim=1), torch.stack(cs, dim=1), caches


def lstm_cell_backward(dh_next, dc_next, cache, mistake=None):
    """The LSTM step's backward, or one mistake in it."""
    hx, c_prev, c_next, params = cache["hx"], cache["c_prev"], cache["c_next"], cache["params"]
    f, i, c_tilde, o = cache["f"], cache["i"], cache["c_tilde"], cache["o"]
    n_h = f.shape[1]
    tanh_c = torch.tanh(c_next)
    through_c = {"no-tanh-derivative-on-c": dh_next * o, "dh-not-through-c": 0}
    dc = (0 if mistake == "dc-next-not-added" else dc_next) + through_c.get(mistake, dh_next * o * tanh_d(tanh_c))
    ds = {"f": dc * (c_next if mistake == "c-next-for-c-prev" else c_prev), "i": dc * c_tilde, "o": dh_next * tanh_c}
    da = {g: ds[g] if mistake == "no-sigmoid-derivative" else ds[g] * sig_d(cache[g]) for g in "fio"}
    da["c"] = dc * i if mistake == "no-candidate-tanh-derivative" else dc * i * tanh_d(c_tilde)
    grads = {}
    for g in GATES:
        grads[f"dW_{g}"] = hx.T @ da[g] if mistake == "dw-transposed" else da[g].T @ hx
        grads[f"db_{g}"] = {"db-wrong-axis": da[g].sum(dim=1), "db-not-summed": da[g]}.get(mistake, da[g].sum(dim=0))
    dhx = sum(da[g] @ params[f"W_{g}"] for g in GATES)
    grads["dh_prev"], grads["dx_t"] = dhx[:, :n_h], dhx[:, n_h:]
    grads["dc_prev"] = dc if mistake == "dc-prev-without-f" else dc * f
    return grads


LSTM_CELL_BACKWARD_MISTAKES = [
    "c-next-for-c-prev",
    "dc-next-not-added",
    "dh-not-through-c",
    "no-tanh-derivative-on-c",
    "dc-prev-without-f",
    "no-sigmoid-derivative",
    "no-candidate-tanh-derivative",
    "dw-transposed",
    "db-wrong-axis",
    "db-not-summed",
]


@pytest.mark.parametrize("mistake", LSTM_CELL_BACKWARD_MISTAKES)
def test_lstm_cell_backward_mistakes_are_named(mistake):
    def learner(dh_next, dc_next, cache):
        return lstm_cell_backward(dh_next, dc_next, cache, mistake)

    for check in (lstm.cell_backward_matches_autograd, lstm.cell_backward_random_cases):
        diagnosed(lambda fn, check=check: check(fn, lstm_cell_forward), learner, f"lstm.bw-{mistake}")


def fused_lstm_cell_backward(dh_next, dc_next, cache):
    """The LSTM step's backward with one fused product for the four gates (weights stacked f, i, c, o)."""
    hx, params, n_h = cache["hx"], cache["params"], cache["f"].shape[1]
    f, i, c_tilde, o = (cache[k] for k in ("f", "i", "c_tilde", "o"))
    tanh_c = torch.tanh(cache["c_next"])
    dc = dc_next + dh_next * o * (1 - tanh_c * tanh_c)
    gate_d = torch.cat([f * (1 - f), i * (1 - i), 1 - c_tilde * c_tilde, o * (1 - o)], dim=1)
    da = torch.cat([dc * cache["c_prev"], dc * c_tilde, dc * i, dh_next * tanh_c], dim=1) * gate_d  # (B, 4 n_h)
    W = torch.cat([params[f"W_{g}"] for g in GATES])  # (4 n_h, n_h + n_x)
    dW, db, dhx = torch.einsum("bg,bk->gk", da, hx), da.sum(0), mm(da, W.T)
    grads = {"dh_prev": dhx[:, :n_h], "dx_t": dhx[:, n_h:], "dc_prev": dc * f}
    for k, g in enumerate(GATES):
        grads[f"dW_{g}"], grads[f"db_{g}"] = dW[k * n_h : (k + 1) * n_h], db[k * n_h : (k + 1) * n_h]
    return grads


def lstm_backward(dh_seq, caches, dc_last=None, cell_backward=lstm_cell_backward, mistake=None):
    """Backprop through time over the learner's cell backward, or one mistake in the walk."""
    B, T, n_h = dh_seq.shape
    dh_next = dh_seq[:, -1] if mistake == "dh-seq-forgotten" else torch.zeros_like(dh_seq[:, 0])
    dc_next = torch.zeros_like(dh_next) if dc_last is None or mistake == "dc-last-ignored" else dc_last
    grads, dxs = {}, [None] * T
    for t in range(T) if mistake == "forward-in-time" else reversed(range(T)):
        upstream = dh_next if mistake == "dh-seq-forgotten" else dh_seq[:, t] + dh_next
        step = cell_backward(upstream, dc_next, caches[t])
        if mistake != "dh-not-carried":
            dh_next = step["dh_prev"]
        if mistake != "dc-not-carried":
            dc_next = step["dc_prev"]
        dxs[T - 1 - t if mistake == "dx-reversed" else t] = step["dx_t"]
        for name, value in step.items():
            if name.startswith(("dW_", "db_")):
                grads[name] = value if name not in grads or mistake == "overwritten" else grads[name] + value
    grads["dx"] = torch.stack(dxs, dim=1)
    grads["dh0"] = step["dh_prev"] if mistake == "dh-not-carried" else dh_next
    grads["dc0"] = step["dc_prev"]
    return grads


LSTM_BACKWARD_MISTAKES = [
    "overwritten",
    "forward-in-time",
    "dc-not-carried",
    "dh-not-carried",
    "dh-seq-forgotten",
    "dc-last-ignored",
    "dx-reversed",
]


@pytest.mark.parametrize("mistake", LSTM_BACKWARD_MISTAKES)
def test_lstm_backward_mistakes_are_named(mistake):
    def learner(dh_seq, caches, dc_last=None):
        return lstm_backward(dh_seq, caches, dc_last, mistake=mistake)

    for check in (lstm.backward_matches_autograd, lstm.backward_random_cases):
        diagnosed(lambda fn, check=check: check(fn, lstm_forward), learner, f"lstm.bptt-{mistake}")
    if mistake != "dc-last-ignored":  # without dc_last, starting from zeros is right
        check = lstm.backward_matches_autograd
        diagnosed(lambda fn: check(fn, lstm_forward, dc_last=False), learner, f"lstm.bptt-{mistake}")


def test_lstm_backwards_written_differently_pass():
    lstm.cell_backward_matches_autograd(fused_lstm_cell_backward, lstm_cell_forward)
    lstm.cell_backward_random_cases(fused_lstm_cell_backward, lstm_cell_forward)

    def learner(dh_seq, caches, dc_last=None):
        return lstm_backward(dh_seq, caches, dc_last, fused_lstm_cell_backward)

    lstm.backward_random_cases(learner, lstm_forward)


def dcT_dc0(caches, mistake=None):
    """∂c_T/∂c_0 (B, n_h, n_h) by n_h calls of lstm_backward, or one mistake."""
    c_T = caches[-1]["c_next"]
    B, n_h = c_T.shape
    if mistake == "forget-product-only":
        return torch.diag_embed(torch.stack([cache["f"] for cache in caches]).prod(dim=0))
    rows = []
    for k in range(n_h):
        e_k = torch.ones_like(c_T) if mistake == "ones-seed" else torch.zeros_like(c_T)
        e_k[:, k] = 1
        dh_seq = torch.zeros(B, len(caches), n_h, dtype=c_T.dtype)
        if mistake == "dh-seeded":
            dh_seq[:, -1] = e_k
            rows.append(lstm_backward(dh_seq, caches)["dc0"])
        else:
            rows.append(lstm_backward(dh_seq, caches, e_k)["dc0"])
    J = torch.stack(rows, dim=2 if mistake == "transposed" else 1)
    return torch.diagonal(J, dim1=1, dim2=2) if mistake == "diagonal-only" else J


@pytest.mark.parametrize("mistake", ["transposed", "diagonal-only", "forget-product-only", "dh-seeded", "ones-seed"])
def test_dcT_dc0_mistakes_are_named(mistake):
    for check in (lstm.dcT_dc0_matches_autograd, lstm.dcT_dc0_random_cases):
        diagnosed(lambda fn, check=check: check(fn, lstm_forward), lambda c: dcT_dc0(c, mistake), f"lstm.dct-{mistake}")


def test_dcT_dc0_written_differently_passes():
    """One lstm_backward call with the batch repeated n_h times, row k seeded in the k-th copy."""

    def batched(caches):
        B, n_h = caches[-1]["c_next"].shape
        big = [{k: v if k == "params" else v.repeat(n_h, 1) for k, v in cache.items()} for cache in caches]
        seeds = torch.eye(n_h, dtype=caches[-1]["c_next"].dtype).repeat_interleave(B, dim=0)  # (n_h B, n_h)
        dh_seq = torch.zeros(n_h * B, len(caches), n_h, dtype=seeds.dtype)
        return lstm_backward(dh_seq, big, seeds)["dc0"].reshape(n_h, B, n_h).transpose(0, 1)

    lstm.dcT_dc0_matches_autograd(batched, lstm_forward)
    lstm.dcT_dc0_random_cases(batched, lstm_forward)


def test_a_transposed_weight_gradient_says_the_shape_then_the_mistake():
    def transposed(dh_next, dc_next, cache):
        return lstm_cell_backward(dh_next, dc_next, cache, "dw-transposed")

    message = diagnosed(
        lambda fn: lstm.cell_backward_matches_autograd(fn, lstm_cell_forward), transposed, "lstm.bw-dw-transposed"
    )
    assert "dW_f: expected shape (n_h, n_h + n_x) = (3, 8), got (8, 3) (transposed?)" in message
    assert message.count("\nthis is what ") == 1 and message.endswith("[lstm.bw-dw-transposed]")


CATALOGUES = {
    "dhT_dh0": rnn.DHT_MISTAKES,
    "gru_cell_backward": gru.CELL_BACKWARD_MISTAKES,
    "gru_backward": gru.BACKWARD_MISTAKES,
    "lstm_cell_backward": lstm.CELL_BACKWARD_MISTAKES,
    "lstm_backward": lstm.BACKWARD_MISTAKES,
    "dcT_dc0": lstm.DCT_MISTAKES,
}


@pytest.mark.parametrize("fn_name", CATALOGUES)
def test_every_backward_diagnosis_id_is_unique_and_readable_back_from_its_line(fn_name):
    ids = [m.id for m in CATALOGUES[fn_name]]
    assert len(set(ids)) == len(ids), ids
    for mistake in CATALOGUES[fn_name]:
        assert core.diagnoses(mistake.line()) == [mistake.id]


def test_a_twisted_step_keeps_the_oracles_values():
    """Does every backward mistake of a cell change only the gradient, never the step's values?"""
    x, h0, params = gru.gru_case(3, 4, 5, 1, seed=1)
    h_next = gru.gru_oracle_cell(x[:, 0], h0, params)
    for mistake in GRU_CELL_BACKWARD_MISTAKES:
        torch.testing.assert_close(gru._twisted_step(mistake)(x[:, 0], h0, params), h_next, rtol=0, atol=1e-12)
    x, h0, c0, params = lstm.lstm_case(3, 4, 5, 1, seed=1)
    h_next, c_next, cache = lstm_cell_forward(x[:, 0], h0, c0, params)
    gates = lstm.lstm_gates(x[:, 0], h0, c0, params)
    for g, name in zip("fico", ("f", "i", "c_tilde", "o"), strict=True):
        torch.testing.assert_close(gates[g], cache[name], rtol=0, atol=1e-12)
    for mistake in LSTM_CELL_BACKWARD_MISTAKES:
        h, c = lstm._twisted_step(mistake)(0, x[:, 0], h0, c0, params)
        torch.testing.assert_close((h, c), (h_next, c_next), rtol=0, atol=1e-12)
