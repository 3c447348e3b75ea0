"""Do lesson 00's gate, lesson 03's numerical_gradient and lesson 06's analysis checks name each known mistake by
its stable id, and pass any correct answer?

Each mistake is written here as a learner would write it (never computed by gatelab); each correct implementation
is written differently from the lessons' and must pass the visible and the hidden (random) checks. The cells'
catalogues are tested in test_checks_diagnoses.py and test_checks_diagnoses_backward.py.
"""

import pytest
import torch

from gatelab.checks import analysis, numerical, start
from gatelab.checks.core import CheckFailed


def diagnosed(check, fn, mistake_id):
    """Run check(fn), which must fail naming mistake_id in its message and in CheckFailed.diagnosis."""
    with pytest.raises(CheckFailed) as info:
        check(fn)
    message = str(info.value)
    assert info.value.diagnosis == mistake_id, message
    assert message.endswith(f"[{mistake_id}]") or f"[{mistake_id}]\n" in message, message
    return message


# ---------------------------------------------------------------- lesson 00: gate


def gate(h_prev, x_t, W, b, mistake=None):
    """sigmoid(W [h_prev, x_t] + b) with W split into its h and x parts, or one mistake."""
    n_h = h_prev.shape[1]
    if mistake == "concat-order":
        a = torch.cat([x_t, h_prev], dim=1) @ W.T + b
    elif mistake == "column-form":
        a = W @ torch.cat([h_prev, x_t], dim=1).T + b[:, None]
    else:
        without_b = mistake in ("missing-bias", "bias-outside-sigmoid")
        a = h_prev @ W[:, :n_h].T + x_t @ W[:, n_h:].T + (0 if without_b else b)
    squash = {"tanh-for-sigmoid": torch.tanh, "no-sigmoid": lambda v: v}.get(mistake, torch.sigmoid)
    return squash(a) + (b if mistake == "bias-outside-sigmoid" else 0)


def gate_einsum(h_prev, x_t, W, b):
    """The same gate, 1 / (1 + e^-a) with the product written by einsum."""
    a = torch.einsum("bk,hk->bh", torch.cat([h_prev, x_t], 1), W) + b
    return 1 / (1 + torch.exp(-a))


@pytest.mark.parametrize(
    "mistake", ["concat-order", "tanh-for-sigmoid", "no-sigmoid", "missing-bias", "bias-outside-sigmoid", "column-form"]
)
def test_gate_mistakes_are_named(mistake):
    def learner(h_prev, x_t, W, b):
        return gate(h_prev, x_t, W, b, mistake)

    diagnosed(start.gate_matches_torch, learner, f"start.{mistake}")
    diagnosed(start.gate_random_cases, learner, f"start.{mistake}")


def test_the_column_form_is_told_by_its_shape():
    message = diagnosed(
        start.gate_matches_torch, lambda h, x, W, b: gate(h, x, W, b, "column-form"), "start.column-form"
    )
    assert message.startswith("gate: expected shape (B, n_h) = (4, 3), got (3, 4) (transposed?)\n")


def test_gates_written_differently_pass():
    for fn in (gate, gate_einsum):
        start.gate_matches_torch(fn)
        start.gate_random_cases(fn)


# ---------------------------------------------------------------- lesson 03: numerical_gradient


def numerical_gradient(f, x, eps=1e-6, mistake=None):
    """The centred difference, one entry at a time through a flat view of a copy, or one mistake."""
    step = 1e-6 if mistake == "fixed-step" else eps
    grad = torch.zeros_like(x)
    for k in range(x.numel()):
        e = torch.zeros_like(x)
        if mistake == "all-entries-at-once":
            e += step
        else:
            e.view(-1)[k] = step
        down = f(x) if mistake == "forward-difference" else f(x - e)
        width = step if mistake in ("forward-difference", "no-halving") else 2 * step
        grad.view(-1)[k] = (f(x + e) - down) / width
    return grad


def numerical_gradient_by_rows(f, x, eps=1e-6):
    """Another right answer: every shifted x at once as rows of a batch, then one value per row."""
    shifts = eps * torch.eye(x.numel(), dtype=x.dtype)
    flat = x.reshape(-1)
    ups = torch.stack([f((flat + s).reshape(x.shape)) for s in shifts])
    downs = torch.stack([f((flat - s).reshape(x.shape)) for s in shifts])
    return ((ups - downs) / (2 * eps)).reshape(x.shape)


@pytest.mark.parametrize("mistake", ["forward-difference", "no-halving", "all-entries-at-once", "fixed-step"])
def test_numerical_gradient_mistakes_are_named(mistake):
    def learner(f, x, eps=1e-6):
        return numerical_gradient(f, x, eps, mistake)

    message = diagnosed(numerical.gradient_values, learner, f"numerical.{mistake}")
    assert "\nthis is what " in message


def test_numerical_gradients_written_differently_pass():
    for fn in (numerical_gradient, numerical_gradient_by_rows):
        numerical.gradient_shapes(fn)
        numerical.gradient_values(fn)
        numerical.gradient_random_cases(fn)


# ---------------------------------------------------------------- lesson 06: number_unit


def number_unit(states, number, mistake=None):
    """The unit whose states correlate most with number, by |covariance| / (std · std) written out, or one mistake."""
    y = number.to(states.dtype)
    s, y = states - states.mean(0), y - y.mean()
    corr = (s * y[:, None]).sum(0) / torch.sqrt((s**2).sum(0) * (y**2).sum())
    if mistake == "mean-difference":
        return int((states[number == 1].mean(0) - states[number == -1].mean(0)).abs().argmax())
    if mistake == "correlation-without-abs":
        return int(corr.argmax())
    return int(corr.abs().argmin() if mistake == "argmin" else corr.abs().argmax())


@pytest.mark.parametrize(
    "mistake, visible, hidden",
    [
        ("argmin", analysis.number_unit_finds_unit, analysis.number_unit_random_cases),
        ("mean-difference", analysis.number_unit_scale_and_sign, analysis.number_unit_decoy_cases),
        ("correlation-without-abs", analysis.number_unit_scale_and_sign, analysis.number_unit_decoy_cases),
    ],
)
def test_number_unit_mistakes_are_named(mistake, visible, hidden):
    def learner(states, number):
        return number_unit(states, number, mistake)

    diagnosed(visible, learner, f"analysis.{mistake}")
    diagnosed(hidden, learner, f"analysis.{mistake}")


def test_number_unit_written_differently_passes():
    for check in (
        analysis.number_unit_returns_index,
        analysis.number_unit_finds_unit,
        analysis.number_unit_scale_and_sign,
        analysis.number_unit_random_cases,
        analysis.number_unit_decoy_cases,
    ):
        check(number_unit)


# ---------------------------------------------------------------- lesson 06: forget_parts


def forget_parts(W_f, b_f, h_prev, ids, mistake=None):
    """The parts from an identity's rows as one-hot words, or one mistake."""
    T, H = h_prev.shape
    x = torch.eye(W_f.shape[1] - H, dtype=W_f.dtype)[ids]
    token = W_f[:, ids].T if mistake == "token-column-without-offset" else x @ W_f[:, H:].T
    W_hh = W_f[:, :H] if mistake == "recurrent-not-transposed" else W_f[:, :H].T
    bias = b_f if mistake == "bias-not-repeated" else torch.ones(T, 1, dtype=b_f.dtype) * b_f
    return {"token": token, "recurrent": h_prev @ W_hh, "bias": bias}


@pytest.mark.parametrize("mistake", ["token-column-without-offset", "recurrent-not-transposed", "bias-not-repeated"])
def test_forget_parts_mistakes_are_named(mistake):
    def learner(W_f, b_f, h_prev, ids):
        return forget_parts(W_f, b_f, h_prev, ids, mistake)

    diagnosed(analysis.forget_parts_values, learner, f"analysis.{mistake}")
    diagnosed(analysis.forget_parts_random_cases, learner, f"analysis.{mistake}")


def test_forget_parts_written_differently_passes():
    analysis.forget_parts_values(forget_parts)
    analysis.forget_parts_random_cases(forget_parts)


# ---------------------------------------------------------------- lesson 06: saturation_fractions


def saturation_fractions(gate, low=0.1, high=0.9, mistake=None):
    """Each unit's fractions below low and above high, counted with count_nonzero over a (N·T, H) view."""
    if mistake == "default-thresholds":
        low, high = 0.1, 0.9
    flat = gate.reshape(-1, gate.shape[-1])
    below, above = (flat <= low, flat >= high) if mistake == "thresholds-not-strict" else (flat < low, flat > high)
    if mistake == "partial-average":
        return (gate < low).to(gate.dtype).mean(0), (gate > high).to(gate.dtype).mean(0)
    scale = 1 if mistake == "counts-not-fractions" else flat.shape[0]
    left, right = (torch.count_nonzero(m, dim=0).to(gate.dtype) / scale for m in (below, above))
    return (right, left) if mistake == "fractions-swapped" else (left, right)


@pytest.mark.parametrize(
    "mistake, visible, hidden",
    [
        ("fractions-swapped", analysis.saturation_counts, analysis.saturation_random_cases),
        ("counts-not-fractions", analysis.saturation_counts, analysis.saturation_random_cases),
        ("thresholds-not-strict", analysis.saturation_thresholds, analysis.saturation_threshold_cases),
        ("partial-average", analysis.saturation_shapes, analysis.saturation_random_cases),
    ],
)
def test_saturation_mistakes_are_named(mistake, visible, hidden):
    def learner(gate, low=0.1, high=0.9):
        return saturation_fractions(gate, low, high, mistake)

    diagnosed(visible, learner, f"analysis.{mistake}")
    diagnosed(hidden, learner, f"analysis.{mistake}")


def test_default_thresholds_are_named():
    """The first hidden case (low = 0.05) has no activation strictly between 0.05 and 0.1: there the default
    thresholds give what <= gives, and the catalogue names the mistake it lists first."""

    def learner(gate, low=0.1, high=0.9):
        return saturation_fractions(gate, low, high, "default-thresholds")

    diagnosed(analysis.saturation_thresholds, learner, "analysis.default-thresholds")
    with pytest.raises(CheckFailed) as info:
        analysis.saturation_threshold_cases(learner)
    assert info.value.diagnosis in ("analysis.thresholds-not-strict", "analysis.default-thresholds")


def test_saturation_fractions_written_differently_pass():
    for check in (
        analysis.saturation_shapes,
        analysis.saturation_counts,
        analysis.saturation_thresholds,
        analysis.saturation_random_cases,
        analysis.saturation_threshold_cases,
    ):
        check(saturation_fractions)
