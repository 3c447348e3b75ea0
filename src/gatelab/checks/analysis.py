"""Checks for lesson 06, how gates learn without labels: take a forget gate apart, find the number unit,
measure gate saturation, find in a training film the step where the number unit appears.

N examples (sentences), T tokens, H hidden units. Every case is built so that its answer is known by
construction — the unit that carries the number, how many activations of each unit are saturated —
and the feedback quotes plain torch (torch.corrcoef, counts) for the learner's answer and the right one. A wrong
answer is compared with the function's known mistakes (core.Mistake, recognised by core.recognise), and the hint of
the one it matches ends in that mistake's id, e.g. "hint: … [analysis.fractions-swapped]".
"""

import numpy as np
import torch

from gatelab.checks.core import (
    CheckFailed,
    Mistake,
    describe,
    expect_grads,
    one_output_mistakes,
    passed,
    recognise,
    run_learner,
    tensor_problem,
)

FORGET_ARGS = ("W_f", "b_f", "h_prev", "ids")
FORGET_PARTS = ("token", "recurrent", "bias")
NUMBER_ARGS = ("states", "number")
SATURATION_ARGS = ("gate", "low", "high")
SATURATION_RETURNS = ("left", "right")


# --- forget_parts(W_f, b_f, h_prev, ids) -> {token, recurrent, bias}: f's pre-activation, token by token ---


def forget_case(T=7, H=4, V=9, dtype=torch.float64, seed=0):
    """(W_f (H, H + V), b_f (H,), h_prev (T, H), ids (T,) int64): a forget gate over a vocabulary of V words,
    the states it meets (the first one 0, as at a sentence's start) and the words it reads, seeded."""
    g = torch.Generator().manual_seed(6000 + seed)
    W_f = torch.randn(H, H + V, generator=g, dtype=torch.float64)
    b_f = torch.randn(H, generator=g, dtype=torch.float64)
    h_prev = torch.tanh(torch.randn(T, H, generator=g, dtype=torch.float64))
    h_prev[0] = 0
    ids = torch.randint(V, (T,), generator=g)
    return W_f.to(dtype), b_f.to(dtype), h_prev.to(dtype), ids


def forget_oracle(W_f, b_f, h_prev, ids):
    """The parts, from torch's one-hot and linear layers: {token, recurrent, bias}, each (T, H); their sum is
    torch.nn.functional.linear([h_prev, one_hot(x_t)], W_f, b_f), the pre-activation the LSTM computes."""
    T, H = h_prev.shape
    x = torch.nn.functional.one_hot(ids, W_f.shape[1] - H).to(W_f.dtype)
    return {
        "token": torch.nn.functional.linear(x, W_f[:, H:]),
        "recurrent": torch.nn.functional.linear(h_prev, W_f[:, :H]),
        "bias": b_f.expand(T, H),
    }


FORGET_HINTS = {
    "token": "the word's column of W_f is W_f[:, H + id]: W_f acts on [h_prev, x_t], so x_t's columns come after "
    "h_prev's H",
    "recurrent": "W_f[:, :H] acts on h_prev: row t of the part is W_f[:, :H] @ h_prev[t], all at once "
    "h_prev @ W_f[:, :H].T",
    "bias": "b_f at every token: b_f (H,) repeated for each of the T tokens",
}


def hint(mistake):
    """'hint: <what to do> [analysis.<id>]': a recognised mistake, in the wording of this lesson's hints."""
    return f"hint: {mistake.instead} [{mistake.id}]"


def _forget_mistake(part, id_, did, gives):
    """A Mistake of forget_parts in one part: gives(W_f, b_f, h_prev, ids) is that part, its hint FORGET_HINTS's."""
    return one_output_mistakes("analysis", part)(id_, did, FORGET_HINTS[part], gives)


FORGET_MISTAKES = (
    _forget_mistake(
        "token",
        "token-column-without-offset",
        "W_f[:, ids]",
        lambda W_f, b_f, h_prev, ids: torch.nn.functional.embedding(ids, W_f.T),
    ),
    _forget_mistake(
        "recurrent",
        "recurrent-not-transposed",
        "h_prev @ W_f[:, :H] (the square block, not transposed)",
        lambda W_f, b_f, h_prev, ids: torch.nn.functional.linear(h_prev, W_f[:, : h_prev.shape[1]].T),
    ),
    _forget_mistake("bias", "bias-not-repeated", "b_f alone, once", lambda W_f, b_f, h_prev, ids: b_f),
)


def forget_hints(got, *args):
    """FORGET_HINTS, the hint of the part a FORGET_MISTAKES mistake is in naming it when got (a dict) matches it."""
    mistake = recognise(got, FORGET_MISTAKES, *args) if isinstance(got, dict) else None
    if mistake is None:
        return FORGET_HINTS
    (part,) = mistake.gives(*args)
    return FORGET_HINTS | {part: mistake.line()}


def forget_parts_values(forget_parts, T=7, H=4, V=9, dtype=torch.float64, seed=0):
    """Does forget_parts split the forget gate's pre-activation into the word's column of W_f, the recurrent
    part and the bias, at every token, as (T, H) each?"""
    args = forget_case(T, H, V, dtype, seed)
    got = run_learner(forget_parts, args, FORGET_ARGS, ("parts",), fn_name="forget_parts")["parts"]
    dims = dict.fromkeys(FORGET_PARTS, "(T, H)")
    expect_grads(got, forget_oracle(*args), dims, forget_hints(got, *args), fn_name="forget_parts")
    passed(f"forget_parts: the word's column, the recurrent part and the bias, for T={T}, H={H}, V={V}, {dtype}")


def forget_parts_random_cases(forget_parts):
    """forget_parts_values at random sizes (T = 1, H = 1 included), in float64 and float32."""
    g = torch.Generator().manual_seed(7)
    sizes = [tuple(int(n) for n in torch.randint(1, 12, (3,), generator=g)) for _ in range(5)] + [(1, 1, 2), (5, 1, 3)]
    for seed, (T, H, V) in enumerate(sizes):
        for dtype in (torch.float64, torch.float32):
            forget_parts_values(forget_parts, T, H, V, dtype, seed)


# --- number_unit(states, number) -> the index of the unit that best separates singular from plural ---


def number_case(N=200, H=8, dtype=torch.float64, seed=0, unit=None, sign=1, decoys=False):
    """(states (N, H), number (N,) of ±1 int64, unit): unit carries sign * number plus a little noise.

    Every other unit is noise. With decoys, one other unit has a large difference of means but a far
    larger spread (it fools an unscaled mean difference), and one a weaker correlation of the other
    sign (it fools a signed maximum).
    """
    g = torch.Generator().manual_seed(2000 + seed)
    unit = int(torch.randint(H, (), generator=g)) if unit is None else unit
    number = torch.where(torch.arange(N) % 2 == 0, 1, -1)[torch.randperm(N, generator=g)]
    scales = 0.5 + 2 * torch.rand(H, generator=g, dtype=torch.float64)
    states = torch.randn(N, H, generator=g, dtype=torch.float64) * scales
    states[:, unit] = sign * number + 0.1 * torch.randn(N, generator=g, dtype=torch.float64)
    others = [u for u in range(H) if u != unit]
    if decoys and others:
        big = others[int(torch.randint(len(others), (), generator=g))]
        states[:, big] = 5 * number + 40 * torch.randn(N, generator=g, dtype=torch.float64)
        rest = [u for u in others if u != big]
        if rest:
            weak = rest[int(torch.randint(len(rest), (), generator=g))]
            states[:, weak] = -sign * 0.5 * number + torch.randn(N, generator=g, dtype=torch.float64)
    return states.to(dtype), number, unit


def correlations(states, number):
    """(H,) the correlation of each unit's state with number, by torch.corrcoef (float64)."""
    rows = torch.cat([number[None].double(), states.T.double()])
    return torch.corrcoef(rows)[0, 1:]


def as_unit_index(got, H, fn_name="number_unit"):
    """The int a learner returned as a unit index; CheckFailed for anything else or out of range(H)."""
    want = f"a unit index, an int from 0 to H - 1 = {H - 1}"
    if isinstance(got, torch.Tensor) and type(got) is torch.Tensor:
        if got.numel() != 1:
            hint = " — the scores of every unit? return the index of the best one (argmax)" if got.numel() == H else ""
            raise CheckFailed(f"{fn_name} should return {want}, got {describe(got)}{hint}")
        if got.dtype.is_floating_point or got.dtype.is_complex or got.dtype == torch.bool:
            raise CheckFailed(f"{fn_name} should return {want}, got a tensor of dtype {got.dtype}")
        got = int(got)
    elif type(got) is int or isinstance(got, np.integer):
        got = int(got)
    else:
        raise CheckFailed(f"{fn_name} should return {want}, got {describe(got)}")
    if not 0 <= got < H:
        raise CheckFailed(f"{fn_name} returned unit {got}, out of range: states has H = {H} units (0 to {H - 1})")
    return got


def _largest_mean_difference(states, number):
    """{"unit": the unit whose |mean over singular - mean over plural| is largest}, unscaled by its spread."""
    s, n = states.double(), number.double()
    return {"unit": (s[n > 0].mean(0) - s[n < 0].mean(0)).abs().argmax()}


def _largest_signed_correlation(states, number):
    """{"unit": the unit of largest signed correlation}, when it is not the one of largest |correlation|."""
    corr = correlations(states, number)
    if int(corr.argmax()) == int(corr.abs().argmax()):
        raise ValueError("the signed and the absolute correlation agree here: no mistake to tell apart")
    return {"unit": corr.argmax()}


def number_mistakes(got):
    """number_unit's known mistakes, their hints about the learner's unit got; each gives {"unit": index tensor}."""
    return (
        Mistake(
            "analysis.mean-difference",
            "the largest difference of means",
            f"unit {got} has the largest difference of means, but also a large spread: scale by the standard "
            "deviation (or use the correlation), so that a unit's size does not count",
            _largest_mean_difference,
        ),
        Mistake(
            "analysis.correlation-without-abs",
            "the largest signed correlation",
            f"unit {got} has the largest *positive* correlation; a unit with a stronger negative one separates "
            "the numbers as well (plural up instead of down): compare absolute values",
            _largest_signed_correlation,
        ),
        Mistake(
            "analysis.argmin",
            "the smallest |correlation|",
            f"unit {got} is the one that separates the numbers *least*: argmax, not argmin?",
            lambda states, number: {"unit": correlations(states, number).abs().argmin()},
        ),
    )


def wrong_unit_hint(states, number, got):
    """'hint: … [analysis.<id>]' for the known mistake that makes got the answer ('' when none is recognised)."""
    mistake = recognise({"unit": torch.tensor(got)}, number_mistakes(got), states, number)
    return hint(mistake) if mistake else ""


def expect_number_unit(number_unit, states, number, unit):
    """Run the learner's number_unit on (states, number); CheckFailed unless it returns unit."""
    out = run_learner(number_unit, (states, number), NUMBER_ARGS, ("unit",), fn_name="number_unit")
    got = as_unit_index(out["unit"], states.shape[1])
    if got != unit:
        corr = correlations(states, number).abs()
        hint = wrong_unit_hint(states, number, got)
        raise CheckFailed(
            f"number_unit: expected unit {unit}, got {got}: unit {got}'s |corr| with number is "
            f"{float(corr[got]):.2f}, unit {unit}'s {float(corr[unit]):.2f}" + (f"\n{hint}" if hint else "")
        )


def number_unit_returns_index(number_unit):
    """Does number_unit(states, number) return one unit index (an int in range(H)), not scores or a float?"""
    states, number, _ = number_case(N=40, H=5, seed=1)
    out = run_learner(number_unit, (states, number), NUMBER_ARGS, ("unit",), fn_name="number_unit")
    as_unit_index(out["unit"], 5)
    passed("number_unit returns a unit index (an int from 0 to H - 1)")


def number_unit_finds_unit(number_unit, N=200, H=8, dtype=torch.float64, seed=0):
    """Does number_unit find the one unit that carries the number, among units of noise?"""
    states, number, unit = number_case(N, H, dtype, seed)
    expect_number_unit(number_unit, states, number, unit)
    passed(f"number_unit finds unit {unit}, the one that carries the number, for N={N}, H={H}, {dtype}")


def number_unit_scale_and_sign(number_unit, N=300, H=10, dtype=torch.float64, seed=0, sign=-1):
    """Does number_unit ignore a unit's scale and sign? A unit with a large mean difference and a huge
    spread, and one with a weaker correlation of the other sign, must not win."""
    states, number, unit = number_case(N, H, dtype, seed, sign=sign, decoys=True)
    expect_number_unit(number_unit, states, number, unit)
    way = "plural up, singular down" if sign < 0 else "singular up, plural down"
    passed(f"number_unit finds unit {unit} ({way}) past the decoys, for N={N}, H={H}, {dtype}")


def number_unit_sizes(seed):
    """(N, H) for hidden cases: N from 40 to 400, H from 1 to 16."""
    g = torch.Generator().manual_seed(3000 + seed)
    return int(torch.randint(40, 401, (), generator=g)), int(torch.randint(1, 17, (), generator=g))


NUMBER_CASES = [(*number_unit_sizes(seed), seed) for seed in range(6)] + [(40, 1, 96), (41, 2, 97)]


def number_unit_random_cases(number_unit):
    """number_unit_finds_unit at random sizes (H = 1 and 2 included), in float64 and float32."""
    for N, H, seed in NUMBER_CASES:
        for dtype in (torch.float64, torch.float32):
            number_unit_finds_unit(number_unit, N, H, dtype, seed)


def number_unit_decoy_cases(number_unit):
    """number_unit_scale_and_sign at random sizes and both signs, in float64 and float32."""
    for N, H, seed in NUMBER_CASES:
        for dtype, sign in ((torch.float64, 1), (torch.float32, -1)):
            number_unit_scale_and_sign(number_unit, N, max(H, 3), dtype, seed, sign)


# --- saturation_fractions(gate, low, high) -> (left (H,), right (H,)), as in Karpathy et al. 2015 ---


def saturation_case(N=6, T=5, H=4, dtype=torch.float64, seed=0, low=0.1, high=0.9, edges=False):
    """(gate (N, T, H) in (0, 1), left (H,), right (H,)): unit k has a known count of activations below
    low and above high, the others strictly between, shuffled over the N·T positions.

    With edges, some of the activations between are exactly low or high (not saturated).
    """
    g = torch.Generator().manual_seed(4000 + seed)
    M = N * T
    left_counts = torch.randint(0, M + 1, (H,), generator=g)
    right_counts = (torch.rand(H, generator=g, dtype=torch.float64) * (M - left_counts + 1)).floor().long()
    columns = []
    for k in range(H):
        n_left, n_right = int(left_counts[k]), int(right_counts[k])
        n_mid = M - n_left - n_right
        u = torch.rand(M, generator=g, dtype=torch.float64) * 0.98 + 0.01  # strictly inside (0, 1)
        values = torch.cat([u[:n_left] * low, high + u[n_left : n_left + n_right] * (1 - high),
                            low + u[n_left + n_right :] * (high - low)])  # fmt: skip
        if edges and n_mid:
            values[n_left + n_right] = low
            values[-1] = high if n_mid > 1 else low
        columns.append(values[torch.randperm(M, generator=g)])
    gate = torch.stack(columns, dim=1).reshape(N, T, H).to(dtype)
    return gate, (left_counts.double() / M).to(dtype), (right_counts.double() / M).to(dtype)


def saturated(name, gate, low, high, strict=True):
    """(N, T, H) of gate's dtype: 1 where an activation is below low (name "left") or above high ("right")."""
    if name == "left":
        return ((gate < low) if strict else (gate <= low)).to(gate.dtype)
    return ((gate > high) if strict else (gate >= high)).to(gate.dtype)


def _loose(name, gate, low, high):
    """The fraction with <= and >=, where some activation sits exactly on the threshold (else no mistake to see)."""
    loose = saturated(name, gate, low, high, strict=False)
    if torch.equal(loose, saturated(name, gate, low, high)):
        raise ValueError("no activation sits on the threshold: strict and loose agree")
    return loose.mean(dim=(0, 1))


def _defaults(name, gate, low, high):
    """The fraction at the default thresholds 0.1 and 0.9, when the check gives others."""
    if (low, high) == (0.1, 0.9):
        raise ValueError("the thresholds given are the defaults")
    return saturated(name, gate, 0.1, 0.9).mean(dim=(0, 1))


def fraction_mistakes(name, N, T, low, high):
    """saturation_fractions' known mistakes in the fraction name ("left" or "right") of a gate (N, T, H): each
    gives {name: what it computes} from (gate, low, high)."""
    other = "right" if name == "left" else "left"
    bound = "low" if name == "left" else "high"
    mistakes = (
        ("fractions-swapped", "left and right swapped", "left and right are swapped: left-saturated means below low "
         "(the gate nearly closed), right above high", lambda *args: saturated(other, *args).mean(dim=(0, 1))),
        ("counts-not-fractions", "counts", "those are counts: a fraction divides by the number of activations of "
         f"each unit, N·T = {N * T}", lambda *args: saturated(name, *args).sum(dim=(0, 1))),
        ("thresholds-not-strict", "<= and >= instead of < and >", f"an activation equal to {bound} is not "
         "saturated: use < low and > high", lambda *args: _loose(name, *args)),
        ("default-thresholds", "the default thresholds 0.1 and 0.9", "use the thresholds you are given, "
         f"low = {low} and high = {high}, not the defaults 0.1 and 0.9", lambda *args: _defaults(name, *args)),
    )  # fmt: skip
    return tuple(
        Mistake(f"analysis.{id_}", did, instead, lambda *args, gives=gives: {name: gives(*args)})
        for id_, did, instead, gives in mistakes
    )


def fraction_hint(name, got, gate, low, high):
    """'hint: … [analysis.<id>]' for the known mistake that makes got (the right shape and dtype) wrong, or ''."""
    N, T, _ = gate.shape
    mistake = recognise({name: got}, fraction_mistakes(name, N, T, low, high), gate, low, high)
    return hint(mistake) if mistake else ""


def _partial_average(name, dims):
    """A Mistake of saturation_fractions: the fraction name averaged over dims of gate (N, T, H) only (None: no
    average at all)."""
    return Mistake(
        "analysis.partial-average",
        f"an average over dims {dims} only" if dims else "no average",
        "one fraction per unit: average over every dimension but the last (all N·T activations of a unit)",
        lambda gate, low, high: {
            name: saturated(name, gate, low, high) if dims is None else saturated(name, gate, low, high).mean(dim=dims)
        },
    )


def shape_hint(got, gate, low=0.1, high=0.9, name="left"):
    """'hint: … [analysis.partial-average]' for got, name's fraction averaged over some dimensions of gate
    (N, T, H) but not all of the first two; a hint without an id for another shape of a partial average; or ''."""
    N, T, H = gate.shape
    if not isinstance(got, torch.Tensor) or got.shape not in {(N, H), (T, H), (N, T), (N, T, H)} or got.shape == (H,):
        return ""
    partial = [_partial_average(name, dims) for dims in ((0,), (1,), (2,), (0, 2), (1, 2), None)]
    mistake = recognise({name: got}, partial, gate, low, high)
    return hint(mistake) if mistake else "hint: " + partial[0].instead


def expect_fractions(saturation_fractions, gate, left, right, low, high, pass_thresholds):
    """Run the learner's saturation_fractions; CheckFailed unless it returns (left, right) as expected."""
    args = (gate, low, high) if pass_thresholds else (gate,)
    out = run_learner(saturation_fractions, args, SATURATION_ARGS[: len(args)], SATURATION_RETURNS,
                      fn_name="saturation_fractions")  # fmt: skip
    for name, expected in (("left", left), ("right", right)):
        got = out[name]
        problem = tensor_problem(name, got, expected, "(H,)")
        if not problem:
            continue
        hint = shape_hint(got, gate, low, high, name)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and got.dtype == expected.dtype:
            hint = fraction_hint(name, got, gate, low, high)
        raise CheckFailed(f"saturation_fractions: {problem}" + (f"\n{hint}" if hint else ""))


def saturation_shapes(saturation_fractions):
    """Does saturation_fractions(gate) return two tensors of shape (H,), one fraction per unit?"""
    gate, left, right = saturation_case(N=3, T=7, H=5, seed=1)
    out = run_learner(saturation_fractions, (gate,), ("gate",), SATURATION_RETURNS, fn_name="saturation_fractions")
    for name, expected in (("left", left), ("right", right)):
        problem = tensor_problem(name, out[name], expected, "(H,)", values=False)
        if problem:
            hint = shape_hint(out[name], gate, name=name)
            raise CheckFailed(f"saturation_fractions: {problem}" + (f"\n{hint}" if hint else ""))
    passed("saturation_fractions returns (left, right), each of shape (H,)")


def saturation_counts(saturation_fractions, N=6, T=5, H=4, dtype=torch.float64, seed=0):
    """Does saturation_fractions(gate) give each unit's fractions below 0.1 and above 0.9, known by construction?"""
    gate, left, right = saturation_case(N, T, H, dtype, seed)
    expect_fractions(saturation_fractions, gate, left, right, 0.1, 0.9, pass_thresholds=False)
    passed(f"saturation_fractions counts the saturated activations of every unit for N={N}, T={T}, H={H}, {dtype}")


def saturation_thresholds(saturation_fractions, low=0.25, high=0.75, dtype=torch.float64, seed=0, N=5, T=8, H=6):
    """Does saturation_fractions(gate, low, high) use the thresholds it is given, strictly (a value equal
    to low or high is not saturated)?"""
    gate, left, right = saturation_case(N, T, H, dtype, seed, low, high, edges=True)
    expect_fractions(saturation_fractions, gate, left, right, low, high, pass_thresholds=True)
    passed(f"saturation_fractions uses low={low} and high={high}, strictly, for N={N}, T={T}, H={H}, {dtype}")


def saturation_sizes(seed):
    """(N, T, H) for hidden cases: N up to 6, T up to 12, H up to 10."""
    g = torch.Generator().manual_seed(5000 + seed)
    return tuple(int(torch.randint(1, hi, (), generator=g)) for hi in (7, 13, 11))


SATURATION_CASES = [(*saturation_sizes(seed), seed) for seed in range(6)]
SATURATION_CASES += [(1, 1, 1, 96), (1, 9, 3, 97), (7, 6, 5, 98)]


def saturation_random_cases(saturation_fractions):
    """saturation_counts at random sizes (N = 1, T = 1, H = 1 included), in float64 and float32."""
    for N, T, H, seed in SATURATION_CASES:
        for dtype in (torch.float64, torch.float32):
            saturation_counts(saturation_fractions, N, T, H, dtype, seed)


def saturation_threshold_cases(saturation_fractions):
    """saturation_thresholds with other thresholds, sizes and dtypes."""
    thresholds = [(0.05, 0.95), (0.2, 0.6), (0.5, 0.5), (0.3, 0.99), (0.01, 0.5)] * 2
    thresholds = thresholds[: len(SATURATION_CASES)]
    for (N, T, H, seed), (low, high) in zip(SATURATION_CASES, thresholds, strict=True):
        for dtype in (torch.float64, torch.float32):
            saturation_thresholds(saturation_fractions, low, high, dtype, seed, N, T, H)


# --- number_unit_appears(steps, correlation, threshold) -> the step from which |correlation| stays above ---

APPEARS_ARGS = ("steps", "correlation", "threshold")


def appears_case(K=12, dtype=torch.float64, seed=0, sign=1, threshold=0.8, lasting=True):
    """(steps (K,) int64, correlation (K,), threshold): a film's checkpoints. The steps are irregular (so that no
    step equals its index, from the second on); the correlation rises from 0 to above threshold, dips below it once
    (from K = 4), then stays above; sign -1 turns it negative. With lasting=False the last checkpoint is below."""
    g = torch.Generator().manual_seed(8000 + seed)
    steps = torch.cumsum(torch.randint(2, 30, (K,), generator=g), 0) - 2
    steps[0] = 0
    rise = torch.linspace(0, 1, K, dtype=torch.float64) ** 0.5
    correlation = threshold * rise * 1.2 + 0.01 * torch.rand(K, generator=g, dtype=torch.float64)
    correlation = correlation.clamp(max=0.999)
    near = (correlation - threshold).abs() < 0.01  # no value on the threshold, in float32 as in float64
    correlation[near] += 0.02
    above = (correlation > threshold).nonzero().flatten().tolist()
    if K >= 4 and len(above) >= 2 and above[0] + 1 < K - 1:
        correlation[above[0] + 1] = threshold - 0.05  # a dip below, after the first crossing
    if not lasting:
        correlation[-1] = threshold - 0.02
    if K == 1:
        correlation[0] = threshold + 0.05 if lasting else threshold - 0.05
    return steps, (sign * correlation).to(dtype), threshold


def appears_oracle(steps, correlation, threshold):
    """The step from which |correlation| > threshold at every later checkpoint, by a plain loop; None if the last
    checkpoint is not above."""
    first = None
    for step, r in zip(steps.tolist(), correlation.tolist(), strict=True):
        first = (first if first is not None else step) if abs(r) > threshold else None
    return first


def _first_crossing(steps, correlation, threshold):
    above = (correlation.abs() > threshold).nonzero()
    return int(steps[above[0]]) if len(above) else None


def _index_not_step(steps, correlation, threshold):
    step = appears_oracle(steps, correlation, threshold)
    return None if step is None else steps.tolist().index(step)


def _signed(steps, correlation, threshold):
    return appears_oracle(steps, correlation.abs() * correlation.sign().clamp(min=0), threshold)


def as_value(step):
    """A step (or None, as -1) as a tensor, for core.recognise."""
    return {"step": torch.tensor(-1 if step is None else step)}


APPEARS_MISTAKES = (
    Mistake(
        "analysis.first-crossing",
        "the first checkpoint above the threshold",
        "the unit must *stay* above it: after the first crossing it dips below again; find the step from which "
        "every later checkpoint is above",
        lambda *args: as_value(_first_crossing(*args)),
    ),
    Mistake(
        "analysis.index-not-step",
        "the checkpoint's index",
        "return the training step of that checkpoint, steps[k], not its index k: the checkpoints are not every step",
        lambda *args: as_value(_index_not_step(*args)),
    ),
    Mistake(
        "analysis.appears-without-abs",
        "the signed correlation",
        "this unit codes singular as low: compare |correlation| with the threshold",
        lambda *args: as_value(_signed(*args)),
    ),
)


def as_step(got, fn_name="number_unit_appears"):
    """The int (or None) a learner returned as a step; CheckFailed for anything else."""
    if got is None:
        return None
    integer = isinstance(got, torch.Tensor) and not (got.dtype.is_floating_point or got.dtype.is_complex)
    if integer and type(got) is torch.Tensor and got.numel() == 1 and got.dtype != torch.bool:
        return int(got)
    if type(got) is int or isinstance(got, np.integer):
        return int(got)
    raise CheckFailed(f"{fn_name} should return a training step (an int from steps) or None, got {describe(got)}")


def expect_appears(number_unit_appears, steps, correlation, threshold):
    """Run the learner's number_unit_appears on the case; CheckFailed unless it returns the oracle's step."""
    args = (steps, correlation, threshold)
    out = run_learner(number_unit_appears, args, APPEARS_ARGS, ("step",), fn_name="number_unit_appears")
    got, expected = as_step(out["step"]), appears_oracle(*args)
    if got != expected:
        mistake = recognise(as_value(got), APPEARS_MISTAKES, *args)
        values = ", ".join(f"{s}: {abs(r):.2f}" for s, r in zip(steps.tolist(), correlation.tolist(), strict=True))
        raise CheckFailed(
            f"number_unit_appears: expected {expected}, got {got}, for threshold {threshold} and |correlation| "
            f"at each step {{{values}}}" + (f"\n{hint(mistake)}" if mistake else "")
        )
    return got


def number_unit_appears_returns_step(number_unit_appears):
    """Does number_unit_appears return a training step (one of steps, not its index), or None when the unit
    never stays above the threshold?"""
    steps, correlation, threshold = appears_case(K=8, seed=1)
    expect_appears(number_unit_appears, steps, correlation, threshold)
    steps, correlation, threshold = appears_case(K=8, seed=2, lasting=False)
    expect_appears(number_unit_appears, steps, correlation, threshold)
    passed("number_unit_appears returns a training step, and None when the unit does not stay above the threshold")


def number_unit_appears_stays_above(number_unit_appears, K=12, dtype=torch.float64, seed=0, sign=-1, threshold=0.8):
    """Does number_unit_appears find the step from which |correlation| stays above threshold, past a dip below it
    after the first crossing, for a unit whose correlation is negative?"""
    steps, correlation, threshold = appears_case(K, dtype, seed, sign, threshold)
    step = expect_appears(number_unit_appears, steps, correlation, threshold)
    passed(f"number_unit_appears finds step {step}, from which |correlation| stays above {threshold}, for K={K}, "
           f"{'negative' if sign < 0 else 'positive'} correlation, {dtype}")  # fmt: skip


def number_unit_appears_random_cases(number_unit_appears):
    """number_unit_appears_stays_above at random sizes (K = 1 and 2 included), both signs, other thresholds, in
    float64 and float32, and with a last checkpoint below the threshold."""
    g = torch.Generator().manual_seed(9)
    cases = [(int(torch.randint(3, 40, (), generator=g)), seed) for seed in range(5)] + [(1, 97), (2, 98)]
    for K, seed in cases:
        for dtype, sign, threshold in ((torch.float64, 1, 0.9), (torch.float32, -1, 0.5)):
            number_unit_appears_stays_above(number_unit_appears, K, dtype, seed, sign, threshold)
        steps, correlation, threshold = appears_case(K, seed=seed, lasting=False)
        expect_appears(number_unit_appears, steps, correlation, threshold)
