"""Lesson 05's explorer, computed and drawn in the browser (highway.js): the cell state as a gradient highway,
∂c_t/∂c_0 of a one-unit LSTM beside |∂h_t/∂h_0| of a one-unit tanh RNN."""

from gatelab import dynamics
from gatelab.widgets.front import HERE, es_module, front_end_explorer


class GradientHighwayExplorer(front_end_explorer(dynamics.HIGHWAY_SETTINGS)):
    """Sliders b_f (the LSTM's forget bias), T and w (the RNN's recurrent weight), as synced traits.

    On a log scale over t = 1 … 100, for one fixed seeded input sequence: the LSTM's ∂c_t/∂c_0 along the cell
    (solid, a circle at T), the running product of its forget gates f_1⋯f_t (open circles: equal to it), its
    |∂c_t/∂c_0| through h as well (dotted) and the tanh RNN's |∂h_t/∂h_0| (dashed, a square at T). The view
    computes these in the page from _constants (the inputs, the LSTM's weights, the start states); numbers()
    gives them from dynamics.highway_numbers (autograd).
    """

    _esm = es_module(HERE / "highway.js")

    def constants(self):
        return {
            "x": dynamics.highway_inputs().tolist(),
            "weights": {gate: list(w) for gate, w in dynamics.HIGHWAY_WEIGHTS.items()},  # (w_x, w_h) per gate
            "c0": dynamics.HIGHWAY_C0,
            "h0": dynamics.HIGHWAY_H0,
            "rnn_h0": dynamics.RNN_H0,
            "floor": dynamics.GRADIENT_FLOOR,
            "vanished": dynamics.VANISHED,
            "exploded": dynamics.EXPLODED,
        }

    def numbers(self):
        return dynamics.highway_numbers(**self.values())


def gradient_highway(b_f=1.0, T=40, w=0.9):
    """Lesson 05's explorer (GradientHighwayExplorer): sliders on the LSTM's forget bias b_f, T and the RNN's
    recurrent weight w; the LSTM's ∂c_t/∂c_0 along its cell (= f_1⋯f_t) and through h, and the RNN's |∂h_t/∂h_0|."""
    return GradientHighwayExplorer(b_f=b_f, T=T, w=w)
