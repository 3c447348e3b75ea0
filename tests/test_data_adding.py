"""Is the adding problem Hochreiter & Schmidhuber's (1997): two marked values, target 0.5 + (X1 + X2)/4?"""

import pytest
import torch

from gatelab import train
from gatelab.data import adding


def test_a_batch_has_the_shapes_of_the_course(rng):
    batch = adding.adding_batch(8, 20, rng)
    T_max = batch.x.shape[1]
    assert batch.x.shape == (8, T_max, adding.N_X) and 20 <= T_max <= 22
    assert batch.at.shape == (8,) and batch.y.shape == (8,)
    assert batch.x.dtype == torch.float32 and batch.y.dtype == torch.float32 and batch.at.dtype == torch.int64


def test_each_sequence_marks_two_values_and_its_ends(rng):
    T = 40
    batch = adding.adding_batch(500, T, rng)
    values, markers = batch.x[..., 0], batch.x[..., 1]
    ones = markers == 1
    assert (ones.sum(1) == 2).all()
    first = ones.float().argmax(1)  # the earlier of the two marks
    assert (first < 10).all()
    assert (ones.nonzero()[:, 1] < T // 2 - 1).all()  # X2: among the first T/2 - 1 pairs
    rows = torch.arange(500)
    lengths = batch.at + 1
    assert ((lengths >= T) & (lengths <= T + T // 10)).all()
    assert len(set(lengths.tolist())) > 1  # lengths vary, as in the paper
    end_marks = markers[rows, batch.at]
    assert (end_marks == -1).all()
    start_marks = markers[:, 0]
    assert ((start_marks == -1) | (start_marks == 1)).all()
    assert ((markers == 0) | ones | (markers == -1)).all()
    assert (values.abs() <= 1).all()
    after_end = torch.arange(values.shape[1]) > batch.at[:, None]
    assert (values[after_end] == 0).all() and (markers[after_end] == 0).all()


def test_the_target_is_half_plus_a_quarter_of_the_marked_sum(rng):
    batch = adding.adding_batch(300, 30, rng)
    marked_sum = (batch.x[..., 0] * (batch.x[..., 1] == 1)).sum(1)
    assert torch.allclose(batch.y, 0.5 + marked_sum / 4)
    assert ((batch.y >= 0) & (batch.y <= 1)).all()


def test_fixed_lengths_and_seeds():
    batch = adding.adding_batch(50, 12, torch.Generator().manual_seed(1), vary_length=False)
    assert batch.x.shape[1] == 12 and (batch.at == 11).all()
    again = adding.adding_batch(50, 12, torch.Generator().manual_seed(1), vary_length=False)
    assert torch.equal(batch.x, again.x) and torch.equal(batch.y, again.y)
    assert torch.equal(adding.test_batch(10).x, adding.test_batch(10).x)
    with pytest.raises(ValueError, match="T >= 6"):
        adding.adding_batch(4, 5, torch.Generator())


def test_the_baseline_mse_is_what_answering_one_half_scores(rng):
    batch = adding.adding_batch(200_000, 20, rng)
    assert adding.BASELINE_MSE == pytest.approx(19 / 480)
    assert float(((batch.y - 0.5) ** 2).mean()) == pytest.approx(adding.BASELINE_MSE, rel=0.02)


def test_evaluate_scores_mse_and_the_solved_share(rng):
    batch = adding.adding_batch(2000, 10, rng)
    net = train.Network("rnn", adding.N_X, 4, 1, seed=0)
    with torch.no_grad():
        net.readout.weight.zero_()
        net.readout.bias.fill_(0.5)  # always answers 0.5
    scores = adding.evaluate(net, batch)
    assert scores["mse"] == pytest.approx(float(((batch.y - 0.5) ** 2).mean()), rel=1e-5)
    assert scores["solved"] == pytest.approx(float(((batch.y - 0.5).abs() < 0.04).float().mean()))
    assert 0.1 < scores["solved"] < 0.2


def test_batches_draws_from_the_generator_it_is_given():
    next_batch = adding.batches(15, B=7)
    a, b = next_batch(torch.Generator().manual_seed(3)), next_batch(torch.Generator().manual_seed(3))
    assert len(a) == 7 and torch.equal(a.x, b.x)
