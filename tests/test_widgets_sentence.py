"""Tests for lessons 02 and 04's sentence explorers (gatelab.widgets.gru_sentence, lstm_puzzle) without a browser:
their synced state, bad input, the numbers Python holds as the reference and the page they show with no kernel.
The other explorers have their own files (tests/test_widgets_*.py); tests/test_explorers_browser.py runs every
explorer in Chromium.

The numbers are checked against gatelab.dynamics, whose own tests check it against nn.GRUCell / nn.LSTMCell and
autograd.
"""

import json
import math
import re
from dataclasses import dataclass

import ipywidgets
import pytest
import torch
from bs4 import BeautifulSoup
from traitlets import TraitError

from gatelab import data, dynamics, widgets
from gatelab.widgets.front import CSS, HERE, LIVE_CAPTION, es_module

GRU_SOLUTION = {"z_noun": 8.0, "b_z": -4.0, "h_number": 3.0}
LSTM_SOLUTION = {"f_verb": 0.0, "b_f": 4.0, "i_noun": 8.0, "b_i": -4.0, "c_number": 3.0, "b_o": 2.0}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def move(explorer, **values):
    """Set sliders like a learner would, one by one."""
    for name, value in values.items():
        explorer.sliders[name].value = value


# -- the sentence explorers (lessons 02 and 04), drawn in the browser ----------------------------------------


@dataclass
class Sentence:
    """A sentence explorer, as these tests drive it."""

    build: object  # its gl.widgets function
    cls: type
    settings: dict  # gatelab.dynamics' settings of its sliders
    numbers: object  # gatelab.dynamics' function of every number it shows
    trace: object  # gatelab.dynamics' one-unit cell reading a sentence
    verdict: object  # gatelab.dynamics' verdict
    solution: dict
    module: str

    def __str__(self):
        return self.build.__name__


SENTENCE_EXPLORERS = [
    Sentence(
        widgets.gru_sentence, widgets.GRUSentenceExplorer, dynamics.GRU_SENTENCE_SETTINGS,
        dynamics.gru_sentence_numbers, dynamics.gru_sentence_trace, dynamics.gru_latch_verdict, GRU_SOLUTION,
        "gru_sentence.js",
    ),
    Sentence(
        widgets.lstm_memory_puzzle, widgets.LSTMPuzzleExplorer, dynamics.LSTM_PUZZLE_SETTINGS,
        dynamics.lstm_puzzle_numbers, dynamics.lstm_sentence_trace, dynamics.lstm_memory_verdict, LSTM_SOLUTION,
        "lstm_puzzle.js",
    ),
]  # fmt: skip
sentence_explorers = pytest.mark.parametrize("x", SENTENCE_EXPLORERS, ids=str)


@sentence_explorers
def test_sentence_sliders_are_the_settings_of_dynamics(x):
    """Are the sliders, ranges, steps, start values and labels those of gatelab.dynamics, all synced?"""
    e = x.build()
    assert isinstance(e, x.cls) and "gl-explorer" in e._dom_classes
    assert list(e.sliders) == list(x.settings) and e.values() == dynamics.start_values(x.settings)
    for name, s in x.settings.items():
        slider = e.sliders[name]
        assert (slider.min, slider.max, slider.step, slider.value) == (s.lo, s.hi, s.step, s.value)
        assert slider.description == name  # learners copy the sliders' names into their answer
        assert e.trait_metadata(name, "sync")
    state = e.get_state()
    assert {name: state[name] for name in e.sliders} == e.values()
    assert [(d["name"], d["label"], d["min"], d["max"], d["step"]) for d in state["_settings"]] == [
        (name, s.label, s.lo, s.hi, s.step) for name, s in x.settings.items()
    ]


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


def test_gru_sentence_start_values_beyond_the_slider_range_are_kept():
    """Is a learner's start value outside the usual range kept (not clipped) and used by the verdict?"""
    e = widgets.gru_sentence(z_noun=14.0, b_z=-7.0, h_number=3.0)
    assert e.sliders["z_noun"].value == 14.0 and e.sliders["z_noun"].max >= 14.0
    assert e.get_state()["_settings"][0]["max"] == 14.0
    assert e.numbers()["verdict"]["solved"]


@pytest.mark.parametrize(("build", "bad"), [(widgets.gru_sentence, "z_nuon"), (widgets.lstm_memory_puzzle, "W_f")])
def test_sentence_refuses_unknown_start(build, bad):
    """Does a misspelt start value raise a KeyError that lists the sliders?"""
    with pytest.raises(KeyError, match="z_noun" if build is widgets.gru_sentence else "f_noun"):
        build(**{bad: 1.0})


@sentence_explorers
@pytest.mark.parametrize("value", [99, -99.5, math.inf, -math.inf, 9.95])
def test_sentence_value_out_of_range_is_clamped_as_ipywidgets_does(x, value):
    e = x.build()
    name = list(x.settings)[0]
    reference = ipywidgets.FloatSlider(min=-10.0, max=10.0, step=0.1)
    e.sliders[name].value = reference.value = value
    assert getattr(e, name) == e.sliders[name].value == reference.value
    assert e.numbers() == x.numbers(**e.values())


@sentence_explorers
@pytest.mark.parametrize("bad", [math.nan, "0.5", None, True, [1.0], torch.tensor([1.0, 2.0])])
def test_sentence_nan_or_a_wrong_type_is_refused_naming_the_slider(x, bad):
    """Does a bad value give a TraitError that names the slider, and leave the value as it was?"""
    e = x.build()
    name = list(x.settings)[-1]
    with pytest.raises(TraitError, match=rf"slider '{name}' needs a number"):
        e.sliders[name].value = bad
    with pytest.raises(TraitError, match=rf"slider '{name}'"):
        e.set_state({name: bad})  # what the page would send
    assert getattr(e, name) == x.settings[name].value
    with pytest.raises(TraitError, match=rf"slider '{name}'"):
        x.build(**{name: math.nan})


def test_the_lesson_04_puzzle_gives_its_values_to_copy():
    """puzzle = gl.widgets.lstm_memory_puzzle(); puzzle.values(): the dict a learner copies, which the check takes."""
    from gatelab.checks.lstm import memory_puzzle_solved

    puzzle = widgets.lstm_memory_puzzle()
    move(puzzle, **LSTM_SOLUTION)
    assert puzzle.values() == dynamics.start_values(dynamics.LSTM_PUZZLE_SETTINGS) | LSTM_SOLUTION
    memory_puzzle_solved(puzzle.values())


@sentence_explorers
def test_sentence_display_is_the_live_view_and_the_same_explorer_for_pages_without_a_kernel(x):
    """Does the display carry the widget view and, as text/html, the module (each local module inlined once), the
    CSS, the state and the constants, inline, in less than 40 000 characters?"""
    e = x.build(**x.solution)
    data_, _ = e._repr_mimebundle_()
    assert WIDGET_VIEW in data_
    page = data_["text/html"]
    soup = BeautifulSoup(page, "html.parser")
    (script,) = soup.find_all("script")
    assert script["type"] == "module" and not script.get("src")
    assert not soup.find_all(src=True) and not soup.find_all("link")
    head = r"\s*const source = (.*?), state = (.*?), element = document.getElementById\((.*?)\);"
    source, state, element = re.match(head, script.string).groups()
    source = json.loads(source)
    assert source == es_module(HERE / x.module) and not re.search(r"^import ", source, re.M)
    for function in ("mount", "sigmoid", "sentenceFigure"):
        assert source.count(f"export function {function}(") == 1
    state = json.loads(state)
    assert (state["_settings"], state["_constants"]) == (e._settings, e.constants())
    assert {name: state[name] for name in e.sliders} == e.values()
    assert soup.find(id=json.loads(element)) is not None
    assert soup.find("style").string == CSS.read_text()
    assert "</script" not in script.string.lower()
    assert soup.find("figcaption").get_text() == LIVE_CAPTION
    # the hardened grader keeps 100 000 characters of a cell's output: the explorer must leave room
    assert len(page) < 40_000


TOP_LEVEL = re.compile(r"^(?:export )?(?:async )?(?:function\*? ?|const |let |var |class )([\w$]+)", re.M)


@sentence_explorers
def test_sentence_modules_share_one_scope_without_a_name_twice(x):
    """front.py inlines explorer.js, cell.js and sentence.js into the explorer's module, one scope: is every
    top-level name declared once?"""
    names = []
    for path in (HERE / "explorer.js", HERE / "cell.js", HERE / "sentence.js", HERE / x.module):
        names += TOP_LEVEL.findall(path.read_text())
    assert len(names) == len(set(names)), sorted(n for n in set(names) if names.count(n) > 1)
    assert "sentenceFigure" in names and "render" in names
