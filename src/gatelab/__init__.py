"""gatelab: the machinery of Gates, a course that builds the GRU and the LSTM step by step.

Notebooks `import gatelab as gl`: anything with `gl.` is the course's machinery, anything without is
what the lesson builds. Modules: interop (params dicts <-> torch cells), checks (feedback for the
graded tests), dynamics (what the widgets compute), widgets (sliders and live figures), plots,
data (the lessons' sentences and tasks), train (small networks to train), probe (opening a trained
network, lesson 06), experiments (lesson 07's grid of variants and its cache).
"""

from gatelab import checks, data, dynamics, experiments, interop, plots, probe, train, widgets
from gatelab.env import environment_report

__all__ = [
    "checks",
    "data",
    "dynamics",
    "environment_report",
    "experiments",
    "interop",
    "plots",
    "probe",
    "train",
    "widgets",
]
