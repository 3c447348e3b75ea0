"""What small cells do over time: the pure functions that the widgets draw.

No widgets and no plotting here, so every function is tested on its own. Local derivatives come from
torch.autograd, never from a hand-written formula (writing those is the learner's exercise), except the memory
puzzle's training gradient (lstm_puzzle_gradients): the page computes it too, with no autograd, so it is written
out here as the page's reference and tested against torch.autograd.
"""

import functools
import math
from typing import NamedTuple

import torch

from gatelab import data


def sigmoid_curve(lo=-8.0, hi=8.0, n=161):
    """(a, sigmoid(a)): n pre-activations from lo to hi and the gate values they give."""
    a = torch.linspace(lo, hi, n, dtype=torch.float64)
    return a, torch.sigmoid(a)


def one_unit_rnn_inputs(T, scale, seed=0):
    """x_1 … x_T (T,): a fixed, seeded input sequence ~ N(0, scale^2) for the one-unit RNN widgets."""
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(T, dtype=torch.float64, generator=g)


def one_unit_rnn_gradients(w, x, u=1.0, b=0.0, h0=0.5):
    """States and |∂h_t/∂h_0| for t = 1 … T of h_t = tanh(w·h_{t-1} + u·x_t + b), one unit.

    x has shape (T,). Returns (h (T,), dh (T,)). Autograd gives every local derivative
    ∂h_t/∂h_{t-1} in one vectorised call; their running product is the gradient through time.
    """
    states, h = [], h0
    for x_t in x.tolist():
        h = math.tanh(w * h + u * x_t + b)
        states.append(h)
    h = torch.tensor(states, dtype=torch.float64)
    h_prev = torch.cat([torch.tensor([h0], dtype=torch.float64), h[:-1]]).requires_grad_(True)
    (local,) = torch.autograd.grad(torch.tanh(w * h_prev + u * x + b).sum(), h_prev)
    return h, local.cumprod(0).abs()


# --- One-unit gated cells reading a sentence (lessons 02 and 04) ------------------------------------
# A one-unit cell's settings are plain numbers named after the gate and what they multiply:
# "z_noun" is the update gate's weight on the feature noun, "z_h" its weight on h_prev, "b_z" its
# bias (COURSE.md §3: W_z acts on [h_prev, x_t]). Missing settings are 0.

GRU_GATES = ("z", "r", "h")  # update gate, reset gate, candidate h_tilde
LSTM_GATES = ("f", "i", "c", "o")  # forget, input, candidate c_tilde, output


def sigmoid(a):
    """σ(a) of a Python float, without overflow for large |a|."""
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


def setting_names(gates):
    """Every setting a one-unit cell with these gates accepts: g_<feature>, g_h and b_g per gate g."""
    return tuple(name for g in gates for name in (*(f"{g}_{feature}" for feature in data.FEATURES), f"{g}_h", f"b_{g}"))


def sentence_params(gates, settings):
    """The course's params dict of a one-unit cell from its settings: W_g (1, 1 + n_x), b_g (1,).

    W_g acts on [h_prev, x_t] (its first column is g_h), so a learner's gru_forward / lstm_forward
    on these params reads a sentence exactly as the widget does. Unknown names raise KeyError.
    """
    unknown = sorted(set(settings) - set(setting_names(gates)))
    if unknown:
        raise KeyError(f"unknown settings {unknown}; known: {', '.join(setting_names(gates))}")
    params = {}
    for g in gates:
        row = [settings.get(f"{g}_h", 0.0)] + [settings.get(f"{g}_{k}", 0.0) for k in data.FEATURES]
        params[f"W_{g}"] = torch.tensor([row], dtype=torch.float64)
        params[f"b_{g}"] = torch.tensor([settings.get(f"b_{g}", 0.0)], dtype=torch.float64)
    return params


def _input_drive(params, gates, tokens):
    """Per gate g, the part of its pre-activation that does not depend on h: (x_t·w_g + b_g) for each t,
    and its weight on h_prev; as Python floats, for a fast token-by-token loop."""
    x = data.token_features(tokens)  # (T, n_x)
    drive = {g: (x @ params[f"W_{g}"][0, 1:] + params[f"b_{g}"]).tolist() for g in gates}
    return drive, {g: float(params[f"W_{g}"][0, 0]) for g in gates}


def gru_sentence_trace(settings, tokens, h0=0.0):
    """A one-unit GRU (COURSE.md §3, Ng's form) reading tokens: dict of (T,) float64 tensors z, r, h_tilde, h.

    settings: numbers named as in setting_names(GRU_GATES) (z_noun, z_h, b_z, h_number, ...).
    z = sigmoid(z_h h_prev + z·x_t + b_z), r likewise, h_tilde = tanh(h_h (r h_prev) + h·x_t + b_h),
    h = z h_tilde + (1 - z) h_prev. With one unit, reset before or after the product is the same.
    """
    drive, w_h = _input_drive(sentence_params(GRU_GATES, settings), GRU_GATES, tokens)
    trace, h = {"z": [], "r": [], "h_tilde": [], "h": []}, h0
    for a_z, a_r, a_h in zip(drive["z"], drive["r"], drive["h"], strict=True):
        z, r = sigmoid(a_z + w_h["z"] * h), sigmoid(a_r + w_h["r"] * h)
        h_tilde = math.tanh(a_h + w_h["h"] * r * h)
        h = z * h_tilde + (1 - z) * h
        for name, value in zip(trace, (z, r, h_tilde, h), strict=True):
            trace[name].append(value)
    return {name: torch.tensor(values, dtype=torch.float64) for name, values in trace.items()}


def lstm_sentence_trace(settings, tokens, h0=0.0, c0=0.0):
    """A one-unit LSTM (COURSE.md §3) reading tokens: dict of (T,) float64 tensors f, i, c_tilde, o, c, h.

    settings: numbers named as in setting_names(LSTM_GATES) (f_noun, f_h, b_f, i_noun, c_number, b_o, ...).
    Each gate is sigmoid(g_h h_prev + g·x_t + b_g), c_tilde = tanh(...), c = f c_prev + i c_tilde and
    h = o tanh(c).
    """
    drive, w_h = _input_drive(sentence_params(LSTM_GATES, settings), LSTM_GATES, tokens)
    trace, h, c = {"f": [], "i": [], "c_tilde": [], "o": [], "c": [], "h": []}, h0, c0
    for a_f, a_i, a_c, a_o in zip(drive["f"], drive["i"], drive["c"], drive["o"], strict=True):
        f, i, o = (sigmoid(a + w_h[g] * h) for a, g in ((a_f, "f"), (a_i, "i"), (a_o, "o")))
        c_tilde = math.tanh(a_c + w_h["c"] * h)
        c = f * c + i * c_tilde
        h = o * math.tanh(c)
        for name, value in zip(trace, (f, i, c_tilde, o, c, h), strict=True):
            trace[name].append(value)
    return {name: torch.tensor(values, dtype=torch.float64) for name, values in trace.items()}


# --- The gate explorers (lessons 02 and 04): one unit, one step -------------------------------------
# Each explorer's settings (its sliders) and the function computing every number its view shows. The view
# (gatelab/widgets/lstm_gate.js) computes the same numbers in the browser; a browser test compares the two.


class Setting(NamedTuple):
    """One slider of an explorer: its range, step and start value; label in the course's notation, and what it is."""

    lo: float
    hi: float
    step: float
    value: float
    label: str
    about: str


GRU_GATE_SETTINGS = {
    "w_x": Setting(-5.0, 5.0, 0.1, 2.0, "w_x", "the update gate's weight on x_t"),
    "w_h": Setting(-5.0, 5.0, 0.1, 0.0, "w_h", "the update gate's weight on h_prev"),
    "b": Setting(-5.0, 5.0, 0.1, 0.0, "b", "the update gate's bias"),
    "x": Setting(-2.0, 2.0, 0.05, 1.0, "x", "the input x_t"),
    "h_prev": Setting(-1.0, 1.0, 0.05, -0.5, "h_prev", "the memory before this step"),
    "h_tilde": Setting(-1.0, 1.0, 0.05, 0.8, "h_tilde", "the candidate"),
}
LSTM_GATE_SETTINGS = {
    "w_fx": Setting(-5.0, 5.0, 0.1, 2.0, "w_fx", "the forget gate's weight on x_t"),
    "w_fh": Setting(-5.0, 5.0, 0.1, 1.0, "w_fh", "the forget gate's weight on h_prev"),
    "b_f": Setting(-5.0, 5.0, 0.1, 0.5, "b_f", "the forget gate's bias"),
    "w_ix": Setting(-5.0, 5.0, 0.1, -2.0, "w_ix", "the input gate's weight on x_t"),
    "w_ih": Setting(-5.0, 5.0, 0.1, 0.0, "w_ih", "the input gate's weight on h_prev"),
    "b_i": Setting(-5.0, 5.0, 0.1, 0.0, "b_i", "the input gate's bias"),
    "x": Setting(-2.0, 2.0, 0.05, 1.0, "x_t", "the input"),
    "h_prev": Setting(-1.0, 1.0, 0.05, 0.5, "h_prev", "the previous hidden state"),
    "c_prev": Setting(-2.0, 2.0, 0.05, 1.5, "c_prev", "the memory before this step"),
    "c_tilde": Setting(-1.0, 1.0, 0.05, -0.8, "c_tilde", "the candidate memory"),
}


def gate_pre_activation(w_x, w_h, b, x, h_prev):
    """a = w_x·x_t + w_h·h_prev + b: a one-unit gate's pre-activation (W_g acting on [h_prev, x_t], plus b_g)."""
    return w_x * x + w_h * h_prev + b


def lstm_gate_step(w_fx, w_fh, b_f, w_ix, w_ih, b_i, x, h_prev, c_prev, c_tilde):
    """Every number lesson 04's gate explorer shows, for one unit and one step (floats, by name).

    a_f = w_fx·x_t + w_fh·h_prev + b_f and f = σ(a_f), the forget gate; a_i and i likewise, the input gate;
    f_c_prev = f·c_prev (what survives of the memory), i_c_tilde = i·c_tilde (what is written) and
    c = f·c_prev + i·c_tilde, the new memory c_t.
    """
    a_f = gate_pre_activation(w_fx, w_fh, b_f, x, h_prev)
    a_i = gate_pre_activation(w_ix, w_ih, b_i, x, h_prev)
    f, i = sigmoid(a_f), sigmoid(a_i)
    f_c_prev, i_c_tilde = f * c_prev, i * c_tilde
    c = f_c_prev + i_c_tilde
    return {"a_f": a_f, "f": f, "a_i": a_i, "i": i, "f_c_prev": f_c_prev, "i_c_tilde": i_c_tilde, "c": c}


def gru_gate_step(w_x, w_h, b, x, h_prev, h_tilde):
    """Every number lesson 02's gate explorer shows, for one unit and one step (floats, by name).

    a = w_x·x_t + w_h·h_prev + b and z = σ(a), the update gate; keep = (1 − z)·h_prev (the old memory kept),
    write = z·h_tilde (the candidate written) and h_next = z·h_tilde + (1 − z)·h_prev.
    """
    a = gate_pre_activation(w_x, w_h, b, x, h_prev)
    z = sigmoid(a)
    keep, write = (1 - z) * h_prev, z * h_tilde
    return {"a": a, "z": z, "keep": keep, "write": write, "h_next": write + keep}


# The puzzles' thresholds: a memory "holds" the number if it has its sign and at least this size.
GRU_LATCH_MIN = 0.5
LSTM_CELL_MIN = 0.5
LSTM_OUTPUT_MIN = 0.25
PUZZLE_PAIR = ("cat", "cats")
# The sentences with an attractor the puzzles' training can add: "The cat near the dogs was hungry" and its mirror.
PUZZLE_ATTRACTORS = ("cat-near-dogs", "cats-near-dog")


def puzzle_sentences(attractors=False):
    """The names of the sentences a puzzle trains on and judges: PUZZLE_PAIR, then PUZZLE_ATTRACTORS if attractors."""
    return PUZZLE_PAIR + (PUZZLE_ATTRACTORS if attractors else ())


def _number_word(number):
    return "singular" if number > 0 else "plural"


def _in_sentences(names):
    """The verdict's last words: "in both sentences" for the pair, "in all 4 sentences" with the attractors."""
    return {1: "in the sentence", 2: "in both sentences"}.get(len(names), f"in all {len(names)} sentences")


def _holds(values, number, lo, minimum):
    """None if values[lo:] all have number's sign and size >= minimum, else (t, value) of the first miss."""
    for t in range(lo, len(values)):
        if float(values[t]) * number < minimum:
            return t, float(values[t])
    return None


def gru_latch_verdict(settings, names=PUZZLE_PAIR):
    """(solved, message): does the one-unit GRU latch the subject's number at the noun and hold it?

    For each sentence of names (default "cat" and "cats"; puzzle_sentences(True) adds the attractors): h must have
    the sign of the subject's number with |h| >= GRU_LATCH_MIN at the noun itself (set there, not drifting in
    later) and at every token up to and including the verb.
    """
    for name in names:
        tokens = data.SENTENCES[name]
        s, v, number = data.subject_and_verb(tokens)
        h = gru_sentence_trace(settings, tokens)["h"]
        miss = _holds(h[: v + 1], number, s, GRU_LATCH_MIN)
        if miss is not None:
            t, value = miss
            where = "at the noun itself" if t == s else f"at {tokens[t]!r} (token {t})"
            hint = (
                "is the update gate open at the noun, and does the candidate carry the number?"
                if t == s
                else "the memory leaks or is overwritten: is the update gate closed after the noun?"
            )
            return False, (
                f"{data.sentence_text(tokens)}: h = {value:+.2f} {where}; it should be "
                f"{'≥ +' if number > 0 else '≤ −'}{GRU_LATCH_MIN} ({_number_word(number)}) — {hint}"
            )
    return True, (
        f"solved: h latches the subject's number at the noun and holds it (|h| ≥ {GRU_LATCH_MIN}) "
        f"until the verb, {_in_sentences(names)}"
    )


def lstm_memory_verdict(settings, names=PUZZLE_PAIR):
    """(solved, message): does the one-unit LSTM's cell carry the subject's number to the verb?

    For each sentence of names (default "cat" and "cats"; puzzle_sentences(True) adds the attractors): c must have
    the sign of the subject's number with |c| >= LSTM_CELL_MIN from the noun to the verb, and at the verb h (what
    the next layer reads to choose "was" or "were") must have that sign with |h| >= LSTM_OUTPUT_MIN.
    """
    for name in names:
        tokens = data.SENTENCES[name]
        s, v, number = data.subject_and_verb(tokens)
        trace = lstm_sentence_trace(settings, tokens)
        sign = "≥ +" if number > 0 else "≤ −"
        miss = _holds(trace["c"][: v + 1], number, s, LSTM_CELL_MIN)
        if miss is not None:
            t, value = miss
            hint = (
                "does the input gate open at the noun, and does c_tilde carry the number?"
                if t == s
                else "the cell forgets: is the forget gate near 1 (and the input gate near 0) after the noun?"
            )
            return False, (
                f"{data.sentence_text(tokens)}: c = {value:+.2f} at {tokens[t]!r} (token {t}); it should be "
                f"{sign}{LSTM_CELL_MIN} ({_number_word(number)}) — {hint}"
            )
        h_verb = float(trace["h"][v])
        if h_verb * number < LSTM_OUTPUT_MIN:
            return False, (
                f"{data.sentence_text(tokens)}: the cell remembers, but h = {h_verb:+.2f} at the verb {tokens[v]!r}; "
                f"it should be {sign}{LSTM_OUTPUT_MIN} — is the output gate open?"
            )
    return True, (
        f"solved: the cell carries the subject's number from the noun to the verb (|c| ≥ {LSTM_CELL_MIN}) "
        f"and h at the verb shows it (|h| ≥ {LSTM_OUTPUT_MIN}), {_in_sentences(names)}"
    )


# --- The sentence explorers (lessons 02 and 04): a one-unit cell reading "The cat …" and "The cats …" ------
# Each explorer's sliders and the function computing every number and word its view shows. The views
# (gatelab/widgets/gru_sentence.js, lstm_puzzle.js) compute the same in the browser; a browser test compares.
# The start values are plausible and no solution (the memory leaks after the noun).


def _weight(name, value, about):
    """A slider on one weight or bias of a one-unit cell: −10 … 10 in steps of 0.1, labelled by its name."""
    return Setting(-10.0, 10.0, 0.1, value, name, about)


GRU_SENTENCE_SETTINGS = {
    "z_noun": _weight("z_noun", 1.0, "the update gate's weight on the feature noun"),
    "z_verb": _weight("z_verb", 1.0, "the update gate's weight on the feature verb"),
    "z_h": _weight("z_h", 0.0, "the update gate's weight on h_prev"),
    "b_z": _weight("b_z", 0.0, "the update gate's bias"),
    "h_number": _weight("h_number", 1.0, "the candidate's weight on the feature number"),
    "h_h": _weight("h_h", 0.0, "the candidate's weight on r·h_prev"),
}
LSTM_PUZZLE_SETTINGS = {
    "f_noun": _weight("f_noun", 0.0, "the forget gate's weight on the feature noun"),
    "f_verb": _weight("f_verb", -2.0, "the forget gate's weight on the feature verb"),
    "f_h": _weight("f_h", 0.0, "the forget gate's weight on h_prev"),
    "b_f": _weight("b_f", 0.0, "the forget gate's bias"),
    "i_noun": _weight("i_noun", 1.0, "the input gate's weight on the feature noun"),
    "i_h": _weight("i_h", 0.0, "the input gate's weight on h_prev"),
    "b_i": _weight("b_i", 0.0, "the input gate's bias"),
    "c_number": _weight("c_number", 1.0, "the candidate's weight on the feature number"),
    "b_o": _weight("b_o", 0.0, "the output gate's bias"),
}
GRU_SENTENCE_SERIES = ("z", "h_tilde", "h")  # what lesson 02's sentence explorer draws of the GRU's trace
LSTM_PUZZLE_SERIES = ("f", "i", "c", "h")  # what lesson 04's puzzle draws of the LSTM's trace


def start_values(settings):
    """The start value of each slider of an explorer (name -> gatelab.dynamics.Setting), by name."""
    return {name: s.value for name, s in settings.items()}


def _sentence_numbers(trace, series, verdict, settings):
    """Per sentence of PUZZLE_PAIR, each series of the cell's trace as a list of floats; and the verdict."""
    numbers = {}
    for name in PUZZLE_PAIR:
        values = trace(settings, data.SENTENCES[name])
        numbers[name] = {key: values[key].tolist() for key in series}
    solved, message = verdict(settings)
    return numbers | {"verdict": {"solved": solved, "message": message}}


def gru_sentence_numbers(**settings):
    """Every number and word lesson 02's sentence explorer shows (settings: as in GRU_SENTENCE_SETTINGS; missing
    ones are 0): {"cat": {"z": [...], "h_tilde": [...], "h": [...]}, "cats": {...}, "verdict": {"solved",
    "message"}}, each series one float per token (gru_sentence_trace), the verdict gru_latch_verdict's."""
    return _sentence_numbers(gru_sentence_trace, GRU_SENTENCE_SERIES, gru_latch_verdict, settings)


def lstm_puzzle_numbers(**settings):
    """Every number and word lesson 04's memory puzzle shows (settings: as in LSTM_PUZZLE_SETTINGS; missing ones
    are 0): {"cat": {"f": [...], "i": [...], "c": [...], "h": [...]}, "cats": {...}, "verdict": {"solved",
    "message"}}, each series one float per token (lstm_sentence_trace), the verdict lstm_memory_verdict's."""
    return _sentence_numbers(lstm_sentence_trace, LSTM_PUZZLE_SERIES, lstm_memory_verdict, settings)


# --- The gradient highway (lesson 05) ----------------------------------------------------------------
# A fixed one-unit LSTM: each gate g has weight w_x on x_t and w_h on h_prev; b_i = b_c = b_o = 0 and
# b_f is the slider. Only b_f moves, so the forget gate's operating point is what the learner tunes.
HIGHWAY_WEIGHTS = {"f": (1.0, 0.5), "i": (1.0, 0.5), "c": (1.0, 0.5), "o": (1.0, 0.5)}


def _lstm_unit_step(x_t, h_prev, c_prev, b_f, weights, sigma, tanh):
    """(f, c, h) of one step of the one-unit LSTM with the given per-gate (w_x, w_h) weights.

    Works on floats (sigma=sigmoid, tanh=math.tanh) and, elementwise, on tensors (torch.sigmoid, torch.tanh)."""
    pre = {g: gate_pre_activation(w_x, w_h, 0.0, x_t, h_prev) for g, (w_x, w_h) in weights.items()}
    f, i, o = sigma(pre["f"] + b_f), sigma(pre["i"]), sigma(pre["o"])
    c = f * c_prev + i * tanh(pre["c"])
    return f, c, o * tanh(c)


def one_unit_lstm_cell_gradients(b_f, x, weights=None, c0=0.5, h0=0.0, through_h=False):
    """Forget gates and ∂c_t/∂c_0 for t = 1 … T of a one-unit LSTM (HIGHWAY_WEIGHTS, forget bias b_f).

    x has shape (T,). Returns (f (T,), dc (T,)). Autograd gives each step's local derivatives in one
    vectorised call, and the chain rule multiplies them. By default dc follows the cell alone (the
    gates' input h_{t-1} held fixed): the highway, whose local derivative is f_t. through_h=True also
    follows the paths through h_{t-1} into the gates and c_tilde: the full derivative, which differs.
    """
    weights = weights or HIGHWAY_WEIGHTS
    c_prev, h_prev, c, h = [], [], c0, h0
    for x_t in x.tolist():
        c_prev.append(c)
        h_prev.append(h)
        _, c, h = _lstm_unit_step(x_t, h, c, b_f, weights, sigmoid, math.tanh)
    c_prev = torch.tensor(c_prev, dtype=torch.float64).requires_grad_(True)
    h_prev = torch.tensor(h_prev, dtype=torch.float64).requires_grad_(True)
    f, c, h = _lstm_unit_step(x, h_prev, c_prev, b_f, weights, torch.sigmoid, torch.tanh)
    dc_dc, dc_dh = torch.autograd.grad(c.sum(), (c_prev, h_prev), retain_graph=True)
    if not through_h:
        return f.detach(), dc_dc.cumprod(0)
    dh_dc, dh_dh = torch.autograd.grad(h.sum(), (c_prev, h_prev))
    dc, (gc, gh) = [], (1.0, 0.0)  # (∂c_{t-1}/∂c_0, ∂h_{t-1}/∂c_0)
    for a, b, p, q in zip(dc_dc.tolist(), dc_dh.tolist(), dh_dc.tolist(), dh_dh.tolist(), strict=True):
        gc, gh = a * gc + b * gh, p * gc + q * gh
        dc.append(gc)
    return f.detach(), torch.tensor(dc, dtype=torch.float64)


# --- The gradient explorers (lessons 01 and 05): what their views show ------------------------------
# Each explorer's settings (its sliders) and the function computing every number and word its view shows.
# The gradients span 1e-300 … 1e47, so the views compute and draw them on a log scale: log10|·| of each,
# floored at GRADIENT_FLOOR (exactly 0 when w = 0). The views (gatelab/widgets/vanishing.js, highway.js)
# compute the same in the browser; a browser test compares the two.

GRADIENT_FLOOR = 1e-300
VANISHED, EXPLODED = 1e-3, 1e3  # a gradient below VANISHED has vanished, one above EXPLODED has exploded
RNN_H0 = 0.5  # h_0 of the one-unit RNN (one_unit_rnn_gradients' default)
HIGHWAY_C0, HIGHWAY_H0 = 0.5, 0.0  # c_0 and h_0 of the highway's one-unit LSTM
HIGHWAY_INPUT_SCALE = 0.5  # the highway's input sequence: one_unit_rnn_inputs(T, HIGHWAY_INPUT_SCALE)

VANISHING_SETTINGS = {
    "w": Setting(0.0, 3.0, 0.05, 0.9, "w", "the recurrent weight of h_t = tanh(w·h_{t-1} + x_t)"),
    "scale": Setting(0.0, 2.0, 0.05, 0.5, "scale", "the input scale: each x_t is scale times a fixed random number"),
    "T": Setting(1, 100, 1, 40, "T", "the sequence length: |∂h_T/∂h_0| is read at t = T"),
}
HIGHWAY_SETTINGS = {
    "b_f": Setting(-3.0, 8.0, 0.1, 1.0, "b_f", "the LSTM's forget bias: f_t = σ(w_fx·x_t + w_fh·h_{t-1} + b_f)"),
    "T": Setting(1, 100, 1, 40, "T", "the sequence length: both gradients are read at t = T"),
    "w": Setting(0.0, 3.0, 0.05, 0.9, "w", "the tanh RNN's recurrent weight"),
}


def log10_gradients(values):
    """log10 max(|v|, GRADIENT_FLOOR) of each value (a tensor or a list of floats): what a log scale draws."""
    return [math.log10(max(abs(v), GRADIENT_FLOOR)) for v in torch.as_tensor(values, dtype=torch.float64).tolist()]


def gradient_verdict(gradient):
    """The size of a gradient in a word: "vanished" (below VANISHED), "exploded" (above EXPLODED) or "survives"."""
    return "vanished" if abs(gradient) < VANISHED else "exploded" if abs(gradient) > EXPLODED else "survives"


def _sequence_length(T, settings):
    """T as an int, checked to be a whole number in the T slider's range."""
    lo, hi = settings["T"].lo, settings["T"].hi
    if T != int(T) or not lo <= T <= hi:
        raise ValueError(f"T must be a whole number from {lo} to {hi}, not {T!r}")
    return int(T)


def vanishing_numbers(w, scale, T):
    """Every number and word lesson 01's explorer shows (vanishing_gradient), as JSON-able values by name.

    The one-unit RNN h_t = tanh(w·h_{t-1} + x_t) from h_0 = RNN_H0 reads one_unit_rnn_inputs(100, scale);
    tanh: log10 |∂h_t/∂h_0| for t = 1 … 100 (one_unit_rnn_gradients: autograd); linear: log10 |w|^t, what a
    linear RNN would give; tanh_T: log10 |∂h_T/∂h_0|; verdict: gradient_verdict(|∂h_T/∂h_0|).
    """
    T_max = VANISHING_SETTINGS["T"].hi
    T = _sequence_length(T, VANISHING_SETTINGS)
    _, dh = one_unit_rnn_gradients(w, one_unit_rnn_inputs(T_max, scale), h0=RNN_H0)
    tanh = log10_gradients(dh)
    linear = log10_gradients([abs(w) ** t for t in range(1, T_max + 1)])
    return {"tanh": tanh, "linear": linear, "tanh_T": tanh[T - 1], "verdict": gradient_verdict(float(dh[T - 1]))}


def highway_inputs():
    """x_1 … x_100: the gradient highway's fixed, seeded input sequence (both cells read it)."""
    return one_unit_rnn_inputs(HIGHWAY_SETTINGS["T"].hi, HIGHWAY_INPUT_SCALE)


def highway_numbers(b_f, T, w):
    """Every number and word lesson 05's explorer shows (gradient_highway), as JSON-able values by name.

    For t = 1 … 100, over highway_inputs(), as log10 |·|: cell, ∂c_t/∂c_0 of the one-unit LSTM along the cell
    (one_unit_lstm_cell_gradients: autograd); product, its forget gates' running product f_1⋯f_t (equal);
    full, ∂c_t/∂c_0 through h as well (all paths); rnn, |∂h_t/∂h_0| of the tanh RNN with weight w. At T: each
    one's value (cell_T, full_T, rnn_T), the verdicts on the cell's and the RNN's (gradient_verdict), the mean
    forget gate f_1 … f_T; and the largest |∂c_t/∂c_0 − f_1⋯f_t| over t.
    """
    T = _sequence_length(T, HIGHWAY_SETTINGS)
    x = highway_inputs()
    f, dc = one_unit_lstm_cell_gradients(b_f, x, c0=HIGHWAY_C0, h0=HIGHWAY_H0)
    _, full = one_unit_lstm_cell_gradients(b_f, x, c0=HIGHWAY_C0, h0=HIGHWAY_H0, through_h=True)
    _, dh = one_unit_rnn_gradients(w, x, h0=RNN_H0)
    product = f.cumprod(0)
    lines = {"cell": dc, "product": product, "full": full, "rnn": dh}
    numbers = {name: log10_gradients(values) for name, values in lines.items()}
    numbers |= {f"{name}_T": numbers[name][T - 1] for name in ("cell", "full", "rnn")}
    return numbers | {
        "cell_verdict": gradient_verdict(float(dc[T - 1])),
        "rnn_verdict": gradient_verdict(float(dh[T - 1])),
        "mean_f": float(f[:T].mean()),
        "largest_difference": float((dc - product).abs().max()),
    }


# --- Training the sentence puzzles (lesson 04's memory puzzle, lesson 02's latch): gradient descent on the sliders -
# "Let training solve it": plain gradient descent on a puzzle's sliders (the LSTM's nine, the GRU's six), with one
# number as the loss, the verb's (was or were) read from h. The page trains in the browser (widgets/descent.js,
# sentence.js, lstm_puzzle.js, gru_sentence.js), where there is no autograd, so each cell's BPTT is written out here
# by hand, step for step as the page computes it, and the loss, the run and the step are shared by both cells;
# tests/test_puzzle_training.py checks it against torch.autograd and the browser tests check the page against it.
# attractors=True (the panel's switch) adds PUZZLE_ATTRACTORS to the training sentences: the loss is their mean.

PUZZLE_KAPPA = 5.0  # the readout's scale: at the hand solution (|h| ≈ 0.63 before the verb) the loss is ≈ 0.042
PUZZLE_LR = 0.5  # the learning rate
PUZZLE_CLIP = 1.0  # the largest step's gradient norm: a longer gradient is scaled down to this length
PUZZLE_STEPS = 300  # the steps one press of "Let training solve it" runs, at most


def softplus(z):
    """log(1 + e^z) of a Python float, without overflow for large |z|."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def puzzle_readout(tokens):
    """(r, number): the token whose h the puzzle's loss reads, r = v − 1, the one just before the agreeing verb
    (where a next layer must choose "was" or "were"), and the subject's number (+1 or −1).

    Not the verb itself: the verb's features carry its own number, so a readout there is won by copying the verb
    (opening the input gate everywhere), with no memory at all; from the token before, only memory gets it right.
    """
    _, v, number = data.subject_and_verb(tokens)
    return v - 1, number


def lstm_sentence_backward(settings, trace, r, dh_r):
    """BPTT through the one-unit LSTM from a gradient dh_r = ∂L/∂h_r reaching h at token r alone.

    trace: lstm_sentence_trace's, as lists of floats. Returns da: per gate g of LSTM_GATES, ∂L/∂a_g[t] for every
    token t (0 after r), a_g[t] the gate's pre-activation (g_h·h_{t−1} + g·x_t + b_g). Going back from r: at t,
    dh (from the readout and from step t+1 through the weights g_h) and dc (from c_{t+1} through f_{t+1});
    c_t = f_t·c_{t−1} + i_t·c_tilde_t and h_t = o_t·tanh(c_t) give ∂L/∂a_o = dh·tanh(c_t)·o(1 − o),
    dc += dh·o·(1 − tanh²(c_t)), ∂L/∂a_f = dc·c_{t−1}·f(1 − f), ∂L/∂a_i = dc·c_tilde·i(1 − i),
    ∂L/∂a_c = dc·i·(1 − c_tilde²); then dh_{t−1} = Σ_g g_h·∂L/∂a_g and dc_{t−1} = dc·f_t.
    """
    T, w_h = len(trace["h"]), {g: settings.get(f"{g}_h", 0.0) for g in LSTM_GATES}
    da = {g: [0.0] * T for g in LSTM_GATES}
    dh, dc = dh_r, 0.0
    for t in range(r, -1, -1):
        f, i, c_tilde, o = (trace[k][t] for k in ("f", "i", "c_tilde", "o"))
        c_before = trace["c"][t - 1] if t > 0 else 0.0
        tanh_c = math.tanh(trace["c"][t])
        dc = dc + dh * o * (1 - tanh_c * tanh_c)
        da["o"][t] = dh * tanh_c * o * (1 - o)
        da["f"][t] = dc * c_before * f * (1 - f)
        da["i"][t] = dc * c_tilde * i * (1 - i)
        da["c"][t] = dc * i * (1 - c_tilde * c_tilde)
        dh = sum(w_h[g] * da[g][t] for g in LSTM_GATES)
        dc = dc * f
    return da


def _setting_shares(name, da, x, recurrent):
    """The share of each token t in ∂L/∂(setting name): ∂L/∂a_g[t] times what the setting multiplies at t (1 for b_g,
    recurrent[g][t] for g_h: h_{t−1}, or r_t·h_{t−1} for the GRU's candidate; feature k of x_t for g_k)."""
    if name.startswith("b_"):
        return list(da[name[2:]])
    g, what = name.split("_", 1)
    factors = recurrent[g] if what == "h" else [row[data.FEATURES.index(what)] for row in x]
    return [d * factor for d, factor in zip(da[g], factors, strict=True)]


def _setting_gradient(name, da, x, recurrent):
    """∂L/∂(setting name) from the gates' ∂L/∂a_g[t]: Σ_t of _setting_shares, each token's ∂L/∂a_g[t] times what
    the setting multiplies there."""
    return sum(_setting_shares(name, da, x, recurrent))


def _puzzle_gradients(settings, sliders, trace, backward, recurrent, attractors=False):
    """(L, grads, push) of a sentence puzzle's loss at settings (missing ones are 0), for a one-unit cell.

    L = mean over the training sentences (puzzle_sentences(attractors): PUZZLE_PAIR, and PUZZLE_ATTRACTORS if
    attractors) of softplus(−number·κ·h_r), κ = PUZZLE_KAPPA, h_r the cell's h just before the verb (puzzle_readout):
    small when h there has the subject's number's sign. grads: ∂L/∂s for every slider s of sliders. push: per gate g,
    ∂L/∂a_g[t] for each token t, summed over the two sentences of PUZZLE_PAIR (their tokens align; the figure shows
    them): how L moves if the gate's pre-activation at that word rises. The cell: trace(settings, tokens) its forward
    (dict of (T,) tensors, h among them), backward(settings, trace, r, dh_r) its BPTT (da per gate, trace as lists of
    floats), recurrent(trace, h_prev) what each gate's weight on h multiplies at each token.
    """
    names = puzzle_sentences(attractors)
    loss, grads, push = 0.0, dict.fromkeys(sliders, 0.0), None
    parts = _sentence_backwards(dict.fromkeys(sliders, 0.0) | settings, trace, backward, recurrent, names)
    for name, (part, da, x, factors) in zip(names, parts, strict=True):
        loss += part
        for s in grads:
            grads[s] += _setting_gradient(s, da, x, factors)
        if name in PUZZLE_PAIR:
            push = da if push is None else {g: [p + d for p, d in zip(push[g], da[g], strict=True)] for g in da}
    return loss, grads, push


def _sentence_backwards(settings, trace, backward, recurrent, names=PUZZLE_PAIR):
    """Per sentence of names, in order: (its part of L, softplus(−number·κ·h_r) / len(names); da, ∂L/∂a_g[t] per
    gate and token; x, its features as lists; what each gate's weight on h multiplies at each token). As
    _puzzle_gradients, whose loop this is."""
    for name in names:
        tokens = data.SENTENCES[name]
        values = {k: v.tolist() for k, v in trace(settings, tokens).items()}
        x, h_prev = data.token_features(tokens).tolist(), [0.0, *values["h"][:-1]]
        r, number = puzzle_readout(tokens)
        z = -number * PUZZLE_KAPPA * values["h"][r]
        da = backward(settings, values, r, -number * PUZZLE_KAPPA * sigmoid(z) / len(names))
        yield softplus(z) / len(names), da, x, recurrent(values, h_prev)


def lstm_puzzle_gradients(settings, attractors=False):
    """(L, grads, push) at the memory puzzle's settings (as LSTM_PUZZLE_SETTINGS; missing ones are 0).

    L = mean over the training sentences (PUZZLE_PAIR; PUZZLE_ATTRACTORS too if attractors) of softplus(−number·κ·h_r),
    κ = PUZZLE_KAPPA, h_r the one-unit LSTM's h just before the verb (puzzle_readout): small when h there has the
    subject's number's sign.
    grads: ∂L/∂s for every slider s of LSTM_PUZZLE_SETTINGS (lstm_sentence_backward, by hand). push: per gate g
    of LSTM_GATES, ∂L/∂a_g[t] for each token t, summed over the two sentences of PUZZLE_PAIR (their tokens align):
    how L moves if the gate's pre-activation at that word rises, so −push is the way training pushes W_g and b_g there.
    """
    return _puzzle_gradients(
        settings, LSTM_PUZZLE_SETTINGS, lstm_sentence_trace, lstm_sentence_backward, _lstm_recurrent, attractors
    )


def _lstm_recurrent(trace, h_prev):
    """What each LSTM gate's weight on h multiplies at each token: h_{t−1}, for every gate."""
    return dict.fromkeys(LSTM_GATES, h_prev)


def lstm_puzzle_shares(settings=None):
    """Where each setting's gradient comes from, at the memory puzzle's settings (default: the sliders' start values;
    missing ones are their start values): {setting: {sentence: [share of token t]}} for every setting of the one-unit
    LSTM (setting_names(LSTM_GATES): the sliders and the weights held at 0) and sentence of PUZZLE_PAIR, a token's
    share being its gate's ∂L/∂a_g[t] times what the setting multiplies there (1 for b_g, so b_g's shares are the
    gate's ∂L/∂a_g; h_{t−1} for g_h; feature k of x_t for g_k). A slider's shares, summed over the sentences and
    tokens, are lstm_puzzle_gradients' grads: one step of training moves it by −lr times that sum (unclipped)."""
    settings = start_values(LSTM_PUZZLE_SETTINGS) | (settings or {})
    shares = {s: {} for s in setting_names(LSTM_GATES)}
    parts = _sentence_backwards(settings, lstm_sentence_trace, lstm_sentence_backward, _lstm_recurrent)
    for name, (_, da, x, factors) in zip(PUZZLE_PAIR, parts, strict=True):
        for s in shares:
            shares[s][name] = _setting_shares(s, da, x, factors)
    return shares


def gru_sentence_backward(settings, trace, r, dh_r):
    """BPTT through the one-unit GRU from a gradient dh_r = ∂L/∂h_r reaching h at token r alone.

    trace: gru_sentence_trace's, as lists of floats. Returns da: per gate g of GRU_GATES, ∂L/∂a_g[t] for every token
    t (0 after r), a_z = z_h·h_{t−1} + z·x_t + b_z (a_r likewise), a_h = h_h·(r_t·h_{t−1}) + h·x_t + b_h. Going back
    from r, with dh reaching h_t: h_t = z·h_tilde + (1 − z)·h_{t−1} gives ∂L/∂a_z = dh·(h_tilde − h_{t−1})·z(1 − z),
    ∂L/∂a_h = dh·z·(1 − h_tilde²), ∂L/∂a_r = ∂L/∂a_h·h_h·h_{t−1}·r(1 − r); then
    dh_{t−1} = dh·(1 − z) + z_h·∂L/∂a_z + r_h·∂L/∂a_r + h_h·r·∂L/∂a_h.
    """
    T, w_h = len(trace["h"]), {g: settings.get(f"{g}_h", 0.0) for g in GRU_GATES}
    da = {g: [0.0] * T for g in GRU_GATES}
    dh = dh_r
    for t in range(r, -1, -1):
        z, r_t, h_tilde = trace["z"][t], trace["r"][t], trace["h_tilde"][t]
        h_before = trace["h"][t - 1] if t > 0 else 0.0
        da["z"][t] = dh * (h_tilde - h_before) * z * (1 - z)
        da["h"][t] = dh * z * (1 - h_tilde * h_tilde)
        da["r"][t] = da["h"][t] * w_h["h"] * h_before * r_t * (1 - r_t)
        dh = dh * (1 - z) + w_h["z"] * da["z"][t] + w_h["r"] * da["r"][t] + w_h["h"] * r_t * da["h"][t]
    return da


def gru_latch_gradients(settings, attractors=False):
    """(L, grads, push) at lesson 02's latch's settings (as GRU_SENTENCE_SETTINGS; missing ones are 0): the memory
    puzzle's loss (lstm_puzzle_gradients: softplus(−number·κ·h_r) just before the verb, mean over the training
    sentences, the attractors' too if attractors) read from the one-unit GRU's h; grads by gru_sentence_backward;
    push per gate of GRU_GATES (z, r, and h: the candidate's pre-activation), ∂L/∂a_g[t] per token summed over the
    sentences of PUZZLE_PAIR."""
    recurrent = lambda trace, h_prev: {  # noqa: E731 (the candidate's h_h multiplies r·h_{t−1})
        "z": h_prev, "r": h_prev, "h": [r * h for r, h in zip(trace["r"], h_prev, strict=True)],
    }  # fmt: skip
    return _puzzle_gradients(
        settings, GRU_SENTENCE_SETTINGS, gru_sentence_trace, gru_sentence_backward, recurrent, attractors
    )


def descent_step(sliders, settings, grads, lr=PUZZLE_LR, clip=PUZZLE_CLIP):
    """The settings after one step of plain gradient descent: s − lr·g for each slider s of sliders (name ->
    Setting), g = grads[s] scaled down to length clip if the gradient (over every slider) is longer (clip None: no
    clipping); each value then clamped to its slider's range (lo … hi), as the slider would."""
    norm = math.sqrt(sum(g * g for g in grads.values()))
    scale = clip / norm if clip is not None and norm > clip else 1.0
    return {name: min(max(settings[name] - lr * scale * grads[name], s.lo), s.hi) for name, s in sliders.items()}


def lstm_puzzle_step(settings, grads, lr=PUZZLE_LR, clip=PUZZLE_CLIP):
    """descent_step on the memory puzzle's sliders (LSTM_PUZZLE_SETTINGS)."""
    return descent_step(LSTM_PUZZLE_SETTINGS, settings, grads, lr, clip)


def descent_training(gradients, sliders, settings=None, steps=50, lr=PUZZLE_LR, clip=PUZZLE_CLIP):
    """A run of steps steps of gradient descent (gradients(settings) -> (L, grads, push), descent_step) on sliders
    (name -> Setting) from settings (default: the sliders' start values; missing ones are their start values).

    Returns steps + 1 records, one per step k = 0 … steps: {"step": k, "settings": the sliders after k steps,
    "loss": L there, "push": gradients' per-token ∂L/∂a_g there}. The page runs the same (descent.js).
    """
    settings = start_values(sliders) | (settings or {})
    records = []
    for k in range(steps + 1):
        loss, grads, push = gradients(settings)
        records.append({"step": k, "settings": settings, "loss": loss, "push": push})
        settings = descent_step(sliders, settings, grads, lr, clip)
    return records


def lstm_puzzle_training(settings=None, steps=50, lr=PUZZLE_LR, clip=PUZZLE_CLIP, attractors=False):
    """descent_training on the memory puzzle: lstm_puzzle_gradients (with the attractors if attractors) on
    LSTM_PUZZLE_SETTINGS' sliders."""
    gradients = functools.partial(lstm_puzzle_gradients, attractors=attractors)
    return descent_training(gradients, LSTM_PUZZLE_SETTINGS, settings, steps, lr, clip)


def gru_latch_training(settings=None, steps=50, lr=PUZZLE_LR, clip=PUZZLE_CLIP, attractors=False):
    """descent_training on lesson 02's latch: gru_latch_gradients (with the attractors if attractors) on
    GRU_SENTENCE_SETTINGS' sliders."""
    gradients = functools.partial(gru_latch_gradients, attractors=attractors)
    return descent_training(gradients, GRU_SENTENCE_SETTINGS, settings, steps, lr, clip)


PUZZLE_RUNS = {"lstm": (lstm_puzzle_training, lstm_memory_verdict), "gru": (gru_latch_training, gru_latch_verdict)}


def sentences_held(settings, puzzle="lstm", attractors=False):
    """{sentence: solved} per training sentence (puzzle_sentences(attractors)): the puzzle's verdict ("lstm":
    lstm_memory_verdict, "gru": gru_latch_verdict) on that sentence alone."""
    verdict = PUZZLE_RUNS[puzzle][1]
    return {name: verdict(settings, (name,))[0] for name in puzzle_sentences(attractors)}


def steps_to_solve(settings=None, steps=PUZZLE_STEPS, lr=PUZZLE_LR, clip=PUZZLE_CLIP, puzzle="lstm", attractors=False):
    """The first step k of a run of steps steps from settings at which the puzzle's verdict says solved (on every
    training sentence: puzzle_sentences(attractors)), or None if none does. puzzle: "lstm" (lstm_puzzle_training,
    lstm_memory_verdict) or "gru" (gru_latch_training, gru_latch_verdict)."""
    training, verdict = PUZZLE_RUNS[puzzle]
    names = puzzle_sentences(attractors)
    for record in training(settings, steps, lr, clip, attractors):
        if verdict(record["settings"], names)[0]:
            return record["step"]
    return None


def mulberry32(seed):
    """A generator of floats in [0, 1): Tommy Ettinger's mulberry32 from a 32-bit seed, the few lines of integer
    arithmetic the page runs too (descent.js), so a seeded start is the same number in both."""
    a = seed & 0xFFFFFFFF
    while True:
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((a ^ (a >> 15)) * (a | 1)) & 0xFFFFFFFF
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF) ^ t
        yield (t ^ (t >> 14)) / 4294967296


PUZZLE_RANDOM_SPAN = 30  # a random start's values: −3.0 … 3.0, on the sliders' steps of 0.1


def puzzle_random_start(seed, sliders=LSTM_PUZZLE_SETTINGS):
    """Seeded random settings for a puzzle's sliders (default: the memory puzzle's), in their order: each (k − 30)/10
    for k = ⌊61·u⌋, u from mulberry32(seed): −3.0 … 3.0 on the sliders' steps. The page's "Random start" draws the
    same.

    Training solves the memory puzzle from some (seeds 1, 5, 9, 11, 12, 19, 25 of 1 … 30 within PUZZLE_STEPS); from
    most it stalls at L ≈ ln 2: where the forget gate starts closed, the gradient reaching the noun through it
    vanishes. The latch (GRU_SENTENCE_SETTINGS) is solved from 13 of seeds 1 … 30 (2, 3, 4, 6, 9, 11, …); from some
    it stalls at ln 2 (an update gate open after the noun overwrites h, and the gradient to the noun vanishes), and
    from seed 1 it finds a low loss with no latch: h_h < 0 with z ≈ 1 flips h's sign at every token, and the one
    token the loss reads has the right sign. With the attractors (attractors=True) no seed of 1 … 30 solves the memory
    puzzle (its nine sliders cannot hold all four sentences: a gate's weight on h sees h's sign, not whether a number
    is stored), and the latch is solved from seeds 2, 3, 18, 22 and 26, where its candidate's weight on h (h_h)
    grows until the memory outvotes the attractor's number (tests/test_puzzle_training.py).
    """
    u = mulberry32(seed)
    n = 2 * PUZZLE_RANDOM_SPAN + 1
    return {name: (math.floor(n * next(u)) - PUZZLE_RANDOM_SPAN) / 10 for name in sliders}
