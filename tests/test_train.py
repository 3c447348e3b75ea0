"""Do gatelab.train's cells compute the course's equations, and does its training loop learn, seeded?"""

import pytest
import torch

from gatelab import train
from gatelab.checks.gru import gru_oracle_cell
from gatelab.interop import random_params, torch_step


def step_case(kind, rng, B=4, n_x=5, n_h=3):
    """x_t (B, n_x), h_prev and c_prev (B, n_h) and params, float64."""
    x_t, h_prev, c_prev = (torch.randn(B, n, dtype=torch.float64, generator=rng) for n in (n_x, n_h, n_h))
    return x_t, h_prev, c_prev, random_params(kind, n_x, n_h, generator=rng)


def test_lstm_step_is_torchs_lstm_cell(rng):
    x_t, h_prev, c_prev, params = step_case("lstm", rng)
    (h, c), gates = train.lstm_step(params, x_t, (h_prev, c_prev))
    h_torch, c_torch = torch_step("lstm", params, x_t, h_prev, c_prev)
    torch.testing.assert_close(h, h_torch)
    torch.testing.assert_close(c, c_torch)
    assert set(gates) == {"f", "i", "o"} and all(g.shape == (4, 3) for g in gates.values())


def test_lstm_step_records_the_forget_gate_of_the_course(rng):
    x_t, h_prev, c_prev, params = step_case("lstm", rng)
    _, gates = train.lstm_step(params, x_t, (h_prev, c_prev))
    f = torch.sigmoid(torch.cat([h_prev, x_t], dim=1) @ params["W_f"].T + params["b_f"])
    torch.testing.assert_close(gates["f"], f)


def test_a_fixed_forget_gate_of_one_adds_the_input_to_the_cell(rng):
    x_t, h_prev, c_prev, params = step_case("lstm", rng)
    (_, c), gates = train.lstm_step(params, x_t, (h_prev, c_prev), fixed={"f": 1.0})
    (_, c_no_memory), _ = train.lstm_step(params, x_t, (h_prev, torch.zeros_like(c_prev)), fixed={"f": 1.0})
    assert torch.equal(gates["f"], torch.ones(4, 3, dtype=torch.float64))
    torch.testing.assert_close(c - c_no_memory, c_prev)


def test_rnn_step_is_torchs_rnn_cell(rng):
    x_t, h_prev, _, params = step_case("rnn", rng)
    (h,), gates = train.rnn_step(params, x_t, (h_prev,))
    torch.testing.assert_close(h, torch_step("rnn", params, x_t, h_prev))
    assert gates == {}


def test_gru_step_is_the_courses_reset_before_gru(rng):
    x_t, h_prev, _, params = step_case("gru", rng)
    (h,), gates = train.gru_step(params, x_t, (h_prev,))
    torch.testing.assert_close(h, gru_oracle_cell(x_t, h_prev, params))
    assert set(gates) == {"z", "r"}


def test_irnn_starts_as_the_identity_on_positive_states(rng):
    params = train.init_params(train.CELLS["irnn"], 5, 3, rng)
    h_prev = torch.rand(4, 3, generator=rng) + 0.5
    (h,), _ = train.irnn_step(params, torch.zeros(4, 5), (h_prev,))
    torch.testing.assert_close(h, h_prev)


def test_init_params_has_the_course_layout_and_the_forget_bias(rng):
    params = train.init_params(train.CELLS["lstm"], 5, 3, rng, forget_bias=1.0)
    assert set(params) == {f"{p}_{g}" for p in "Wb" for g in "fico"}
    assert params["W_f"].shape == (3, 8) and params["b_f"].shape == (3,)
    assert torch.equal(params["b_f"], torch.ones(3)) and torch.equal(params["b_i"], torch.zeros(3))
    assert params["W_c"].abs().max() <= 1 / 3**0.5


def test_a_negative_update_bias_makes_the_gru_keep_h_prev_at_start():
    net = train.Network("gru", n_x=5, n_h=3, n_y=1, update_bias=-2.0)
    assert torch.equal(net.params["b_z"], torch.full((3,), -2.0)) and torch.equal(net.params["b_r"], torch.zeros(3))
    _, gates = net.run(torch.zeros(2, 4, dtype=torch.long))
    assert gates["z"][:, 0].max() < 0.2  # z = 1 would take the candidate: most of h_prev is kept


def test_network_run_records_every_state_and_gate_over_time():
    net = train.Network("lstm", n_x=7, n_h=4, n_y=2)
    x = torch.randint(0, 7, (3, 5), generator=torch.Generator().manual_seed(1))
    states, gates = net.run(x)
    assert {k: v.shape for k, v in states.items()} == {"h": (3, 5, 4), "c": (3, 5, 4)}
    assert {k: v.shape for k, v in gates.items()} == {g: (3, 5, 4) for g in "fio"}
    (h1, c1), _ = train.lstm_step(dict(net.params), net.inputs(x)[:, 0], (torch.zeros(3, 4), torch.zeros(3, 4)))
    torch.testing.assert_close(states["h"][:, 0], h1)
    torch.testing.assert_close(states["c"][:, 0], c1)


def test_network_reads_out_the_state_at_the_asked_position():
    net = train.Network("gru", n_x=7, n_h=4, n_y=2)
    x = torch.randint(0, 7, (3, 5), generator=torch.Generator().manual_seed(1))
    at = torch.tensor([0, 4, 2])
    states, _ = net.run(x)
    torch.testing.assert_close(net(x, at), net.readout(states["h"][torch.arange(3), at]))


def test_ablated_units_stay_zero_and_the_others_do_not():
    net = train.Network("lstm", n_x=7, n_h=4, n_y=2)
    x = torch.randint(0, 7, (3, 5), generator=torch.Generator().manual_seed(1))
    states, _ = net.run(x, ablate=[1, 3])
    assert not states["h"][..., [1, 3]].any() and not states["c"][..., [1, 3]].any()
    assert states["h"][..., [0, 2]].abs().min() > 0


def test_a_network_takes_a_cell_of_ones_own():
    no_output_gate = train.Cell(
        lambda p, x_t, s: train.lstm_step(p, x_t, s, fixed={"o": 1.0}), ("f", "i", "c"), ("h", "c")
    )
    net = train.Network(no_output_gate, n_x=3, n_h=2, n_y=1)
    states, gates = net.run(torch.randn(2, 4, 3, generator=torch.Generator().manual_seed(0)))
    assert "W_o" not in net.params and torch.equal(gates["o"], torch.ones(2, 4, 2))
    torch.testing.assert_close(states["h"], torch.tanh(states["c"]))


def test_gate_inputs_is_one_affine_map_per_gate(rng):
    x_t, h_prev, _, params = step_case("lstm", rng)
    pre = train.gate_inputs(params, "fico", h_prev, x_t)
    hx = torch.cat([h_prev, x_t], dim=1)
    for g in "fico":
        torch.testing.assert_close(pre[g], hx @ params[f"W_{g}"].T + params[f"b_{g}"])


def test_a_variant_without_a_gate_needs_no_weights_for_it(rng):
    x_t, h_prev, c_prev, params = step_case("lstm", rng)
    without_o = {k: v for k, v in params.items() if not k.endswith("_o")}
    (h, c), gates = train.lstm_step(without_o, x_t, (h_prev, c_prev), fixed={"o": 1.0})
    torch.testing.assert_close(h, torch.tanh(c))
    assert set(gates) == {"f", "i", "o"}


def test_a_cell_from_a_forward_function_of_the_course_api_trains_in_a_network():
    def leaky_forward(x_t, h_prev, params):
        """h = (h_prev + tanh(W_h [h_prev, x_t] + b_h)) / 2: a forward of the course's API."""
        h_next = (h_prev + torch.tanh(torch.cat([h_prev, x_t], 1) @ params["W_h"].T + params["b_h"])) / 2
        return h_next, None

    cell = train.cell_from_forward(leaky_forward, ("h",), ("h",))
    net = train.Network(cell, n_x=6, n_h=4, n_y=2)
    x = torch.randint(0, 6, (3, 5), generator=torch.Generator().manual_seed(1))
    states, gates = net.run(x)
    h1, _ = leaky_forward(net.inputs(x)[:, 0], torch.zeros(3, 4), dict(net.params))
    torch.testing.assert_close(states["h"][:, 0], h1)
    assert gates == {}
    history = train.train(net, remember_the_first_token, steps=5, progress=False)
    assert len(history.losses) == 5


def remember_the_first_token(generator, B=32, T=8, n_x=6):
    """A task to learn: tokens 2..5 at random, with the label (token 0 or 1) at position 0, read at T - 1."""
    x = torch.randint(2, n_x, (B, T), generator=generator)
    y = torch.randint(0, 2, (B,), generator=generator)
    x[:, 0] = y
    return train.Batch(x, torch.full((B,), T - 1), y)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_training_learns_to_remember_a_label_across_a_sequence(kind):
    net = train.Network(kind, n_x=6, n_h=8, n_y=2, seed=0)
    held_out = remember_the_first_token(torch.Generator().manual_seed(123), B=500)
    before = train.accuracy(net, held_out)
    history = train.train(net, remember_the_first_token, steps=150, lr=0.02, progress=False)
    assert before < 0.7 and train.accuracy(net, held_out) > 0.98
    assert len(history.losses) == 150 and history.losses[-1] < history.losses[0] / 10


def test_training_is_seeded():
    nets = [train.Network("lstm", n_x=6, n_h=4, n_y=2, seed=3) for _ in range(2)]
    for net in nets:
        train.train(net, remember_the_first_token, steps=20, seed=5, progress=False)
    for name, value in nets[0].state_dict().items():
        assert torch.equal(value, nets[1].state_dict()[name]), name


def test_training_records_the_gradient_norm_before_clipping_and_clips_to_it():
    net = train.Network("lstm", n_x=6, n_h=4, n_y=2, seed=3)
    batch = remember_the_first_token(torch.Generator().manual_seed(0))
    train.loss_of(net, batch).backward()
    first = torch.cat([p.grad.reshape(-1) for p in net.parameters()]).norm()
    net.zero_grad()
    history = train.train(net, lambda generator: batch, steps=3, clip=0.01, progress=False)
    assert history.grad_norms[0] == pytest.approx(float(first))  # the norm before clipping, not after
    assert history.clipped(0.01) == 1.0 and history.clipped(1e9) == 0.0


def test_a_float_target_trains_a_regression():
    def sum_of_two(generator, B=32):
        x = torch.rand(B, 3, 2, generator=generator)
        return train.Batch(x, torch.full((B,), 2), x[:, :, 0].sum(dim=1))

    net = train.Network("lstm", n_x=2, n_h=8, n_y=1)
    history = train.train(net, sum_of_two, steps=200, lr=0.02, progress=False)
    assert history.losses[-1] < 0.05 < history.losses[0]


def test_training_leaves_torchs_thread_count_as_it_was():
    threads = torch.get_num_threads()
    train.train(train.Network("rnn", 6, 2, 2), remember_the_first_token, steps=2, progress=False)
    assert torch.get_num_threads() == threads


def test_the_progress_bar_ends_on_one_full_line(capsys):
    train.train(train.Network("rnn", 6, 2, 2), remember_the_first_token, steps=4, progress=True)
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\r") == 4
    assert "[" + "#" * 30 + "] step 4/4  loss" in out.splitlines()[-1]


def test_a_batch_knows_the_steps_read_before_its_answer():
    batch = train.Batch(torch.zeros(2, 4, dtype=torch.long), torch.tensor([1, 3]), torch.tensor([0, 1]))
    assert batch.read.tolist() == [[True, True, False, False], [True, True, True, True]]


def test_accuracy_is_the_mean_of_the_correct_predictions():
    net = train.Network("lstm", n_x=6, n_h=4, n_y=2)
    batch = remember_the_first_token(torch.Generator().manual_seed(7), B=50)
    right = train.correct(net, batch)
    assert right.shape == (50,) and right.dtype == torch.bool
    assert train.accuracy(net, batch) == right.float().mean().item()
