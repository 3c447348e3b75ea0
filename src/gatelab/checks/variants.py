"""Checks for lesson 07, why gates specialize: the coupled input-forget (CIFG) cell and the prediction.

B batch, n_x input features, n_h hidden units. A CIFG cell's params are W_f, W_c, W_o (n_h, n_h + n_x)
acting on [h_prev, x_t] and b_f, b_c, b_o (n_h,); it has no W_i, b_i: its input gate is tied to the
forget gate. The oracle is torch.nn.LSTMCell (through gatelab.interop.torch_step) given W_i = -W_f and
b_i = -b_f, since sigmoid(-a) = 1 - sigmoid(a). The prediction is checked against the cached grid of
gatelab.experiments (the same file the lesson's table is drawn from).
"""

import torch

from gatelab import experiments, interop
from gatelab.checks.core import (
    CheckFailed,
    Mistake,
    describe,
    on_random_cases,
    passed,
    recognise,
    run_learner,
    tensor_problem,
    x_first,
)

CELL_ARGS = ("x_t", "h_prev", "c_prev", "params")
CELL_RETURNS = ("h_next", "c_next", "cache")
CIFG_GATES = ("f", "c", "o")


def cifg_case(B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Seeded inputs of one CIFG step: x_t (B, n_x), h_prev, c_prev (B, n_h), params without W_i, b_i."""
    g = torch.Generator().manual_seed(seed)
    x_t = torch.randn(B, n_x, dtype=dtype, generator=g)
    h_prev = torch.randn(B, n_h, dtype=dtype, generator=g).tanh()
    c_prev = torch.randn(B, n_h, dtype=dtype, generator=g)
    params = interop.random_params("lstm", n_x, n_h, dtype, g, scale=0.8)
    return x_t, h_prev, c_prev, {k: v for k, v in params.items() if k[2:] in CIFG_GATES}


def as_lstm(params, input_gate=None):
    """LSTM params that compute what a CIFG cell with these params computes: W_i = -W_f, b_i = -b_f.

    input_gate = (W_i, b_i) puts another input gate in their place (to recognise a mistake).
    """
    W_i, b_i = input_gate or (-params["W_f"], -params["b_f"])
    return {**params, "W_i": W_i, "b_i": b_i}


def oracle(x_t, h_prev, c_prev, params):
    """h_next, c_next (B, n_h) of a CIFG step, from torch.nn.LSTMCell."""
    with torch.no_grad():
        return interop.torch_step("lstm", as_lstm(params), x_t, h_prev, c_prev)


def _cifg_mistake(id_, did, instead, lstm_params):
    """A Mistake of cifg_cell_forward computed by nn.LSTMCell on lstm_params(params, n_x)."""

    def gives(x_t, h_prev, c_prev, params):
        h, c = interop.torch_step("lstm", lstm_params(params, x_t.shape[1]), x_t, h_prev, c_prev)
        return {"h_next": h, "c_next": c}

    return Mistake(f"cifg.{id_}", did, instead, gives)


def _always_open(params):
    return (torch.zeros_like(params["W_f"]), torch.full_like(params["b_f"], 1e4))  # sigmoid(1e4) = 1


MISTAKES = (
    _cifg_mistake(
        "i-is-f",
        "i = f",
        "the coupled input gate is i = 1 − f (it writes what the forget gate erases)",
        lambda p, n_x: as_lstm(p, (p["W_f"], p["b_f"])),
    ),
    _cifg_mistake(
        "i-is-one",
        "i = 1 (c_next = f ⊙ c_prev + c_tilde)",
        "couple the gates: i = 1 − f",
        lambda p, n_x: as_lstm(p, _always_open(p)),
    ),
    _cifg_mistake(
        "f-swapped",
        "f and 1 − f swapped (you swapped the roles)",
        "f = sigmoid(W_f [h_prev, x_t] + b_f) multiplies c_prev, and i = 1 − f multiplies c_tilde",
        lambda p, n_x: as_lstm({**p, "W_f": -p["W_f"], "b_f": -p["b_f"]}, (p["W_f"], p["b_f"])),
    ),
    _cifg_mistake(
        "concat-order",
        "[x_t, h_prev] order",
        "the course concatenates [h_prev, x_t], h_prev first (cat([h_prev, x_t], dim=1))",
        lambda p, n_x: as_lstm(x_first(p, n_x)),
    ),
)


def run_cifg(cifg_cell_forward, args):
    """The learner's outputs by name; a KeyError on W_i or b_i becomes a hint about the coupling."""
    try:
        return run_learner(cifg_cell_forward, args, CELL_ARGS, CELL_RETURNS, fn_name="cifg_cell_forward")
    except CheckFailed as error:
        if "KeyError: 'W_i'" in str(error) or "KeyError: 'b_i'" in str(error):
            raise CheckFailed(
                f"{error}\nhint: a CIFG cell has no W_i or b_i (params holds W_f, b_f, W_c, b_c, W_o, b_o): "
                "its input gate is computed from the forget gate, i = 1 − f"
            ) from None
        raise


def cifg_cell_shapes(cifg_cell_forward):
    """Does cifg_cell_forward(x_t, h_prev, c_prev, params) return (h_next, c_next, cache), both (B, n_h)?"""
    x_t, h_prev, c_prev, params = cifg_case()
    out = run_cifg(cifg_cell_forward, (x_t, h_prev, c_prev, params))
    for name in ("h_next", "c_next"):
        problem = tensor_problem(name, out[name], h_prev, "(B, n_h)", values=False)
        if problem:
            raise CheckFailed(f"cifg_cell_forward: {problem}")
    passed("cifg_cell_forward returns (h_next, c_next, cache), both of shape (B, n_h)")


def cifg_cell_matches_torch(cifg_cell_forward, B=4, n_x=5, n_h=3, dtype=torch.float64, seed=0):
    """Does cifg_cell_forward compute nn.LSTMCell's step with W_i = -W_f, b_i = -b_f (i = 1 − f)?"""
    x_t, h_prev, c_prev, params = cifg_case(B, n_x, n_h, dtype, seed)
    out = run_cifg(cifg_cell_forward, (x_t, h_prev, c_prev, params))
    h_expected, c_expected = oracle(x_t, h_prev, c_prev, params)
    for name in ("h_next", "c_next"):  # wrong types or shapes first, then values, c_next before h_next
        problem = tensor_problem(name, out[name], h_expected, "(B, n_h)", values=False)
        if problem:
            raise CheckFailed(f"cifg_cell_forward: {problem}")
    c_problem = tensor_problem("c_next", out["c_next"], c_expected, "(B, n_h)")
    h_problem = tensor_problem("h_next", out["h_next"], h_expected, "(B, n_h)")
    if c_problem or h_problem:
        mistake = recognise(out, MISTAKES, x_t, h_prev, c_prev, params)
        if c_problem:
            message = f"{c_problem}; h_next follows from it — is i = 1 − f?"
        else:
            message = f"{h_problem}; c_next is right, so look at the output: h_next = o ⊙ tanh(c_next)"
        raise CheckFailed(f"cifg_cell_forward: {message}" + (f"\n{mistake.line()}" if mistake else ""))
    passed(f"cifg_cell_forward matches torch.nn.LSTMCell with i = 1 − f for B={B}, n_x={n_x}, n_h={n_h}, {dtype}")


def cifg_cell_random_cases(cifg_cell_forward):
    """cifg_cell_matches_torch at random sizes (B = 1 included), in float64 and float32."""
    on_random_cases(cifg_cell_matches_torch, cifg_cell_forward)


# --- the prediction, checked against the cached runs ---

PREDICTION_KEYS = ("learns", "bias_1_beats_bias_0")


def outcome(results=None):
    """What the cached runs say at the prediction's lag (experiments.PREDICTION_LAG): the variants most of whose
    runs learn the task (experiments.learns), and whether the LSTM with b_f = 1 at start ends with a lower mean
    MSE there than with b_f = 0."""
    results = results or experiments.load_results()
    lag = experiments.PREDICTION_LAG
    stats = experiments.summary(results)
    return {
        "learns": {v for v in experiments.VARIANTS if experiments.learns(results, v, lag)},
        "bias_1_beats_bias_0": stats["lstm"][lag]["mse"] < stats["lstm_bias0"][lag]["mse"],
    }


def _read_prediction(prediction):
    """The prediction as (set of variant names, bool); CheckFailed describing what is malformed."""
    if not isinstance(prediction, dict):
        raise CheckFailed(f"prediction should be a dict with keys {list(PREDICTION_KEYS)}, got {describe(prediction)}")
    if sorted(map(str, prediction)) != sorted(PREDICTION_KEYS):
        raise CheckFailed(
            f"prediction should have exactly the keys {list(PREDICTION_KEYS)}; it has {sorted(map(str, prediction))}"
        )
    names, beats = prediction["learns"], prediction["bias_1_beats_bias_0"]
    if isinstance(names, str) or not isinstance(names, (list, tuple, set, frozenset)):
        raise CheckFailed(f"prediction['learns'] should be a list of variant names, got {describe(names)}")
    unknown = sorted(str(n) for n in names if n not in experiments.VARIANTS)
    if unknown:
        raise CheckFailed(f"unknown variant name(s) {unknown}; the names are {', '.join(experiments.VARIANTS)}")
    if not isinstance(beats, bool):
        raise CheckFailed(f"prediction['bias_1_beats_bias_0'] should be True or False, got {describe(beats)}")
    return set(names), beats


def prediction_matches_results(prediction, results=None):
    """Does the prediction match the cached runs (gatelab.experiments.load_results)? Says what differs."""
    names, beats = _read_prediction(prediction)
    actual = outcome(results)
    lag = experiments.PREDICTION_LAG
    wrong = []
    learned = actual["learns"]
    if names - learned:
        wrong.append(f"predicted to learn T = {lag} but did not: {', '.join(sorted(names - learned))}")
    if learned - names:
        wrong.append(f"learned T = {lag} though not predicted: {', '.join(sorted(learned - names))}")
    if beats != actual["bias_1_beats_bias_0"]:
        verdict = "lower" if actual["bias_1_beats_bias_0"] else "not lower"
        wrong.append(f"bias_1_beats_bias_0: you predicted {beats}; with b_f = 1 the mean MSE at T = {lag} is {verdict}")
    if wrong:
        raise CheckFailed(
            "the runs disagree with your prediction:\n"
            + "\n".join(wrong)
            + "\n(look at the table above, then write down what it shows)"
        )
    passed(f"your prediction matches the runs: at T = {lag}, {len(names)} of the models learn the task, as you said")
