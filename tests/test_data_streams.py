"""Is the reset-adding stream what its docstring says: y = 0.5 + (marked values since the last reset) / 4?"""

import pytest
import torch

from gatelab.data import adding, streams


def targets_by_walking(batch):
    """The target of each stream, computed step by step: a running sum that a reset sets back to 0."""
    targets = []
    for x in batch.x:
        total = 0.0
        for value, mark, reset in x.tolist():
            if reset:
                total = 0.0
            elif mark:
                total += value
        targets.append(0.5 + total / 4)
    return torch.tensor(targets)


def test_a_batch_has_the_shapes_of_the_course(rng):
    batch = streams.stream_batch(8, 30, rng)
    assert batch.x.shape == (8, 30, streams.N_X) and batch.at.shape == (8,) and batch.y.shape == (8,)
    assert (batch.at == 29).all()
    assert batch.x.dtype == torch.float32 and batch.y.dtype == torch.float32 and batch.at.dtype == torch.int64


def test_the_target_sums_the_marked_values_of_the_last_episode_only(rng):
    batch = streams.stream_batch(300, 40, rng)
    assert torch.allclose(batch.y, targets_by_walking(batch), atol=1e-6)
    values, marks = batch.x[..., 0], batch.x[..., 1]
    every_mark = 0.5 + (values * marks).sum(1) / 4  # what a memory that never forgets would answer
    assert ((every_mark - batch.y).abs() > streams.SOLVED_ERROR).float().mean() > 0.5


def test_episodes_are_laid_out_as_documented(rng):
    T = 40
    batch = streams.stream_batch(2000, T, rng)
    values, marks, resets = batch.x.unbind(2)
    assert (resets[:, 0] == 1).all()
    assert ((resets == 0) | (resets == 1)).all() and ((marks == 0) | (marks == 1)).all()
    assert (values[resets == 1] == 0).all() and (marks[resets == 1] == 0).all() and (values.abs() <= 1).all()
    last_reset = torch.where(resets == 1, torch.arange(T), -1).max(1).values
    lengths = T - last_reset
    assert lengths.min() == streams.LAST_EPISODE[0] and lengths.max() == streams.LAST_EPISODE[1]
    before = resets[:, 1:][torch.arange(1, T) < last_reset[:, None]]
    assert before.mean().item() == pytest.approx(streams.RESET_P, abs=0.01)
    assert marks[resets == 0].mean().item() == pytest.approx(streams.MARK_P, abs=0.01)


def test_the_baseline_mse_is_what_answering_one_half_scores(rng):
    assert streams.BASELINE_MSE == pytest.approx(2.1 / 48)
    batch = streams.stream_batch(100_000, 30, rng)
    assert float(((batch.y - 0.5) ** 2).mean()) == pytest.approx(streams.BASELINE_MSE, rel=0.02)


def test_batches_are_seeded_and_the_test_batch_is_fixed():
    a = streams.stream_batch(50, 25, torch.Generator().manual_seed(1))
    b = streams.stream_batch(50, 25, torch.Generator().manual_seed(1))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert torch.equal(streams.test_batch(30).x, streams.test_batch(30).x)
    next_batch = streams.batches(25, B=7)
    assert len(next_batch(torch.Generator())) == 7
    assert torch.equal(next_batch(torch.Generator().manual_seed(3)).x, next_batch(torch.Generator().manual_seed(3)).x)
    with pytest.raises(ValueError, match="T > 20"):
        streams.stream_batch(4, 20, torch.Generator())


def test_streams_are_scored_as_the_adding_problem_is():
    assert streams.evaluate is adding.evaluate and streams.SOLVED_ERROR == adding.SOLVED_ERROR == 0.04
