"""Lessons 02 and 04's sentence explorers (gatelab.widgets.gru_sentence, lstm_puzzle) without a browser: their
constants, their numbers and verdicts, the puzzles' solutions, the values a learner copies.
What every explorer shares is tested in tests/test_widgets_front.py; tests/test_explorers_browser.py runs
them in Chromium.
"""

import json
import re
from dataclasses import dataclass

import pytest

from gatelab import data, dynamics, widgets
from gatelab.widgets.front import explorer_from_state
from tests.explorers import BY_NAME, Explorer

GRU_SOLUTION = {"z_noun": 8.0, "b_z": -4.0, "h_number": 3.0}
LSTM_SOLUTION = {"f_verb": 0.0, "b_f": 4.0, "i_noun": 8.0, "b_i": -4.0, "c_number": 3.0, "b_o": 2.0}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def move(explorer, **values):
    """Set sliders like a learner would, one by one."""
    for name, value in values.items():
        explorer.sliders[name].value = value


# -- the sentence explorers (lessons 02 and 04), drawn in the browser ----------------------------------------


@dataclass
class Sentence(Explorer):
    """A sentence explorer, as these tests drive it: an Explorer with its cell, its verdict and a solution."""

    trace: object = None  # gatelab.dynamics' one-unit cell reading a sentence
    verdict: object = None  # gatelab.dynamics' verdict
    solution: dict = None


SENTENCE_EXPLORERS = [
    Sentence(**vars(BY_NAME["gru_sentence"]), trace=dynamics.gru_sentence_trace, verdict=dynamics.gru_latch_verdict,
             solution=GRU_SOLUTION),
    Sentence(**vars(BY_NAME["lstm_memory_puzzle"]), trace=dynamics.lstm_sentence_trace,
             verdict=dynamics.lstm_memory_verdict, solution=LSTM_SOLUTION),
]  # fmt: skip
sentence_explorers = pytest.mark.parametrize("x", SENTENCE_EXPLORERS, ids=str)


@sentence_explorers
def test_sentence_sliders_are_labelled_by_their_names(x):
    """Learners copy the sliders' names into their answer: each slider shows its name."""
    e = x.build()
    assert all(slider.description == name for name, slider in e.sliders.items())


@sentence_explorers
def test_sentence_constants_are_the_sentences(x):
    """Does the view get both sentences' tokens, feature rows, subject, verb and number, and the thresholds?"""
    c = x.build().get_state()["_constants"]
    assert c["features"] == list(data.FEATURES)
    assert [s["name"] for s in c["sentences"]] == list(dynamics.PUZZLE_PAIR)
    for s in c["sentences"]:
        tokens = data.SENTENCES[s["name"]]
        assert s["tokens"] == list(tokens) and s["text"] == data.sentence_text(tokens)
        assert s["x"] == data.token_features(tokens).tolist()
        assert (s["subject"], s["verb"], s["number"]) == data.subject_and_verb(tokens)
    thresholds = {k: v for k, v in c.items() if k.endswith("_min")}
    expected = {dynamics.GRU_LATCH_MIN} if x.cls is widgets.GRUSentenceExplorer else {
        dynamics.LSTM_CELL_MIN, dynamics.LSTM_OUTPUT_MIN}  # fmt: skip
    assert set(thresholds.values()) == expected


@sentence_explorers
def test_sentence_start_is_not_a_solution_and_numbers_are_the_reference(x):
    """At the start: is the verdict unsolved, and is numbers() the trace of each sentence and the verdict?"""
    e = x.build()
    q = e.numbers()
    assert q == x.numbers(**e.values()) and json.loads(json.dumps(q)) == q
    assert list(q) == [*dynamics.PUZZLE_PAIR, "verdict"]
    for name in dynamics.PUZZLE_PAIR:
        trace = x.trace(e.values(), data.SENTENCES[name])
        assert q[name] and all(q[name][k] == trace[k].tolist() for k in q[name])
    solved, message = x.verdict(e.values())
    assert q["verdict"] == {"solved": solved, "message": message} and not solved


@sentence_explorers
def test_sentence_solution_through_start_and_sliders(x):
    """Does the solution solve it, passed as start values or set through the sliders (the rest at 0)?"""
    assert x.build(**x.solution).numbers()["verdict"]["solved"]
    e = x.build()
    move(e, **{k: 0.0 for k in e.sliders} | x.solution)
    q = e.numbers()
    assert q["verdict"]["solved"] and q["verdict"]["message"].startswith("solved: ")
    _, v, _ = data.subject_and_verb(data.SENTENCES["cats"])
    assert q["cats"]["h"][v] < 0 < q["cat"]["h"][v]  # h at the verb: "plural", "singular"


@sentence_explorers
def test_the_attractor_sentences_go_to_the_page_for_training(x):
    """Does the view get the attractor sentences (as the pair: tokens, features, subject, verb, number) and, for
    training, the token read in each of the four?"""
    c = x.build().get_state()["_constants"]
    assert [s["name"] for s in c["attractors"]] == list(dynamics.PUZZLE_ATTRACTORS)
    for s in c["attractors"]:
        tokens = data.SENTENCES[s["name"]]
        assert s["tokens"] == list(tokens) and s["x"] == data.token_features(tokens).tolist()
        assert (s["subject"], s["verb"], s["number"]) == data.subject_and_verb(tokens)
    assert c["attractors"][0]["text"] == "The cat near the dogs was hungry"
    assert c["training"]["readout"] == {"cat": 6, "cats": 6, "cat-near-dogs": 4, "cats-near-dog": 4}


@sentence_explorers
def test_the_attractor_switch_is_synced_state_and_off_by_default(x):
    """Is the training panel's switch a synced boolean trait, off unless asked, settable from Python, and kept out of
    values() (the sliders a learner copies)?"""
    e = x.build()
    assert e.attractors is False and e.get_state()["attractors"] is False
    on = x.build(attractors=True, **x.solution)
    assert on.attractors is True and on.get_state()["attractors"] is True and on.numbers()["verdict"]["solved"]
    on.attractors = False
    assert on.get_state()["attractors"] is False and "attractors" not in on.values()


@sentence_explorers
def test_the_switch_goes_with_the_explorer_to_a_page_with_no_kernel_and_back(x):
    """The switch, on, is in the no-kernel display's state, and a saved widget state rebuilds the explorer with it on;
    a switch that is no boolean rebuilds nothing."""
    on = x.build(attractors=True)
    page = on._repr_mimebundle_()[0]["text/html"]
    assert '"attractors": true' in page.split("state = ")[1].split(", element = ")[0]
    again = explorer_from_state(on.get_state())
    assert again.attractors is True and again.values() == on.values()
    assert explorer_from_state(on.get_state() | {"attractors": "yes"}) is None


def test_gru_sentence_start_values_beyond_the_slider_range_are_kept():
    """Is a learner's start value outside the usual range kept (not clipped) and used by the verdict?"""
    e = widgets.gru_sentence(z_noun=14.0, b_z=-7.0, h_number=3.0)
    assert e.sliders["z_noun"].value == 14.0 and e.sliders["z_noun"].max >= 14.0
    assert e.get_state()["_settings"][0]["max"] == 14.0
    assert e.numbers()["verdict"]["solved"]


def test_the_lesson_04_puzzle_gives_its_values_to_copy():
    """puzzle = gl.widgets.lstm_memory_puzzle(); puzzle.values(): the dict a learner copies, which the check takes."""
    from gatelab.checks.lstm import memory_puzzle_solved

    puzzle = widgets.lstm_memory_puzzle()
    move(puzzle, **LSTM_SOLUTION)
    assert puzzle.values() == dynamics.start_values(dynamics.LSTM_PUZZLE_SETTINGS) | LSTM_SOLUTION
    memory_puzzle_solved(puzzle.values())


TOP_LEVEL = re.compile(r"^(?:export )?(?:async )?(?:function\*? ?|const |let |var |class )([\w$]+)", re.M)
