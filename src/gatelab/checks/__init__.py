"""Checks with precise feedback, used by the lessons' visible and hidden tests.

core holds what every lesson shares (compare tensors and gradient dicts, describe bad output, refuse
forbidden APIs); one module per lesson track builds its cases and calls PyTorch as the oracle.
"""

from gatelab.checks import analysis, gru, lstm, numerical, rnn, start, variants
from gatelab.checks.core import (
    CheckFailed,
    ForbiddenCall,
    Mistake,
    call,
    describe,
    diagnoses,
    expect_close,
    expect_grads,
    expect_outputs,
    install_feedback_display,
    no_autograd,
    no_recurrent_apis,
    passed,
    recognise,
    run_learner,
    tensor_problem,
    unpack,
)

install_feedback_display()

__all__ = [
    "analysis",
    "CheckFailed",
    "ForbiddenCall",
    "call",
    "describe",
    "diagnoses",
    "expect_close",
    "expect_grads",
    "expect_outputs",
    "gru",
    "lstm",
    "Mistake",
    "no_autograd",
    "no_recurrent_apis",
    "numerical",
    "passed",
    "recognise",
    "rnn",
    "run_learner",
    "start",
    "tensor_problem",
    "unpack",
    "variants",
]
