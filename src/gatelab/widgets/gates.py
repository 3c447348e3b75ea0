"""Lessons 02–05's widgets drawn in the kernel: one-unit cells reading a sentence, the gradient highway (the
gate explorers of lessons 02 and 04 are drawn in the browser: gru_gate.py, lstm_gate.py).

GRU and LSTM share SentenceReader (a one-unit cell's gates and memory token by token, for "The cat …" and
"The cats …"). The numbers come from pure functions in gatelab.dynamics; the views only draw them.
"""

import functools

from matplotlib.lines import Line2D

from gatelab import data, dynamics
from gatelab.dynamics import GRU_LATCH_MIN, LSTM_CELL_MIN
from gatelab.widgets.live import Explorer, LiveFigure, slider

SENTENCE_COLORS = {"cat": "C0", "cats": "C1"}
SERIES_LABELS = {
    "z": "$z_t$",
    "h": "$h_t$",
    "h_tilde": r"$\tilde{h}_t$",
    "f": "$f_t$",
    "i": "$i_t$",
    "c": "$c_t$",
    "o": "$o_t$",
    "c_tilde": r"$\tilde{c}_t$",
    "r": "$r_t$",
}
GOOD, BAD = "#27ae60", "#c0392b"


def _weight_sliders(names, values, lo=-10.0, hi=10.0, step=0.1):
    """A slider per setting name (a weight or bias of a one-unit cell), started at values[name].

    The range grows to hold a start value beyond [lo, hi] (a slider would silently clip it)."""
    return {name: slider(name, min(lo, values[name]), max(hi, values[name]), step, values[name]) for name in names}


class SentenceReader:
    """A one-unit cell's values token by token for two sentences of the same length, in stacked panels.

    panels: list of (ylabel, ylim, {series: linestyle}, levels); each series is a key of the cell's
    trace and gets one line per sentence (colour = sentence, line style = series); levels are dashed
    reference lines (a verdict's thresholds). Artists "<series>_<sentence>". The span from the subject
    to its verb is shaded: that is where the memory must hold.
    """

    def __init__(self, live, panels, pair):
        self.pair = pair
        tokens = [data.SENTENCES[name] for name in pair]
        s, v, _ = data.subject_and_verb(tokens[0])
        labels = [a if a == b else f"{a}\n{b}" for a, b in zip(*tokens, strict=True)]
        axes = live.fig.subplots(len(panels), 1, sharex=True)
        self.artists, self.lines = {}, []  # lines: (series, sentence) of each artist, in order
        for ax, (ylabel, ylim, series, levels) in zip(axes, panels, strict=True):
            ax.set(ylim=ylim, xlim=(-0.4, len(labels) - 0.6), ylabel=ylabel)
            ax.axvspan(s - 0.2, v + 0.2, color="#fdebd0", lw=0, zorder=0)
            ax.axhline(0.0, color="0.75", lw=0.8, zorder=0)
            ax.grid(True, axis="x", alpha=0.25)
            for level in levels:
                ax.axhline(level, color="0.6", lw=0.8, ls="--", zorder=0)
            for key, style in series.items():
                for k, name in enumerate(pair):
                    self.lines.append((key, name))
                    self.artists[f"{key}_{name}"] = live.animate(_reader_line(ax, len(labels), style, name, k))
            _reader_legend(ax, series, pair if ax is axes[0] else ())
        axes[-1].set_xticks(range(len(labels)), labels, fontsize=9)
        self.axes = axes

    def show(self, traces):
        """traces: sentence name -> the cell's trace (dict of (T,) tensors); updates every line."""
        for (series, name), line in zip(self.lines, self.artists.values(), strict=True):
            line.set_ydata(traces[name][series].numpy())


def _reader_line(ax, T, style, name, k):
    """The line of one series for sentence name, the k-th of its pair: the first is drawn wider, so it
    still shows where the two coincide."""
    color = SENTENCE_COLORS.get(name, "C2")
    return ax.plot(range(T), [0.0] * T, style, marker="o", ms=5 - 1.5 * k, color=color, lw=3.0 - 1.4 * k)[0]


def _reader_legend(ax, series, pair):
    """A legend right of ax: one line style per series, one colour per sentence of pair (if any)."""
    handles = [Line2D([], [], color="0.3", ls=ls, label=SERIES_LABELS[key]) for key, ls in series.items()]
    handles += [Line2D([], [], color=SENTENCE_COLORS.get(n, "C2"), lw=2, label=f"“{n}”") for n in pair]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False)


def _verdict_html(solved, message):
    """A verdict as the status text, kept narrow so the sliders beside it keep their width."""
    mark = f"<b style='color:{GOOD if solved else BAD}'>{'✔' if solved else '✘'}</b>"
    return f"<div style='max-width:30em; line-height:1.4'>{mark} {message}</div>"


def _check_start(start, defaults):
    """defaults updated with start, refusing names that are not sliders."""
    unknown = sorted(set(start) - set(defaults))
    if unknown:
        raise KeyError(f"unknown slider(s) {unknown}; this widget's sliders are {', '.join(defaults)}")
    return defaults | start


def _sentence_explorer(trace, verdict, panels, start, css_class, pair=dynamics.PUZZLE_PAIR):
    """An Explorer: weight sliders (start: name -> value) on a one-unit cell reading the pair."""
    live = LiveFigure(figsize=(7.2, 1.8 * len(panels) + 0.3), css_class=css_class)
    reader = SentenceReader(live, panels, pair)

    def draw(**settings):
        traces = {name: trace(settings, data.SENTENCES[name]) for name in pair}
        reader.show(traces)
        return _verdict_html(*verdict(settings))

    return Explorer(_weight_sliders(start, start), live, draw, reader.artists)


# Starting values: plausible, and not a solution (the memory leaks after the noun).
GRU_SENTENCE_START = {"z_noun": 1.0, "z_verb": 1.0, "z_h": 0.0, "b_z": 0.0, "h_number": 1.0, "h_h": 0.0}
LSTM_PUZZLE_START = {
    "f_noun": 0.0,
    "f_verb": -2.0,
    "f_h": 0.0,
    "b_f": 0.0,
    "i_noun": 1.0,
    "i_h": 0.0,
    "b_i": 0.0,
    "c_number": 1.0,
    "b_o": 0.0,
}


def gru_sentence(**start):
    """A one-unit GRU reads "The cat, which already ate, was full" and its plural, token by token.

    Sliders (start sets any of them; the rest of the GRU's weights are 0, so r = σ(0) = 0.5):
    z_noun, z_verb (the update gate's weights on the features noun and verb), z_h (its weight on
    h_prev), b_z (its bias), h_number (the candidate's weight on number), h_h (its weight on r·h_prev).
    Plots z_t and h_t across the tokens for both sentences; the status is
    dynamics.gru_latch_verdict. The puzzle: h takes the subject's number at "cat"/"cats" and holds it
    through the clause until the verb. One solution: z_noun = 8, b_z = −4, h_number = 3, others 0.
    """
    panels = [
        ("update gate z", (-0.04, 1.04), {"z": "-"}, ()),
        ("memory h", (-1.1, 1.1), {"h": "-", "h_tilde": ":"}, (-GRU_LATCH_MIN, GRU_LATCH_MIN)),
    ]
    settings = _check_start(start, GRU_SENTENCE_START)
    return _sentence_explorer(
        dynamics.gru_sentence_trace, dynamics.gru_latch_verdict, panels, settings, "gl-gru-sentence-figure"
    )


def lstm_memory_puzzle(**start):
    """A one-unit LSTM reads "The cat, which already ate, was full" and its plural, token by token.

    Sliders (start sets any of them; every other weight of the LSTM is 0): f_noun, f_verb, f_h, b_f
    (the forget gate's weights on noun, verb and h_prev, and its bias), i_noun, i_h, b_i (the input
    gate's), c_number (the candidate's weight on number) and b_o (the output gate's bias).
    Plots f_t and i_t (top), c_t and h_t (bottom) for both sentences; the status is
    dynamics.lstm_memory_verdict. The puzzle: the cell carries the subject's number from the noun to
    the verb. One solution: f_verb = 0, b_f = 4, i_noun = 8, b_i = −4, c_number = 3, b_o = 2, others 0.
    """
    panels = [
        ("gates f, i", (-0.04, 1.04), {"f": "-", "i": "--"}, ()),
        ("memory c, h", (-1.6, 1.6), {"c": "-", "h": "--"}, (-LSTM_CELL_MIN, LSTM_CELL_MIN)),
    ]
    settings = _check_start(start, LSTM_PUZZLE_START)
    return _sentence_explorer(
        dynamics.lstm_sentence_trace, dynamics.lstm_memory_verdict, panels, settings, "gl-lstm-puzzle-figure"
    )


HIGHWAY_T_MAX = 100
HIGHWAY_Y_RANGE = (1e-16, 1e4)
HIGHWAY_INPUT_SCALE = 0.5


def _highway_axes(live, T):
    """The gradient highway's log-scale axes; returns its moving artists by name."""
    ax = live.fig.add_subplot()
    ax.set(
        yscale="log",
        ylim=HIGHWAY_Y_RANGE,
        xlim=(0, HIGHWAY_T_MAX + 1),
        xlabel="time step t",
        ylabel="gradient w.r.t. the first state",
    )
    ax.axhspan(HIGHWAY_Y_RANGE[0], 1e-3, color="#f5b7b1", alpha=0.35, lw=0)
    ax.grid(True, which="major", alpha=0.3)
    dc, dh = r"$\partial c_t/\partial c_0$", r"$|\partial h_t/\partial h_0|$"
    lines = (
        ax.plot([], [], lw=2.2, color="C0", label=f"LSTM {dc} along\nthe cell (autograd)")[0],
        ax.plot([], [], "o", mfc="none", color="C0", ms=5, markevery=3, label=r"$f_1 f_2 \cdots f_t$")[0],
        ax.plot([], [], ":", lw=1.5, color="C0", alpha=0.7, label=f"LSTM {dc},\nall paths")[0],
        ax.plot([], [], lw=2.2, color="C3", label=f"tanh RNN\n{dh}")[0],
        ax.plot([], [], "o", color="C0", ms=8)[0],
        ax.plot([], [], "o", color="C3", ms=8)[0],
        ax.axvline(T, color="0.4", lw=1, alpha=0.6),
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False, labelspacing=0.9)
    names = ("lstm", "product", "lstm_all", "rnn", "marker_lstm", "marker_rnn", "T_line")
    return dict(zip(names, live.animate(*lines), strict=True))


def gradient_highway(b_f=1.0, T=40, w=0.9):
    """The cell state as a gradient highway: ∂c_t/∂c_0 of a one-unit LSTM beside ∂h_t/∂h_0 of an RNN.

    Sliders b_f (the LSTM's forget bias), w (the RNN's recurrent weight) and T. On a log scale over
    t = 1 … 100, for one fixed seeded input sequence: the LSTM's ∂c_t/∂c_0 along the cell (autograd,
    solid, artist "lstm"), the running product of its forget gates f_1 ⋯ f_t (markers, "product":
    equal to it), the LSTM's full derivative through h as well (dotted, "lstm_all") and the tanh
    RNN's |∂h_t/∂h_0| ("rnn"), from dynamics.one_unit_lstm_cell_gradients and one_unit_rnn_gradients.
    """
    x = dynamics.one_unit_rnn_inputs(HIGHWAY_T_MAX, HIGHWAY_INPUT_SCALE)
    t_all = range(1, HIGHWAY_T_MAX + 1)
    live = LiveFigure(figsize=(7.6, 3.0), css_class="gl-gradient-highway-figure")
    artists = _highway_axes(live, T)
    floor = HIGHWAY_Y_RANGE[0] / 10  # log scale: values that underflow sit just off the panel

    @functools.lru_cache(maxsize=128)  # moving T alone recomputes nothing
    def lstm(b_f):
        f, dc = dynamics.one_unit_lstm_cell_gradients(b_f, x)
        return f, dc, dynamics.one_unit_lstm_cell_gradients(b_f, x, through_h=True)[1]

    @functools.lru_cache(maxsize=128)
    def rnn(w):
        return dynamics.one_unit_rnn_gradients(w, x)[1]

    def draw(b_f, w, T):
        (f, dc, dc_all), dh = lstm(b_f), rnn(w)
        product = f.cumprod(0)
        for name, values in (("lstm", dc), ("product", product), ("lstm_all", dc_all.abs()), ("rnn", dh)):
            artists[name].set_data(t_all, values.clamp_min(floor).numpy())
        artists["marker_lstm"].set_data([T], [max(float(dc[T - 1]), floor)])
        artists["marker_rnn"].set_data([T], [max(float(dh[T - 1]), floor)])
        artists["T_line"].set_xdata([T, T])
        return (
            f"at T = {T}: LSTM <b>∂c_T/∂c_0 = {float(dc[T - 1]):.2e}</b> = f_1⋯f_T "
            f"(largest difference over t: {float((dc - product).abs().max()):.0e})<br>"
            f"mean forget gate {float(f[:T].mean()):.3f}; through h as well: {float(dc_all[T - 1]):.2e}<br>"
            f"tanh RNN <b>|∂h_T/∂h_0| = {float(dh[T - 1]):.2e}</b>"
        )

    sliders = {
        "b_f": slider("b_f", -3.0, 8.0, 0.1, b_f),
        "w": slider("w", 0.0, 3.0, 0.05, w),
        "T": slider("T", 1, HIGHWAY_T_MAX, 1, T, integer=True),
    }
    return Explorer(sliders, live, draw, artists)
