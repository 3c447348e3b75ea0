"""Do lesson 03's checks of numerical_gradient pass right answers written in several ways, and name each known
mistake?"""

import pytest
import torch

from gatelab.checks import numerical
from gatelab.checks.core import CheckFailed

CHECKS = (numerical.gradient_shapes, numerical.gradient_values, numerical.gradient_random_cases)


# --- learners' functions, right and wrong, written here independently of the lesson's solution ---
def centred_new_tensors(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    for k in range(x.numel()):
        e = torch.zeros(x.numel(), dtype=x.dtype)
        e[k] = 1.0
        e = e.reshape(x.shape)
        grad.view(-1)[k] = (f(x + eps * e) - f(x - eps * e)) / (2 * eps)
    return grad


def centred_in_place_restored(f, x, eps=1e-6):
    """CS231n's way: move x's entry in place, evaluate, put the saved value back exactly."""
    grad = torch.zeros_like(x)
    flat = x.view(-1)
    for k in range(flat.numel()):
        saved = flat[k].item()
        flat[k] = saved + eps
        up = f(x).item()
        flat[k] = saved - eps
        down = f(x).item()
        flat[k] = saved
        grad.view(-1)[k] = (up - down) / (2 * eps)
    return grad


def centred_from_a_basis(f, x, eps=1e-6):
    """All the unit vectors at once, from an identity matrix."""
    basis = torch.eye(x.numel(), dtype=x.dtype).reshape(x.numel(), *x.shape)
    return torch.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in basis]).reshape(x.shape)


def one_sided(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    for k in range(x.numel()):
        e = torch.zeros_like(x).view(-1)
        e[k] = eps
        grad.view(-1)[k] = (f(x + e.view(x.shape)) - f(x)) / eps
    return grad


def over_eps(f, x, eps=1e-6):
    return 2 * centred_new_tensors(f, x, eps)


def all_at_once(f, x, eps=1e-6):
    return torch.ones_like(x) * (f(x + eps) - f(x - eps)) / (2 * eps)


def fixed_step(f, x, eps=1e-6):
    return centred_new_tensors(f, x, 1e-6)


def in_float32(f, x, eps=1e-6):
    grad = torch.zeros(x.shape)
    grad.view(-1)[:] = centred_new_tensors(f, x, eps).view(-1)
    return grad


def left_moved(f, x, eps=1e-6):
    flat = x.view(-1)
    grad = torch.zeros_like(x)
    for k in range(flat.numel()):
        flat[k] += eps
        up = f(x).item()
        flat[k] -= 2 * eps
        grad.view(-1)[k] = (up - f(x).item()) / (2 * eps)  # never moved back
    return grad


def flattened(f, x, eps=1e-6):
    return centred_new_tensors(f, x, eps).reshape(-1)


def with_autograd(f, x, eps=1e-6):
    leaf = x.clone().requires_grad_(True)
    f(leaf).backward()
    return leaf.grad


def fails(check, fn):
    with pytest.raises(CheckFailed) as info:
        check(fn)
    return str(info.value)


@pytest.mark.parametrize("fn", [centred_new_tensors, centred_in_place_restored, centred_from_a_basis])
def test_right_answers_written_differently_pass_every_check(fn, capsys):
    for check in CHECKS:
        check(fn)
    assert capsys.readouterr().out.count("✓") == len(CHECKS)


@pytest.mark.parametrize(
    "fn, diagnosis",
    [
        (one_sided, "this is what a one-sided difference, (f(x + eps) − f(x)) / eps gives: use the centred"),
        (over_eps, "this is what the centred difference divided by eps gives: divide by 2·eps"),
        (all_at_once, "this is what every entry of x moved at once gives: move one entry at a time"),
        (fixed_step, "this is what a step of 1e-6 whatever eps is asked for gives: use the eps argument"),
    ],
)
def test_each_known_mistake_fails_with_its_diagnosis(fn, diagnosis):
    message = fails(numerical.gradient_values, fn)
    assert message.startswith("numerical_gradient of Σ x³ at x (2, 3) with eps = 0.01: max error")
    assert diagnosis in message


def test_the_oracle_of_the_cubic_is_exact():
    x = numerical.example((2, 3))
    torch.testing.assert_close(centred_new_tensors(numerical.cubic, x, 1e-2), 3 * x**2 + 1e-4, atol=1e-12, rtol=0)
    torch.testing.assert_close(numerical.autograd_gradient(numerical.cubic, x), 3 * x**2)


def test_wrong_shape_dtype_and_changed_input_are_named():
    assert fails(numerical.gradient_shapes, flattened) == "numerical_gradient should return x's shape (2, 3), got (6,)"
    assert "should return x's dtype, torch.float64, got torch.float32" in fails(numerical.gradient_values, in_float32)
    assert "numerical_gradient changed its input x in place" in fails(numerical.gradient_shapes, left_moved)


def test_autograd_and_unfinished_work_are_refused_in_words():
    assert "numerical_gradient called Tensor.backward" in fails(numerical.gradient_values, with_autograd)

    def unfinished(f, x, eps=1e-6):
        raise NotImplementedError()

    assert "not implemented yet" in fails(numerical.gradient_shapes, unfinished)
    assert "it returned None" in fails(numerical.gradient_shapes, lambda f, x, eps=1e-6: None)
