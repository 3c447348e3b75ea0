"""Lesson 01's widget: how |∂h_T/∂h_0| of a one-unit tanh RNN vanishes or explodes with T."""

from gatelab import dynamics
from gatelab.widgets.live import Explorer, LiveFigure, slider

T_MAX = 100
Y_RANGE = (1e-12, 1e8)


def verdict(gradient):
    """A word on the size of a gradient: vanished, exploded or fine."""
    if gradient < 1e-3:
        return "<b style='color:#c0392b'>vanished</b>: h_0 barely influences h_T"
    if gradient > 1e3:
        return "<b style='color:#c0392b'>exploded</b>: tiny changes to h_0 swamp h_T"
    return "<b style='color:#27ae60'>survives</b>"


def vanishing_gradient(w=0.9, scale=0.5, T=40):
    """Sliders on the recurrent weight w, the input scale and T; plots |∂h_t/∂h_0| on a log scale.

    The solid line is the tanh RNN h_t = tanh(w·h_{t-1} + x_t); the dashed one is |w|^t, what
    a linear RNN (no tanh) would give. Returns an Explorer (sliders w, scale, T; artists by name).
    """
    live = LiveFigure(css_class="gl-vanishing-figure")
    ax = live.fig.add_subplot()
    ax.set(yscale="log", ylim=Y_RANGE, xlim=(0, T_MAX), xlabel="time step t", ylabel="|∂h_t / ∂h_0|")
    ax.axhspan(Y_RANGE[0], 1e-3, color="#f5b7b1", alpha=0.4, lw=0)
    ax.axhspan(1e3, Y_RANGE[1], color="#f5b7b1", alpha=0.4, lw=0)
    ax.grid(True, which="major", alpha=0.3)
    artists = dict(
        zip(
            ("tanh", "linear", "marker", "T_line"),
            live.animate(
                ax.plot([], [], lw=2, label="tanh RNN")[0],
                ax.plot([], [], "--", color="gray", label="|w|^t (no tanh)")[0],
                ax.plot([], [], "o", color="C3", ms=7)[0],
                ax.axvline(T, color="C3", lw=1, alpha=0.6),
            ),
            strict=True,
        )
    )
    ax.legend(loc="lower left", fontsize=8)

    def draw(w, scale, T):
        x = dynamics.one_unit_rnn_inputs(T_MAX, scale)
        h, dh = dynamics.one_unit_rnn_gradients(w, x)
        t = range(1, T + 1)
        artists["tanh"].set_data(t, dh[:T].clamp_min(1e-300).numpy())
        artists["linear"].set_data(t, [max(abs(w) ** k, 1e-300) for k in t])
        artists["marker"].set_data([T], [max(float(dh[T - 1]), 1e-300)])
        artists["T_line"].set_xdata([T, T])
        return f"|∂h_T/∂h_0| = {float(dh[T - 1]):.2e} at T = {T}<br>{verdict(float(dh[T - 1]))}"

    sliders = {
        "w": slider("recurrent weight w", 0.0, 3.0, 0.05, w),
        "scale": slider("input scale", 0.0, 2.0, 0.05, scale),
        "T": slider("sequence length T", 1, T_MAX, 1, T, integer=True),
    }
    return Explorer(sliders, live, draw, artists)
