"""Hochreiter & Schmidhuber's (1997) adding problem, the long-lag task of lesson 07.

Each sequence is a series of pairs (value, marker): values drawn uniformly from [-1, 1]; exactly two
pairs marked 1 — one among the first 10 (its value X1) and one among the first T/2 - 1 still unmarked
(X2); the first and the last pair marked -1 unless marked 1; every other marker 0. (If the first pair is
the one marked, X1 is set to 0, as in the paper.) The target, read at the last pair, is
0.5 + (X1 + X2) / 4, in [0, 1]. A sequence is processed correctly if |error| < 0.04. Lengths vary
between T and T + T/10, as in the paper: a batch is padded to its longest sequence and the answer is
read at each sequence's own end (Batch.at).

Shapes: B sequences, T_max = the batch's longest length; x (B, T_max, 2), at (B,), y (B,).
"""

import torch

from gatelab.train import Batch

N_X = 2  # the features of a step: value, marker
SOLVED_ERROR = 0.04  # |prediction - target| below which a sequence counts as processed correctly

# The mean squared error of always answering 0.5, the best constant answer: Var((X1 + X2) / 4), where
# Var(X2) = 1/3 (uniform on [-1, 1]) and Var(X1) = 9/10 * 1/3 (X1 is 0 when the first pair is marked,
# probability 1/10). Without that rule it would be (1/3 + 1/3) / 16 = 1/24 ≈ 0.0417.
BASELINE_MSE = (0.9 / 3 + 1 / 3) / 16  # = 19/480 ≈ 0.0396


def adding_batch(B, T, generator, vary_length=True):
    """A Batch of B adding-problem sequences of minimal length T (T ≥ 6): x (B, T_max, 2), at, y (B,).

    vary_length: lengths are drawn from T … T + T // 10 (the paper's setting); False: all are T long.
    """
    if T < 6:
        raise ValueError(f"the adding problem needs T >= 6, got {T}")
    extra = T // 10 if vary_length else 0
    lengths = T + torch.randint(0, extra + 1, (B,), generator=generator)
    T_max = int(lengths.max())
    values = 2 * torch.rand(B, T_max, generator=generator) - 1
    values[torch.arange(T_max) >= lengths[:, None]] = 0.0  # padding after each sequence's end
    rows = torch.arange(B)
    first = torch.randint(0, min(10, T), (B,), generator=generator)
    # the second mark: one of the first T/2 - 1 pairs other than the first mark
    second = torch.randint(0, T // 2 - 2, (B,), generator=generator)
    second = second + (second >= first).long()
    markers = torch.zeros(B, T_max)
    markers[:, 0] = -1.0
    markers[rows, lengths - 1] = -1.0
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    values[rows, first] = torch.where(first == 0, 0.0, values[rows, first])
    y = 0.5 + (values[rows, first] + values[rows, second]) / 4
    x = torch.stack([values, markers], dim=2)  # (B, T_max, 2)
    return Batch(x, lengths - 1, y)


def batches(T, B=64, vary_length=True):
    """next_batch(generator) -> a fresh adding_batch(B, T, generator): what train.train draws from."""
    return lambda generator: adding_batch(B, T, generator, vary_length)


def test_batch(T, B=1000, seed=12345):
    """A fixed held-out Batch of the adding problem at lag T (the same for every model)."""
    return adding_batch(B, T, torch.Generator().manual_seed(seed))


@torch.no_grad()
def evaluate(net, batch, **run_options):
    """{mse, solved}: the mean squared error of net on batch, and the fraction with |error| < 0.04.

    run_options go to net.run (e.g. fixed={"f": 1.0} to ablate a gate of a trained LSTM).
    """
    error = net(batch.x, batch.at, **run_options)[:, 0] - batch.y
    return {"mse": float((error**2).mean()), "solved": float((error.abs() < SOLVED_ERROR).float().mean())}
