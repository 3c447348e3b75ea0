"""Checks of lesson 03's numerical_gradient: the centred finite-difference gradient of a scalar function.

The oracle is torch.autograd on the same function, and, for f(x) = Σ x³, the exact centred difference
3x² + eps² (a centred difference of a cubic is exact up to that eps² term, so it shows which eps was used).
When a result is wrong, the well-known mistakes are tried (a one-sided difference, dividing by eps instead of
2·eps, moving every entry at once, a fixed step instead of the eps asked for: MISTAKES) and the one that matches is
named, with its id; a result that is not x's shape or dtype, or an x left changed, is named too.
"""

import torch

from gatelab.checks.core import (
    CheckFailed,
    call,
    describe,
    expect_unchanged,
    fmt_shape,
    no_autograd,
    one_output_mistakes,
    passed,
    snapshot,
)

FN = "numerical_gradient"
ATOL = 1e-6  # a centred difference at eps = 1e-6 in float64 is good to about 1e-9 on these functions


def cubic(x):
    """Σ x³: its centred difference at step eps is exactly 3x² + eps²."""
    return (x**3).sum()


def mixing(x):
    """A smooth function in which every entry of x affects every other: Σ sin(M·vec x) + ½ Σ x², with a fixed M."""
    v = x.reshape(-1)
    M = torch.linspace(-1.0, 1.0, v.numel() ** 2, dtype=x.dtype).reshape(v.numel(), v.numel())
    return torch.sin(M @ v).sum() + 0.5 * (v**2).sum()


def log_sum_exp(x):
    """log Σ exp(x): its gradient is softmax(x), every entry in (0, 1)."""
    return torch.logsumexp(x.reshape(-1), dim=0)


FUNCTIONS = {"Σ x³": cubic, "Σ sin(M·x) + ½ Σ x²": mixing, "log Σ exp(x)": log_sum_exp}


def autograd_gradient(f, x):
    """∂f/∂x by torch.autograd (the oracle), x's shape."""
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return grad


def one_sided(f, x, eps):
    """(f(x + eps·e_k) − f(x)) / eps per entry: the forward difference, error O(eps)."""
    return _per_entry(lambda k: (float(f(_moved(x, k, eps))) - float(f(x))) / eps, x)


def all_at_once(f, x, eps):
    """Every entry the centred difference along all entries moved together: the directional derivative."""
    value = (float(f(x + eps)) - float(f(x - eps))) / (2 * eps)
    return torch.full_like(x, value)


def _moved(x, k, eps):
    """x with its flat entry k moved by eps (a new tensor)."""
    step = torch.zeros_like(x).reshape(-1)
    step[k] = eps
    return x + step.reshape(x.shape)


def _per_entry(value, x):
    return torch.tensor([value(k) for k in range(x.numel())], dtype=x.dtype).reshape(x.shape)


def _centred_at_1e6(f, x, eps, expected):
    """The centred difference at a step of 1e-6, whatever eps is."""
    return _per_entry(lambda k: (float(f(_moved(x, k, 1e-6))) - float(f(_moved(x, k, -1e-6)))) / 2e-6, x)


_numerical_mistake = one_output_mistakes("numerical", "grad")  # grad computed from (f, x, eps, expected)


MISTAKES = (
    _numerical_mistake(
        "forward-difference",
        "a one-sided difference, (f(x + eps) − f(x)) / eps",
        "use the centred (f(x + eps) − f(x − eps)) / (2·eps), whose error shrinks like eps² instead of eps",
        lambda f, x, eps, expected: one_sided(f, x, eps),
    ),
    _numerical_mistake(
        "no-halving",
        "the centred difference divided by eps",
        "divide by 2·eps, the distance between x − eps and x + eps",
        lambda f, x, eps, expected: 2 * expected,
    ),
    _numerical_mistake(
        "all-entries-at-once",
        "every entry of x moved at once",
        "move one entry at a time: e_k is 1 at entry k and 0 elsewhere",
        lambda f, x, eps, expected: all_at_once(f, x, eps),
    ),
    _numerical_mistake(
        "fixed-step", "a step of 1e-6 whatever eps is asked for", "use the eps argument", _centred_at_1e6
    ),
)


def mistake_matching(got, f, x, eps, expected, atol):
    """The first of MISTAKES whose gradient got is within atol of (or eps²-sized rounding of), else None."""
    for mistake in MISTAKES:
        if torch.allclose(got, mistake.gives(f, x, eps, expected)["grad"], atol=max(atol, 1e-3 * eps**2)):
            return mistake
    return None


def run(numerical_gradient, f, x, *eps):
    """The learner's numerical_gradient(f, x[, eps]) under the no-autograd guard, x left as it was."""
    before = snapshot((x,))
    with no_autograd(FN):
        got = call(numerical_gradient, f, x, *eps, fn_name=FN)
    expect_unchanged(before, snapshot((x,)), ("x",), FN)
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"{FN} should return a tensor of x's shape {fmt_shape(x.shape)}; it returned {describe(got)}")
    if got.shape != x.shape:
        raise CheckFailed(f"{FN} should return x's shape {fmt_shape(x.shape)}, got {fmt_shape(got.shape)}")
    if got.dtype != x.dtype:
        raise CheckFailed(
            f"{FN} should return x's dtype, {x.dtype}, got {got.dtype}: a finite difference needs float64's "
            "digits (make the result with torch.zeros_like(x))"
        )
    return got


def expect_gradient(numerical_gradient, name, f, x, expected, *eps, atol=ATOL):
    """The learner's gradient of f (called name) at x is expected to atol, or the message says how it is off."""
    got = run(numerical_gradient, f, x, *eps)
    error = (got.to(expected.dtype) - expected).abs()
    if float(error.max()) <= atol:
        return
    at = tuple(int(i) for i in torch.unravel_index(error.argmax(), error.shape))
    lines = [
        f"{FN} of {name} at x {fmt_shape(x.shape)}"
        + (f" with eps = {eps[0]:g}" if eps else "")
        + f": max error {float(error.max()):.3g} at {list(at)} (tolerance {atol:g})"
    ]
    mistake = mistake_matching(got.to(expected.dtype), f, x, eps[0] if eps else 1e-6, expected, atol)
    if mistake:
        lines.append(mistake.line())
    raise CheckFailed("\n".join(lines))


def example(shape, seed=0):
    """x in [-1, 1] of shape, float64, seeded."""
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(shape, generator=g, dtype=torch.float64) - 1


def gradient_shapes(numerical_gradient):
    """numerical_gradient returns x's shape, for a vector, a matrix and a 3-d tensor, and leaves x as it was."""
    for shape in ((4,), (2, 3), (2, 1, 3)):
        run(numerical_gradient, cubic, example(shape))
    passed(f"{FN} returns x's shape and leaves x as it was")


def gradient_values(numerical_gradient):
    """The cubic at eps = 1e-2 (exactly 3x² + eps²: centred, and the eps asked for), then a mixing function at
    the default eps, against autograd."""
    x = example((2, 3))
    expect_gradient(numerical_gradient, "Σ x³", cubic, x, 3 * x**2 + 1e-2**2, 1e-2, atol=1e-9)
    x = example((4,), seed=1)
    expect_gradient(numerical_gradient, "Σ sin(M·x) + ½ Σ x²", mixing, x, autograd_gradient(mixing, x))
    passed(f"{FN} matches torch.autograd (and is the centred difference at the eps it is given)")


def gradient_random_cases(numerical_gradient):
    """Every FUNCTIONS entry at random shapes (1 to 3 dimensions), at the default eps, against autograd."""
    g = torch.Generator().manual_seed(3)
    for seed in range(4):
        shape = tuple(int(n) for n in torch.randint(1, 4, (seed % 3 + 1,), generator=g))
        x = example(shape, seed)
        for name, f in FUNCTIONS.items():
            expect_gradient(numerical_gradient, name, f, x, autograd_gradient(f, x))
    passed(f"{FN} matches torch.autograd on random shapes")
