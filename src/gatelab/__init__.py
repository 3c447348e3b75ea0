"""gatelab: the machinery of Gates, a course that builds the GRU and the LSTM step by step.

Notebooks `import gatelab as gl`: anything with `gl.` is the course's machinery, anything without is
what the lesson builds. Modules: interop (params dicts <-> torch cells), checks (feedback for the
graded tests), dynamics (what the widgets compute), widgets (sliders and live figures), plots,
train (small networks to train and open up).
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
