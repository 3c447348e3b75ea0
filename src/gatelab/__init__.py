"""gatelab: the machinery of Gates, a course that builds the GRU and the LSTM step by step.

Notebooks `import gatelab as gl`: anything with `gl.` is the course's machinery, anything without is
what the lesson builds. Modules: interop (params dicts <-> torch cells), checks (feedback for the
graded tests), dynamics (what the widgets compute), widgets (sliders and live figures), plots,
data (the lessons' sentences and tasks), train (small networks to train), probe (opening a trained
network, lesson 06), film (lesson 06's training film: checkpoints recorded while a network trains),
agreement_study (lesson 06's cached study: what gates buy on agreement), runs
(running and caching long studies), experiments (lesson 07's grid of variants and its cache), specialize (lesson 07's
LSTM whose gates start identical, and its cache), forgetting (lesson 07's task that needs forgetting, and
what each model costs on it).
"""

from gatelab import (
    agreement_study,
    checks,
    data,
    dynamics,
    experiments,
    film,
    forgetting,
    interop,
    plots,
    probe,
    runs,
    specialize,
    train,
    widgets,
)
from gatelab.env import environment_report

__all__ = [
    "agreement_study",
    "checks",
    "data",
    "dynamics",
    "environment_report",
    "experiments",
    "film",
    "forgetting",
    "interop",
    "plots",
    "probe",
    "runs",
    "specialize",
    "train",
    "widgets",
]
