"""A continual stream that needs forgetting (lesson 07): the adding problem with resets, in the spirit of
Gers, Schmidhuber & Cummins (2000), "Learning to Forget".

A stream is a series of steps x_t = (value, mark, reset). Values are uniform in [-1, 1]. A reset (1) starts a new
episode: at step 0, at each later step with probability RESET_P, and once more where the last episode starts, which
lasts LAST_EPISODE[0] … LAST_EPISODE[1] steps (no reset inside it). Every step that is not a reset is marked (1)
with probability MARK_P; a reset step has value 0. The target, read at the last step, is

    y = 0.5 + S / 4,   S = the sum of the marked values since the last reset (the current episode's only).

So the memory must add up the marked values of an episode, as in the adding problem, and drop them at the next
reset. A cell with f = 1 holds c_0 + the sum of everything it ever wrote: it can only cancel a stale sum by
writing its negative, which it sees only through h = o tanh(c), so what it misses stays in c for good. A stream of
4T steps holds about four times as many stale episodes as one of T: the held-out test at both lengths shows it.
A sequence counts as solved if |error| < 0.04, as in the adding problem.

Shapes: B streams of T steps; x (B, T, 3), at (B,) (every stream is read at its last step, T - 1), y (B,).
"""

import torch

from gatelab.data import adding
from gatelab.train import Batch

N_X = 3  # the features of a step: value, mark, reset
RESET_P = 0.25  # the chance that a step before the last episode starts a new episode (mean episode: 4 steps)
MARK_P = 0.15  # the chance that a step other than a reset is marked
SOLVED_ERROR = adding.SOLVED_ERROR  # |prediction - target| below which a stream counts as solved
evaluate = adding.evaluate  # {mse, solved} of a net on a Batch: the adding problem's measure, for streams too
LAST_EPISODE = (10, 20)  # the shortest and longest last episode, its reset included

# The MSE of always answering 0.5, the best constant answer: Var(S) / 16, where S sums N values of variance 1/3
# and N, the marks of the last episode, counts the L - 1 steps after its reset each marked with chance MARK_P:
# E[N] = MARK_P * (E[L] - 1) = 0.15 * 14 = 2.1, so Var(S) = 2.1 / 3 and the MSE is 2.1 / 48 = 0.04375.
BASELINE_MSE = MARK_P * (sum(LAST_EPISODE) / 2 - 1) / 3 / 16


def stream_batch(B, T, generator):
    """A Batch of B reset-adding streams of T steps (T > LAST_EPISODE[1]): x (B, T, 3), at (B,), y (B,)."""
    if T <= LAST_EPISODE[1]:
        raise ValueError(f"a stream needs T > {LAST_EPISODE[1]} (its longest last episode), got {T}")
    t = torch.arange(T)
    lo, hi = LAST_EPISODE
    start = T - torch.randint(lo, hi + 1, (B,), generator=generator)  # where the last episode starts
    reset = (torch.rand(B, T, generator=generator) < RESET_P) & (t < start[:, None])
    reset[:, 0] = True
    reset[torch.arange(B), start] = True
    mark = (torch.rand(B, T, generator=generator) < MARK_P) & ~reset
    values = (2 * torch.rand(B, T, generator=generator) - 1) * ~reset
    current = t >= start[:, None]
    y = 0.5 + (values * mark * current).sum(1) / 4
    x = torch.stack([values, mark.float(), reset.float()], dim=2)  # (B, T, 3)
    return Batch(x, torch.full((B,), T - 1), y)


def batches(T, B=64):
    """next_batch(generator) -> a fresh stream_batch(B, T, generator): what train.train draws from."""
    return lambda generator: stream_batch(B, T, generator)


def test_batch(T, B=1000, seed=12345):
    """A fixed held-out Batch of streams of T steps (the same for every model)."""
    return stream_batch(B, T, torch.Generator().manual_seed(seed))
