"""Lesson 04's memory puzzle, computed and drawn in the browser (lstm_puzzle.js, with sentence.js): a one-unit LSTM
reads "The cat, which already ate, was full" and its plural token by token; the puzzle is to carry the subject's
number in the cell from the noun to the verb."""

from gatelab import dynamics
from gatelab.widgets.front import HERE, es_module, front_end_explorer
from gatelab.widgets.sentence import attractor_switch, sentence_constants, training_constants


class LSTMPuzzleExplorer(front_end_explorer(dynamics.LSTM_PUZZLE_SETTINGS)):
    """Sliders f_noun, f_verb, f_h, b_f (the forget gate's weights on the features noun and verb and on h_prev, and
    its bias), i_noun, i_h, b_i (the input gate's), c_number (the candidate's weight on the feature number) and
    b_o (the output gate's bias), as synced traits; every other weight of the LSTM is 0.

    Top: f_t and i_t across the tokens; middle: c_t and h_t, for both sentences; the text alternative starts with
    the verdict. The view computes these in the page; numbers() gives them from
    gatelab.dynamics.lstm_puzzle_numbers. Bottom: at each word, how training pushes the forget and input gates
    (−∂L/∂a_f, −∂L/∂a_i). "Let training solve it" (descent.js: Pause, Step, Reset, Random start; the key T) runs
    gradient descent on the sliders in the page, as dynamics.lstm_puzzle_training does, and sets them through the
    model: the values training reached are the traits' (values()) once it pauses. Below the buttons, a switch
    (the synced trait attractors, default False) adds the sentences with an attractor to the training data
    (dynamics.lstm_puzzle_training(..., attractors=True)); the figure keeps showing the pair.
    """

    _esm = es_module(HERE / "lstm_puzzle.js")

    def constants(self):
        """The sentences and thresholds (sentence_constants), and training: what "Let training solve it" runs
        (training_constants: dynamics.lstm_puzzle_training's κ, learning rate, clip, steps per press, the token read per
        sentence)."""
        thresholds = {"cell_min": dynamics.LSTM_CELL_MIN, "output_min": dynamics.LSTM_OUTPUT_MIN}
        return sentence_constants(**thresholds) | {"training": training_constants()}

    attractors = attractor_switch()
    SWITCHES = ("attractors",)

    def __init__(self, attractors=False, **start):
        """start: a start value per slider; attractors: the training panel's switch, on or off."""
        super().__init__(**start)
        self.attractors = attractors

    def numbers(self):
        return dynamics.lstm_puzzle_numbers(**self.values())


def lstm_memory_puzzle(attractors=False, **start):
    """A one-unit LSTM reads "The cat, which already ate, was full" and its plural, token by token.

    Sliders (start sets any of them; every other weight of the LSTM is 0): f_noun, f_verb, f_h, b_f
    (the forget gate's weights on noun, verb and h_prev, and its bias), i_noun, i_h, b_i (the input
    gate's), c_number (the candidate's weight on number) and b_o (the output gate's bias).
    Plots f_t and i_t (top), c_t and h_t (bottom) for both sentences; the status is
    dynamics.lstm_memory_verdict. The puzzle: the cell carries the subject's number from the noun to
    the verb. One solution: f_verb = 0, b_f = 4, i_noun = 8, b_i = −4, c_number = 3, b_o = 2, others 0.
    "Let training solve it" runs gradient descent on the sliders from where they are (or from a seeded
    Random start), with one loss: h just before the verb must say the subject's number
    (dynamics.lstm_puzzle_gradients). attractors=True (or the switch under the buttons) adds "The cat near the
    dogs was hungry" and "The cats near the dog were hungry" to what it trains on.
    (LSTMPuzzleExplorer, drawn in the browser; puzzle.values() gives the sliders' values.)
    """
    return LSTMPuzzleExplorer(attractors=attractors, **start)
