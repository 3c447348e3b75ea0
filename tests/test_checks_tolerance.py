"""One tolerance policy for every check: a submission that passes every visible check never loses points in
the hidden ones for precision alone, and float32 arithmetic on float64 inputs is told so.

A learner's notebook is modelled by its lesson's solution functions run as the learner's, in one namespace
like a kernel's (a sequence calls the learner's cell), each made imprecise in one way: every tensor it returns
off by a relative r, or its arithmetic done in float32. The lesson's test cells then run as the grader runs
them: the visible part, then the hidden part. Sequence checks compound a step's error over T steps; the
policy (gatelab.checks.core.TOLERANCES and chained) allows for that, and this test is its proof.
"""

import contextlib
import io
import re

import pytest
import torch

import gatelab as gl
from tests.course import SOLUTION_NOTEBOOKS, graded_cells, read, solution_cells

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n?", re.S)
CLOSE_ID = gl.checks.core.CLOSE_ID


def mapped(obj, fn):
    """obj with fn applied to every floating-point tensor in it (tensors nested in tuples, lists and dicts)."""
    if isinstance(obj, torch.Tensor):
        return fn(obj) if obj.is_floating_point() else obj
    if isinstance(obj, (tuple, list)):
        return type(obj)(mapped(item, fn) for item in obj)
    if isinstance(obj, dict):
        return {key: mapped(value, fn) for key, value in obj.items()}
    return obj


def off_by(r):
    """Make a function whose every returned tensor is off by a relative r."""

    def imprecise(fn):
        def learner(*args):
            return mapped(fn(*args), lambda t: t * (1 + r))

        return learner

    return imprecise


def in_float32(fn):
    """A function computing in float32 on float64 inputs, its results turned back into float64."""

    def learner(*args):
        if not any(t.dtype == torch.float64 for t in tensors(args)):
            return fn(*args)  # float32 inputs are computed as they are
        return mapped(fn(*mapped(args, lambda t: t.float())), lambda t: t.double())

    return learner


def tensors(obj):
    """Every floating-point tensor in obj."""
    found = []
    mapped(obj, lambda t: found.append(t) or t)
    return found


def learner_notebook(nb, imprecise):
    """The namespace of a kernel that ran the lesson's solution cells, each graded function made imprecise."""
    namespace = {"torch": torch, "gl": gl}
    for cell in solution_cells(nb).values():
        exec(cell.source, namespace)
    for name in solution_cells(nb):
        if callable(namespace.get(name)):
            learner = imprecise(namespace[name])
            learner.__name__ = name
            namespace[name] = learner
    return namespace


def verdict(code, namespace):
    """None when code runs with every check passing, else the first line of the check's message."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(code, namespace)
    except AssertionError as failed:
        return str(failed) or "failed"
    return None


def grade(nb, imprecise):
    """{test cell's grade_id: (visible verdict, hidden verdict or None when it has no hidden part)}."""
    namespace = learner_notebook(nb, imprecise)
    verdicts = {}
    for grade_id, cell in graded_cells(nb).items():
        hidden = HIDDEN.search(cell.source)
        visible = verdict(HIDDEN.sub("", cell.source), namespace)
        verdicts[grade_id] = (visible, verdict(hidden.group(1), namespace) if hidden else None)
    return verdicts


def hidden_failures_after_visible_passes(verdicts):
    """The hidden parts that fail when every visible part passes ({} when some visible part fails)."""
    if any(visible for visible, _ in verdicts.values()):
        return {}
    return {grade_id: hidden for grade_id, (_, hidden) in verdicts.items() if hidden}


LESSONS = [pytest.param(read(path), id=path.parent.name) for path in SOLUTION_NOTEBOOKS]


@pytest.mark.parametrize("nb", LESSONS)
def test_uniformly_imprecise_answers_score_the_same_in_visible_and_hidden_checks(nb):
    """Below, at and above the float64 tolerance: never a hidden loss after every visible check passed."""
    visible_passes = []
    for r in (3e-10, 1e-9, 1.5e-9, 2e-9):
        verdicts = grade(nb, off_by(r))
        assert hidden_failures_after_visible_passes(verdicts) == {}, f"off by {r:g}"
        visible_passes.append(not any(visible for visible, _ in verdicts.values()))
    assert visible_passes[0], "an answer off by 3e-10 passes every check"


@pytest.mark.parametrize("nb", LESSONS)
def test_an_answer_off_by_a_millionth_fails_visibly_and_is_told_why(nb):
    """The issue's case: off by a relative 1e-6 passed lesson 01's checks and lost points in hidden ones."""
    verdicts = grade(nb, off_by(1e-6))
    assert hidden_failures_after_visible_passes(verdicts) == {}
    failed = [visible for visible, _ in verdicts.values() if visible]
    if failed:
        assert any(f"[{CLOSE_ID}]" in message for message in failed), failed


@pytest.mark.parametrize("nb", LESSONS)
def test_float32_arithmetic_on_float64_inputs_is_consistent_and_named(nb):
    """Off by about 1e-7 where the float64 tolerance is 1e-9: every lesson's self-checks fail, saying why."""
    verdicts = grade(nb, in_float32)
    failed = [visible for visible, _ in verdicts.values() if visible]
    assert any(f"[{CLOSE_ID}]" in message for message in failed), failed


def test_a_sequence_allows_its_steps_and_a_gradient_twice_that():
    expected = torch.full((2, 3), 0.5, dtype=torch.float64)
    off = expected + 5e-9

    @gl.checks.core.chained(lambda T: 2 * T + 1)
    def sequence_check(T=6):
        return gl.checks.core.tensor_problem("h_seq", off, expected)

    assert gl.checks.core.tensor_problem("h_next", off, expected) is not None
    assert sequence_check() is None and sequence_check(T=1) is not None
    assert gl.checks.core.tolerance(torch.float64, steps=13) == pytest.approx((1.3e-8, 1.3e-8))
    assert gl.checks.core.STEPS.get() == 1, "the steps of a check end with it"
