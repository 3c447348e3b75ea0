"""Checks with precise feedback, used by the lessons' visible and hidden tests.

core holds what every lesson shares (compare tensors and gradient dicts, describe bad output, refuse
forbidden APIs); one module per lesson track builds its cases and calls PyTorch as the oracle.
"""

from gatelab.checks import lstm, rnn
from gatelab.checks.core import (
    CheckFailed,
    ForbiddenCall,
    call,
    describe,
    expect_close,
    expect_grads,
    no_autograd,
    no_recurrent_apis,
    run_learner,
    tensor_problem,
    unpack,
)

__all__ = [
    "CheckFailed",
    "ForbiddenCall",
    "call",
    "describe",
    "expect_close",
    "expect_grads",
    "lstm",
    "no_autograd",
    "no_recurrent_apis",
    "rnn",
    "run_learner",
    "tensor_problem",
    "unpack",
]
