"""The course's interactive widgets; the only part of gatelab that imports ipywidgets.

Each widget is one call in a notebook (`gl.widgets.vanishing_gradient()`); the model it draws is a
pure function in gatelab.dynamics. gru_gate_explorer and lstm_gate_explorer compute and draw in the browser
(widgets.front, an ES module beside each class); the others are a LiveFigure with sliders drawn in the kernel
(widgets.live).
"""

from gatelab.widgets.front import FrontEndExplorer
from gatelab.widgets.gates import (
    gradient_highway,
    gru_sentence,
    lstm_memory_puzzle,
)
from gatelab.widgets.gru_gate import GRUGateExplorer, gru_gate_explorer
from gatelab.widgets.live import Explorer, LiveFigure, slider
from gatelab.widgets.lstm_gate import LSTMGateExplorer, lstm_gate_explorer
from gatelab.widgets.rnn import vanishing_gradient

__all__ = [
    "Explorer",
    "FrontEndExplorer",
    "GRUGateExplorer",
    "LSTMGateExplorer",
    "LiveFigure",
    "gradient_highway",
    "gru_gate_explorer",
    "gru_sentence",
    "lstm_gate_explorer",
    "lstm_memory_puzzle",
    "slider",
    "vanishing_gradient",
]
