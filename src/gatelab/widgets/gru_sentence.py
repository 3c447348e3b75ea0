"""Lesson 02's sentence explorer, computed and drawn in the browser (gru_sentence.js, with sentence.js): a one-unit
GRU reads "The cat, which already ate, was full" and its plural token by token; the puzzle is to latch the
subject's number at the noun and hold it to the verb."""

from gatelab import dynamics
from gatelab.widgets.front import HERE, es_module, front_end_explorer
from gatelab.widgets.sentence import attractor_switch, sentence_constants, training_constants


class GRUSentenceExplorer(front_end_explorer(dynamics.GRU_SENTENCE_SETTINGS)):
    """Sliders z_noun, z_verb, z_h, b_z (the update gate's weights on the features noun and verb and on h_prev,
    and its bias), h_number and h_h (the candidate's weights on the feature number and on r·h_prev), as synced
    traits; every other weight of the GRU is 0.

    Top: z_t across the tokens; bottom: h_t and the candidate h̃_t, for both sentences; the text alternative starts
    with the verdict. The view computes these in the page; numbers() gives them from
    gatelab.dynamics.gru_sentence_numbers. Below: at each word, how training pushes the update gate and the candidate
    (−∂L/∂a_z, −∂L/∂a_h). "Let training solve it" (descent.js: Pause, Step, Reset, Random start; the key T) runs
    gradient descent on the sliders in the page, as dynamics.gru_latch_training does, and sets them through the
    model: the values training reached are the traits' (values()) once it pauses. Below the buttons, a switch
    (the synced trait attractors, default False) adds the sentences with an attractor to the training data
    (dynamics.gru_latch_training(..., attractors=True)); the figure keeps showing the pair.
    """

    _esm = es_module(HERE / "gru_sentence.js")

    def constants(self):
        """The sentences and the latch's threshold (sentence_constants), and what "Let training solve it" runs
        (training_constants)."""
        return sentence_constants(latch_min=dynamics.GRU_LATCH_MIN) | {"training": training_constants()}

    attractors = attractor_switch()
    SWITCHES = ("attractors",)

    def __init__(self, attractors=False, **start):
        """start: a start value per slider; attractors: the training panel's switch, on or off."""
        super().__init__(**start)
        self.attractors = attractors

    def numbers(self):
        return dynamics.gru_sentence_numbers(**self.values())


def gru_sentence(attractors=False, **start):
    """A one-unit GRU reads "The cat, which already ate, was full" and its plural, token by token.

    Sliders (start sets any of them; the rest of the GRU's weights are 0, so r = σ(0) = 0.5):
    z_noun, z_verb (the update gate's weights on the features noun and verb), z_h (its weight on
    h_prev), b_z (its bias), h_number (the candidate's weight on number), h_h (its weight on r·h_prev).
    Plots z_t and h_t across the tokens for both sentences; the status is
    dynamics.gru_latch_verdict. The puzzle: h takes the subject's number at "cat"/"cats" and holds it
    through the clause until the verb. One solution: z_noun = 8, b_z = −4, h_number = 3, others 0.
    "Let training solve it" runs gradient descent on the sliders from where they are (or from a seeded
    Random start), with the memory puzzle's loss: h just before the verb must say the subject's number
    (dynamics.gru_latch_gradients). attractors=True (or the switch under the buttons) adds "The cat near the
    dogs was hungry" and "The cats near the dog were hungry" to what it trains on.
    (GRUSentenceExplorer, drawn in the browser; explorer.values() gives the sliders' values.)
    """
    return GRUSentenceExplorer(attractors=attractors, **start)
