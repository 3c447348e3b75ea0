"""Lesson 04's memory puzzle, computed and drawn in the browser (lstm_puzzle.js, with sentence.js): a one-unit LSTM
reads "The cat, which already ate, was full" and its plural token by token; the puzzle is to carry the subject's
number in the cell from the noun to the verb."""

from gatelab import dynamics
from gatelab.widgets.front import HERE, es_module, front_end_explorer
from gatelab.widgets.sentence import sentence_constants


class LSTMPuzzleExplorer(front_end_explorer(dynamics.LSTM_PUZZLE_SETTINGS)):
    """Sliders f_noun, f_verb, f_h, b_f (the forget gate's weights on the features noun and verb and on h_prev, and
    its bias), i_noun, i_h, b_i (the input gate's), c_number (the candidate's weight on the feature number) and
    b_o (the output gate's bias), as synced traits; every other weight of the LSTM is 0.

    Top: f_t and i_t across the tokens; bottom: c_t and h_t, for both sentences; the text alternative starts with
    the verdict. The view computes these in the page; numbers() gives them from
    gatelab.dynamics.lstm_puzzle_numbers.
    """

    _esm = es_module(HERE / "lstm_puzzle.js")

    def constants(self):
        return sentence_constants(cell_min=dynamics.LSTM_CELL_MIN, output_min=dynamics.LSTM_OUTPUT_MIN)

    def numbers(self):
        return dynamics.lstm_puzzle_numbers(**self.values())


def lstm_memory_puzzle(**start):
    """A one-unit LSTM reads "The cat, which already ate, was full" and its plural, token by token.

    Sliders (start sets any of them; every other weight of the LSTM is 0): f_noun, f_verb, f_h, b_f
    (the forget gate's weights on noun, verb and h_prev, and its bias), i_noun, i_h, b_i (the input
    gate's), c_number (the candidate's weight on number) and b_o (the output gate's bias).
    Plots f_t and i_t (top), c_t and h_t (bottom) for both sentences; the status is
    dynamics.lstm_memory_verdict. The puzzle: the cell carries the subject's number from the noun to
    the verb. One solution: f_verb = 0, b_f = 4, i_noun = 8, b_i = −4, c_number = 3, b_o = 2, others 0.
    (LSTMPuzzleExplorer, drawn in the browser; puzzle.values() gives the sliders' values.)
    """
    return LSTMPuzzleExplorer(**start)
