"""What every explorer shares (gatelab.widgets.front), tested on each of them without a browser: its sliders are
gatelab.dynamics' settings, synced; bad input is clamped as ipywidgets does or refused naming the slider; start
values; numbers() is the reference; its display is the live view and, as text/html, the same explorer for pages
with no kernel (one module, each of its parts inlined once, into one scope); a saved widget state rebuilds it.

Each explorer's own file (tests/test_widgets_<name>.py) tests what is its own: its numbers against torch, its
constants, its verdicts. tests/test_explorers_browser.py runs every explorer in Chromium.
"""

import json
import math
import re

import ipywidgets
import pytest
import torch
from bs4 import BeautifulSoup
from traitlets import TraitError

from gatelab import dynamics, widgets
from gatelab.widgets.front import (
    CSS,
    HERE,
    LIVE_CAPTION,
    LOCAL_IMPORT,
    code_only,
    es_module,
    explorer_from_state,
    is_integer,
)
from tests.explorers import EXPLORERS

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# A top-level declaration of an ES module: the names front.py's inlining puts in one scope.
TOP_LEVEL = re.compile(r"^(?:export )?(?:async )?(?:function\*? ?|const |let |var |class )([\w$]+)", re.M)


every_explorer = pytest.mark.parametrize("x", EXPLORERS, ids=str)
with_an_integer_slider = pytest.mark.parametrize("x", [x for x in EXPLORERS if x.first(integer=True)], ids=str)


def test_every_explorer_of_gatelab_widgets_is_tested_here():
    """Here, or, for lesson 07's film (one slider on the checkpoints), in tests/test_identical_film.py and
    tests/test_film_browser.py."""
    classes = {v for v in vars(widgets).values() if isinstance(v, type) and issubclass(v, widgets.FrontEndExplorer)}
    assert classes - {widgets.FrontEndExplorer, widgets.IdenticalStartFilmExplorer} == {x.cls for x in EXPLORERS}


@every_explorer
def test_sliders_are_the_settings_of_dynamics_all_synced(x):
    e = x.build()
    assert isinstance(e, x.cls) and list(e.sliders) == list(x.settings)
    for name, s in x.settings.items():
        slider = e.sliders[name]
        assert (slider.min, slider.max, slider.step, slider.value) == (s.lo, s.hi, s.step, s.value)
        assert type(slider.value) is (int if is_integer(s) else float)
        assert e.trait_metadata(name, "sync")
    state = e.get_state()
    assert {name: state[name] for name in e.sliders} == e.values() == dynamics.start_values(x.settings)
    assert [(d["name"], d["label"], d["min"], d["max"], d["step"]) for d in state["_settings"]] == [
        (name, s.label, s.lo, s.hi, s.step) for name, s in x.settings.items()
    ]
    assert state["_explorer"] == x.cls.__name__ and state["_constants"] == e.constants()
    assert "gl-explorer" in e._dom_classes


@every_explorer
def test_numbers_are_the_reference_at_any_setting(x):
    """numbers() is gatelab.dynamics' function of the current values, at the start and after moves."""
    e = x.build()
    assert e.numbers() == x.numbers(**e.values())
    for name, s in x.settings.items():
        e.sliders[name].value = s.hi if is_integer(s) else s.lo + 0.37 * (s.hi - s.lo)
    assert e.numbers() == x.numbers(**e.values())


@every_explorer
@pytest.mark.parametrize("value", [99, -99.5, math.inf, -math.inf, "a step's fraction off the top"])
def test_a_value_out_of_range_is_clamped_as_ipywidgets_does(x, value):
    name = x.first()
    s = x.settings[name]
    value = s.hi - 0.49 * s.step if isinstance(value, str) else value
    e, reference = x.build(), ipywidgets.FloatSlider(min=s.lo, max=s.hi, step=s.step)
    e.sliders[name].value = reference.value = value
    assert getattr(e, name) == e.sliders[name].value == reference.value
    assert e.numbers() == x.numbers(**e.values())


@with_an_integer_slider
@pytest.mark.parametrize("value", [500, -3, 0, 100])
def test_an_integer_out_of_range_is_clamped_as_ipywidgets_does(x, value):
    name = x.first(integer=True)
    s = x.settings[name]
    e, reference = x.build(), ipywidgets.IntSlider(min=s.lo, max=s.hi, step=s.step)
    e.sliders[name].value = reference.value = value
    assert getattr(e, name) == reference.value and type(getattr(e, name)) is int


@with_an_integer_slider
def test_an_integer_slider_refuses_a_fraction_naming_itself(x):
    name = x.first(integer=True)
    e = x.build()
    with pytest.raises(TraitError, match=rf"slider '{name}' needs a whole number, not 2\.5"):
        e.sliders[name].value = 2.5
    with pytest.raises(TraitError, match=rf"slider '{name}' needs a whole number"):
        e.set_state({name: 2.5})  # what the page would send
    with pytest.raises(TraitError, match=rf"slider '{name}' needs a whole number"):
        x.cls(**{name: 2.5})
    assert getattr(e, name) == x.settings[name].value


@every_explorer
@pytest.mark.parametrize("bad", [math.nan, "0.5", None, True, [1.0], torch.tensor([1.0, 2.0])])
def test_nan_or_a_wrong_type_is_refused_naming_the_slider(x, bad):
    """A bad value gives a TraitError that names the slider, and leaves the value as it was."""
    name = x.first()
    e = x.build()
    with pytest.raises(TraitError, match=rf"slider '{name}' needs a number"):
        e.sliders[name].value = bad
    with pytest.raises(TraitError, match=rf"slider '{name}'"):
        e.set_state({name: bad})  # what the page would send
    assert getattr(e, name) == x.settings[name].value


@every_explorer
def test_a_start_value_sets_its_slider_widening_the_range_and_an_unknown_name_is_refused(x):
    name = x.first()
    s = x.settings[name]
    e = x.cls(**{name: s.hi + 2.5})
    assert getattr(e, name) == s.hi + 2.5 and e.sliders[name].max == s.hi + 2.5
    assert next(d for d in e.get_state()["_settings"] if d["name"] == name)["max"] == s.hi + 2.5
    with pytest.raises(KeyError, match=name):
        x.cls(not_a_slider=1.0)
    with pytest.raises(TraitError, match=rf"slider '{name}'"):
        x.cls(**{name: math.nan})


@every_explorer
def test_the_display_is_the_live_view_and_the_same_explorer_for_pages_without_a_kernel(x):
    """The display carries the widget view and, as text/html, the module, the CSS and the state, inline."""
    e = x.build()
    name = x.first()
    e.sliders[name].value = x.settings[name].lo
    data, _ = e._repr_mimebundle_()
    assert WIDGET_VIEW in data
    page = data["text/html"]
    soup = BeautifulSoup(page, "html.parser")
    (script,) = soup.find_all("script")
    assert script["type"] == "module" and not script.get("src")
    assert not soup.find_all(src=True) and not soup.find_all("link")
    head = r"\s*const source = (.*?), state = (.*?), element = document.getElementById\((.*?)\);"
    source, state, element = (json.loads(part) for part in re.match(head, script.string).groups())
    assert source == es_module(HERE / x.module) and not re.search(r"^import ", source, re.M)
    assert source.count("export function mount(") == 1 and source.count("export default") == 1
    fixed = {"_explorer": x.cls.__name__, "_settings": e._settings, "_constants": e.constants()}
    assert state == fixed | e.values() | e.switches() and state[name] == x.settings[name].lo
    assert soup.find(id=element) is not None
    assert soup.find("style").string == CSS.read_text()
    assert "</script" not in script.string.lower()
    assert soup.find("figcaption").get_text() == LIVE_CAPTION
    assert len(page) < 40_000  # the hardened grader keeps 100 000 characters of a cell's output


def test_the_inlined_module_leaves_out_only_what_a_reader_needs():
    """code_only: whole-line comments (// and /* */) and indentation go; code, strings and a comment after code stay."""
    source = (
        '// a header\n/** a doc\n * block */\nexport const SVG = "http://www.w3.org/2000/svg";\n\n'
        "function f(a) {\n  // inside\n  return a / 2; // half\n}\nconst s = `<p>\n  x</p>`;\n"
    )
    assert code_only(source) == (
        'export const SVG = "http://www.w3.org/2000/svg";\nfunction f(a) {\nreturn a / 2; // half\n}\n'
        "const s = `<p>\nx</p>`;\n"
    )


@pytest.mark.parametrize("module", [x.module for x in EXPLORERS] + ["film.js", "identical_film.js"])
def test_the_modules_inlined_share_one_scope_without_a_name_twice(module):
    """front.py inlines the modules an explorer's module imports (explorer.js, cell.js, …) into one scope, each
    once: is every top-level name declared once?"""
    parts, todo = [], [module]
    while todo:
        module = todo.pop()
        if module not in parts:
            parts.append(module)
            todo += LOCAL_IMPORT.findall((HERE / module).read_text())
    assert "explorer.js" in parts
    names = [n for module in parts for n in TOP_LEVEL.findall((HERE / module).read_text())]
    assert len(names) == len(set(names)), sorted(n for n in set(names) if names.count(n) > 1)


@every_explorer
def test_a_saved_widget_state_rebuilds_the_explorer_at_its_values(x):
    e = x.build()
    name = x.first()
    e.sliders[name].value = x.settings[name].lo
    again = explorer_from_state(e.get_state())
    assert isinstance(again, x.cls) and again.values() == e.values()
