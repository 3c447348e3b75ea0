"""Lesson 02's gate explorer, computed and drawn in the browser (gru_gate.js): one GRU unit's update gate on the
sigmoid, and the memory h_next = z·h_tilde + (1 − z)·h_prev it makes."""

from gatelab import dynamics
from gatelab.widgets.front import HERE, es_module, front_end_explorer


class GRUGateExplorer(front_end_explorer(dynamics.GRU_GATE_SETTINGS)):
    """Sliders w_x, w_h, b (the update gate z = σ(w_x·x_t + w_h·h_prev + b)), x (x_t), h_prev and h_tilde (the
    candidate), as synced traits.

    Left: the sigmoid with the gate's operating point; right: bars h_prev, (1 − z)·h_prev, h_tilde, z·h_tilde,
    h_next. The view computes these in the page; numbers() gives them from gatelab.dynamics.gru_gate_step.
    """

    _esm = es_module(HERE / "gru_gate.js")

    def numbers(self):
        return dynamics.gru_gate_step(**self.values())


def gru_gate_explorer(**start):
    """Lesson 02's gate explorer (GRUGateExplorer); start: any slider's start value, e.g. b=-3.0."""
    return GRUGateExplorer(**start)
