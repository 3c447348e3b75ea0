"""Explorers that compute and draw in the browser: an anywidget whose synced state is its sliders' values.

Each explorer is an ES module beside its Python class (lstm_gate.py + lstm_gate.js), which imports what every
explorer shares (sliders, panels, mount) from explorer.js, plus the shared explorer.css. Python declares one
synced trait per slider (range, step and start value from gatelab.dynamics), and _constants, the fixed data the
view computes from (a sentence's features, an input sequence); it reads the numbers the view shows from
gatelab.dynamics; the module recomputes them in the page.
Displayed, an explorer carries its widget view (JupyterLab) and, as text/html, the same module run by a tiny
stand-in model: the explorer stays live on a page with no kernel (nbgrader's feedback, an exported notebook).
"""

import html
import json
import math
import numbers
import re
import uuid
from pathlib import Path

import anywidget
from traitlets import Dict, Float, List, TraitError, Unicode

from gatelab.dynamics import start_values

HERE = Path(__file__).parent
CSS = HERE / "explorer.css"
LOCAL_IMPORT = re.compile(r'^import \{[^}]*\} from "\./([\w-]+\.js)";\n', re.M)
# What only a reader of the files needs: a comment on lines of its own (// …, /* … */), and indentation.
READERS_ONLY = re.compile(r"^[ \t]*(?://[^\n]*|/\*(?:[^*]|\*(?!/))*\*/[ \t]*)\n|^[ \t]+", re.M)
LIVE_CAPTION = "This explorer runs in your page; the graded notebook has it too."


def es_module(path):
    """The source of the explorer's ES module at path, each import from a module beside it ("./explorer.js")
    replaced by that module's source, itself inlined so, each module once: one module that fetches nothing
    (anywidget, and a page with no kernel, load it from a string). Whole-line comments and indentation are left
    out (code_only): every display carries the module inline, and a cell's output is cut at 100 000 characters."""
    if "explorer.js" not in LOCAL_IMPORT.findall(path.read_text()):
        raise ValueError(f"{path.name} does not import from ./explorer.js")
    return code_only(_inlined(path, set()))


def code_only(source):
    """JavaScript source without what only its reader needs: comments on lines of their own (// … and /* … */)
    and each line's indentation (in a multi-line template literal, only the explorers' HTML, where it is nothing).
    A comment after code on its line stays."""
    return re.sub(r"\n{2,}", "\n", READERS_ONLY.sub("", source))


def _inlined(path, done):
    """path's source with its local imports inlined, skipping the modules named in done (updated)."""
    done.add(path.name)

    def inline(found):
        return "" if found.group(1) in done else _inlined(HERE / found.group(1), done)

    return LOCAL_IMPORT.sub(inline, path.read_text())


def slider_number(name, value, integer=False):
    """value as a float (an int for an integer slider), or a TraitError naming the slider: a bool, a non-number
    or NaN is no slider value, and a fraction no integer slider's."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TraitError(f"slider {name!r} needs a number, not {value!r} ({type(value).__name__})")
    if math.isnan(value):
        raise TraitError(f"slider {name!r} needs a number, not NaN")
    if integer and math.isfinite(value):
        if value != int(value):
            raise TraitError(f"slider {name!r} needs a whole number, not {value!r}")
        return int(value)
    return float(value)


def is_integer(setting):
    """Is this setting (a gatelab.dynamics.Setting) an integer slider's: range, step and start all ints?"""
    return all(isinstance(v, int) for v in (setting.lo, setting.hi, setting.step, setting.value))


class SliderValue(Float):
    """A slider's value: a real number (a whole one for an integer slider), clamped to the slider's range as
    ipywidgets does; NaN refused."""

    def validate(self, obj, value):
        lo, hi = obj._ranges[self.name]
        integer = is_integer(obj.SETTINGS[self.name])
        return min(max(slider_number(self.name, value, integer), lo), hi)


class Slider:
    """explorer.sliders[name]: one slider, read and set as an ipywidgets slider is (value, min, max, step)."""

    def __init__(self, explorer, name, lo, hi, step, description):
        self.explorer, self.name = explorer, name
        self.min, self.max, self.step, self.description = lo, hi, step, description

    @property
    def value(self):
        return getattr(self.explorer, self.name)

    @value.setter
    def value(self, value):
        setattr(self.explorer, self.name, value)

    def __repr__(self):
        return f"Slider({self.name!r}, value={self.value}, min={self.min}, max={self.max}, step={self.step})"


class FrontEndExplorer(anywidget.AnyWidget):
    """The base of every explorer drawn in the browser. Subclass front_end_explorer(settings), not this.

    _settings (synced) tells the view each slider's name, label, description, range and step; _constants
    (synced) holds what constants() returns, the fixed data the view computes from; _explorer (synced) names the
    class, so a notebook's saved widget state says which explorer to rebuild (explorer_from_state).
    """

    SETTINGS = {}  # name -> gatelab.dynamics.Setting
    SWITCHES = ()  # the names of other synced traits the learner sets in the page (a training switch): kept with it
    _css = CSS
    _settings = List().tag(sync=True)
    _constants = Dict().tag(sync=True)
    _explorer = Unicode().tag(sync=True)

    def __init__(self, **start):
        """start: a start value per slider name (the rest start at their setting's value). A start value
        beyond a slider's usual range widens the range to hold it (a slider would silently clip it)."""
        unknown = sorted(set(start) - set(self.SETTINGS))
        if unknown:
            raise KeyError(f"unknown slider(s) {unknown}; this explorer's sliders are {', '.join(self.SETTINGS)}")
        values = start_values(self.SETTINGS) | start
        self._ranges = {}
        for name, s in self.SETTINGS.items():
            value = slider_number(name, values[name], is_integer(s))
            self._ranges[name] = (min(s.lo, value), max(s.hi, value)) if math.isfinite(value) else (s.lo, s.hi)
        settings = [
            {"name": n, "label": s.label, "about": s.about, "min": lo, "max": hi, "step": s.step}
            for (n, s), (lo, hi) in zip(self.SETTINGS.items(), self._ranges.values(), strict=True)
        ]
        super().__init__(_settings=settings, _constants=self.constants(), _explorer=type(self).__name__, **values)
        self.add_class("gl-explorer")  # browser tests find every explorer by this
        self.sliders = {d["name"]: Slider(self, d["name"], d["min"], d["max"], d["step"], d["label"]) for d in settings}

    def values(self):
        """The sliders' current values by name."""
        return {name: getattr(self, name) for name in self.SETTINGS}

    def switches(self):
        """The switches' current values by name (SWITCHES: none by default)."""
        return {name: getattr(self, name) for name in self.SWITCHES}

    def constants(self):
        """The fixed data the view computes from, as JSON-able values by name (none by default)."""
        return {}

    def numbers(self):
        """Every number the view shows for the current values, from gatelab.dynamics (the reference)."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        """The widget's view (JupyterLab shows it) and, as text/html, the same explorer live with no kernel."""
        data, metadata = super()._repr_mimebundle_(**kwargs)
        data["text/html"] = self.standalone_html()
        return data, metadata

    def standalone_html(self):
        """This explorer as HTML that runs with no kernel and loads nothing: a <div>, the CSS, and a module
        script that imports the explorer's module (inlined, through a Blob URL) and renders it with a small
        stand-in for the widget's model, seeded with the current state."""
        fixed = {name: getattr(self, name) for name in ("_explorer", "_settings", "_constants")}
        state = fixed | self.values() | self.switches()
        element = f"gl-{uuid.uuid4().hex}"
        return (
            f'<figure class="gl-standalone" style="margin:0"><div id="{element}"></div>'
            f"<figcaption><em>{html.escape(LIVE_CAPTION)}</em></figcaption></figure>"
            f"<style>{str(self._css)}</style>"
            f'<script type="module">{STANDALONE_SCRIPT % (_js(str(self._esm)), _js(state), _js(element))}</script>'
        )


# The stand-in model: what an anywidget module uses of the real one (get, set, on, off, save_changes).
STANDALONE_SCRIPT = """
const source = %s, state = %s, element = document.getElementById(%s);
const listeners = new Map();
const model = {
  get: (name) => state[name],
  set(name, value) {
    if (state[name] === value) return;
    state[name] = value;
    for (const callback of listeners.get(`change:${name}`) ?? []) callback(model, value);
  },
  on(event, callback) {
    for (const name of event.split(" ")) listeners.set(name, [...(listeners.get(name) ?? []), callback]);
  },
  off(event, callback) {
    for (const name of event.split(" ")) listeners.set(name, (listeners.get(name) ?? []).filter((c) => c !== callback));
  },
  save_changes() {},
};
const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
const { default: widget } = await import(url);
URL.revokeObjectURL(url);
widget.render({ model, el: element });
"""


def _js(value):
    """value as a JavaScript literal safe inside a <script> element (no "</script>" can close it)."""
    return json.dumps(value).replace("<", "\\u003c")


def explorer_from_state(state):
    """The explorer a notebook's saved widget state describes (a model's "state": its _explorer names a class of
    gatelab.widgets, its slider values are numbers), at those values and with its switches as saved; None for any
    other widget's state, or one whose values no slider (or switch) takes. Its module and data are the installed
    gatelab's, never the saved ones."""
    from gatelab import widgets

    cls = getattr(widgets, str(state.get("_explorer")), None)
    if not (isinstance(cls, type) and issubclass(cls, FrontEndExplorer)):
        return None
    try:
        return cls(**{name: state[name] for name in (*cls.SETTINGS, *cls.SWITCHES) if name in state})
    except (TraitError, TypeError, ValueError):
        return None


def front_end_explorer(settings):
    """The base class of an explorer with these sliders (name -> gatelab.dynamics.Setting): one synced
    SliderValue trait per slider, its default the setting's start value."""
    traits = {name: SliderValue(s.value).tag(sync=True) for name, s in settings.items()}
    return type("FrontEndExplorerBase", (FrontEndExplorer,), {"SETTINGS": settings, **traits})
