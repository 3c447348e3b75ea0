"""The course's interactive widgets; the only part of gatelab that imports ipywidgets.

Each widget is one call in a notebook (`gl.widgets.vanishing_gradient()`); the model it draws is a
pure function in gatelab.dynamics, the view is a LiveFigure with sliders (widgets.live).
"""

from gatelab.widgets.gates import (
    gradient_highway,
    gru_gate_explorer,
    gru_sentence,
    lstm_gate_explorer,
    lstm_memory_puzzle,
)
from gatelab.widgets.live import Explorer, LiveFigure, slider
from gatelab.widgets.rnn import vanishing_gradient

__all__ = [
    "Explorer",
    "LiveFigure",
    "gradient_highway",
    "gru_gate_explorer",
    "gru_sentence",
    "lstm_gate_explorer",
    "lstm_memory_puzzle",
    "slider",
    "vanishing_gradient",
]
