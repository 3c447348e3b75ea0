"""Does gatelab.probe read a network correctly: traces, W_f's parts, gradients at the gates, ablations?"""

import pytest
import torch

from gatelab import data, dynamics, probe, train
from gatelab.checks.analysis import forget_oracle
from gatelab.data import agreement

V = len(agreement.VOCAB)
HANDSET = {"b_f": 4.0, "i_noun": 8.0, "b_i": -4.0, "c_number": 3.0, "b_o": 2.0}


@pytest.fixture(scope="module")
def trained():
    """A small LSTM trained briefly on the language, and a held-out set."""
    net = train.Network("lstm", V, 6, 2, seed=0, forget_bias=1.0)
    train.train(net, agreement.batches(agreement.generate(3000, seed=0, every_verb=True)), 200, seed=0,
                progress=False)  # fmt: skip
    return net, agreement.held_out_set(400)


def test_a_briefly_trained_lstm_solves_the_held_out_set(trained):
    net, test = trained
    report = probe.report(net, test)
    assert report["overall"] >= 0.95 and report["attractors"] >= 0.95
    assert sum(n for _, n in report["by distance"].values()) == len(test)
    assert set(report["by attractors"]) == set(test.attractors.tolist())


def test_trace_is_what_the_network_runs(rng):
    net = train.Network("lstm", V, 4, 2, seed=1)
    tokens = data.SENTENCES["cat-dogs"]
    trace = probe.trace(net, tokens)
    states, gates = net.run(agreement.encode(tokens)[None])
    assert set(trace) == {"h", "c", "f", "i", "o"}
    torch.testing.assert_close(trace["f"], gates["f"][0])
    torch.testing.assert_close(trace["c"], states["c"][0])


def test_the_parts_of_a_trained_forget_gate_add_up_to_it(trained):
    """Lesson 06's forget_parts (its check's oracle) on a trained network and the states it traced."""
    net, _ = trained
    tokens = data.SENTENCES["cats-dog"]
    trace = probe.trace(net, tokens)
    h_prev = torch.cat([torch.zeros(1, 6), trace["h"][:-1]])  # (T, H): the state each token meets
    W_f, b_f = net.params["W_f"].detach(), net.params["b_f"].detach()
    parts = forget_oracle(W_f, b_f, h_prev, agreement.encode(tokens))
    torch.testing.assert_close(sum(parts.values()).sigmoid(), trace["f"])


def test_gate_gradients_are_autograds_and_vanish_where_they_should():
    net = train.Network("lstm", V, 3, 2, seed=2, forget_bias=1.0)
    pair = agreement.sentences([data.SENTENCES["cat"], data.SENTENCES["cats"]])
    grads = probe.gate_gradients(net, pair)
    assert set(grads) == {"f", "i", "o"} and grads["i"].shape == (2, pair.batch().x.shape[1], 3)
    assert torch.equal(grads["f"][:, 0], torch.zeros(2, 3)), "f at the first token multiplies c_0 = 0"
    assert grads["i"][:, 1].abs().sum() > 0, "the input gate at the subject hears from the verb"
    assert all(p.grad is None for p in net.parameters())
    # the gradient at the subject's input gate, by a finite difference on a fixed input gate there
    eps = 1e-3
    batch = pair.batch()

    def loss_with_i_shift(shift):
        x = net.inputs(batch.x).double()
        params = {k: v.detach().double() for k, v in net.params.items()}
        state = (x.new_zeros(2, 3), x.new_zeros(2, 3))
        hs = []
        for t in range(x.shape[1]):
            (h, c), gates = train.lstm_step(params, x[:, t], state)
            if t == 1:
                h_prev, c_prev = state
                pre_c = torch.cat([h_prev, x[:, t]], 1) @ params["W_c"].T + params["b_c"]
                c = gates["f"] * c_prev + (gates["i"] + shift) * pre_c.tanh()
                h = gates["o"] * c.tanh()
            state = (h, c)
            hs.append(h)
        out = torch.stack(hs, 1)[torch.arange(2), batch.at] @ net.readout.weight.detach().double().T
        out = out + net.readout.bias.detach().double()
        return torch.nn.functional.cross_entropy(out, batch.y, reduction="sum")

    for unit in range(3):
        shift = torch.zeros(2, 3, dtype=torch.float64)
        shift[:, unit] = eps
        numeric = (loss_with_i_shift(shift) - loss_with_i_shift(-shift)) / (2 * eps)
        assert float(numeric) == pytest.approx(float(grads["i"][:, 1, unit].sum()), rel=1e-3, abs=1e-6)


def test_the_handset_cell_reads_sentences_as_lesson_04s_puzzle_does():
    net = probe.handset_lstm(HANDSET)
    for name in ("cat", "cats", "cat-dogs"):
        tokens = data.SENTENCES[name]
        expected = dynamics.lstm_sentence_trace(HANDSET, tokens)
        got = probe.trace(net, tokens)
        torch.testing.assert_close(got["c"][:, 0].double(), expected["c"], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(got["f"][:, 0].double(), expected["f"], atol=1e-5, rtol=1e-5)


def test_the_handset_cell_fails_on_attractors_only():
    report = probe.report(probe.handset_lstm(HANDSET), agreement.held_out_set(400))
    assert report["no attractors"] == 1.0 and report["attractors"] < 0.5


def test_states_before_verb_and_gate_values_pick_the_right_tokens(trained):
    net, test = trained
    states, gates = net.run(test.batch().x)
    c = probe.states_before_verb(net, test, "c")
    assert c.shape == (len(test), 6)
    torch.testing.assert_close(c[5], states["c"][5, int(test.verb[5]) - 1])
    values = probe.gate_values(net, test)
    M = int(test.verb.sum())
    assert values["f"].shape == (1, M, 6)
    torch.testing.assert_close(values["i"][0, : int(test.verb[0])], gates["i"][0, : int(test.verb[0])])


def test_silencing_every_unit_leaves_the_readouts_bias(trained):
    net, test = trained
    acc = probe.ablated_accuracy(net, test, range(6))
    predicted = int(net.readout.bias.argmax())
    share = float((test.y == predicted).float().mean())
    assert acc["overall"] == pytest.approx(share)
    assert probe.ablated_accuracy(net, test, [])["overall"] == pytest.approx(probe.report(net, test)["overall"])


def test_random_units_are_distinct_seeded_and_exclude():
    units = probe.random_units(10, 4, seed=3, exclude=[2, 5])
    assert len(set(units)) == 4 and not {2, 5} & set(units)
    assert units == probe.random_units(10, 4, seed=3, exclude=[2, 5])


def test_rank_units_asks_the_finder_among_the_units_left(rng):
    number = torch.tensor([1, -1] * 20)
    strengths = torch.tensor([0.2, 3.0, 0.0, 1.0])
    states = number[:, None] * strengths + 0.01 * torch.randn(40, 4, generator=rng)
    largest = lambda s, n: int((s * n[:, None]).mean(0).abs().argmax())  # noqa: E731
    assert probe.rank_units(largest, states, number) == [1, 3, 0, 2]
    assert probe.rank_units(largest, states, number, count=2) == [1, 3]


def test_the_ablation_curve_runs_from_no_unit_to_every_unit(trained):
    net, test = trained
    curves = probe.ablation_curve(net, test, [0, 1, 2, 3, 4, 5])
    assert len(curves["ranked"]) == len(curves["random"]) == 7
    assert curves["ranked"][0] == curves["random"][0] and curves["ranked"][-1] == curves["random"][-1]
