"""Every explorer of gatelab.widgets, once, as the tests drive it (test_widgets_front, test_widgets_sentence,
test_explorers_browser): the function that builds it, its class, gatelab.dynamics' settings of its sliders and
function of every number it shows, its ES module, and where a learner meets it."""

from dataclasses import dataclass

from gatelab import dynamics, widgets
from gatelab.widgets.front import is_integer


@dataclass
class Explorer:
    """An explorer as the tests build and drive it."""

    build: object  # its gl.widgets function
    cls: type
    settings: dict  # gatelab.dynamics' settings of its sliders
    numbers: object  # gatelab.dynamics' function of every number it shows
    module: str  # its ES module, beside front.py
    lesson: str  # the released lesson that shows it
    slider: str  # the slider the browser tests move with the keyboard
    start: str  # its text alternative at the start begins with this

    def __str__(self):
        return self.build.__name__

    def first(self, integer=False):
        """The name of its first slider (of its first integer slider, with integer=True), or None."""
        return next((n for n, s in self.settings.items() if is_integer(s) == integer), None)

    @property
    def selector(self):
        """Its CSS selector in a page: the class its view gives its element."""
        return f".gl-explorer.gl-{str(self).removesuffix('_explorer').replace('_', '-')}"


EXPLORERS = [
    Explorer(
        widgets.vanishing_gradient, widgets.VanishingGradientExplorer, dynamics.VANISHING_SETTINGS,
        dynamics.vanishing_numbers, "vanishing.js", "lessons/01-why-gates/01-why-gates.ipynb", "w",
        "|∂h_T/∂h_0| = 1.8e-10 at T = 40: vanished",
    ),
    Explorer(
        widgets.gru_gate_explorer, widgets.GRUGateExplorer, dynamics.GRU_GATE_SETTINGS, dynamics.gru_gate_step,
        "gru_gate.js", "lessons/02-gru-forward/02-gru-forward.ipynb", "b", "z = 0.88: 88% candidate, 12% old memory",
    ),
    Explorer(
        widgets.gru_sentence, widgets.GRUSentenceExplorer, dynamics.GRU_SENTENCE_SETTINGS,
        dynamics.gru_sentence_numbers, "gru_sentence.js", "lessons/02-gru-forward/02-gru-forward.ipynb", "b_z",
        "✘ The cat, which already ate, was full: h = +0.28 at ','",
    ),
    Explorer(
        widgets.lstm_gate_explorer, widgets.LSTMGateExplorer, dynamics.LSTM_GATE_SETTINGS, dynamics.lstm_gate_step,
        "lstm_gate.js", "lessons/04-lstm-forward/04-lstm-forward.ipynb", "b_f", "f = 0.95: the memory is kept",
    ),
    Explorer(
        widgets.lstm_memory_puzzle, widgets.LSTMPuzzleExplorer, dynamics.LSTM_PUZZLE_SETTINGS,
        dynamics.lstm_puzzle_numbers, "lstm_puzzle.js", "lessons/04-lstm-forward/04-lstm-forward.ipynb", "b_f",
        "✘ The cat, which already ate, was full: c = +0.28 at ','",
    ),
    Explorer(
        widgets.gradient_highway, widgets.GradientHighwayExplorer, dynamics.HIGHWAY_SETTINGS,
        dynamics.highway_numbers, "highway.js", "lessons/05-lstm-backward/05-lstm-backward.ipynb", "b_f",
        "At T = 40: the LSTM's ∂c_T/∂c_0 along the cell = 4.1e-7 (vanished)",
    ),
]  # fmt: skip
BY_NAME = {str(x): x for x in EXPLORERS}
