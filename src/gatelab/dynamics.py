"""What small cells do over time: the pure functions that the widgets draw.

No widgets and no plotting here, so every function is tested on its own. Local derivatives come from
torch.autograd, never from a hand-written formula (writing those is the learner's exercise).
"""

import math

import torch


def sigmoid_curve(lo=-8.0, hi=8.0, n=161):
    """(a, sigmoid(a)): n pre-activations from lo to hi and the gate values they give."""
    a = torch.linspace(lo, hi, n, dtype=torch.float64)
    return a, torch.sigmoid(a)


def one_unit_rnn_inputs(T, scale, seed=0):
    """x_1 … x_T (T,): a fixed, seeded input sequence ~ N(0, scale^2) for the one-unit RNN widgets."""
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(T, dtype=torch.float64, generator=g)


def one_unit_rnn_gradients(w, x, u=1.0, b=0.0, h0=0.5):
    """States and |∂h_t/∂h_0| for t = 1 … T of h_t = tanh(w·h_{t-1} + u·x_t + b), one unit.

    x has shape (T,). Returns (h (T,), dh (T,)). Autograd gives every local derivative
    ∂h_t/∂h_{t-1} in one vectorised call; their running product is the gradient through time.
    """
    states, h = [], h0
    for x_t in x.tolist():
        h = math.tanh(w * h + u * x_t + b)
        states.append(h)
    h = torch.tensor(states, dtype=torch.float64)
    h_prev = torch.cat([torch.tensor([h0], dtype=torch.float64), h[:-1]]).requires_grad_(True)
    (local,) = torch.autograd.grad(torch.tanh(w * h_prev + u * x + b).sum(), h_prev)
    return h, local.cumprod(0).abs()
