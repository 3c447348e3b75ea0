"""Tests for gatelab.dynamics: the one-unit cells reading sentences, the puzzles, the gradient highway.

Expected values come from PyTorch: nn.GRUCell / nn.LSTMCell through gatelab.interop, and autograd in
float64 through the unrolled cells.
"""

import json
import math

import pytest
import torch
import torch.nn.functional as F

from gatelab import data, dynamics, interop

GRU_SENTENCE_START = dynamics.start_values(dynamics.GRU_SENTENCE_SETTINGS)
LSTM_PUZZLE_START = dynamics.start_values(dynamics.LSTM_PUZZLE_SETTINGS)
GRU_SOLUTION = {"z_noun": 8.0, "b_z": -4.0, "h_number": 3.0}
LSTM_SOLUTION = {"b_f": 4.0, "i_noun": 8.0, "b_i": -4.0, "c_number": 3.0, "b_o": 2.0}


def random_settings(gates, seed):
    g = torch.Generator().manual_seed(seed)
    names = dynamics.setting_names(gates)
    values = 2 * torch.randn(len(names), generator=g, dtype=torch.float64)
    return dict(zip(names, values.tolist(), strict=True))


def torch_unroll(kind, params, tokens):
    """h (T,) and, for an LSTM, c (T,) of torch's own one-unit cell reading tokens from zero states."""
    x = data.token_features(tokens)
    h, c, hs, cs = torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64), [], []
    for x_t in x:
        out = interop.torch_step(kind, params, x_t[None], h, c if kind == "lstm" else None)
        h, c = out if kind == "lstm" else (out, c)
        hs.append(float(h))
        cs.append(float(c))
    return torch.tensor(hs, dtype=torch.float64), torch.tensor(cs, dtype=torch.float64)


def gate(params, g, h_prev, x):
    """torch's sigmoid of the linear map W_g [h_prev, x_t] + b_g, per token (T,)."""
    hx = torch.cat([h_prev[:, None], x], dim=1)  # (T, 1 + n_x)
    return torch.sigmoid(F.linear(hx, params[f"W_{g}"], params[f"b_{g}"]))[:, 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", ["cat", "cats", "cat-dogs"])
def test_gru_sentence_trace_matches_torch(seed, name):
    """Is the one-unit GRU's h the one nn.GRUCell computes, and are z, r and h_tilde consistent with it?"""
    settings, tokens = random_settings(dynamics.GRU_GATES, seed), data.SENTENCES[name]
    trace = dynamics.gru_sentence_trace(settings, tokens)
    assert set(trace) == {"z", "r", "h_tilde", "h"}
    assert all(v.shape == (len(tokens),) and v.dtype == torch.float64 for v in trace.values())
    params = dynamics.sentence_params(dynamics.GRU_GATES, settings)
    h_torch, _ = torch_unroll("gru", params, tokens)
    torch.testing.assert_close(trace["h"], h_torch, atol=1e-12, rtol=0)
    h_prev, x = torch.cat([torch.zeros(1, dtype=torch.float64), h_torch[:-1]]), data.token_features(tokens)
    torch.testing.assert_close(trace["z"], gate(params, "z", h_prev, x), atol=1e-12, rtol=0)
    torch.testing.assert_close(trace["r"], gate(params, "r", h_prev, x), atol=1e-12, rtol=0)
    mix = trace["z"] * trace["h_tilde"] + (1 - trace["z"]) * h_prev
    torch.testing.assert_close(mix, h_torch, atol=1e-12, rtol=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", ["cat", "cats", "cats-dog"])
def test_lstm_sentence_trace_matches_torch(seed, name):
    """Are the one-unit LSTM's c and h the ones nn.LSTMCell computes, and its gates consistent with them?"""
    settings, tokens = random_settings(dynamics.LSTM_GATES, seed), data.SENTENCES[name]
    trace = dynamics.lstm_sentence_trace(settings, tokens)
    assert set(trace) == {"f", "i", "c_tilde", "o", "c", "h"}
    assert all(v.shape == (len(tokens),) and v.dtype == torch.float64 for v in trace.values())
    params = dynamics.sentence_params(dynamics.LSTM_GATES, settings)
    h_torch, c_torch = torch_unroll("lstm", params, tokens)
    torch.testing.assert_close(trace["h"], h_torch, atol=1e-12, rtol=0)
    torch.testing.assert_close(trace["c"], c_torch, atol=1e-12, rtol=0)
    zero, x = torch.zeros(1, dtype=torch.float64), data.token_features(tokens)
    h_prev, c_prev = torch.cat([zero, h_torch[:-1]]), torch.cat([zero, c_torch[:-1]])
    for g in ("f", "i", "o"):
        torch.testing.assert_close(trace[g], gate(params, g, h_prev, x), atol=1e-12, rtol=0)
    c_mix = trace["f"] * c_prev + trace["i"] * trace["c_tilde"]
    torch.testing.assert_close(c_mix, c_torch, atol=1e-12, rtol=0)


def test_sentence_params_layout_and_unknown_names():
    """Do settings land in W_g's columns [h_prev, x_t] and b_g, and does a typo raise a KeyError naming it?"""
    params = dynamics.sentence_params(dynamics.GRU_GATES, {"z_noun": 2.0, "z_h": -1.0, "b_z": 0.5})
    assert params["W_z"].shape == (1, 1 + len(data.FEATURES)) and params["b_z"].shape == (1,)
    assert params["W_z"][0, 0] == -1.0 and params["W_z"][0, 1 + data.FEATURES.index("noun")] == 2.0
    assert params["b_z"].item() == 0.5 and params["W_h"].abs().sum() == 0
    with pytest.raises(KeyError, match="z_nuon"):
        dynamics.sentence_params(dynamics.GRU_GATES, {"z_nuon": 1.0})
    with pytest.raises(KeyError, match="z_noun"):  # a GRU setting is not an LSTM setting
        dynamics.lstm_sentence_trace({"z_noun": 1.0}, data.SENTENCES["cat"])


def test_gru_latch_solution_solves():
    """Does the solution stated in gru_sentence's docstring solve the GRU puzzle?"""
    solved, message = dynamics.gru_latch_verdict(GRU_SOLUTION)
    assert solved, message
    for name in ("cat", "cats"):
        s, v, number = data.subject_and_verb(data.SENTENCES[name])
        h = dynamics.gru_sentence_trace(GRU_SOLUTION, data.SENTENCES[name])["h"]
        assert (h[s : v + 1] * number >= dynamics.GRU_LATCH_MIN).all()


def test_gru_latch_start_does_not_solve():
    """Does the widget's starting point fail, and say where the memory leaks?"""
    solved, message = dynamics.gru_latch_verdict(GRU_SENTENCE_START)
    assert not solved
    assert "','" in message and "leaks" in message


def test_gru_latch_overwritten_by_the_clause_verb():
    """Does opening the update gate at every verb fail at "ate", where the candidate carries no number?"""
    solved, message = dynamics.gru_latch_verdict(GRU_SOLUTION | {"z_verb": 8.0})
    assert not solved and "'ate'" in message


def test_gru_latch_must_be_set_at_the_noun():
    """Does a memory that drifts to the right sign only later (self-excitation through h_h) fail?"""
    drifting = {"z_noun": 0.5, "b_z": -1.0, "h_number": 3.0, "h_h": 5.0}
    tokens = data.SENTENCES["cat"]
    s, v, _ = data.subject_and_verb(tokens)
    h = dynamics.gru_sentence_trace(drifting, tokens)["h"]
    assert h[v] > dynamics.GRU_LATCH_MIN > h[s]  # right at the verb, but not set at the noun
    solved, message = dynamics.gru_latch_verdict(drifting)
    assert not solved and "at the noun itself" in message


def test_gru_latch_needs_both_sentences():
    """Does a memory that always says "singular" fail on "cats"?"""
    always_singular = {"z_noun": 8.0, "b_z": -4.0, "b_h": 3.0}
    solved, message = dynamics.gru_latch_verdict(always_singular)
    assert not solved and "cats" in message


def test_lstm_memory_solution_solves():
    """Does the solution stated in lstm_memory_puzzle's docstring solve the LSTM puzzle?"""
    solved, message = dynamics.lstm_memory_verdict(LSTM_PUZZLE_START | LSTM_SOLUTION | {"f_verb": 0.0})
    assert solved, message
    solved, message = dynamics.lstm_memory_verdict(LSTM_SOLUTION)
    assert solved, message


def test_lstm_memory_start_does_not_solve():
    """Does the widget's starting point fail?"""
    solved, message = dynamics.lstm_memory_verdict(LSTM_PUZZLE_START)
    assert not solved and "c = " in message


def test_lstm_memory_forgetting_at_the_clause_verb_fails():
    """Does a forget gate that closes at every verb lose the number at "ate"?"""
    solved, message = dynamics.lstm_memory_verdict(LSTM_SOLUTION | {"f_verb": -8.0})
    assert not solved and "'ate'" in message


def test_lstm_memory_needs_an_open_output_gate():
    """Does a cell that remembers but a closed output gate fail, pointing at the output gate?"""
    solved, message = dynamics.lstm_memory_verdict(LSTM_SOLUTION | {"b_o": -6.0})
    assert not solved and "output gate" in message


def test_the_hand_solutions_do_not_hold_the_attractor_sentences():
    """With the attractors (puzzle_sentences(True)), the verdicts judge four sentences and say so when they hold; the
    hand solutions hold the pair but not "The cat near the dogs was hungry": the attractor overwrites the memory."""
    four = dynamics.puzzle_sentences(attractors=True)
    assert four == (*dynamics.PUZZLE_PAIR, *dynamics.PUZZLE_ATTRACTORS)
    assert dynamics.puzzle_sentences() == ("cat", "cats")
    for verdict, solution, puzzle in ((dynamics.gru_latch_verdict, GRU_SOLUTION, "gru"),
                                      (dynamics.lstm_memory_verdict, LSTM_SOLUTION, "lstm")):  # fmt: skip
        assert verdict(solution)[1].endswith("in both sentences")
        solved, message = verdict(solution, four)
        assert not solved and message.startswith("The cat near the dogs was hungry: ") and "'dogs' (token 4)" in message
        held = dynamics.sentences_held(solution, puzzle, attractors=True)
        assert held == {"cat": True, "cats": True, "cat-near-dogs": False, "cats-near-dog": False}
        assert dynamics.sentences_held(solution, puzzle) == {"cat": True, "cats": True}


def test_a_verdict_on_four_sentences_says_all_4():
    """A memory that holds every sentence (a GRU whose candidate reads h strongly, h_h = 8) is told "in all 4
    sentences"; one sentence alone, "in the sentence"."""
    strong = GRU_SOLUTION | {"h_h": 8.0}
    solved, message = dynamics.gru_latch_verdict(strong, dynamics.puzzle_sentences(attractors=True))
    assert solved and message.endswith("until the verb, in all 4 sentences"), message
    assert dynamics.gru_latch_verdict(strong, ("cat-near-dogs",))[1].endswith("in the sentence")


SENTENCE_EXPLORERS = [
    (dynamics.GRU_SENTENCE_SETTINGS, dynamics.GRU_GATES, dynamics.gru_sentence_numbers, dynamics.gru_sentence_trace,
     dynamics.gru_latch_verdict, GRU_SOLUTION),
    (dynamics.LSTM_PUZZLE_SETTINGS, dynamics.LSTM_GATES, dynamics.lstm_puzzle_numbers, dynamics.lstm_sentence_trace,
     dynamics.lstm_memory_verdict, LSTM_SOLUTION),
]  # fmt: skip


@pytest.mark.parametrize("explorer", SENTENCE_EXPLORERS, ids=["gru_sentence", "lstm_memory_puzzle"])
def test_sentence_settings_are_the_cells_weights(explorer):
    """Is each slider a weight or bias of the cell, −10 … 10 in steps of 0.1, labelled by its name (what a learner
    copies), said in words, and starting where the old widgets started?"""
    settings, gates, *_ = explorer
    assert set(settings) <= set(dynamics.setting_names(gates))
    for name, s in settings.items():
        assert (s.lo, s.hi, s.step, s.label) == (-10.0, 10.0, 0.1, name)
        assert all(isinstance(v, float) for v in (s.lo, s.hi, s.step, s.value))  # float sliders
        assert s.about.startswith("the ") and ("bias" in s.about or "weight on" in s.about)
    starts = {
        dynamics.GRU_GATES: {"z_noun": 1.0, "z_verb": 1.0, "z_h": 0.0, "b_z": 0.0, "h_number": 1.0, "h_h": 0.0},
        dynamics.LSTM_GATES: {"f_noun": 0.0, "f_verb": -2.0, "f_h": 0.0, "b_f": 0.0, "i_noun": 1.0, "i_h": 0.0,
                              "b_i": 0.0, "c_number": 1.0, "b_o": 0.0},
    }  # fmt: skip
    assert dynamics.start_values(settings) == starts[gates]


@pytest.mark.parametrize("explorer", SENTENCE_EXPLORERS, ids=["gru_sentence", "lstm_memory_puzzle"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sentence_numbers_are_the_traces_and_the_verdict(explorer, seed):
    """Are a sentence explorer's numbers, per sentence, its series of the cell's trace (JSON-able floats), and the
    verdict the verdict function's, at the start, at the solution and at random settings?"""
    settings, gates, numbers, trace, verdict, solution = explorer
    g = torch.Generator().manual_seed(seed)
    random = {name: 20 * torch.rand(1, generator=g, dtype=torch.float64).item() - 10 for name in settings}
    for values in (dynamics.start_values(settings), solution, random):
        q = numbers(**values)
        assert list(q) == [*dynamics.PUZZLE_PAIR, "verdict"] and json.loads(json.dumps(q)) == q
        for name in dynamics.PUZZLE_PAIR:
            t = trace(values, data.SENTENCES[name])
            assert set(q[name]) < set(t) and all(q[name][k] == t[k].tolist() for k in q[name])
        solved, message = verdict(values)
        assert q["verdict"] == {"solved": solved, "message": message}
    assert not numbers(**dynamics.start_values(settings))["verdict"]["solved"]
    assert numbers(**solution)["verdict"]["solved"]


def test_sentence_numbers_show_what_the_figures_draw():
    """The GRU's: z, the candidate and h; the LSTM's: its forget and input gates, c and h."""
    assert set(dynamics.gru_sentence_numbers()["cat"]) == {"z", "h_tilde", "h"}
    assert set(dynamics.lstm_puzzle_numbers()["cats"]) == {"f", "i", "c", "h"}


def torch_lstm_c(b_f, x, T, c0, through_h):
    """c_T of a one-unit nn.LSTMCell (HIGHWAY_WEIGHTS, forget bias b_f) unrolled T steps from c0 and h0 = 0.

    Without through_h, h_{t-1} enters the gates detached: the derivative follows the cell alone."""
    params = {}
    for g, (w_x, w_h) in dynamics.HIGHWAY_WEIGHTS.items():
        params[f"W_{g}"] = torch.tensor([[w_h, w_x]], dtype=torch.float64)
        params[f"b_{g}"] = torch.tensor([b_f if g == "f" else 0.0], dtype=torch.float64)
    h, c = torch.zeros(1, 1, dtype=torch.float64), c0.reshape(1, 1)
    for x_t in x[:T]:
        h, c = interop.torch_step("lstm", params, x_t.reshape(1, 1), h if through_h else h.detach(), c)
    return c[0, 0]


@pytest.mark.parametrize("b_f", [-2.0, 0.0, 1.0, 4.0])
def test_highway_gradient_is_the_product_of_forget_gates(b_f):
    """Along the cell, is ∂c_t/∂c_0 exactly f_1 ⋯ f_t (to 1e-12)?"""
    x = dynamics.one_unit_rnn_inputs(60, 0.5)
    f, dc = dynamics.one_unit_lstm_cell_gradients(b_f, x)
    assert f.shape == dc.shape == (60,)
    assert ((f > 0) & (f < 1)).all()
    torch.testing.assert_close(dc, f.cumprod(0), atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("through_h", [False, True])
def test_highway_gradient_matches_autograd_through_lstmcell(through_h):
    """Is ∂c_T/∂c_0 what autograd gives through nn.LSTMCell unrolled T steps (cell path, or all paths)?"""
    x = dynamics.one_unit_rnn_inputs(30, 0.5)
    _, dc = dynamics.one_unit_lstm_cell_gradients(1.0, x, through_h=through_h)
    for T in (1, 7, 30):
        c0 = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        (expected,) = torch.autograd.grad(torch_lstm_c(1.0, x, T, c0, through_h), c0)
        torch.testing.assert_close(dc[T - 1], expected, atol=1e-12, rtol=1e-9)


def test_highway_paths_through_h_change_the_gradient():
    """Do the paths through h make the full derivative differ from the product of forget gates?"""
    x = dynamics.one_unit_rnn_inputs(40, 0.5)
    f, dc_all = dynamics.one_unit_lstm_cell_gradients(1.0, x, through_h=True)
    assert (dc_all - f.cumprod(0)).abs().max() > 1e-3


def test_highway_forget_bias_keeps_the_gradient():
    """Does a larger forget bias keep more gradient after 40 steps, near 1 for b_f = 8?"""
    x = dynamics.one_unit_rnn_inputs(40, 0.5)
    biases = (-2.0, 0.0, 1.0, 3.0, 8.0)
    at_40 = [float(dynamics.one_unit_lstm_cell_gradients(b_f, x)[1][-1]) for b_f in biases]
    assert at_40 == sorted(at_40)
    assert at_40[0] < 1e-20 and at_40[-1] > 0.9


def number(v):
    """v (a float or a list of them) as a float64 tensor of one more dimension: a batch of 1."""
    return torch.tensor([v], dtype=torch.float64)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lstm_gate_step_matches_torch(seed):
    """Is the gate explorer's c_t the c' of nn.LSTMCell with the explorer's gates (its candidate made constant:
    W_c = 0, b_c = atanh(c_tilde)), and are its gates and products consistent with it?"""
    g = torch.Generator().manual_seed(seed)
    s = {n: v.lo + (v.hi - v.lo) * torch.rand(1, generator=g).item() for n, v in dynamics.LSTM_GATE_SETTINGS.items()}
    q = dynamics.lstm_gate_step(**s)
    params = {  # W_g acts on [h_prev, x_t]
        "W_f": number([s["w_fh"], s["w_fx"]]), "b_f": number(s["b_f"]),
        "W_i": number([s["w_ih"], s["w_ix"]]), "b_i": number(s["b_i"]),
        "W_c": number([0.0, 0.0]), "b_c": number(math.atanh(s["c_tilde"])),
        "W_o": number([0.0, 0.0]), "b_o": number(0.0),
    }  # fmt: skip
    cell = interop.lstm_params_to_torch(params).double()
    _, c = cell(number([s["x"]]), (number([s["h_prev"]]), number([s["c_prev"]])))
    assert q["c"] == pytest.approx(c.item(), abs=1e-12)
    assert q["f"] == pytest.approx(torch.sigmoid(number(q["a_f"])).item(), abs=1e-15)
    assert (q["f_c_prev"], q["i_c_tilde"]) == (q["f"] * s["c_prev"], q["i"] * s["c_tilde"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gru_gate_step_matches_torch(seed):
    """Is the gate explorer's h_next the h' of nn.GRUCell with the explorer's update gate (its candidate made
    constant: W_h = 0, b_h = atanh(h_tilde)), and are its parts consistent with it?"""
    g = torch.Generator().manual_seed(seed)
    s = {n: v.lo + (v.hi - v.lo) * torch.rand(1, generator=g).item() for n, v in dynamics.GRU_GATE_SETTINGS.items()}
    q = dynamics.gru_gate_step(**s)
    params = {  # W_g acts on [h_prev, x_t]
        "W_z": number([s["w_h"], s["w_x"]]), "b_z": number(s["b"]),
        "W_r": number([0.0, 0.0]), "b_r": number(0.0),
        "W_h": number([0.0, 0.0]), "b_h": number(math.atanh(s["h_tilde"])),
    }  # fmt: skip
    h = interop.gru_params_to_torch(params).double()(number([s["x"]]), number([s["h_prev"]]))
    assert q["h_next"] == pytest.approx(h.item(), abs=1e-12)
    assert q["z"] == pytest.approx(torch.sigmoid(number(q["a"])).item(), abs=1e-15)
    assert (q["keep"], q["write"]) == ((1 - q["z"]) * s["h_prev"], q["z"] * s["h_tilde"])
