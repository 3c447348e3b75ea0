"""Lesson 01's explorer, computed and drawn in the browser (vanishing.js): how |∂h_T/∂h_0| of a one-unit tanh RNN
vanishes or explodes with T."""

from gatelab import dynamics
from gatelab.widgets.front import HERE, es_module, front_end_explorer


class VanishingGradientExplorer(front_end_explorer(dynamics.VANISHING_SETTINGS)):
    """Sliders w (the recurrent weight of h_t = tanh(w·h_{t-1} + x_t)), scale (the input scale) and T, as synced
    traits.

    On a log scale over t = 1 … T: the tanh RNN's |∂h_t/∂h_0| (solid, a dot at T) and |w|^t, what a linear RNN
    would give (dashed); shaded bands mark vanished and exploded. The view computes these in the page from
    _constants (the fixed input sequence at scale 1); numbers() gives them from dynamics.vanishing_numbers.
    """

    _esm = es_module(HERE / "vanishing.js")

    def constants(self):
        T_max = dynamics.VANISHING_SETTINGS["T"].hi
        return {
            "x": dynamics.one_unit_rnn_inputs(T_max, 1.0).tolist(),  # the view multiplies it by scale
            "h0": dynamics.RNN_H0,
            "floor": dynamics.GRADIENT_FLOOR,
            "vanished": dynamics.VANISHED,
            "exploded": dynamics.EXPLODED,
        }

    def numbers(self):
        return dynamics.vanishing_numbers(**self.values())


def vanishing_gradient(w=0.9, scale=0.5, T=40):
    """Lesson 01's explorer (VanishingGradientExplorer): sliders on the recurrent weight w, the input scale and T;
    |∂h_t/∂h_0| of the one-unit tanh RNN on a log scale, beside |w|^t (a linear RNN)."""
    return VanishingGradientExplorer(w=w, scale=scale, T=T)
