"""Do lesson 06's checks pass right answers, and tell each wrong one precisely what is wrong?"""

import numpy as np
import pytest
import torch

from gatelab.checks import analysis
from gatelab.checks.core import CheckFailed


# --- learners' functions, right and wrong, written here independently of the lesson's solution ---
def correlation(states, number):
    y = number.to(states.dtype)
    return torch.stack([torch.corrcoef(torch.stack([col, y]))[0, 1] for col in states.T])


def number_unit(states, number):
    return int(correlation(states, number).abs().argmax())


def number_unit_by_d_prime(states, number):
    """Another right criterion: |difference of means| over the pooled standard deviation."""
    a, b = states[number > 0], states[number < 0]
    return int(((a.mean(0) - b.mean(0)).abs() / torch.sqrt((a.var(0) + b.var(0)) / 2)).argmax())


def saturation_fractions(gate, low=0.1, high=0.9):
    H = gate.shape[-1]
    flat = gate.reshape(-1, H)
    return (flat < low).sum(0).to(gate.dtype) / len(flat), (flat > high).sum(0).to(gate.dtype) / len(flat)


def fails(check, fn):
    with pytest.raises(CheckFailed) as info:
        check(fn)
    return str(info.value)


# --- the cases: known by construction ---
def test_the_number_unit_of_every_case_stands_out_by_construction():
    for N, H, seed in analysis.NUMBER_CASES:
        for decoys in (False, True):
            states, number, unit = analysis.number_case(N, max(H, 3), seed=seed, sign=-1, decoys=decoys)
            corr = analysis.correlations(states, number).abs()
            assert int(corr.argmax()) == unit and float(corr[unit]) > 0.98
            assert float(corr.topk(2).values[1]) < 0.6 if max(H, 3) > 1 else True
            assert sorted(number.unique().tolist()) == [-1, 1] and number.dtype == torch.int64


def test_a_decoy_fools_an_unscaled_difference_of_means_and_a_signed_maximum():
    states, number, unit = analysis.number_case(300, 10, seed=0, sign=-1, decoys=True)
    mean_difference = (states[number > 0].mean(0) - states[number < 0].mean(0)).abs()
    assert int(mean_difference.argmax()) != unit
    assert int(analysis.correlations(states, number).argmax()) != unit


def test_the_saturation_cases_hold_the_counts_they_claim():
    for N, T, H, seed in analysis.SATURATION_CASES:
        for edges, (low, high) in ((False, (0.1, 0.9)), (True, (0.25, 0.75)), (True, (0.5, 0.5))):
            gate, left, right = analysis.saturation_case(N, T, H, torch.float32, seed, low, high, edges)
            assert gate.shape == (N, T, H) and bool(((gate > 0) & (gate < 1)).all())
            torch.testing.assert_close(left, (gate < low).float().mean(dim=(0, 1)))
            torch.testing.assert_close(right, (gate > high).float().mean(dim=(0, 1)))


def test_edge_cases_hold_values_exactly_at_the_thresholds():
    gate, _, _ = analysis.saturation_case(5, 8, 6, torch.float64, 0, 0.25, 0.75, edges=True)
    assert bool((gate == 0.25).any()) and bool((gate == 0.75).any())


# --- right answers pass ---
@pytest.mark.parametrize("fn", [number_unit, number_unit_by_d_prime])
def test_right_number_units_pass_every_check(fn, capsys):
    analysis.number_unit_returns_index(fn)
    analysis.number_unit_finds_unit(fn)
    analysis.number_unit_scale_and_sign(fn)
    analysis.number_unit_random_cases(fn)
    analysis.number_unit_decoy_cases(fn)
    assert "✓ number_unit finds unit" in capsys.readouterr().out


def test_a_numpy_or_tensor_index_is_accepted():
    analysis.number_unit_finds_unit(lambda s, n: np.int64(number_unit(s, n)))
    analysis.number_unit_finds_unit(lambda s, n: correlation(s, n).abs().argmax())


def test_right_saturation_fractions_pass_every_check(capsys):
    analysis.saturation_shapes(saturation_fractions)
    analysis.saturation_counts(saturation_fractions)
    analysis.saturation_thresholds(saturation_fractions)
    analysis.saturation_random_cases(saturation_fractions)
    analysis.saturation_threshold_cases(saturation_fractions)
    out = capsys.readouterr().out
    assert "✓ saturation_fractions uses low=0.25 and high=0.75, strictly, for N=5, T=8, H=6, torch.float64" in out


# --- wrong answers get precise feedback ---
def test_scores_instead_of_an_index():
    assert fails(analysis.number_unit_returns_index, lambda s, n: correlation(s, n).abs()) == (
        "number_unit should return a unit index, an int from 0 to H - 1 = 4, got a tensor of shape (5,) and dtype "
        "float64 — the scores of every unit? return the index of the best one (argmax)"
    )


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda s, n: 3.0, "number_unit should return a unit index, an int from 0 to H - 1 = 4, got the number 3.0"),
        (lambda s, n: True, "number_unit should return a unit index, an int from 0 to H - 1 = 4, got the number True"),
        (lambda s, n: None, "number_unit should return a unit index, an int from 0 to H - 1 = 4, got None"),
        (lambda s, n: torch.tensor(1.0), "got a tensor of dtype torch.float32"),
        (lambda s, n: 5, "number_unit returned unit 5, out of range: states has H = 5 units (0 to 4)"),
        (lambda s, n: -1, "number_unit returned unit -1, out of range: states has H = 5 units (0 to 4)"),
    ],
)
def test_anything_but_an_index_in_range_is_refused(fn, message):
    assert message in fails(analysis.number_unit_returns_index, fn)


def test_argmin_is_named():
    assert fails(analysis.number_unit_finds_unit, lambda s, n: int(correlation(s, n).abs().argmin())) == (
        "number_unit: expected unit 6, got 1: unit 1's |corr| with number is 0.01, unit 6's 0.99\n"
        "hint: unit 1 is the one that separates the numbers *least*: argmax, not argmin? [analysis.argmin]"
    )


def test_a_signed_maximum_is_caught_by_a_negative_number_unit():
    signed = lambda s, n: int(correlation(s, n).argmax())  # noqa: E731
    analysis.number_unit_finds_unit(signed)  # the visible basic case has a positive unit
    assert fails(analysis.number_unit_scale_and_sign, signed) == (
        "number_unit: expected unit 8, got 9: unit 9's |corr| with number is 0.45, unit 8's 0.99\n"
        "hint: unit 9 has the largest *positive* correlation; a unit with a stronger negative one separates the "
        "numbers as well (plural up instead of down): compare absolute values [analysis.correlation-without-abs]"
    )


def test_an_unscaled_difference_of_means_is_caught_by_the_decoy():
    unscaled = lambda s, n: int((s[n > 0].mean(0) - s[n < 0].mean(0)).abs().argmax())  # noqa: E731
    assert fails(analysis.number_unit_scale_and_sign, unscaled) == (
        "number_unit: expected unit 8, got 6: unit 6's |corr| with number is 0.10, unit 8's 0.99\n"
        "hint: unit 6 has the largest difference of means, but also a large spread: scale by the standard "
        "deviation (or use the correlation), so that a unit's size does not count [analysis.mean-difference]"
    )


def test_float32_states_are_handled_by_the_hidden_cases():
    wrong_dtype = lambda s, n: int(correlation(s.double(), n).abs().argmax()) if s.dtype == torch.float64 else 0  # noqa: E731
    assert "number_unit: expected unit" in fails(analysis.number_unit_random_cases, wrong_dtype)


def test_unimplemented_and_in_place_number_units():
    def todo(states, number):
        raise NotImplementedError()

    def in_place(states, number):
        states -= states.mean(0)
        return 0

    assert "number_unit is not implemented yet" in fails(analysis.number_unit_returns_index, todo)
    assert "number_unit changed its input states in place" in fails(analysis.number_unit_finds_unit, in_place)


def test_swapped_fractions_are_named():
    assert fails(analysis.saturation_counts, lambda g, low=0.1, high=0.9: saturation_fractions(g)[::-1]) == (
        "saturation_fractions: left: max error 0.267 at [1] (allowed: 1e-09 + 1e-09·|value|); 3 of 4 entries are off\n"
        "hint: left and right are swapped: left-saturated means below low (the gate nearly closed), right above high "
        "[analysis.fractions-swapped]"
    )


def test_counts_are_not_fractions():
    counts = lambda g, low=0.1, high=0.9: tuple(f * g.shape[0] * g.shape[1] for f in saturation_fractions(g))  # noqa: E731
    assert fails(analysis.saturation_counts, counts).endswith(
        "hint: those are counts: a fraction divides by the number of activations of each unit, N·T = 30 "
        "[analysis.counts-not-fractions]"
    )


def test_an_average_over_one_dimension_gets_the_shape_in_letters():
    per_step = lambda g, low=0.1, high=0.9: ((g < low).to(g.dtype).mean(0), (g > high).to(g.dtype).mean(0))  # noqa: E731
    assert fails(analysis.saturation_shapes, per_step) == (
        "saturation_fractions: left: expected shape (H,) = (5,), got (7, 5)\n"
        "hint: one fraction per unit: average over every dimension but the last (all N·T activations of a unit) "
        "[analysis.partial-average]"
    )


def test_a_fixed_dtype_is_refused():
    as_float = lambda g, low=0.1, high=0.9: tuple(f.float() for f in saturation_fractions(g, low, high))  # noqa: E731
    assert fails(analysis.saturation_counts, as_float) == (
        "saturation_fractions: left: expected dtype torch.float64, got torch.float32 "
        "(compute with the inputs' dtype; don't create tensors with a fixed dtype)"
    )


def test_thresholds_are_strict_and_must_be_used():
    def loose(g, low=0.1, high=0.9):
        return (g <= low).to(g.dtype).mean(dim=(0, 1)), (g >= high).to(g.dtype).mean(dim=(0, 1))

    analysis.saturation_counts(loose)  # no value sits exactly on 0.1 or 0.9 there
    assert fails(analysis.saturation_thresholds, loose) == (
        "saturation_fractions: left: max error 0.025 at [4] (allowed: 1e-09 + 1e-09·|value|); 5 of 6 entries are off\n"
        "hint: an activation equal to low is not saturated: use < low and > high [analysis.thresholds-not-strict]"
    )
    assert fails(analysis.saturation_thresholds, lambda g, low=0.1, high=0.9: saturation_fractions(g)).endswith(
        "hint: use the thresholds you are given, low = 0.25 and high = 0.75, not the defaults 0.1 and 0.9 "
        "[analysis.default-thresholds]"
    )


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda g, low=0.1, high=0.9: saturation_fractions(g)[0],
         "saturation_fractions should return 2 values (left, right); it returned a tensor of shape (5,)"),
        (lambda g, low=0.1, high=0.9: ([0.0], [1.0]),
         "saturation_fractions: left should be a torch.Tensor of shape (H,) = (5,), got a list of 1 item"),
    ],
)  # fmt: skip
def test_wrong_return_values_are_described(fn, message):
    assert message in fails(analysis.saturation_shapes, fn)


def without_thresholds(gate):
    return saturation_fractions(gate)


def test_a_function_without_the_thresholds_says_so():
    analysis.saturation_counts(without_thresholds)
    assert fails(analysis.saturation_thresholds, without_thresholds) == (
        "saturation_fractions raised TypeError: without_thresholds() takes 1 positional argument but 3 were given"
    )


# --- forget_parts: right answers written three ways, and the usual slips ---
def forget_parts_indexed(W_f, b_f, h_prev, ids):
    H = h_prev.shape[1]
    return {"token": W_f[:, H + ids].T, "recurrent": h_prev @ W_f[:, :H].T, "bias": b_f.expand(len(ids), H)}


def forget_parts_one_hot(W_f, b_f, h_prev, ids):
    H = h_prev.shape[1]
    x = torch.zeros(len(ids), W_f.shape[1] - H, dtype=W_f.dtype)
    x[torch.arange(len(ids)), ids] = 1
    return {"token": x @ W_f[:, H:].T, "recurrent": h_prev @ W_f[:, :H].T, "bias": b_f + torch.zeros_like(h_prev)}


def forget_parts_einsum(W_f, b_f, h_prev, ids):
    H = h_prev.shape[1]
    return {
        "token": torch.stack([W_f[:, H + int(i)] for i in ids]),
        "recurrent": torch.einsum("hk,tk->th", W_f[:, :H], h_prev),
        "bias": b_f.repeat(len(ids), 1),
    }


@pytest.mark.parametrize("fn", [forget_parts_indexed, forget_parts_one_hot, forget_parts_einsum])
def test_forget_parts_written_three_ways_pass(fn, capsys):
    analysis.forget_parts_values(fn)
    analysis.forget_parts_random_cases(fn)
    assert capsys.readouterr().out.count("✓") == 1 + 2 * 7


def test_forget_parts_slips_are_named():
    def h_columns(W_f, b_f, h_prev, ids):
        return forget_parts_indexed(W_f, b_f, h_prev, ids) | {"token": W_f[:, ids].T}

    def bias_once(W_f, b_f, h_prev, ids):
        return forget_parts_indexed(W_f, b_f, h_prev, ids) | {"bias": b_f}

    def transposed(W_f, b_f, h_prev, ids):
        return {k: v.T for k, v in forget_parts_indexed(W_f, b_f, h_prev, ids).items()}

    message = fails(analysis.forget_parts_values, h_columns)
    assert message.startswith("token: max error") and "right: recurrent, bias" in message
    assert "hint for token: this is what W_f[:, ids] gives: the word's column of W_f is W_f[:, H + id]" in message
    assert "bias: expected shape (T, H) = (7, 4), got (4,)" in fails(analysis.forget_parts_values, bias_once)
    assert "token: expected shape (T, H) = (7, 4), got (4, 7)" in fails(analysis.forget_parts_values, transposed)
    assert "forget_parts should return a dict" in fails(analysis.forget_parts_values, lambda *args: None)


def test_the_forget_oracle_adds_up_to_the_pre_activation():
    W_f, b_f, h_prev, ids = analysis.forget_case()
    parts = analysis.forget_oracle(W_f, b_f, h_prev, ids)
    x = torch.nn.functional.one_hot(ids, 9).to(W_f.dtype)
    torch.testing.assert_close(sum(parts.values()), torch.cat([h_prev, x], dim=1) @ W_f.T + b_f)
