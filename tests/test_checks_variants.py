"""Do lesson 07's checks pass a correct CIFG cell and a right prediction, and name what is wrong otherwise?

The correct CIFG cell lives here, in the test, never in gatelab; each mistake is a small variant.
"""

import pytest
import torch

from gatelab import experiments
from gatelab.checks import variants as checks
from gatelab.checks.core import CheckFailed, ForbiddenCall


def cell(x_t, h_prev, c_prev, params, order="hx", coupling="1-f", tanh_out=True, inplace=False):
    """The CIFG cell; order, coupling, tanh_out and inplace switch on the mistakes the checks should catch."""
    hx = torch.cat([h_prev, x_t] if order == "hx" else [x_t, h_prev], dim=1)
    f = torch.sigmoid(hx @ params["W_f"].T + params["b_f"])
    c_tilde = torch.tanh(hx @ params["W_c"].T + params["b_c"])
    o = torch.sigmoid(hx @ params["W_o"].T + params["b_o"])
    i = {"1-f": 1 - f, "f": f, "1": torch.ones_like(f)}.get(coupling)
    if coupling == "swapped":
        f, i = 1 - f, f
    if coupling == "W_i":
        i = torch.sigmoid(hx @ params["W_i"].T + params["b_i"])
    if inplace:
        c_prev.mul_(0.5)
    c_next = f * c_prev + i * c_tilde
    h_next = o * torch.tanh(c_next) if tanh_out else o * c_next
    return h_next, c_next, {"f": f, "o": o, "c_tilde": c_tilde}


def cifg_cell_forward(x_t, h_prev, c_prev, params):
    return cell(x_t, h_prev, c_prev, params)


def fails(check, fn, match, error=CheckFailed):
    with pytest.raises(error, match=f"(?s){match}"):
        check(fn)


def test_a_correct_cifg_cell_passes_every_check(capsys):
    checks.cifg_cell_shapes(cifg_cell_forward)
    checks.cifg_cell_matches_torch(cifg_cell_forward)
    checks.cifg_cell_random_cases(cifg_cell_forward)
    assert "✓ cifg_cell_forward matches torch.nn.LSTMCell with i = 1 − f" in capsys.readouterr().out


def test_the_oracle_is_an_lstm_whose_input_gate_is_one_minus_the_forget_gate(rng):
    x_t, h_prev, c_prev, params = checks.cifg_case()
    assert "W_i" not in params and "b_i" not in params
    h, c = checks.oracle(x_t, h_prev, c_prev, params)
    h_ref, c_ref, _ = cifg_cell_forward(x_t, h_prev, c_prev, params)
    assert torch.allclose(h, h_ref) and torch.allclose(c, c_ref)


@pytest.mark.parametrize(
    ("mistake", "match"),
    [
        ({"coupling": "f"}, r"c_next: max error .* is i = 1 − f\?\nthis is what i = f gives: .* \[cifg.i-is-f\]"),
        ({"coupling": "1"}, r"this is what i = 1 .* \[cifg.i-is-one\]"),
        ({"coupling": "swapped"}, r"this is what f and 1 − f swapped .* \[cifg.f-swapped\]"),
        ({"order": "xh"}, r"\[x_t, h_prev\] order gives: the course concatenates \[h_prev, x_t\]"),
        ({"tanh_out": False}, r"h_next: max error .* c_next is right, so look at the output"),
        ({"inplace": True}, r"(changed its input c_prev|input c_prev was changed) in place"),
        ({"coupling": "W_i"}, r"raised KeyError: 'W_i'.*hint: a CIFG cell has no W_i or b_i"),
    ],
)
def test_cifg_mistakes_are_named(mistake, match):
    def wrong(x_t, h_prev, c_prev, params):
        return cell(x_t, h_prev, c_prev, params, **mistake)

    fails(checks.cifg_cell_matches_torch, wrong, match)


def test_an_unnamed_mistake_still_says_where(rng):
    def wrong(x_t, h_prev, c_prev, params):
        h, c, cache = cifg_cell_forward(x_t, h_prev, c_prev, params)
        return h, c + 0.3, cache

    with pytest.raises(CheckFailed) as error:
        checks.cifg_cell_matches_torch(wrong)
    assert "c_next: max error 0.3" in str(error.value) and "hint" not in str(error.value)


def test_bad_returns_and_a_stub_are_described():
    fails(checks.cifg_cell_shapes, lambda x, h, c, p: None, r"should return 3 values .*returned None")
    fails(checks.cifg_cell_shapes, lambda x, h, c, p: (h, c), r"returned a tuple of 2 items")
    fails(checks.cifg_cell_shapes, lambda x, h, c, p: (h.T, c, {}), r"h_next: expected shape \(B, n_h\)")
    fails(checks.cifg_cell_matches_torch, lambda x, h, c, p: (h, c.float(), {}), r"c_next: expected dtype")

    def stub(x_t, h_prev, c_prev, params):
        raise NotImplementedError()

    fails(checks.cifg_cell_shapes, stub, "not implemented yet")
    fails(checks.cifg_cell_random_cases, stub, "not implemented yet")


def test_float32_and_batch_of_one_are_checked():
    def float64_only(x_t, h_prev, c_prev, params):
        h, c, cache = cifg_cell_forward(x_t, h_prev, c_prev, params)
        return h.double(), c.double(), cache

    checks.cifg_cell_matches_torch(float64_only)
    fails(checks.cifg_cell_random_cases, float64_only, "expected dtype torch.float32")

    def batch_of_many(x_t, h_prev, c_prev, params):
        assert x_t.shape[0] > 1, "B = 1"
        return cifg_cell_forward(x_t, h_prev, c_prev, params)

    fails(checks.cifg_cell_random_cases, batch_of_many, "AssertionError: B = 1")


def test_torch_cells_and_gatelabs_cells_are_refused():
    def cheat(x_t, h_prev, c_prev, params):
        lstm = torch.nn.LSTMCell(x_t.shape[1], h_prev.shape[1], dtype=x_t.dtype)
        h, c = lstm(x_t, (h_prev, c_prev))
        return h, c, None

    def gatelab_cheat(x_t, h_prev, c_prev, params):
        from gatelab import train

        (h, c), _ = train.lstm_step(params, x_t, (h_prev, c_prev), fixed={"i": 0.5})
        return h, c, None

    fails(checks.cifg_cell_matches_torch, cheat, "LSTMCell.forward", error=ForbiddenCall)
    fails(checks.cifg_cell_matches_torch, gatelab_cheat, "gate_inputs", error=ForbiddenCall)


# --- the prediction ---


def fake_results(mse):
    """A cache whose runs have the MSE mse says ({variant: MSE}, 0.04 for the others) at every lag."""
    rows = [
        {"variant": v, "lag": lag, "seed": s, "mse": mse.get(v, 0.04), "solved": 0.5, "curve": []}
        for v in experiments.VARIANTS
        for lag in experiments.LAGS
        for s in experiments.SEEDS
    ]
    return {"config": experiments.config(), "rows": rows}


RESULTS = fake_results({"lstm": 0.0001, "no_forget": 0.002, "irnn": 0.0003, "lstm_bias0": 0.01})


def test_a_right_prediction_passes(capsys):
    right = {"learns": ["irnn", "no_forget", "lstm"], "bias_1_beats_bias_0": True}
    checks.prediction_matches_results(right, RESULTS)
    assert "your prediction matches the runs: at T = 30, 3 of the models learn the task" in capsys.readouterr().out


def test_a_wrong_prediction_says_what_the_runs_show():
    wrong = {"learns": {"lstm", "rnn"}, "bias_1_beats_bias_0": False}
    with pytest.raises(CheckFailed) as error:
        checks.prediction_matches_results(wrong, RESULTS)
    message = str(error.value)
    assert "predicted to learn T = 30 but did not: rnn" in message
    assert "learned T = 30 though not predicted: irnn, no_forget" in message
    assert "bias_1_beats_bias_0: you predicted False; with b_f = 1 the mean MSE at T = 30 is lower" in message


@pytest.mark.parametrize(
    ("prediction", "match"),
    [
        (None, "should be a dict"),
        ({"learns": []}, "exactly the keys"),
        ({"learns": "lstm", "bias_1_beats_bias_0": True}, "should be a list of variant names"),
        ({"learns": ["LSTM"], "bias_1_beats_bias_0": True}, r"unknown variant name\(s\) \['LSTM'\]"),
        ({"learns": [], "bias_1_beats_bias_0": "yes"}, "should be True or False"),
    ],
)
def test_a_malformed_prediction_is_described(prediction, match):
    with pytest.raises(CheckFailed, match=match):
        checks.prediction_matches_results(prediction, RESULTS)


def test_the_outcome_follows_the_majority_of_seeds():
    two_of_three = fake_results({})
    for row in experiments.rows_of(two_of_three, "gru", experiments.PREDICTION_LAG)[:2]:
        row["mse"] = 0.0001
    assert checks.outcome(two_of_three)["learns"] == {"gru"}
    assert checks.outcome(RESULTS)["bias_1_beats_bias_0"] is True
