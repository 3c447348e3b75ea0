"""Compare a learner's results with the expected ones and say precisely what is wrong.

Every check raises CheckFailed, an AssertionError whose message is the feedback the learner reads:
what was expected, what came back, and where to look. Checks never let a confusing error escape
from deep inside torch: a learner's None, wrong tuple, numpy array or list is described in words.
Expected values are computed by the caller from PyTorch (an oracle), never from an answer here.

A wrong value is diagnosed: each lesson's module lists its function's well-known mistakes (Mistake: a stable
id, what the learner did, what the course does instead, and what that mistake computes, again from PyTorch);
expect_outputs compares the learner's outputs with each and adds the first match's line, e.g.
"this is what [x_t, h_prev] order gives: the course concatenates [h_prev, x_t], h_prev first [rnn.concat-order]".
A backward's mistake gives its whole dict of gradients (autograd through a deliberately wrong step, see
differentiated_as, or the right gradients changed), and expect_grads names it when the learner's dict matches it
everywhere; a mistake that changes a shape is matched on that shape (see recognise). A float64 answer off only
by float32-sized rounding is told so (close_note). The ids in a message are read back by diagnoses(message), or
CheckFailed.diagnosis, so a class report can count them from the feedback text alone.
"""

import contextlib
import contextvars
import dataclasses
import functools
import inspect
import linecache
import re
import traceback
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from gatelab import train

# The tolerance policy (AUTHORING.md, lesson 00), one rule for every visible and hidden check, forward values
# and gradients alike: an entry is right where |got - expected| <= steps * (atol + rtol * |expected|), with
# (atol, rtol) per dtype, and steps counting the computations the result went through, since each may add its
# rounding: a cell is 1; a sequence of T steps is 2T + 1 (each step adds its own rounding and passes on, possibly
# amplified, its predecessors'; 2 per step covers that in every case the checks use, as
# tests/test_checks_tolerance.py proves); a gradient counts its forward and its backward pass, twice that.
# float64 arithmetic written any correct way agrees with PyTorch to about 1e-15 (every correct implementation
# the tests hold is within 1e-11), float32 arithmetic to about 1e-7: a float64 check tells them apart, a float32
# check allows float32's rounding.
TOLERANCES = {torch.float64: (1e-9, 1e-9), torch.float32: (1e-5, 1e-4)}
# How many chained computations the results compared now went through (set by a check marked @chained).
STEPS = contextvars.ContextVar("steps", default=1)
# A float64 answer off by at most this much (relative to its size, or absolute below 1) is close but not equal.
CLOSE = 1e-5
CLOSE_ID = "core.float32-or-rounding"
# A diagnosis id in a message: "[rnn.concat-order]" (a letter, then dotted parts; never a tensor index).
DIAGNOSIS_TAG = re.compile(r"\[([a-z][a-z0-9_]*(?:\.[a-z0-9_-]+)+)\]")


def diagnoses(text):
    """The diagnosis ids a feedback message names, in order: ['rnn.concat-order'] (a class report counts them)."""
    return DIAGNOSIS_TAG.findall(str(text))


class CheckFailed(AssertionError):
    """A check's verdict; its message is what the learner reads, and names the ids of the mistakes it recognised."""

    @property
    def diagnoses(self):
        """Every diagnosis id in the message (see diagnoses)."""
        return diagnoses(self)

    @property
    def diagnosis(self):
        """The first diagnosis id in the message, a recognised mistake before the note that an answer is only
        close (CLOSE_ID: a mistake whose effect is tiny on some inputs is close too); None when there is neither."""
        found = sorted(diagnoses(self), key=lambda found_id: found_id == CLOSE_ID)
        return found[0] if found else None


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A learner's well-known mistake: a stable id, what they did, what the course does instead, and what it gives.

    gives(*inputs) returns a dict output name -> the tensor that mistake produces on the check's inputs,
    computed from PyTorch (never from an answer shipped in gatelab).
    """

    id: str
    did: str
    instead: str
    gives: Callable[..., dict]

    def line(self):
        """'this is what [x_t, h_prev] order gives: the course concatenates [h_prev, x_t] [rnn.concat-order]'."""
        return f"this is what {self.did} gives: {self.instead} [{self.id}]"


def one_output_mistakes(track, output):
    """The maker of a function's Mistakes when one output is checked: make(id_, did, instead, compute) is the Mistake
    "<track>.<id_>" whose gives(*inputs) is {output: compute(*inputs)}."""

    def make(id_, did, instead, compute):
        return Mistake(f"{track}.{id_}", did, instead, lambda *inputs: {output: compute(*inputs)})

    return make


class ForbiddenCall(CheckFailed):
    """The learner's function called an API the exercise asks them to write themselves."""


def random_sizes(seed):
    """(B, n_x, n_h, T), seeded, from small ranges: B ≤ 5, n_x ≤ 6, n_h ≤ 6, T ≤ 8."""
    g = torch.Generator().manual_seed(1000 + seed)
    B, n_x, n_h, T = (int(torch.randint(1, hi, (), generator=g)) for hi in (6, 7, 7, 9))
    return B, n_x, n_h, T


# The hidden tests' sizes (B, n_x, n_h, T, seed): random ones, then a batch of one with a single step,
# a batch of one with several steps.
RANDOM_CASES = [(*random_sizes(seed), seed) for seed in range(5)] + [(1, 2, 1, 1, 97), (1, 3, 2, 7, 98)]


def on_random_cases(check, *fns, sequence=False, dtypes=(torch.float64, torch.float32), **options):
    """Run check(*fns, B, n_x, n_h, [T,] dtype, seed, **options) at every size of RANDOM_CASES and dtype.

    sequence: the check also takes T (a sequence check); options go to every call.
    """
    for B, n_x, n_h, T, seed in RANDOM_CASES:
        sizes = (B, n_x, n_h, T) if sequence else (B, n_x, n_h)
        for dtype in dtypes:
            check(*fns, *sizes, dtype, seed, **options)


def show_feedback_only(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for a failed check: show its message alone, not a traceback through gatelab.

    The cell still ends in an error, so nbgrader scores it 0. (IPython's own exception_only display
    would open with "An exception has occurred, use %tb to see the full traceback.": not for learners.)
    """
    message = shell.InteractiveTB.get_exception_only(etype, value)
    shell._showtraceback(etype, value, message)
    return message


def install_feedback_display():
    """Inside IPython (a notebook's kernel), show failed checks as their feedback alone."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((CheckFailed,), show_feedback_only)


def describe(obj):
    """A short description of any object, for feedback: 'a tensor of shape (4, 3) and dtype float32'."""
    if obj is None:
        return "None"
    if isinstance(obj, torch.Tensor):
        return f"a tensor of shape {fmt_shape(obj.shape)} and dtype {str(obj.dtype).removeprefix('torch.')}"
    if isinstance(obj, np.ndarray):
        return f"a numpy array of shape {fmt_shape(obj.shape)}"
    if isinstance(obj, (tuple, list)):
        return f"a {type(obj).__name__} of {len(obj)} item{'' if len(obj) == 1 else 's'}"
    if isinstance(obj, dict):
        return f"a dict with keys {sorted(map(str, obj))}"
    if isinstance(obj, (bool, int, float)):
        return f"the number {obj!r}"
    return f"an object of type {type(obj).__name__}"


def fmt_shape(shape):
    """(4, 3) for torch.Size([4, 3]); (4,) for one dimension."""
    return str(tuple(shape))


def fmt_index(flat_index, shape):
    """'[2, 5]' for a flat index into a tensor of the given shape."""
    return str([int(i) for i in np.unravel_index(int(flat_index), tuple(shape))])


def tolerance(dtype, steps=None):
    """(atol, rtol) for comparing tensors of this dtype that went through steps chained computations
    (default: the steps of the check running now, see chained)."""
    atol, rtol = TOLERANCES.get(dtype, TOLERANCES[torch.float32])
    steps = STEPS.get() if steps is None else steps
    return atol * steps, rtol * steps


def chained(steps):
    """Mark a check whose results went through several chained computations, so it allows their rounding.

    steps(**arguments) gives their number from the check's own arguments, by name, defaults included:
    @chained(lambda T: 2 * T + 1) on a check of a T-step sequence, @chained(lambda T: 2 * (2 * T + 1)) on its
    gradients, @chained(lambda: 2) on a cell's gradients.
    Every comparison made while the check runs (tensor_problem) uses tolerance(dtype, that number).
    """
    wanted = list(inspect.signature(steps).parameters)

    def mark(check):
        signature = inspect.signature(check)

        @functools.wraps(check)
        def run(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            token = STEPS.set(steps(**{name: bound.arguments[name] for name in wanted}))
            try:
                return check(*args, **kwargs)
            finally:
                STEPS.reset(token)

        return run

    return mark


def tensor_problem(name, got, expected, dims=None, values=True):
    """What is wrong with got as a stand-in for the tensor expected, or None when it matches.

    dims names the shape's letters, e.g. "(B, n_h)", so a wrong shape reads
    "h_next: expected shape (B, n_h) = (4, 3), got (3, 4)". With values=False only the type,
    shape, dtype and finiteness are checked.
    """
    want = f"{dims} = {fmt_shape(expected.shape)}" if dims else fmt_shape(expected.shape)
    if not isinstance(got, torch.Tensor):
        return f"{name} should be a torch.Tensor of shape {want}, got {describe(got)}"
    if type(got) is not torch.Tensor:  # a subclass can override the very operations a check relies on
        return f"{name} should be a plain torch.Tensor, got a {type(got).__name__} (a subclass of it)"
    if got.shape != expected.shape:
        hint = " (transposed?)" if got.ndim == 2 and got.shape == expected.shape[::-1] else ""
        return f"{name}: expected shape {want}, got {fmt_shape(got.shape)}{hint}"
    if got.dtype != expected.dtype:
        return (
            f"{name}: expected dtype {expected.dtype}, got {got.dtype} "
            "(compute with the inputs' dtype; don't create tensors with a fixed dtype)"
        )
    got = got.detach()
    not_finite = ~torch.isfinite(got)
    if not_finite.any():
        first = fmt_index(not_finite.flatten().nonzero()[0], got.shape)
        return f"{name} has {int(not_finite.sum())} NaN or infinite entries, the first at {first}"
    if not values:
        return None
    atol, rtol = tolerance(expected.dtype)
    error = (got - expected).abs()
    excess = error - (atol + rtol * expected.abs())
    if (excess > 0).any():
        worst = int(error.flatten().argmax())
        return (
            f"{name}: max error {float(error.max()):.3g} at {fmt_index(worst, got.shape)} "
            f"(allowed: {atol:g} + {rtol:g}·|value|); {int((excess > 0).sum())} of {got.numel()} entries are off"
            + close_note(error, expected)
        )
    return None


def close_note(error, expected):
    """'; your values are within 2.1e-06 of the right ones: …' when a float64 answer is off only by float32's
    rounding (every entry within CLOSE, relative above 1, absolute below), else ''."""
    if expected.dtype != torch.float64 or (error > CLOSE * expected.abs().clamp(min=1)).any():
        return ""
    return (
        f"; your values are within {float(error.max()):.2g} of the right ones: are you computing in float32, "
        f"or rounding somewhere? [{CLOSE_ID}]"
    )


def recognise(got, mistakes, *inputs):
    """The first Mistake whose gives(*inputs) matches every output in it that got (name -> tensor) holds, or None.

    got is a learner's outputs by name, or their dict of gradients: a backward's mistake gives the whole dict
    that mistake computes, the gradients it leaves right included, so it matches only when all of them do.
    Matching is tensor_problem's, shape and value together: a mistake that changes a shape (db summed over the
    hidden axis, (B,) where (n_h,) belongs; dW transposed) gives that shape, so it is recognised by what the
    learner returned, with no separate rule for shapes. A mistake that cannot be computed on these inputs
    (its shapes do not allow it) is skipped.
    """
    for mistake in mistakes:
        try:
            with torch.no_grad():
                outputs = mistake.gives(*inputs)
        except (RuntimeError, ValueError, IndexError):
            continue
        if all(name in got and tensor_problem(name, got[name], value) is None for name, value in outputs.items()):
            return mistake
    return None


def expect_outputs(got, expected, dims, mistakes=(), inputs=(), prefix="", hint=None):
    """Raise CheckFailed unless got[name] matches expected[name] for every name, in expected's order.

    On a wrong value, the first of mistakes (Mistakes computed on inputs) that got matches adds its line;
    when none does, hint(name) (if given) may add one. dims maps names to shape letters; prefix opens the message.
    """
    for name, value in expected.items():
        problem = tensor_problem(name, got[name], value, dims.get(name), values=False)
        if problem:
            mistake = recognise(got, mistakes, *inputs)  # one that gives this very shape (see recognise)
            raise CheckFailed(f"{prefix}{problem}" + (f"\n{mistake.line()}" if mistake else ""))
    for name, value in expected.items():
        problem = tensor_problem(name, got[name], value, dims.get(name))
        if problem:
            mistake = recognise(got, mistakes, *inputs)
            extra = mistake.line() if mistake else hint(name) if hint else ""
            raise CheckFailed(f"{prefix}{problem}" + (f"\n{extra}" if extra else ""))


def x_first(params, n_x):
    """Params whose [h, x] product equals the [x, h] product of the original weights: a learner's mistake
    of order, computed with the right order (for feedback that recognises it)."""
    return {k: torch.cat([v[:, n_x:], v[:, :n_x]], dim=1) if k.startswith("W_") else v for k, v in params.items()}


def differentiated_as(value, like):
    """value, but differentiated by autograd as like is: a backward's mistake on a forward that stays right.

    differentiated_as(h_tilde, a_h) leaves tanh's derivative out; differentiated_as(h_next, wrong_mix) keeps
    h_next and back-propagates through wrong_mix. (A path dropped is simpler still: .detach() the tensor.)
    """
    return value.detach() + like - like.detach()


def per_example(grads_of, B, dtype):
    """grads_of(mask) for each example b alone, stacked on a new first dim: mask (B, 1) of dtype is 1 at b, else 0.

    The caller multiplies its upstream gradients by mask; db's of example b alone is that example's gradient
    at the pre-activation, so per_example gives what a backward that never sums over the batch computes.
    """
    rows = [grads_of(torch.eye(B, dtype=dtype)[:, b : b + 1]) for b in range(B)]
    return {name: torch.stack([row[name] for row in rows]) for name in rows[0]}


def expect_close(name, got, expected, dims=None, values=True):
    """Raise CheckFailed unless got matches the tensor expected (see tensor_problem)."""
    problem = tensor_problem(name, got, expected, dims, values)
    if problem:
        raise CheckFailed(problem)


def passed(message):
    """Tell the learner a check passed (stdout, so nbgrader still counts the cell as passing)."""
    print(f"✓ {message}")


def unpack(result, names, fn_name):
    """Split fn_name's return value into the len(names) values it should return, by name."""
    if len(names) == 1:
        return {names[0]: result}
    wanted = f"{len(names)} values ({', '.join(names)})"
    if not isinstance(result, (tuple, list)):
        raise CheckFailed(f"{fn_name} should return {wanted}; it returned {describe(result)}")
    if len(result) != len(names):
        raise CheckFailed(f"{fn_name} should return {wanted}; it returned {describe(result)}")
    return dict(zip(names, result, strict=True))


def expect_grads(got, expected, dims=None, hints=None, fn_name="your backward", mistakes=(), inputs=()):
    """Check a dict of gradients: name every missing, extra, wrong and right one.

    expected maps names like "dW_f" to tensors; dims maps them to shape letters ("(n_h, n_h + n_x)");
    hints maps a gradient's name to where to look when it alone is wrong. When some gradient is wrong, the
    first of mistakes whose gives(*inputs), a whole dict of gradients, matches got (see recognise) adds its
    line once, last: the hints say where to look per gradient, the line names the one mistake behind them all.
    """
    dims, hints = dims or {}, hints or {}
    if not isinstance(got, dict):
        raise CheckFailed(f"{fn_name} should return a dict with keys {sorted(expected)}; it returned {describe(got)}")
    lines = []
    missing = [k for k in expected if k not in got]
    extra = [str(k) for k in got if k not in expected]
    if missing:
        lines.append(f"missing: {', '.join(missing)}")
    if extra:
        lines.append(f"unexpected keys: {', '.join(extra)} (expected exactly {', '.join(expected)})")
    problems = {k: tensor_problem(k, got[k], v, dims.get(k)) for k, v in expected.items() if k in got}
    wrong = [k for k, p in problems.items() if p]
    right = [k for k, p in problems.items() if not p]
    lines += [problems[k] for k in wrong]
    if not lines:
        return
    if right:
        lines.append(f"right: {', '.join(right)}")
    lines += [f"hint for {k}: {hints[k]}" for k in wrong if k in hints]
    mistake = recognise(got, mistakes, *inputs)
    if mistake:
        lines.append(mistake.line())
    raise CheckFailed("\n".join(lines))


GATELAB_DIR = str(Path(__file__).resolve().parents[1])


def learner_line(tb):
    """' (line 7: z = ...)' for the innermost frame of the traceback tb outside installed packages and gatelab."""
    frames = [
        f
        for f in traceback.extract_tb(tb)
        if "site-packages" not in f.filename and not f.filename.startswith(GATELAB_DIR)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    code = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
    return f" (line {frame.lineno}: {code})" if code else f" (line {frame.lineno})"


def call(fn, *args, fn_name=None):
    """Call the learner's fn(*args); turn any exception into a CheckFailed that says what and where."""
    fn_name = fn_name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise CheckFailed(f"{fn_name} should be a function, got {describe(fn)}")
    try:
        return fn(*args)
    except CheckFailed:
        raise
    except NotImplementedError:
        raise CheckFailed(
            f"{fn_name} is not implemented yet: replace `raise NotImplementedError()` with your code"
        ) from None
    except Exception as error:  # anything the learner's code raises becomes feedback
        where = learner_line(error.__traceback__)
        raise CheckFailed(f"{fn_name} raised {type(error).__name__}: {error}{where}") from None


def snapshot(obj):
    """Deep copies of every tensor in obj (tensors nested in dicts, tuples and lists), by path."""
    if isinstance(obj, torch.Tensor):
        return {"": obj.detach().clone()}
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, (tuple, list)) else ()
    copies = {}
    for key, value in items:
        for path, tensor in snapshot(value).items():
            copies[f"[{key!r}]{path}"] = tensor
    return copies


def expect_unchanged(before, after, arg_names, fn_name, culprit=None):
    """Raise CheckFailed naming the first input that fn_name changed in place.

    before and after are snapshot()s of the argument tuple taken around the call; culprit names the
    learner's function that fn_name calls and that changed its own inputs, when one did.
    """
    changed = changed_paths(before, after)
    if not changed:
        return
    index = int(changed[0][1 : changed[0].index("]")])
    name = arg_names[index] + changed[0][changed[0].index("]") + 1 :]
    how = "(`+=`, `.add_()`, `[...] =` on an input); compute new tensors instead"
    if culprit:
        raise CheckFailed(
            f"{fn_name}'s input {name} was changed in place by {culprit}, which {fn_name} calls: "
            f"{culprit} changes an input {how}"
        )
    raise CheckFailed(f"{fn_name} changed its input {name} in place {how}")


def learner_helpers(fn):
    """The learner's functions fn calls by name: functions defined in the same namespace (the notebook)."""
    namespace = getattr(fn, "__globals__", None)
    code = getattr(fn, "__code__", None)
    if namespace is None or code is None:
        return []
    names, codes = set(), [code]
    while codes:  # fn's own code and the code of the comprehensions and closures inside it
        current = codes.pop()
        names.update(current.co_names)
        codes += [c for c in current.co_consts if isinstance(c, types.CodeType)]
    return sorted(
        name
        for name in names
        if isinstance(namespace.get(name), types.FunctionType)
        and namespace[name].__globals__ is namespace
        and namespace[name] is not fn
    )


@contextlib.contextmanager
def watching_helpers(fn):
    """While inside, the learner's functions that fn calls note when they change their own inputs.

    Yields a list that receives the name of each such function, so an in-place change made by
    gru_cell_forward inside gru_forward is blamed on gru_cell_forward, not on gru_forward.
    """
    namespace, changed = getattr(fn, "__globals__", {}), []
    originals = {name: namespace[name] for name in learner_helpers(fn)}

    def watched(name, helper):
        @functools.wraps(helper)
        def call_and_compare(*args, **kwargs):
            before = snapshot((args, kwargs))
            result = helper(*args, **kwargs)
            if name not in changed and changed_paths(before, snapshot((args, kwargs))):
                changed.append(name)
            return result

        return call_and_compare

    try:
        namespace.update({name: watched(name, helper) for name, helper in originals.items()})
        yield changed
    finally:
        namespace.update(originals)


def changed_paths(before, after):
    """The paths of before's tensors that after (both snapshot()s) lacks or holds with other values."""
    return [
        path
        for path, old in before.items()
        if (new := after.get(path)) is None or new.shape != old.shape or not torch.equal(new, old)
    ]


# Entry points that compute a recurrent cell for you, and those that compute gradients for you.
RECURRENT_APIS = [
    *((getattr(torch.nn, cls), "forward") for cls in ("RNNCell", "GRUCell", "LSTMCell", "RNN", "GRU", "LSTM")),
    *(
        (owner, fn)
        for owner in (torch, torch._VF)
        for fn in ("rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell", "rnn_tanh", "rnn_relu", "gru", "lstm")
    ),
    (train, "gate_inputs"),  # every cell of gatelab.train computes its gates through it
]
AUTOGRAD_APIS = [
    (torch.autograd, "grad"),
    (torch.autograd, "backward"),
    (torch.Tensor, "backward"),
    *((torch.autograd.functional, fn) for fn in ("jacobian", "vjp", "jvp", "hessian", "vhp", "hvp")),
    *((torch.func, fn) for fn in ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian")),
]


def _refuse(fn_name, api, what):
    def refused(*args, **kwargs):
        raise ForbiddenCall(f"{fn_name} called {api}: in this exercise you write {what} yourself, with tensor ops")

    return refused


def _api_name(owner, attr):
    owner_name = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", None) or "torch._VF"
    return f"{owner_name}.{attr}".replace("torch._C.TensorBase", "Tensor")


@contextlib.contextmanager
def forbidden(fn_name, apis, what):
    """While inside, every (owner, attribute) in apis raises ForbiddenCall naming fn_name and the API."""
    saved = []
    for owner, attr in apis:
        if not hasattr(owner, attr):
            continue
        had_own = attr in vars(owner)
        saved.append((owner, attr, had_own, vars(owner).get(attr) if had_own else None))
        setattr(owner, attr, _refuse(fn_name, _api_name(owner, attr), what))
    try:
        yield
    finally:
        for owner, attr, had_own, original in reversed(saved):
            if had_own:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)


def no_recurrent_apis(fn_name):
    """Refuse nn.RNN*/GRU*/LSTM* and torch._VF cells inside a forward exercise."""
    return forbidden(fn_name, RECURRENT_APIS, "the cell's equations")


def no_autograd(fn_name):
    """Refuse torch.autograd, Tensor.backward and torch.func inside a backward exercise."""
    return forbidden(fn_name, AUTOGRAD_APIS + RECURRENT_APIS, "the gradients")


def run_learner(fn, args, arg_names, returns, fn_name=None, guard=no_recurrent_apis):
    """Call the learner's fn(*args) under guard, check it left its inputs alone, return outputs by name.

    returns names the values fn should return, e.g. ("h_next", "cache").
    """
    fn_name = fn_name or getattr(fn, "__name__", "your function")
    before = snapshot(args)
    with guard(fn_name), watching_helpers(fn) as changed_inputs:
        result = call(fn, *args, fn_name=fn_name)
    culprit = changed_inputs[0] if changed_inputs else None
    expect_unchanged(before, snapshot(args), arg_names, fn_name, culprit)
    return unpack(result, returns, fn_name)
