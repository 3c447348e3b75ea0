"""The course's interactive widgets; the only part of gatelab that imports ipywidgets.

Each widget is one call in a notebook (`gl.widgets.vanishing_gradient()`); the model it draws is a
pure function in gatelab.dynamics (the training films replay recorded runs: gatelab.film). Every
explorer computes and draws in the browser (widgets.front, an ES module beside each class), so it moves within
a frame and stays live with no kernel.
"""

from gatelab.widgets.film import IdenticalStartFilmExplorer, identical_start_film, training_film
from gatelab.widgets.front import FrontEndExplorer
from gatelab.widgets.gru_gate import GRUGateExplorer, gru_gate_explorer
from gatelab.widgets.gru_sentence import GRUSentenceExplorer, gru_sentence
from gatelab.widgets.highway import GradientHighwayExplorer, gradient_highway
from gatelab.widgets.lstm_gate import LSTMGateExplorer, lstm_gate_explorer
from gatelab.widgets.lstm_puzzle import LSTMPuzzleExplorer, lstm_memory_puzzle
from gatelab.widgets.rnn import VanishingGradientExplorer, vanishing_gradient

__all__ = [
    "FrontEndExplorer",
    "GRUGateExplorer",
    "GRUSentenceExplorer",
    "GradientHighwayExplorer",
    "IdenticalStartFilmExplorer",
    "LSTMGateExplorer",
    "LSTMPuzzleExplorer",
    "VanishingGradientExplorer",
    "gradient_highway",
    "gru_gate_explorer",
    "gru_sentence",
    "identical_start_film",
    "lstm_gate_explorer",
    "lstm_memory_puzzle",
    "training_film",
    "vanishing_gradient",
]
