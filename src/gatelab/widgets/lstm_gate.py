"""Lesson 04's gate explorer, computed and drawn in the browser (lstm_gate.js): one LSTM unit's forget and
input gates on the sigmoid, and the memory c_t = f·c_prev + i·c_tilde they make."""

from gatelab import dynamics
from gatelab.widgets.front import HERE, es_module, front_end_explorer


class LSTMGateExplorer(front_end_explorer(dynamics.LSTM_GATE_SETTINGS)):
    """Sliders w_fx, w_fh, b_f (the forget gate f = σ(w_fx·x_t + w_fh·h_prev + b_f)), w_ix, w_ih, b_i (the
    input gate i, likewise), x (x_t), h_prev, c_prev and c_tilde (the candidate), as synced traits.

    Left: the sigmoid with both gates' operating points; right: bars c_prev, f·c_prev, c_tilde, i·c_tilde, c_t.
    The view computes these in the page; numbers() gives them from gatelab.dynamics.lstm_gate_step.
    """

    _esm = es_module(HERE / "lstm_gate.js")

    def numbers(self):
        return dynamics.lstm_gate_step(**self.values())


def lstm_gate_explorer(**start):
    """Lesson 04's gate explorer (LSTMGateExplorer); start: any slider's start value, e.g. b_f=3.0."""
    return LSTMGateExplorer(**start)
